"""What an AWGN-trained deep JSCC decoder should be given under one Rayleigh fade per image.

With perfect CSI the receiver can hand the decoder (a) MMSE-equalised symbols and the average SNR,
(b) MMSE symbols and the image's effective SNR ``SNR |h|^2``, or (c) zero-forced symbols ``y / h``
and the effective SNR: for one fade per image (c) is exactly an AWGN channel at the effective SNR,
the channel the decoder was trained on, but ``SNR |h|^2`` leaves the trained 0..20 dB in a deep fade.
Each receiver decodes the same symbols, fades and noise; printed per SNR and CPP: PSNR and ResNet-32
accuracy, and the paired gap of each receiver against (a) with its 95% interval over images.

    python benchmarks/jscc_fading_receiver.py --data <cifar10-jpeg root> --images 1000
"""
from __future__ import annotations

import argparse

import numpy as np


def receivers(y, h, snr_db):
    """Decoder inputs ``{name: (symbols, decoder SNR dB [N])}`` for received ``y [N, G, 64]``, gain ``h [N]``."""
    from linksim.channels import analog_equalise
    gain = np.broadcast_to(h[:, None, None], y.shape)
    mmse, average = (t.numpy() for t in analog_equalise(y, gain, snr_db, one_fade_per_image=False))
    zf, effective = (t.numpy() for t in analog_equalise(y, gain, snr_db, one_fade_per_image=True))
    return {"mmse, average SNR": (mmse, average),
            "mmse, effective SNR": (mmse, effective),
            "zero forcing, effective SNR": (zf, effective),
            "zero forcing, effective SNR >= 0 dB": (zf, np.maximum(effective, 0.0))}


def main():
    import tensorflow as tf
    from linksim import zoo
    from linksim.data import load_split
    from linksim.metrics import paired_difference, psnr

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--weights", default="ar_jscc")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    data = load_split(args.data, "test")
    images, labels = data.images[:args.images].astype(np.float32), data.labels[:args.images]
    model, judge = zoo.load_jscc(args.weights), zoo.load_classifier("resnet32")
    rng = np.random.default_rng(args.seed)
    h = ((rng.standard_normal(len(images)) + 1j * rng.standard_normal(len(images))) / np.sqrt(2)).astype(np.complex64)
    for groups in (4, 8):
        for snr_db in (0.0, 5.0, 10.0, 20.0):
            snr = tf.fill([len(images)], snr_db)
            symbols, mask = model.encode(images, snr, active=tf.constant(groups - model.fixed_groups))
            symbols, mask = symbols.numpy(), mask.numpy()
            noise = (rng.standard_normal(symbols.shape) + 1j * rng.standard_normal(symbols.shape)) \
                * np.sqrt(10 ** (-snr_db / 10) / 2)
            y = (h[:, None, None] * symbols + noise).astype(np.complex64)
            scores = {}
            for name, (z, decoder_snr) in receivers(y, h, snr_db).items():
                out = np.clip(np.round(model.decode(z, mask, decoder_snr).numpy()), 0, 255)
                correct = (np.argmax(judge.predict(out, batch_size=500, verbose=0), 1) == labels).astype(float)
                scores[name] = (psnr(images, out), correct)
            base = scores["mmse, average SNR"]
            print(f"CPP {groups}/16, {snr_db:.0f} dB")
            for name, (p, c) in scores.items():
                dp, dph = paired_difference(p, base[0])
                dc, dch = paired_difference(c, base[1])
                print(f"  {name:38s} PSNR {p.mean():6.2f}  acc {c.mean():.3f}  "
                      f"gap PSNR {dp:+.2f} +- {dph:.2f}  acc {100 * dc:+.1f} +- {100 * dch:.1f}", flush=True)


if __name__ == "__main__":
    main()
