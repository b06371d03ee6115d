"""results.csv, comparisons.csv and the printed table say what the points hold, in the image's units."""
import csv

from linksim.results import format_table, write_results


def _point(codec, psnr, source_bits, accuracy):
    judge = lambda a: {"accuracy": a, "accuracy_ci95": 0.02, "rca": a + 0.01, "rca_ci95": 0.02, "f1_macro": a,
                       "f1_ci95": 0.03}
    return {"codec": codec, "snr_db": 5.0, "cpp_target": 0.25, "cpp": None, "source_bits": source_bits,
            **judge(accuracy), "psnr_db": psnr, "psnr_ci95": 0.0 if psnr == 100.0 else 0.13, "ssim": 0.9,
            "ssim_ci95": 0.01, "outage_rate": 0.0, "outage_ci95": 0.0, "n_images": 1000, "runs": 5, "seconds": 1.0,
            "judges": {"resnet32": judge(accuracy), "vgg8": judge(accuracy - 0.05)}}


def test_csvs_hold_every_judge_and_the_comparisons(tmp_path):
    points = [_point("identity", 100.0, 24576.0, 0.9), _point("ar_jscc", 24.88, None, 0.76)]
    comparisons = [{"a": "ar_jscc", "b": "identity", "snr_db": 5.0, "cpp_target": 0.25,
                    "accuracy_vgg8": {"gap": -0.14, "ci95": 0.02}, "psnr_db": {"gap": -75.1, "ci95": 0.1}}]
    write_results(tmp_path, {"points": points, "comparisons": comparisons})
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert rows[1]["accuracy_vgg8"] == "0.71" and rows[1]["f1_ci95_resnet32"] == "0.03"
    assert rows[0]["source_bits"] == "24576.0" and rows[1]["source_bits"] == ""     # JSCC carries no bits
    pairs = list(csv.DictReader(open(tmp_path / "comparisons.csv")))
    assert pairs == [{"a": "ar_jscc", "b": "identity", "snr_db": "5.0", "cpp_target": "0.25",
                      "accuracy_vgg8_gap": "-0.14", "accuracy_vgg8_ci95": "0.02", "psnr_db_gap": "-75.1",
                      "psnr_db_ci95": "0.1"}]


def test_table_states_its_intervals_and_shows_lossless(tmp_path):
    points = [_point("identity", 100.0, 24576.0, 0.9), _point("ar_jscc", 24.88, None, 0.76)]
    text = format_table(points, {"judges": {}})
    first, rows = text.splitlines()[0], text.splitlines()[3:]
    assert "the image is the unit of every interval (1000 images, each averaged over its 5 runs)" in first
    assert "lossless" in rows[0] and "100.00" not in rows[0]
    assert "24.88±0.13" in rows[1]
    write_results(tmp_path, {"points": points, "comparisons": []})
    assert not (tmp_path / "comparisons.csv").exists()
