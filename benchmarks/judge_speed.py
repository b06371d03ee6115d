"""Judge (classifier) inference: the shipped float32 graph vs XLA and vs bfloat16 compute.

Prints images/s of each variant, its throughput against the float32 graph
and how often its predicted class agrees with it (on real test images), so
choices for the evaluation stage rest on a measurement.

    python benchmarks/judge_speed.py --classifier resnet32 --data <cifar10-jpeg> --images 2500
"""
from __future__ import annotations

import argparse
import time


def _bfloat16_copy(name: str):
    """The zoo classifier ``name`` built under Keras' mixed_bfloat16 policy (float32 weights, bf16 compute)."""
    import tensorflow as tf
    from linksim import zoo
    tf.keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        return zoo.load_classifier(name)
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--classifier", default="resnet32")
    p.add_argument("--data", help="CIFAR-10 root (default: the embedded sample)")
    p.add_argument("--images", type=int, default=2500, help="test images (N/10 per class)")
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--repeats", type=int, default=2, help="timed passes over the images per variant")
    args = p.parse_args()

    import numpy as np
    import tensorflow as tf
    from linksim import zoo
    from linksim.data import load_split
    from linksim.sim import configure_threads

    configure_threads(2)
    data = load_split(args.data, "test").take_per_class(args.images)
    images = data.images.astype(np.float32)
    model = zoo.load_classifier(args.classifier)
    bf16 = _bfloat16_copy(args.classifier)
    graphs = {"float32 graph": tf.function(lambda x: tf.argmax(model(x, training=False), 1)),
              "float32 XLA": tf.function(lambda x: tf.argmax(model(x, training=False), 1), jit_compile=True),
              "bfloat16 graph": tf.function(lambda x: tf.argmax(bf16(x, training=False), 1))}
    predictions, seconds = {}, dict.fromkeys(graphs, 0.0)
    for fn in graphs.values():
        fn(images[:args.batch])                                 # warm-up: trace and compile
    for _ in range(args.repeats):                               # interleaved, so load changes hit all alike
        for name, fn in graphs.items():
            t0 = time.perf_counter()
            predictions[name] = np.concatenate([fn(images[s:s + args.batch]).numpy()
                                                for s in range(0, len(images), args.batch)])
            seconds[name] += time.perf_counter() - t0
    base = "float32 graph"
    for name in graphs:
        print(f"{name:>15}: {args.repeats * len(images) / seconds[name]:6.0f} images/s, "
              f"throughput x{seconds[base] / seconds[name]:.2f}, accuracy {np.mean(predictions[name] == data.labels):.4f}, "
              f"agrees with float32 on {np.mean(predictions[name] == predictions[base]):.4f}")
    print(f"({args.classifier}, {len(images)} test images, batch {args.batch})")


if __name__ == "__main__":
    main()
