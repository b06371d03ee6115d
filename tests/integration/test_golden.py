"""Golden numbers: a tiny stored scenario must give its stored results (see golden/golden.yaml).

Numbers that count things (bits, outages, channel uses) must be equal; means
within a tolerance: accuracy within one image in one run (1/40: a deep JSCC
picture's pixel may round the other way on a CPU of another vector width,
and one judge may then change its mind), PSNR within 0.02 dB, far below what
a real change moves.
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent / "golden"
EXACT = ("source_bits", "outage_rate", "cpp", "n_images", "runs")
ONE_IMAGE_RUN = 1 / 40 + 1e-9
TOLERANCE = {"accuracy": ONE_IMAGE_RUN, "f1_macro": 0.05, "psnr_db": 0.02, "ssim": 2e-4}


def run_golden(out) -> dict:
    from linksim.cli import main
    assert main(["run", str(HERE / "golden.yaml"), "--out", str(out), "--quiet"]) == 0
    return summary(json.loads((Path(out) / "results.json").read_text()))


def summary(doc: dict) -> dict:
    """The compared numbers of a results document."""
    keep = (*EXACT, *TOLERANCE)
    return {"points": [{"codec": p["codec"], "snr_db": p["snr_db"], "cpp_target": p["cpp_target"],
                        **{k: p[k] for k in keep}, "judges": {n: j["accuracy"] for n, j in p["judges"].items()}}
                       for p in doc["points"]],
            "comparisons": [{k: (v["gap"] if isinstance(v, dict) else v) for k, v in c.items()}
                            for c in doc["comparisons"]]}


def test_golden_numbers(tmp_path):
    got = run_golden(tmp_path)
    want = json.loads((HERE / "golden.json").read_text())
    assert [(p["codec"], p["snr_db"], p["cpp_target"]) for p in got["points"]] == \
        [(p["codec"], p["snr_db"], p["cpp_target"]) for p in want["points"]]
    for g, w in zip(got["points"], want["points"]):
        where = f"{g['codec']} at {g['snr_db']} dB, CPP {g['cpp_target']}"
        for k in EXACT:
            assert g[k] == w[k], f"{where}: {k} {g[k]} != golden {w[k]}"
        for k, tol in TOLERANCE.items():
            assert abs(g[k] - w[k]) <= tol, f"{where}: {k} {g[k]} != golden {w[k]} (tolerance {tol})"
        for name, accuracy in w["judges"].items():
            assert abs(g["judges"][name] - accuracy) <= ONE_IMAGE_RUN, f"{where}: judge {name}'s accuracy moved"
    for g, w in zip(got["comparisons"], want["comparisons"]):
        for k, v in w.items():
            assert (abs(g[k] - v) <= ONE_IMAGE_RUN) if isinstance(v, float) else g[k] == v, f"comparison {k} moved"


if __name__ == "__main__" and sys.argv[1:2] == ["--update"]:
    # --update [results.json of a run of golden.yaml]: rewrite golden.json (from a new run if none is given)
    import tempfile
    if len(sys.argv) > 2:
        numbers = summary(json.loads(Path(sys.argv[2]).read_text()))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            numbers = run_golden(tmp)
    (HERE / "golden.json").write_text(json.dumps(numbers, indent=1) + "\n")
    print(f"wrote {HERE / 'golden.json'}")
