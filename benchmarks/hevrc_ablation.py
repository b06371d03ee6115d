"""Choose HEVRC's loss weights by a small ablation (HEVRC section 5.2 in kind).

Short fine-tunes from a stage-1 Qmap codec (``--init``), each on a class-balanced
subset of the training split, then a rate-distortion evaluation of each on
test images:

1. stage 2 at ``sfm_weight`` in ``--sfm`` (and 0: the same fine-tune without
   feature matching, so the effect of SFM is not confused with that of more
   training);
2. the stage-2 run chosen by the rule below, then stage 3 at each
   ``gan_weight`` in ``--gan``.

Each candidate is compared with the control at equal rate: its accuracy and
PSNR curves against log-bpp are interpolated onto 9 rates spread over the
common range and the differences averaged. Rule for stage 2: the largest mean
accuracy gain (``--judge``) whose mean PSNR loss is at most ``--max-psnr-loss``
dB. Every command run, its wall time and the table go to ``OUT/ablation.json``
and ``OUT/ablation.md``; rerunning resumes (finished runs are reused).

    python benchmarks/hevrc_ablation.py --data <cifar10-jpeg root> --out runs/hevrc_ablation
        [--init runs/qmap2021/qmap2021.weights.npz]

Every fine-tune is given the init's lambda range (``t1``, ``t2``).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

QUALITIES = [0.0, 0.25, 0.5, 0.75, 1.0]


def run(cmd, log_path: Path) -> float:
    """Run ``cmd`` with its output appended to ``log_path``; its wall seconds."""
    t0 = time.time()
    with open(log_path, "a") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    return time.time() - t0


def fine_tune(args, name: str, sets: dict, record: dict) -> Path:
    out = args.out / name
    weights = out / ("hevrc_nogan.weights.npz" if sets["stage"] == 2 else "hevrc.weights.npz")
    cmd = [sys.executable, "-m", "linksim", "train", "hevrc", "--data", str(args.data), "--out", str(out)]
    for key, value in {**sets, **args.lambda_range, "train_images": args.train_images, "epochs": 1}.items():
        cmd += ["--set", f"{key}={value}"]
    if not weights.exists():
        record.setdefault("commands", {})[name] = " ".join(cmd)
        record.setdefault("train_seconds", {})[name] = round(run(cmd, args.out / f"{name}.log"), 1)
        args.save()
    return weights


def evaluate(args, name: str, weights: Path, record: dict) -> list:
    out = args.out / f"{name}-rd"
    if not (out / "rd.json").exists():
        scenario = {"name": f"ablation-{name}", "images": args.images, "classifier": args.judge,
                    "judges": [j for j in ("vgg8",) if j != args.judge],
                    "perceptual": ["fsimc", "feature_distance", "frechet"], "feature_classifier": "vgg8",
                    "codecs": [{"source": {"type": "qmap", "weights": str(weights.resolve()),
                                           "strategy": "uniform"}, "qualities": QUALITIES}]}
        out.mkdir(parents=True, exist_ok=True)
        (out / "scenario.yaml").write_text(json.dumps(scenario))
        cmd = [sys.executable, "-m", "linksim", "rd", str(out / "scenario.yaml"), "--data", str(args.data),
               "--out", str(out)]
        record.setdefault("eval_seconds", {})[name] = round(run(cmd, args.out / f"{name}-rd.log"), 1)
    return json.loads((out / "rd.json").read_text())["curves"]


def curve(points: list, field: str, judge: str) -> tuple:
    rate = np.log([p["bpp"]["mean"] for p in points])
    value = [p["accuracy"][judge]["mean"] if field == "accuracy" else p[field]["mean"] for p in points]
    return rate, np.asarray(value)


def gaps_at_equal_rate(candidate: list, control: list, judge: str) -> dict:
    """Mean accuracy and PSNR differences (candidate - control) over 9 rates in the common range."""
    lo = max(np.log(candidate[0]["bpp"]["mean"]), np.log(control[0]["bpp"]["mean"]))
    hi = min(np.log(candidate[-1]["bpp"]["mean"]), np.log(control[-1]["bpp"]["mean"]))
    grid = np.linspace(lo, hi, 9)
    out = {}
    for field in ("accuracy", "psnr_db"):
        a = np.interp(grid, *curve(candidate, field, judge))
        b = np.interp(grid, *curve(control, field, judge))
        out[field] = float(np.mean(a - b))
    return out


def table(results: dict, control: str, judges) -> str:
    perceptual = ("fsimc", "feature_distance_vgg8", "frechet_vgg8")
    lines = ["| run | q | bpp | PSNR dB | " + " | ".join(f"acc {j}" for j in judges) + " | "
             + " | ".join(perceptual) + " |", "|---|---|---|---|" + "---|" * (len(judges) + len(perceptual))]
    for name, points in results.items():
        for p in points:
            accs = " | ".join(f"{p['accuracy'][j]['mean']:.3f}" for j in judges)
            percs = " | ".join(f"{p[m].get('mean', p[m].get('value')):.4f}" for m in perceptual)
            lines.append(f"| {name} | {p['quality']} | {p['bpp']['mean']:.3f} | {p['psnr_db']['mean']:.2f} | "
                         f"{accs} | {percs} |")
    lines += ["", f"At equal rate against `{control}` (mean over 9 rates of the common range):", "",
              "| run | PSNR gap dB | " + " | ".join(f"acc gap {j}" for j in judges) + " |",
              "|---|---|" + "---|" * len(judges)]
    for name, points in results.items():
        if name == control:
            continue
        gaps = {j: gaps_at_equal_rate(points, results[control], j) for j in judges}
        accs = " | ".join(f"{gaps[j]['accuracy']:+.3f}" for j in judges)
        lines.append(f"| {name} | {gaps[judges[0]]['psnr_db']:+.2f} | {accs} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--init", default="runs/qmap2021/qmap2021.weights.npz",
                        help="the stage-1 weights (zoo name or run output; default: stage A of the shipped qmap2021)")
    parser.add_argument("--out", type=Path, default=Path("runs/hevrc_ablation"))
    parser.add_argument("--sfm", type=float, nargs="+", default=[0.1, 0.3, 1.0])
    parser.add_argument("--gan", type=float, nargs="+", default=[0.01, 0.1])
    parser.add_argument("--train-images", type=int, default=16000)
    parser.add_argument("--images", type=int, default=1000, help="test images of each evaluation")
    parser.add_argument("--judge", default="resnet32", help="the accuracy the stage-2 rule maximises")
    parser.add_argument("--max-psnr-loss", type=float, default=0.5)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    record_path = args.out / "ablation.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    judges = [args.judge, "vgg8"] if args.judge != "vgg8" else ["vgg8"]
    from linksim import zoo
    geometry = zoo.entry(args.init)["geometry"]
    args.lambda_range = {"t1": geometry["t1"], "t2": geometry["t2"]}

    def save():
        record_path.write_text(json.dumps(record, indent=2))
    args.save = save

    results = {}
    for weight in [0.0, *args.sfm]:
        name = f"sfm{weight:g}"
        weights = fine_tune(args, name, {"stage": 2, "init": args.init, "sfm_weight": weight}, record)
        results[name] = evaluate(args, name, weights, record)
        save()
    control = "sfm0"
    admissible = {n: gaps_at_equal_rate(results[n], results[control], args.judge)
                  for n in results if n != control}
    admissible = {n: g for n, g in admissible.items() if g["psnr_db"] >= -args.max_psnr_loss}
    chosen = max(admissible, key=lambda n: admissible[n]["accuracy"]) if admissible else None
    record["stage2_chosen"] = chosen
    save()
    if chosen is not None:
        init = (args.out / chosen / "hevrc_nogan.weights.npz").resolve()
        sfm_weight = float(chosen[3:])
        for weight in args.gan:
            name = f"{chosen}-gan{weight:g}"
            sets = {"stage": 3, "init": str(init), "sfm_weight": sfm_weight, "gan_weight": weight}
            results[name] = evaluate(args, name, fine_tune(args, name, sets, record), record)
            save()
    text = table(results, control, judges)
    (args.out / "ablation.md").write_text(text + f"\n\nStage 2 chosen: {chosen}\n")
    print(text)
    print("stage 2 chosen:", chosen)


if __name__ == "__main__":
    main()
