"""Do two runs of a scenario give the same points? (every metric field of results.json, timing aside)

    python benchmarks/same_points.py runs/before/results.json runs/after/results.json

Compares the points (matched by codec, SNR, CPP), the clean-image reference and
the paired comparisons field by field; prints every difference and exits 1 if
there is one. Used to show that a refactor moves no number.
"""
from __future__ import annotations

import argparse
import json
import sys

TIMING = {"seconds"}


def flatten(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in TIMING:
                yield from flatten(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, value


def keyed(points):
    return {(p["codec"], p["snr_db"], p["cpp_target"]): p for p in points}


def differences(a: dict, b: dict) -> list:
    out = []
    pa, pb = keyed(a["points"]), keyed(b["points"])
    for key in sorted(set(pa) | set(pb), key=str):
        if key not in pa or key not in pb:
            out.append(f"point {key} only in {'b' if key not in pa else 'a'}")
            continue
        fa, fb = dict(flatten(pa[key])), dict(flatten(pb[key]))
        out += [f"{key} {f}: {fa.get(f)!r} != {fb.get(f)!r}" for f in sorted(set(fa) | set(fb)) if fa.get(f) != fb.get(f)]
    for section in ("reference", "comparisons"):
        fa, fb = dict(flatten(a.get(section))), dict(flatten(b.get(section)))
        out += [f"{section} {f}: {fa.get(f)!r} != {fb.get(f)!r}" for f in sorted(set(fa) | set(fb)) if fa.get(f) != fb.get(f)]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a")
    p.add_argument("b")
    args = p.parse_args(argv)
    a, b = (json.loads(open(path).read()) for path in (args.a, args.b))
    diff = differences(a, b)
    fields = sum(len(dict(flatten(p))) for p in a["points"])
    for line in diff:
        print(line)
    print(f"{len(a['points'])} points, {fields} metric fields compared: "
          + ("identical" if not diff else f"{len(diff)} differences"))
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
