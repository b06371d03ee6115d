"""Adaptive rate control of a deep JSCC codec against its fixed-CPP mode at the same mean CPP, paired.

At every SNR the codec runs in fixed mode at each CPP of 1/8 .. 1/2 (steps of
1/16) and in each adaptive mode with the free budget (CPP 1/2), on the same
images and runs, through :func:`linksim.sim.run_point`. Per SNR and adaptive
mode it prints the mean CPP, its spread over images (a rule of the SNR alone
would give 0), the judge's accuracy, the PSNR, and the PSNR gain over fixed
mode at the same mean CPP: the fixed line interpolated between its two
neighbouring counts (time sharing, which fixed mode achieves by giving a share
of the images the larger count). The gain's 95% interval is paired over
images: per image, its adaptive PSNR minus the same interpolation of its own
fixed-mode PSNRs.

With two or more runs an ``oracle`` row bounds what any per-image count
choice could gain: each image takes the count that maximises its measured
run-0 fixed-mode PSNR minus the capacity price (as the allocator does with
its predictions), and is scored on the other runs, against the fixed line of
those runs.

    python benchmarks/jscc_adaptive.py --data <cifar10-jpeg root> --runs 2
"""
from __future__ import annotations

import argparse
import json

import numpy as np

FIXED_CPPS = [k / 16 for k in range(2, 9)]


def paired_gain(adaptive_psnr: np.ndarray, fixed_psnr: np.ndarray, mean_cpp: float) -> tuple:
    """Gain of ``adaptive_psnr [N]`` over the fixed line ``fixed_psnr [len(FIXED_CPPS), N]`` at ``mean_cpp``.

    Returns (interpolated fixed PSNR, mean gain, 95% half-width over images).
    """
    from linksim.metrics import paired_difference
    hi = int(np.clip(np.searchsorted(FIXED_CPPS, mean_cpp), 1, len(FIXED_CPPS) - 1))
    share = (mean_cpp - FIXED_CPPS[hi - 1]) / (FIXED_CPPS[hi] - FIXED_CPPS[hi - 1])
    line = (1 - share) * fixed_psnr[hi - 1] + share * fixed_psnr[hi]
    gain, half = paired_difference(adaptive_psnr, line)
    return float(line.mean()), gain, half


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--codec", default="ar_jscc", help="ar_jscc or sp_jscc")
    p.add_argument("--data", help="CIFAR-10 root (default: the embedded 1,000-image sample)")
    p.add_argument("--images", type=int, help="N/10 per class")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--snr-db", type=float, nargs="+", default=[0, 5, 10, 15, 20])
    p.add_argument("--modes", nargs="+", default=["adaptive", "policy"])
    p.add_argument("--classifier", default="resnet32")
    p.add_argument("--price", type=float, default=4.0, help="price_db_per_bit of the adaptive mode and the oracle")
    p.add_argument("--json", help="also write the rows to this file")
    args = p.parse_args()

    from linksim import zoo
    from linksim.channels import AWGNChannel
    from linksim.codecs.jscc import ARJSCCConfig, DeepJSCC
    from linksim.data import load_embedded_sample, load_split
    from linksim.sim import Evaluator, configure_threads, run_point

    configure_threads(2)
    data = load_split(args.data, "test") if args.data else load_embedded_sample()
    if args.images:
        data = data.take_per_class(args.images)
    evaluator = Evaluator({args.classifier: zoo.load_classifier(args.classifier)}, data.images, with_ssim=False)
    fixed = DeepJSCC(ARJSCCConfig(weights=args.codec))
    adaptive = {mode: DeepJSCC(ARJSCCConfig(weights=args.codec, mode=mode, price_db_per_bit=args.price),
                               model=fixed.model) for mode in args.modes}
    pixels = data.images.shape[1] * data.images.shape[2]
    rows = []
    print(f"{'mode':<9} {'SNR':>4} {'mean CPP':>9} {'CPP std':>8} {'accuracy':>9} {'PSNR':>7} "
          f"{'fixed@CPP':>10} {'gain (paired 95%)':>18}")
    for snr in args.snr_db:
        def point(codec, label, cpp):
            return run_point(codec, label, data.images, snr, cpp, args.runs, 0, evaluator, AWGNChannel())
        fixed_runs = np.stack([point(fixed, f"{args.codec}-fixed", cpp).psnr for cpp in FIXED_CPPS])  # [C, R, N]
        results = {}
        for mode, codec in adaptive.items():
            runs = point(codec, f"{args.codec}-{mode}", FIXED_CPPS[-1])
            results[mode] = (runs.channel_uses.mean(axis=0) / pixels, runs.psnr.mean(axis=0),
                             float((runs.predictions[:, 0] == data.labels[None]).mean()))
        if args.runs >= 2:
            capacity = np.log2(1 + 10 ** (snr / 10))
            utility = fixed_runs[:, 0] - args.price * np.array(FIXED_CPPS)[:, None] * capacity
            best = np.argmax(utility, axis=0)
            unseen = fixed_runs[:, 1:].mean(axis=1)            # the oracle is scored on the runs it did not choose on
            results["oracle"] = (np.array(FIXED_CPPS)[best], unseen[best, np.arange(len(best))], float("nan"))
        for mode, (cpp_img, psnr_img, accuracy) in results.items():
            reference = unseen if mode == "oracle" else fixed_runs.mean(axis=1)
            at_cpp, gain, half = paired_gain(psnr_img, reference, float(cpp_img.mean()))
            row = {"mode": mode, "snr_db": snr, "cpp_mean": float(cpp_img.mean()), "cpp_std": float(cpp_img.std()),
                   "accuracy": accuracy, "psnr_db": float(psnr_img.mean()), "fixed_psnr_at_cpp": at_cpp,
                   "gain_db": gain, "gain_ci95": half, "images": len(data), "runs": args.runs}
            rows.append(row)
            print(f"{mode:<9} {snr:>4g} {row['cpp_mean']:>9.4f} {row['cpp_std']:>8.4f} {accuracy:>9.4f} "
                  f"{row['psnr_db']:>7.2f} {at_cpp:>10.2f} {gain:>+11.3f} ± {half:.3f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
