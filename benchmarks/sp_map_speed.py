"""SP map (mean |logit gradient|): tape.batch_jacobian against one gradient per logit from a persistent tape.

    python benchmarks/sp_map_speed.py        (250 embedded test images, the shipped resnet32 with flip averaging)
"""
import time, numpy as np, tensorflow as tf
from linksim.data import load_split
from linksim.importance import SPGradientMap, SPGradientConfig
x = load_split(None, "test").images[:250]
m = SPGradientMap(SPGradientConfig())
t = time.time(); a = m(x); print("jacobian (incl trace)", time.time() - t)
t = time.time(); a = m(x); print("jacobian warm", time.time() - t)
model = m.model
@tf.function(reduce_retracing=True)
def loop(x):
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        logits = model(x, training=False)
        picked = [logits[:, c] for c in range(10)]
    return tf.add_n([tf.abs(tape.gradient(p, x)) for p in picked]) / 10.0
from linksim.importance.base import l2_normalise
t = time.time(); b = l2_normalise(np.concatenate([loop(tf.constant(x[s:s+100], tf.float32)).numpy() for s in range(0, 250, 100)])); print("loop (incl trace)", time.time() - t)
t = time.time(); b = l2_normalise(np.concatenate([loop(tf.constant(x[s:s+100], tf.float32)).numpy() for s in range(0, 250, 100)])); print("loop warm", time.time() - t)
print("max abs diff", np.abs(a - b).max(), "max", a.max())
