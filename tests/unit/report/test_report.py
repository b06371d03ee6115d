"""The HTML report is one self-contained file holding the table, figures, scenario and provenance."""
import base64
import re

import matplotlib.pyplot as plt

from linksim.report import write_report


def test_report_is_self_contained(tmp_path):
    fig = plt.figure(figsize=(1, 1))
    fig.savefig(tmp_path / "fig.png")
    plt.close(fig)
    ci = {"accuracy_ci95": 0.02, "f1_ci95": None, "psnr_ci95": 0.1, "ssim_ci95": 0.01, "outage_ci95": 0.0}
    point = {"codec": "ar_jscc", "snr_db": 5.0, "cpp_target": 0.25, "cpp": 0.25, "accuracy": 0.812,
             "rca": 0.845, "rca_ci95": 0.031,
             "f1_macro": 0.8, "psnr_db": 24.5, "ssim": 0.8, "outage_rate": 0.0, "seconds": 1.0, **ci,
             "judges": {"resnet32": {"accuracy": 0.812, "accuracy_ci95": 0.02},
                        "vgg8": {"accuracy": 0.777, "accuracy_ci95": 0.02}}}
    doc = {"scenario": {"name": "demo<&>"}, "provenance": {"seed": 0, "git_commit": "abc"},
           "points": [point], "cliff": [],
           "reference": {"judges": {"resnet32": {"clean_accuracy": 0.9, "clean_f1_macro": 0.9},
                                    "vgg8": {"clean_accuracy": 0.89, "clean_f1_macro": 0.89}}},
           "comparisons": [{"a": "sp_jscc", "b": "ar_jscc", "snr_db": 5.0, "cpp_target": 0.25,
                            "psnr_db": {"gap": -0.1, "ci95": 0.05}}]}
    text = write_report(tmp_path, doc, "snr_db: [5]\n", [tmp_path / "fig.png"]).read_text()
    assert "demo&lt;&amp;&gt;" in text and "0.812 ± 0.020" in text and "0.845 ± 0.031" in text and "0.777 ± 0.020" in text
    assert "sp_jscc − ar_jscc" in text and "-0.1000 ± 0.0500" in text and "snr_db: [5]" in text
    assert '"git_commit": "abc"' in text.replace("&quot;", '"')
    sources = re.findall(r'src="([^"]+)"', text)
    assert len(sources) == 1 and sources[0].startswith("data:image/png;base64,")
    assert base64.b64decode(sources[0].split(",", 1)[1]) == (tmp_path / "fig.png").read_bytes()
    assert "http" not in text and "<script" not in text and "<link" not in text
