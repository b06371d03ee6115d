"""Judge (classifier) inference: TensorFlow graph as shipped vs the same graph compiled with XLA.

Prints images/s of each, their ratio and the largest logit difference, so
the choice of graph mode for the evaluation stage rests on a measurement.

    python benchmarks/judge_speed.py --classifier resnet32 --images 2000
"""
from __future__ import annotations

import argparse
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--classifier", default="resnet32")
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--batch", type=int, default=500)
    args = p.parse_args()

    import numpy as np
    import tensorflow as tf
    from linksim import zoo
    from linksim.sim import configure_threads

    configure_threads(2)
    model = zoo.load_classifier(args.classifier)
    images = np.random.default_rng(0).integers(0, 256, (args.images, 32, 32, 3)).astype(np.float32)
    graphs = {"graph": tf.function(lambda x: model(x, training=False)),
              "xla": tf.function(lambda x: model(x, training=False), jit_compile=True)}
    logits, seconds = {}, {}
    for name, fn in graphs.items():
        fn(images[:args.batch])                                 # warm-up: trace and compile
        t0 = time.perf_counter()
        logits[name] = np.concatenate([fn(images[s:s + args.batch]).numpy()
                                       for s in range(0, len(images), args.batch)])
        seconds[name] = time.perf_counter() - t0
        print(f"{name:>6}: {seconds[name]:6.2f} s, {len(images) / seconds[name]:7.0f} images/s")
    print(f"xla/graph throughput {seconds['graph'] / seconds['xla']:.2f}, largest logit difference "
          f"{np.abs(logits['graph'] - logits['xla']).max():.1e} ({args.classifier}, batch {args.batch})")


if __name__ == "__main__":
    main()
