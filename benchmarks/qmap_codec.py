"""Acceptance figures of the learned Qmap source codec (real bytes only).

    python benchmarks/qmap_codec.py --data <cifar10 root> [--weights qmap2021] [--images 1000]
        [--fuzz 10000] [--only rate,control,bitstream,fuzz,speed]

* rate: real stream sizes at uniform q = 0, 0.1, ..., 1 (share of images within
  13 bytes at q = 0, mean bpp at q = 1, share of images whose size never falls
  as q rises);
* control: for targets of 0.25, 0.5, 1 and 2 bpp, the ladder's stream per image
  (blended Qmaps): share that fits, share within 5% below the target;
* bitstream: the bytes alone, decoded in a fresh process (no memo, no model
  state shared with the encoder), against the decoder applied to the
  quantised latents;
* fuzz: decoding flipped bits, truncations and random bytes never kills the process;
* speed: encode + decode images/s, encoder passes per image of a ladder search, parameters.

Prints one block per section; the figures go to benchmarks/RESULTS.md by hand
with the command and machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def load(args):
    from linksim.data import load_split
    data = load_split(args.data, "test")
    return data.take_per_class(args.images) if args.images < len(data) else data


def source_for(args, strategy, levels=512):
    from linksim.codecs.source.base import SOURCES
    return SOURCES.build(SOURCES.parse({"type": "qmap", "weights": args.weights, "strategy": strategy,
                                        "levels": levels}, "source"))


def rate(args, images):
    src = source_for(args, "uniform")
    ctx = src.prepare(images)
    levels = np.round(np.linspace(0, 1, 11), 1)
    sizes = np.stack([[len(s) for s in src.encode_batch(images, [float(u)] * len(images), ctx)] for u in levels])
    bpp = 8 * sizes / (images.shape[1] * images.shape[2])
    print("rate (uniform q): " + ", ".join(f"q {u:.1f}: {b:.3f} bpp" for u, b in zip(levels, bpp.mean(axis=1))))
    print(f"  q = 0: {np.mean(sizes[0] <= 13):.4f} of images within 13 bytes "
          f"(median {np.median(sizes[0]):.0f} bytes, max {sizes[0].max()})")
    print(f"  q = 1: mean {bpp[-1].mean():.3f} bpp")
    print(f"  monotone in q: {np.mean(np.all(np.diff(sizes, axis=0) >= 0, axis=0)):.4f} of images; "
          f"mean size monotone: {bool(np.all(np.diff(sizes.mean(axis=1)) > 0))}")


def control(args, images):
    from linksim.codecs.separate import shared_cache
    from linksim.codecs.source.base import QualityLadder
    from linksim.data import fallback_image
    src = source_for(args, "blended")
    ladder = QualityLadder(src, images, shared_cache(None), fallback_image())
    pixels = images.shape[1] * images.shape[2]
    encodes = 0
    for target in (0.25, 0.5, 1.0, 2.0):
        limit = int(target * pixels // 8)
        before = ladder.cache.misses
        t0 = time.time()
        positions = ladder.best(limit)
        encodes += ladder.cache.misses - before
        sizes = np.array([len(ladder.stream(i, p)) if p is not None else -1 for i, p in enumerate(positions)])
        fits = (sizes >= 0) & (sizes <= limit)
        close = fits & (sizes >= 0.95 * limit)
        print(f"control {target:g} bpp ({limit} bytes): fits {fits.mean():.4f}, within 5% below "
              f"{close.mean():.4f}, mean {8 * sizes[fits].mean() / pixels:.3f} bpp, "
              f"{time.time() - t0:.1f} s")
    print(f"  encoder passes per image over the four searches: {encodes / len(images):.1f}")


CHILD = r"""
import json, sys, numpy as np
from linksim.codecs.source.base import SOURCES
src = SOURCES.build(SOURCES.parse(json.loads(sys.argv[1]), "source"))
streams = [bytes.fromhex(h) for h in json.load(open(sys.argv[2]))]
out = src.decode_batch(streams)
np.save(sys.argv[3], np.stack(out))
"""


def bitstream(args, images):
    import tensorflow as tf
    src = source_for(args, "blended")
    ctx = src.prepare(images)
    rng = np.random.default_rng(0)
    levels = rng.uniform(0, 1.9, len(images)).tolist()
    streams = src.encode_batch(images, levels, ctx)
    q = src.qmaps(levels, ctx)
    expected = []
    for s in range(0, len(images), 250):
        y_hat, z_hat = src.model.quantised_latents(tf.constant(images[s:s + 250], tf.float32),
                                                   tf.constant(q[s:s + 250]))
        expected.append(np.clip(np.rint(src.model.synthesis(y_hat, z_hat).numpy()), 0, 255).astype(np.uint8))
    expected = np.concatenate(expected)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "streams.json")
        json.dump([s.hex() for s in streams], open(path, "w"))
        node = {"type": "qmap", "weights": args.weights, "strategy": "blended"}
        subprocess.run([sys.executable, "-c", CHILD, json.dumps(node), path, os.path.join(tmp, "out.npy")],
                       check=True)
        decoded = np.load(os.path.join(tmp, "out.npy"))
    same = np.all(decoded == expected, axis=(1, 2, 3))
    print(f"bitstream: {same.sum()}/{len(same)} images decoded in a fresh process from their bytes alone equal "
          f"the decoder of the quantised latents (max abs diff {np.abs(decoded.astype(int) - expected).max()})")


def fuzz(args, images):
    src = source_for(args, "uniform")
    ctx = src.prepare(images[:50])
    streams = src.encode_batch(images[:50], np.linspace(0, 1, 50).tolist(), ctx)
    from linksim.codecs.source.base import DAMAGE_KINDS, damaged_streams
    cases, kinds = damaged_streams(streams, args.fuzz, seed=1)
    t0 = time.time()
    decoded = []
    for s in range(0, len(cases), 500):
        decoded += src.decode_batch(cases[s:s + 500])
    ok = [d is not None for d in decoded]
    for name in DAMAGE_KINDS:
        sel = [o for o, k in zip(ok, kinds) if k == name]
        print(f"fuzz {name}: {len(sel)} cases, {sum(sel)} decoded to an image, {len(sel) - sum(sel)} refused")
    print(f"fuzz: {len(cases)} cases, process alive, {time.time() - t0:.1f} s")


def speed(args, images):
    src = source_for(args, "uniform")
    params = sum(int(np.prod(v.shape)) for v in src.model.trainable_variables)
    ctx = src.prepare(images)
    src.decode_batch(src.encode_batch(images[:2], [0.5, 0.5], ctx.subset([0, 1])))   # builds the coding tables
    t0 = time.time()
    streams = src.encode_batch(images, [0.5] * len(images), ctx)
    t1 = time.time()
    src.decode_batch(streams)
    t2 = time.time()
    n = len(images)
    print(f"speed: {params} parameters; encode {1000 * (t1 - t0) / n:.2f} ms/image, decode "
          f"{1000 * (t2 - t1) / n:.2f} ms/image, encode+decode {n / (t2 - t0):.0f} images/s (batch 250)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data")
    p.add_argument("--weights", default="qmap2021")
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--fuzz", type=int, default=10000)
    p.add_argument("--only", default="rate,control,bitstream,fuzz,speed")
    args = p.parse_args(argv)
    from linksim.sim import configure_threads
    configure_threads(2)
    images = load(args).images
    for name in args.only.split(","):
        globals()[name](args, images)


if __name__ == "__main__":
    main()
