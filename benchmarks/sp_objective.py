"""Did SP-JSCC learn its objective? The SP-weighted squared error of eq. 11 on test images, SP vs AR.

Both codecs at one (SNR, CPP) in fixed mode, on the same images and noise
draws; per image and run: plain MSE and the SP-weighted MSE
``mean(w * (x_hat - x)^2)`` with ``w`` the SP map of the judge the SP-JSCC
weights came from (unit mean square, so uniform weights give plain MSE).
Prints each codec's means and the paired SP - AR differences over images
(95% intervals): SP-JSCC should lower the weighted error, at some cost in
plain MSE.

    python benchmarks/sp_objective.py --data <cifar10-jpeg root> --images 1000
"""
from __future__ import annotations

import argparse


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", help="CIFAR-10 root (default: the embedded 1,000-image sample)")
    p.add_argument("--images", type=int, help="N/10 per class")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--snr-db", type=float, default=5.0)
    p.add_argument("--cpp", type=float, default=0.25)
    p.add_argument("--classifier", default="resnet32", help="judge of the SP map (SP-JSCC's own)")
    args = p.parse_args()

    import numpy as np
    import sionna
    from linksim.channels import AWGNChannel
    from linksim.codecs.jscc import ARJSCCConfig, DeepJSCC
    from linksim.data import load_embedded_sample, load_split
    from linksim.importance import SPGradientConfig, SPGradientMap
    from linksim.metrics import paired_difference
    from linksim.codecs.base import as_uint8
    from linksim.sim import configure_threads, derive_seed

    configure_threads(2)
    data = load_split(args.data, "test") if args.data else load_embedded_sample()
    if args.images:
        data = data.take_per_class(args.images)
    x = data.images.astype(np.float64)
    weights = SPGradientMap(SPGradientConfig(classifier=args.classifier))(data.images).astype(np.float64)
    channel, errors = AWGNChannel(), {}
    for name in ("ar_jscc", "sp_jscc"):
        codec = DeepJSCC(ARJSCCConfig(weights=name))
        tx = codec.transmit(data.images, args.snr_db, args.cpp)
        plain, weighted = [], []
        for r in range(args.runs):
            sionna.config.seed = derive_seed(0, "sp_objective", args.snr_db, args.cpp, r)   # same noise for both
            err = (as_uint8(codec.receive(channel(tx.symbols, args.snr_db), tx, args.snr_db).images) - x) ** 2
            plain.append(err.mean(axis=(1, 2, 3)))
            weighted.append((weights * err).mean(axis=(1, 2, 3)))
        errors[name] = (np.mean(plain, axis=0), np.mean(weighted, axis=0))
        print(f"{name}: MSE {errors[name][0].mean():.2f}, SP-weighted MSE {errors[name][1].mean():.2f} "
              f"({len(data)} images x {args.runs} runs, {args.snr_db:g} dB, CPP {args.cpp:g})")
    for i, what in enumerate(("MSE", "SP-weighted MSE")):
        gap, half = paired_difference(errors["sp_jscc"][i], errors["ar_jscc"][i])
        ratio = errors["sp_jscc"][i].mean() / errors["ar_jscc"][i].mean()
        print(f"sp_jscc - ar_jscc {what}: {gap:+.2f} ± {half:.2f} (paired 95%), ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
