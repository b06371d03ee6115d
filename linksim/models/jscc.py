"""Network parts of the adaptive-rate deep JSCC (AR-JSCC, Yang & Kim 2022) with
SNR-adaptive attention-feature modules (ADJSCC, Xu et al. 2021).

Geometry for 32x32 RGB images: the encoder emits ``[B, 8, 8, 2G]`` reals;
real channels ``2g`` and ``2g + 1`` form the 64 complex symbols of group ``g``,
so each group costs 64 channel uses = CPP 1/16. With ``G = 8`` groups, of
which the first ``n_fixed = 2`` are always sent (non-selective) and the other
six are switched by the policy (selective), the CPP spans 1/8 .. 1/2 in steps
of 1/16.

How many selective groups an image sends is decided either by the policy
network's own on/off choices (trained with the network, Gumbel-softmax) or,
in the codec's adaptive mode, by a :class:`GroupAllocator` trained afterwards
on the frozen network's measured PSNRs; the groups are always the policy's
highest-ranked ones.

Which selective groups are active is side information of one bit per
selective group (6 bits per image, under 0.6% of the 1/8-CPP budget's real
dimensions). It is assumed delivered error-free -- as a 6-bit header on a
strongly coded control channel would be -- and not charged to the budget;
:func:`group_mask` callers report the CPP of the payload symbols only.

Shapes: images float ``[B, 32, 32, 3]`` in [0, 255]; SNR float ``[B]`` in dB;
symbols complex64 ``[B, G, 64]``; masks float ``[B, G]`` in {0, 1}.
"""
from __future__ import annotations

import tensorflow as tf
import tensorflow_compression as tfc

SYMBOLS_PER_GROUP = 64
PIXELS = 32 * 32
PSNR_OFFSET_DB = 25.0      # centre of the count predictor's output range: its training starts near the targets


