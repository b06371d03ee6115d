"""Training-step time of the zoo architectures, one process, same batch: ratios to plan trainings.

    python benchmarks/classifier_step.py [--archs resnet20,alexnet,densenet40] [--batch 128] [--steps 5]
"""
import argparse
import time

import tensorflow as tf

from linksim.models.classifier import ARCHITECTURES


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--archs", default="resnet20,alexnet,densenet40")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=5)
    args = p.parse_args()
    x = tf.random.uniform([args.batch, 32, 32, 3], 0, 255)
    y = tf.random.uniform([args.batch], 0, 10, tf.int32)
    base = None
    for name in args.archs.split(","):
        model, optimizer = ARCHITECTURES[name](), tf.keras.optimizers.SGD(0.1, momentum=0.9)

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
                    y, model(x, training=True), from_logits=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        step(x, y)                                         # trace and warm up
        t0 = time.time()
        for _ in range(args.steps):
            step(x, y)
        ms = (time.time() - t0) / args.steps * 1000
        base = base or ms
        print(f"{name}: {model.count_params()} parameters, {ms:.0f} ms per step of {args.batch} "
              f"({ms / base:.2f}x the first)")


if __name__ == "__main__":
    main()
