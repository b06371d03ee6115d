"""One self-contained HTML report per run: tables, figures, provenance and the scenario text.

Figures are embedded as base64 PNGs and there is no script or external style
sheet, so the file opens offline, can be mailed, and shows exactly the run.
"""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from .results import psnr_text

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:75em;color:#222;padding:0 1em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.8em}
figure{margin:1em 0 2em}
img{width:100%;height:auto;border:1px solid #eee;margin:.3em 0}
.note{color:#666;font-size:.85em}
"""


def _cell(value, ci=None, digits=3):
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.{digits}f}"
        return text + (f" ± {ci:.{digits}f}" if isinstance(ci, float) else "")
    return html.escape(str(value))


def _table(head, rows) -> str:
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
    return "\n".join(out) + "</table>"


def _points_table(points, judges) -> str:
    extra = list(judges)[1:]
    head = ["codec", "SNR dB", "CPP", "CPP used", "accuracy", "RCA", "macro-F1", "PSNR dB", "SSIM", "outage"] + \
        [f"accuracy ({n})" for n in extra] + ["s"]
    rows = [[_cell(p["codec"]), _cell(p["snr_db"], digits=1), _cell(p["cpp_target"], digits=4),
             _cell(p["cpp"], digits=4), _cell(p["accuracy"], p["accuracy_ci95"]), _cell(p.get("rca"), p.get("rca_ci95")),
             _cell(p["f1_macro"], p["f1_ci95"]),
             "lossless" if psnr_text(p) == "lossless" else _cell(p["psnr_db"], p["psnr_ci95"], 2),
             _cell(p["ssim"], p["ssim_ci95"]), _cell(p["outage_rate"], p["outage_ci95"])] +
            [_cell(p["judges"][n]["accuracy"], p["judges"][n]["accuracy_ci95"]) for n in extra] +
            [_cell(p.get("seconds"), digits=1)] for p in points]
    return _table(head, rows)


def _comparisons_table(comparisons) -> str:
    keys = [k for k, v in comparisons[0].items() if isinstance(v, dict)]
    rows = [[_cell(f"{c['a']} − {c['b']}"), _cell(c["snr_db"], digits=1), _cell(c["cpp_target"], digits=4)] +
            [_cell(c[k]["gap"], c[k]["ci95"], 4) for k in keys] for c in comparisons]
    return _table(["pair", "SNR dB", "CPP"] + keys, rows)


def _image(figure) -> str:
    """A figure at full width with its caption (a :class:`~linksim.plots.Drawn`, or a bare PNG path)."""
    path, caption = (Path(figure.path), figure.caption) if hasattr(figure, "caption") else (Path(figure), "")
    data = base64.b64encode(path.read_bytes()).decode()
    text = f"{html.escape(caption)} " if caption else ""
    return f'<figure><img alt="{html.escape(caption or path.name)}" src="data:image/png;base64,{data}">' \
           f'<figcaption class="note">{text}(<code>{html.escape(path.name)}</code>, PDF beside it)' \
           '</figcaption></figure>'


def write_report(out_dir, doc: dict, scenario_text: str, figures) -> Path:
    """Write ``out_dir/report.html`` from a results document (see ``results.json``).

    Args:
        doc: the results document (scenario, provenance, points, reference, cliff, comparisons).
        scenario_text: the scenario file as given (shown verbatim).
        figures: :class:`~linksim.plots.Drawn` figures (or PNG paths) to embed at full width, in order.
    """
    out = Path(out_dir)
    name = html.escape(str(doc["scenario"].get("name", "linksim run")))
    judges = doc["reference"].get("judges", {})
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{name} — linksim</title>"
             f"<style>{_STYLE}</style></head><body><h1>{name}</h1>",
             "<p class='note'>Means ± 95% half-widths; the image is the unit of every interval: accuracy, RCA "
             "and outage Wilson, PSNR/SSIM normal over run-averaged per-image values, macro-F1 a percentile "
             "bootstrap over images. RCA: the share of received images the judge classifies as it classifies "
             "the original (no labels). "
             "'CPP used' counts every symbol sent (whole codewords, padding, CRC).</p>",
             "<h2>Results</h2>", _points_table(doc["points"], judges)]
    parts.append(_table(["judge", "clean accuracy", "clean macro-F1"],
                        [[_cell(n), _cell(r["clean_accuracy"], digits=4), _cell(r["clean_f1_macro"], digits=4)]
                         for n, r in judges.items()]))
    if doc.get("comparisons"):
        parts += ["<h2>Paired gaps (a − b, same images)</h2>", _comparisons_table(doc["comparisons"])]
    if doc.get("cliff"):
        parts += ["<h2>Digital cliff: smallest CPP delivering half the images</h2>",
                  _table(["codec", "SNR dB", "CPP"], [[_cell(c["codec"]), _cell(c["snr_db"], digits=1),
                                                       _cell(c["min_cpp_half_delivered"], digits=4)]
                                                      for c in doc["cliff"]])]
    parts += ["<h2>Figures</h2>"] + [_image(f) for f in figures]
    parts += ["<h2>Scenario</h2>", f"<pre>{html.escape(scenario_text)}</pre>",
              "<h2>Provenance</h2>", f"<pre>{html.escape(json.dumps(doc['provenance'], indent=2))}</pre>",
              "</body></html>"]
    path = out / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