class AttentionFeature(tf.keras.layers.Layer):
    """ADJSCC attention-feature module: rescale channels by a function of (features, SNR).

    Input ``([B, H, W, C] features, [B] SNR dB)``; output ``[B, H, W, C]``:
    features times ``sigmoid(W2 relu(W1 [GAP(features), snr]))`` per channel.
    """

    def __init__(self, hidden: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden

    def build(self, input_shape):
        channels = input_shape[0][-1]
        self.fc1 = tf.keras.layers.Dense(self.hidden, activation="relu")
        self.fc2 = tf.keras.layers.Dense(channels, activation="sigmoid")

    def call(self, inputs):
        features, snr_db = inputs
        context = tf.concat([tf.reduce_mean(features, axis=[1, 2]), snr_db[:, None] / 20.0], axis=1)
        return features * self.fc2(self.fc1(context))[:, None, None, :]


def _conv_block(filters, stride, transpose=False, inverse_gdn=False, name=None):
    conv = (tf.keras.layers.Conv2DTranspose if transpose else tf.keras.layers.Conv2D)(
        filters, 5, strides=stride, padding="same", name=None if name is None else f"{name}_conv")
    return [conv, tfc.GDN(inverse=inverse_gdn), tf.keras.layers.PReLU(shared_axes=[1, 2]), AttentionFeature()]


class JSCCEncoder(tf.keras.layers.Layer):
    """Image + SNR -> ``[B, G, 64]`` complex group symbols (not yet power-normalised), and pooled features.

    Args:
        groups: number of 64-symbol groups ``G``.
        width: channels of the hidden layers.
    """

    def __init__(self, groups: int = 8, width: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.groups = groups
        self.blocks = [_conv_block(width, 2), _conv_block(width, 2), _conv_block(width, 1)]
        self.out = tf.keras.layers.Conv2D(2 * groups, 5, padding="same")

    def call(self, images, snr_db):
        x = images / 127.5 - 1.0
        for conv, gdn, act, attention in self.blocks:
            x = attention([act(gdn(conv(x))), snr_db])
        features = tf.reduce_mean(x, axis=[1, 2])                       # [B, width] for the policy
        y = self.out(x)                                                  # [B, 8, 8, 2G]
        y = tf.reshape(y, [-1, SYMBOLS_PER_GROUP, self.groups, 2])
        symbols = tf.complex(y[..., 0], y[..., 1])                       # [B, 64, G]
        return tf.transpose(symbols, [0, 2, 1]), features


class JSCCDecoder(tf.keras.layers.Layer):
    """``[B, G, 64]`` received complex symbols (zeros where not sent) + SNR -> images ``[B, 32, 32, 3]`` in [0, 255]."""

    def __init__(self, width: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [_conv_block(width, 1, inverse_gdn=True), _conv_block(width, 1, inverse_gdn=True),
                       _conv_block(width, 2, transpose=True, inverse_gdn=True)]
        self.out = tf.keras.layers.Conv2DTranspose(3, 5, strides=2, padding="same", activation="sigmoid")

    def call(self, symbols, snr_db):
        groups = symbols.shape[1]
        y = tf.stack([tf.math.real(symbols), tf.math.imag(symbols)], axis=-1)   # [B, G, 64, 2]
        x = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [-1, 8, 8, 2 * groups])
        for conv, gdn, act, attention in self.blocks:
            x = attention([act(gdn(conv(x))), snr_db])
        return 255.0 * self.out(x)


class PolicyNetwork(tf.keras.layers.Layer):
    """Pooled encoder features + SNR -> on/off logits ``[B, n_selective, 2]`` of the selective groups."""

    def __init__(self, n_selective: int, hidden: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.n_selective = n_selective
        self.fc1 = tf.keras.layers.Dense(hidden, activation="relu")
        self.fc2 = tf.keras.layers.Dense(2 * n_selective)

    def call(self, features, snr_db):
        h = self.fc1(tf.concat([features, snr_db[:, None] / 20.0], axis=1))
        return tf.reshape(self.fc2(h), [-1, self.n_selective, 2])


def group_mask(logits, n_fixed: int, active=None, hard: bool = True, temperature: float = 1.0, seed=None,
               limit=None):
    """Mask ``[B, n_fixed + S]`` of the groups sent.

    Args:
        logits: ``[B, S, 2]`` policy logits (index 1 = "send").
        n_fixed: non-selective groups, always sent.
        active: None for the policy's own choice (adaptive mode), or an int
            tensor ``[B]``/scalar: send exactly that many selective groups, the
            highest-scoring ones (fixed-CPP mode).
        hard: with ``active=None``: True takes the policy's argmax (test
            time); False draws a straight-through Gumbel-softmax sample
            (training: hard mask forward, relaxed gradient backward).
        temperature: Gumbel-softmax temperature.
        seed: int32 ``[2]`` stateless seed for the Gumbel noise (training).
        limit: with ``active=None, hard=True``: send at most this many
            selective groups (the highest-scoring of those the policy chose).
    """
    batch = tf.shape(logits)[0]
    fixed = tf.ones([batch, n_fixed], logits.dtype)
    score = logits[..., 1] - logits[..., 0]
    rank = tf.argsort(tf.argsort(score, axis=1, direction="DESCENDING"), axis=1)
    if active is not None:
        chosen = rank < tf.reshape(tf.cast(active, rank.dtype), [-1, 1])
        return tf.concat([fixed, tf.cast(chosen, logits.dtype)], axis=1)
    if hard:
        chosen = score > 0
        if limit is not None:
            chosen &= rank < tf.cast(limit, rank.dtype)
        return tf.concat([fixed, tf.cast(chosen, logits.dtype)], axis=1)
    uniform = tf.random.stateless_uniform(tf.shape(logits), seed, 1e-6, 1.0 - 1e-6, dtype=logits.dtype)
    soft = tf.nn.softmax((logits - tf.math.log(-tf.math.log(uniform))) / temperature, axis=-1)[..., 1]
    straight = tf.cast(soft > 0.5, logits.dtype)
    return tf.concat([fixed, soft + tf.stop_gradient(straight - soft)], axis=1)


class GroupCountPredictor(tf.keras.layers.Layer):
    """Expected PSNR of an image for every number of selective groups sent (the policy's highest-ranked ones).

    Sees what the transmitter has before it sends: the pooled encoder features,
    the log energy of every group's raw symbols and the SNR. The output is a
    base PSNR plus cumulative non-negative gains, so it never falls as groups
    are added (on average more symbols never hurt).

    Input ``([B, width] features, [B, G] log group energies, [B] SNR dB)``;
    output ``[B, S + 1]`` predicted PSNR in dB for 0 .. S selective groups.
    """

    def __init__(self, n_selective: int, hidden: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.n_selective = n_selective
        self.fc1 = tf.keras.layers.Dense(hidden, activation="relu")
        self.fc2 = tf.keras.layers.Dense(hidden, activation="relu")
        self.out = tf.keras.layers.Dense(n_selective + 1)

    def call(self, features, log_energy, snr_db):
        h = self.fc2(self.fc1(tf.concat([features, log_energy, snr_db[:, None] / 20.0], axis=1)))
        raw = self.out(h)
        base = PSNR_OFFSET_DB + raw[:, :1]
        return tf.concat([base, base + tf.cumsum(tf.nn.softplus(raw[:, 1:]), axis=1)], axis=1)


def group_log_energy(symbols):
    """Log mean energy of every group's raw encoder symbols: complex ``[B, G, 64]`` -> ``[B, G]``."""
    return tf.math.log(tf.reduce_mean(tf.abs(symbols) ** 2, axis=2) + 1e-6)


def choose_group_count(predicted_psnr, snr_db, price_db_per_bit: float, n_fixed: int, limit=None):
    """Per image, the selective-group count maximising ``PSNR_k - price * CPP_k * log2(1 + SNR)``.

    ``CPP_k * log2(1 + SNR)`` is the AWGN capacity (bits per pixel) the image
    would occupy with ``k`` selective groups: symbols are priced by what they
    could carry, so the same price spends fewer of them on a good channel.

    Args:
        predicted_psnr: ``[B, S + 1]`` (:class:`GroupCountPredictor`).
        snr_db: ``[B]``.
        price_db_per_bit: PSNR (dB) an image must gain per bit per pixel of capacity.
        n_fixed: always-sent groups.
        limit: optional int: at most this many selective groups (the budget).
    Returns:
        int32 ``[B]`` in ``[0, S]``.
    """
    counts = tf.range(tf.shape(predicted_psnr)[1])
    cpp = tf.cast(n_fixed + counts, tf.float32) * SYMBOLS_PER_GROUP / PIXELS
    capacity = tf.math.log(1.0 + 10.0 ** (snr_db / 10.0)) / tf.math.log(2.0)
    utility = predicted_psnr - price_db_per_bit * cpp[None, :] * capacity[:, None]
    if limit is not None:
        utility = tf.where(counts[None, :] <= tf.cast(limit, counts.dtype), utility, -1e9)
    return tf.argmax(utility, axis=1, output_type=tf.int32)


class GroupAllocator(tf.keras.Model):
    """Adaptive rate control for a trained :class:`AdaptiveRateJSCC`: how many groups each image sends.

    The network's own policy ranks the selective groups; this model predicts
    every count's PSNR (:class:`GroupCountPredictor`) and the count that
    maximises PSNR minus the price of the capacity spent is sent
    (:func:`choose_group_count`). Trained after the network, on its measured
    per-image PSNRs (``linksim train allocator``), with the network frozen.

    Args:
        groups, fixed_groups, width: geometry of the network it serves.
    """

    def __init__(self, groups: int = 8, fixed_groups: int = 2, width: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.groups, self.fixed_groups, self.width = groups, fixed_groups, width
        self.predictor = GroupCountPredictor(groups - fixed_groups)

    def call(self, features, log_energy, snr_db):
        return self.predictor(features, log_energy, snr_db)

    def build_variables(self):
        """Create every variable (one pass on dummy inputs)."""
        self(tf.zeros([1, self.width]), tf.zeros([1, self.groups]), tf.zeros([1]))

    def save_npz(self, path):
        """Write the variables, in creation order, to one ``.npz`` file (no pickles)."""
        _save_npz(self, path)

    def load_npz(self, path):
        """Restore variables written by :meth:`save_npz`; shapes and count must match."""
        self.build_variables()
        _load_npz(self, path)


def normalise_power(symbols, mask):
    """Zero the groups not sent and scale each image to unit average power over the symbols sent.

    ``symbols`` complex ``[B, G, 64]``, ``mask`` ``[B, G]`` -> complex ``[B, G, 64]``.
    """
    masked = symbols * tf.cast(mask, symbols.dtype)[..., None]
    sent = tf.reduce_sum(mask, axis=1) * SYMBOLS_PER_GROUP                  # [B]
    energy = tf.reduce_sum(tf.abs(masked) ** 2, axis=[1, 2])
    scale = tf.sqrt(sent / tf.maximum(energy, 1e-12))
    return masked * tf.cast(scale, symbols.dtype)[:, None, None]


def cpp_of(mask):
    """Channel uses per pixel ``[B]`` of a group mask ``[B, G]`` (payload symbols only)."""
    return tf.reduce_sum(mask, axis=1) * SYMBOLS_PER_GROUP / PIXELS


class AdaptiveRateJSCC(tf.keras.Model):
    """AR-JSCC: encoder, policy network and decoder around a noisy channel.

    Args:
        groups: 64-symbol groups ``G`` (CPP 1/16 each).
        fixed_groups: non-selective groups, always sent.
        width: hidden channels of encoder and decoder.

    ``encode(images, snr_db, active=None, limit=None)`` -> (power-normalised symbols
    ``[B, G, 64]`` with unsent groups zero, mask ``[B, G]``); ``decode(received,
    mask, snr_db)`` -> images ``[B, 32, 32, 3]`` in [0, 255] (unsent groups are
    zeroed before decoding: the receiver knows the mask).
    """

    def __init__(self, groups: int = 8, fixed_groups: int = 2, width: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.groups, self.fixed_groups, self.width = groups, fixed_groups, width
        self.encoder = JSCCEncoder(groups, width)
        self.policy = PolicyNetwork(groups - fixed_groups)
        self.decoder = JSCCDecoder(width)

    def encode(self, images, snr_db, active=None, hard=True, temperature=1.0, seed=None, limit=None):
        symbols, features = self.encoder(images, snr_db)
        mask = group_mask(self.policy(features, snr_db), self.fixed_groups, active=active, hard=hard,
                          temperature=temperature, seed=seed, limit=limit)
        return normalise_power(symbols, mask), mask

    def encode_allocated(self, images, snr_db, allocator: GroupAllocator, price_db_per_bit: float, limit=None):
        """Adaptive mode: ``allocator`` picks each image's count, the policy's ranking picks the groups.

        Returns (power-normalised symbols ``[B, G, 64]``, mask ``[B, G]``) as :meth:`encode`.
        """
        symbols, features = self.encoder(images, snr_db)
        predicted = allocator(features, group_log_energy(symbols), snr_db)
        count = choose_group_count(predicted, snr_db, price_db_per_bit, self.fixed_groups, limit)
        mask = group_mask(self.policy(features, snr_db), self.fixed_groups, active=count)
        return normalise_power(symbols, mask), mask

    def decode(self, received, mask, snr_db):
        return self.decoder(received * tf.cast(mask, received.dtype)[..., None], snr_db)

    def call(self, images, snr_db):
        symbols, mask = self.encode(images, snr_db)
        return self.decode(symbols, mask, snr_db)

    def build_variables(self):
        """Create every variable (one forward pass on a dummy image)."""
        self(tf.zeros([1, 32, 32, 3]), tf.zeros([1]))

    def save_npz(self, path):
        """Write the variables, in creation order, to one ``.npz`` file (no pickles).

        Keras' HDF5 weights format silently restores nothing for this nested
        subclassed model (measured: reloaded weights differed), hence this format.
        """
        _save_npz(self, path)

    def load_npz(self, path):
        """Restore variables written by :meth:`save_npz`; shapes and count must match."""
        self.build_variables()
        _load_npz(self, path)


def _save_npz(model, path):
    import numpy as np
    np.savez(path, *[v.numpy() for v in model.weights])


def _load_npz(model, path):
    import numpy as np
    with np.load(path, allow_pickle=False) as z:
        arrays = [z[f"arr_{i}"] for i in range(len(z.files))]
    if len(arrays) != len(model.weights) or any(a.shape != tuple(v.shape) for a, v in zip(arrays, model.weights)):
        raise ValueError(f"{path} does not hold this model's variables")
    for v, a in zip(model.weights, arrays):
        v.assign(a)
