"""Digital-link throughput and BPG encoding-cache hit rate over an SNR x CPP sweep.

Runs the digital codecs of scenarios/digital_grid.yaml on the first N images of
the embedded sample twice in one process with an empty cache folder: the first
(cold) sweep shows how often a sweep re-uses an encoding it made itself, the
second (warm) sweep the steady state. Images/s counts image-runs (images x runs
x grid points) per second of wall time, per codec, in the warm sweep.

    python benchmarks/digital_link.py --images 200 --runs 2
"""
from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "digital_link.md"))
    args = p.parse_args()
    os.environ["LINKSIM_CACHE"] = tempfile.mkdtemp(prefix="linksim-bench-")

    from linksim import zoo
    from linksim.codecs import separate
    from linksim.config import load_scenario
    from linksim.data import load_embedded_sample
    from linksim.sim import run_scenario

    grid = Path(__file__).parents[1] / "scenarios" / "digital_grid.yaml"
    scenario = load_scenario(grid, [f"runs={args.runs}", "codecs=[{type: bpg_ldpc}, {type: bpg_adaptive}, "
                                                         "{type: bpg_capacity}]"])
    data = load_embedded_sample().take_per_class(args.images)
    judges = {scenario.classifier: zoo.load_classifier(scenario.classifier)}
    rows = []
    for label in ("cold", "warm"):
        separate._CACHES.clear()
        t0 = time.time()
        points = run_scenario(scenario, data, judges, progress=lambda m: None).points
        wall = time.time() - t0
        stats = separate.cache_stats()
        (cache,) = stats.values()
        per_codec = {}
        for pt in points:
            per_codec[pt["codec"]] = per_codec.get(pt["codec"], 0.0) + pt["seconds"]
        rows.append((label, wall, cache, per_codec))
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line), "?")
    points_per_codec = len(scenario.snr_db) * len(scenario.cpp)
    lines = ["## Digital link throughput and BPG cache hit rate",
             f"`python benchmarks/digital_link.py --images {args.images} --runs {args.runs}` "
             f"on {os.cpu_count()} cores ({cpu}), {platform.platform()}; grid "
             f"{len(scenario.snr_db)} SNR x {len(scenario.cpp)} CPP, {args.images} images, {args.runs} runs.",
             "", "| sweep | wall (s) | cache lookups | hit rate | " +
             " | ".join(f"{c} images/s" for c in rows[0][3]) + " |",
             "|---|---|---|---|" + "---|" * len(rows[0][3])]
    for label, wall, cache, per_codec in rows:
        rates = [args.images * args.runs * points_per_codec / s for s in per_codec.values()]
        lines.append(f"| {label} | {wall:.1f} | {cache['hits'] + cache['misses']} | {cache['hit_rate']:.3f} | "
                     + " | ".join(f"{r:.0f}" for r in rates) + " |")
    lines += ["", _pipeline_vs_decoder(data, judges, args.runs)]
    text = "\n".join(lines) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


def _pipeline_vs_decoder(data, judges, runs, snr_db=20.0, cpp=0.5) -> str:
    """bpg_ldpc at one point with a warm cache (transmit, R x (channel, demap, decode, CRC, BPG
    decode, evaluation)) against the bare compiled demap+decode of the same number of codewords.

    The evaluator is the warm-up's, as a sweep keeps one: delivered images it
    has seen are not judged again (the memo a sweep relies on).
    """
    import numpy as np
    import tensorflow as tf
    from linksim.channels import AWGNChannel, snr_db_to_no
    from linksim.codecs.separate import BpgLdpc, BpgLdpcConfig
    from linksim.sim import Evaluator, run_point

    codec = BpgLdpc(BpgLdpcConfig())
    # one evaluator, as in a sweep: its graphs are traced once (a fresh one costs ~4 s of tracing here)
    evaluator = Evaluator(judges, data.images, with_ssim=True)
    run_point(codec, "bpg_ldpc", data.images, snr_db, cpp, 1, 0, evaluator, AWGNChannel())   # warm-up
    t0 = time.perf_counter()
    point = run_point(codec, "bpg_ldpc", data.images, snr_db, cpp, runs, 1, evaluator, AWGNChannel())
    pipeline = time.perf_counter() - t0
    pipe = codec.pipe
    codewords = int(point.channel_uses.sum()) // pipe.symbols_per_codeword
    chunk = pipe.chunk_codewords
    bits = tf.constant(np.random.default_rng(0).integers(0, 2, (chunk, pipe.code.k)).astype(np.float32))
    y = AWGNChannel()(pipe._tx(bits), snr_db)              # real codewords: early termination as in the link
    no = tf.constant(snr_db_to_no(snr_db), tf.float32)
    pipe._rx(y, no)
    t0 = time.perf_counter()
    for _ in range(-(-codewords // chunk)):
        pipe._rx(y, no)[0].numpy()
    decoder = time.perf_counter() - t0
    return (f"bpg_ldpc at {snr_db:g} dB, CPP {cpp:g}, warm cache, {len(data.images)} images x {runs} runs = "
            f"{codewords} codewords: pipeline {pipeline:.2f} s, demap + LDPC decode alone {decoder:.2f} s; "
            f"ratio pipeline throughput / decoder throughput = **{decoder / pipeline:.3f}**")


if __name__ == "__main__":
    main()
