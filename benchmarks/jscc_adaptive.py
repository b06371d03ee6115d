"""Adaptive vs fixed-CPP AR-JSCC, from the results of scenarios/jscc_adaptive.yaml.

Reads a results.json in which one codec ran in fixed mode at several CPPs and
others in an adaptive mode with the largest budget (so the choice is free), and
prints per SNR and adaptive codec: the adaptive mode's mean CPP, its spread over images (a
policy of the SNR alone would give 0), accuracy and PSNR, and the fixed
mode's PSNR linearly interpolated at the adaptive mean CPP.

    python -m linksim run scenarios/jscc_adaptive.yaml --data <cifar10-jpeg> --out runs/jscc_adaptive
    python benchmarks/jscc_adaptive.py runs/jscc_adaptive/results.json
"""
from __future__ import annotations

import argparse
import json

import numpy as np


def compare(points: list, fixed: str, adaptive: str) -> list:
    """One row per SNR: adaptive mean/std CPP, accuracy, PSNR and the interpolated fixed PSNR."""
    rows = []
    for snr in sorted({p["snr_db"] for p in points if p["codec"] == adaptive}):
        free = max((p for p in points if p["codec"] == adaptive and p["snr_db"] == snr),
                   key=lambda p: p["cpp_target"])
        line = sorted((p for p in points if p["codec"] == fixed and p["snr_db"] == snr), key=lambda p: p["cpp"])
        cpps, psnrs = [p["cpp"] for p in line], [p["psnr_db"] for p in line]
        inside = cpps[0] <= free["cpp"] <= cpps[-1]
        rows.append({"snr_db": snr, "budget": free["cpp_target"], "cpp_mean": free["cpp"],
                     "cpp_std": free["cpp_std"], "accuracy": free["accuracy"], "psnr_db": free["psnr_db"],
                     "psnr_ci95": free["psnr_ci95"],
                     "fixed_psnr_at_cpp": float(np.interp(free["cpp"], cpps, psnrs)) if inside else None})
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", help="results.json of scenarios/jscc_adaptive.yaml")
    p.add_argument("--fixed", default="ar_jscc-1", help="label of the fixed-CPP codec")
    p.add_argument("--adaptive", nargs="+", default=["ar_jscc-2", "ar_jscc-3"],
                   help="labels of the adaptive codecs")
    args = p.parse_args()
    points = json.load(open(args.results))["points"]
    print(f"{'codec':<10} {'SNR':>4} {'mean CPP':>9} {'CPP std':>8} {'accuracy':>9} {'PSNR adaptive':>14} "
          f"{'PSNR fixed@CPP':>15} {'gain':>6}")
    for label in args.adaptive:
        for r in compare(points, args.fixed, label):
            fixed = r["fixed_psnr_at_cpp"]
            gain = "-" if fixed is None else f"{r['psnr_db'] - fixed:+.2f}"
            print(f"{label:<10} {r['snr_db']:>4g} {r['cpp_mean']:>9.4f} {r['cpp_std']:>8.4f} {r['accuracy']:>9.4f} "
                  f"{r['psnr_db']:>8.2f}±{r['psnr_ci95']:.2f} {'-' if fixed is None else f'{fixed:.2f}':>15} "
                  f"{gain:>6}")


if __name__ == "__main__":
    main()
