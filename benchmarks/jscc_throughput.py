"""Deep-JSCC evaluation throughput against the bare forward passes it is made of.

Both sides process the same N images at one (SNR, CPP) point, R runs:

* ``pipeline``: :func:`linksim.sim.run_point` -- ``transmit`` once (encoder),
  then per run AWGN + ``receive`` (decoder) + uint8 rounding + evaluation
  (judge, PSNR, and SSIM unless ``--no-ssim``);
* ``bare``: the encoder once, then per run noise + decoder + judge as one
  ``tf.function`` per batch, with no metric, no rounding, no bookkeeping.

The ratio bare time / pipeline time (= pipeline throughput / bare throughput)
is what the linksim layer costs; goal >= 0.9. Timed after one warm-up pass.

    python benchmarks/jscc_throughput.py --images 2000 --runs 5
"""
from __future__ import annotations

import argparse
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--codec", default="ar_jscc")
    p.add_argument("--classifier", default="resnet32")
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--snr-db", type=float, default=5.0)
    p.add_argument("--cpp", type=float, default=0.25)
    p.add_argument("--no-ssim", action="store_true")
    args = p.parse_args()

    import numpy as np
    import tensorflow as tf
    from linksim import zoo
    from linksim.channels import AWGNChannel
    from linksim.codecs.jscc import ARJSCCConfig, DeepJSCC
    from linksim.data import load_embedded_sample
    from linksim.sim import Evaluator, configure_threads, run_point

    configure_threads(2)
    data = load_embedded_sample()
    images = np.concatenate([data.images] * -(-args.images // len(data)))[:args.images]
    judge = zoo.load_classifier(args.classifier)
    codec = DeepJSCC(ARJSCCConfig(weights=args.codec))
    model, batch = codec.model, codec.config.batch_size
    selective = tf.constant(codec.groups_for(args.cpp) - model.fixed_groups, tf.int32)

    @tf.function(reduce_retracing=True)
    def decode_and_judge(symbols, mask, snr, std):
        noise = tf.complex(tf.random.normal(tf.shape(symbols, tf.int32)), tf.random.normal(tf.shape(symbols, tf.int32)))
        return judge(model.decode(symbols + noise * tf.cast(std, tf.complex64), mask, snr), training=False)

    def bare():
        std = tf.constant((10 ** (-args.snr_db / 10) / 2) ** 0.5)
        for s in range(0, len(images), batch):
            x = tf.constant(images[s:s + batch], tf.float32)
            snr = tf.fill([len(x)], tf.constant(args.snr_db, tf.float32))
            symbols, mask = codec._encode(x, snr, selective)          # the codec's own encoder graph
            for _ in range(args.runs):
                decode_and_judge(symbols, mask, snr, std).numpy()

    evaluator = Evaluator({args.classifier: judge}, images, with_ssim=not args.no_ssim, batch_size=batch)

    def pipeline():                                 # one evaluator, as run_scenario has: its graphs trace once
        run_point(codec, args.codec, images, args.snr_db, args.cpp, args.runs, 0, evaluator, AWGNChannel())

    timings = {}
    for name, fn in (("bare", bare), ("pipeline", pipeline)):
        fn()                                        # warm-up: tracing
        t0 = time.perf_counter()
        fn()
        timings[name] = time.perf_counter() - t0
    work = args.images * args.runs
    for name, seconds in timings.items():
        print(f"{name:>8}: {seconds:6.2f} s, {work / seconds:8.0f} image-runs/s")
    print(f"ratio pipeline/bare throughput: {timings['bare'] / timings['pipeline']:.3f} "
          f"({args.codec}, judge {args.classifier}, {args.images} images x {args.runs} runs, "
          f"SSIM {'off' if args.no_ssim else 'on'})")


if __name__ == "__main__":
    main()
