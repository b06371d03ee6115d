"""``linksim rd``: real bpp against PSNR/SSIM/accuracy, targets that always fit, BD figures, bad input."""
import json

import pytest

from linksim.cli import main
from linksim.errors import ConfigError
from linksim.rd import RdCodec, RdScenario


def write(tmp_path, text):
    path = tmp_path / "rd.yaml"
    path.write_text(text)
    return path


def test_rd_run_reports_real_bytes_and_targets_fit(tmp_path, tiny_qmap_weights, capsys):
    path = write(tmp_path, f"""
images: 20
codecs:
  - {{source: {{type: qmap, weights: {tiny_qmap_weights}, strategy: uniform, levels: 64}}, targets_bpp: [0.9, 1.2]}}
  - {{source: {{type: qmap, weights: {tiny_qmap_weights}, strategy: icm, levels: 64}}, targets_bpp: [0.9, 1.2]}}
  - {{source: {{type: bpg}}, qualities: [30, 36, 42, 48, 51]}}
compare: ["qmap2021-icm vs qmap2021-uniform"]
""")
    assert main(["rd", str(path), "--out", str(tmp_path / "out")]) == 0
    doc = json.loads((tmp_path / "out" / "rd.json").read_text())
    assert (tmp_path / "out" / "rd.png").is_file()
    rows = {(c["codec"], c.get("target_bpp", c.get("quality"))): c for c in doc["curves"]}
    for target in (0.9, 1.2):
        row = rows["qmap2021-uniform", target]
        assert row["n_images"] == 20 and row["bpp"]["mean"] <= target
    bpg = [rows["bpg", q]["bpp"]["mean"] for q in (30, 36, 42, 48, 51)]
    assert bpg == sorted(bpg, reverse=True)
    paired = [c for c in doc["comparisons"] if c["a"] == "qmap2021-icm"]
    assert len(paired) == 2 and "accuracy_resnet32" in paired[0] and "psnr_db" in paired[0]
    assert "BD-rate" not in capsys.readouterr().out          # no curve pair was compared


def test_qmap_levels_between_grid_integers_are_kept(tmp_path, tiny_qmap_weights, monkeypatch):
    from linksim.codecs.source.learned import QmapSource
    asked = set()
    real = QmapSource.encode_batch
    monkeypatch.setattr(QmapSource, "encode_batch",
                        lambda self, images, qualities, context: asked.update(map(float, qualities))
                        or real(self, images, qualities, context))
    path = write(tmp_path, f"""
images: 10
ssim: false
codecs:
  - {{source: {{type: qmap, weights: {tiny_qmap_weights}, strategy: uniform, levels: 16}}, qualities: [0, 0.5, 1]}}
""")
    assert main(["rd", str(path), "--out", str(tmp_path / "out")]) == 0
    doc = json.loads((tmp_path / "out" / "rd.json").read_text())
    assert len(doc["curves"]) == 3
    assert asked == {0.0, 0.5, 1.0}          # 0.5 was once rounded to level 0


def test_target_streams_never_exceed_their_budget(tiny_qmap_weights, sample):
    from linksim.codecs.separate import shared_cache
    from linksim.codecs.source.base import SOURCES, QualityLadder
    from linksim.data import fallback_image
    source = SOURCES.build(SOURCES.parse({"type": "qmap", "weights": tiny_qmap_weights, "levels": 32,
                                          "strategy": "inverse_icm"}, "s"))
    ladder = QualityLadder(source, sample.images[:8], shared_cache(None), fallback_image())
    sent = 0
    for limit in (100, 115, 140):
        for i, pos in enumerate(ladder.best(limit)):
            if pos is None:
                assert len(ladder.stream(i, len(source.grid) - 1)) > limit     # not even the lowest rate fits
            else:
                sent += 1
                assert len(ladder.stream(i, pos)) <= limit
    assert sent > 0


@pytest.mark.parametrize("text,needle", [
    ("codecs: [{source: {type: jpeg}, qualities: [1]}]", "unknown source codec type 'jpeg'"),
    ("codecs: [{source: {type: qmap, strategy: nope}, qualities: [0.5]}]", "unknown strategy 'nope'"),
    ("codecs: [{source: {type: bpg}, targets_bpp: [30]}]", "out of range"),
    ("codecs: [{source: {type: bpg}}]", "either 'qualities' or 'targets_bpp'"),
    ("codecs: [{source: {type: bpg}, qualities: [60]}]", "not one of its qualities"),
    ("codecs: [{source: {type: bpg}, qualities: [20.5]}]", "not one of its qualities"),
    ("codecs: [{source: {type: qmap, weights: nowhere}, qualities: [0.5]}]", "no weights named 'nowhere'"),
])
def test_bad_rd_input_is_one_line_and_exit_2(tmp_path, capsys, text, needle):
    code = main(["rd", str(write(tmp_path, "images: 10\n" + text)), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and needle in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_a_level_outside_a_qmap_source_range_is_refused(tmp_path, tiny_qmap_weights, capsys):
    text = f"images: 10\ncodecs: [{{source: {{type: qmap, weights: {tiny_qmap_weights}, strategy: uniform}}, " \
           "qualities: [1.5]}]"
    code = main(["rd", str(write(tmp_path, text)), "--out", str(tmp_path / "o")])
    assert code == 2 and "outside the source's range" in capsys.readouterr().err


def test_corrupt_qmap_weights_are_one_line_and_exit_2(tmp_path, tiny_qmap_weights, capsys):
    import shutil
    from pathlib import Path
    bad = tmp_path / "run"
    shutil.copytree(Path(tiny_qmap_weights).parent, bad)
    (bad / "qmap2021.weights.npz").write_bytes(b"not an npz")
    text = f"images: 10\ncodecs: [{{source: {{type: qmap, weights: {bad / 'qmap2021.weights.npz'}}}, qualities: [0.5]}}]"
    scenario = str(write(tmp_path, text))
    code = main(["rd", scenario, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "is damaged: sha256" in err and len(err.splitlines()) == 1
    from linksim import zoo
    zoo.recorded_sha256_path(bad / "qmap2021.weights.npz").write_text(zoo.sha256_file(bad / "qmap2021.weights.npz"))
    code = main(["rd", scenario, "--out", str(tmp_path / "o")])            # recorded, but still no npz
    err = capsys.readouterr().err.strip()
    assert code == 2 and "is not a weights file" in err and len(err.splitlines()) == 1


def test_compare_must_name_two_codecs():
    with pytest.raises(ConfigError, match="must name two codecs"):
        RdScenario(codecs=(RdCodec(qualities=(30.0,)),), compare=("bpg vs x",))


def test_perceptual_metrics_are_reported_per_point_and_as_paired_gaps(tmp_path, tiny_qmap_weights):
    path = write(tmp_path, f"""
images: 20
ssim: false
perceptual: [fsimc, feature_distance, frechet]
frechet_resamples: 10
codecs:
  - {{source: {{type: qmap, weights: {tiny_qmap_weights}, strategy: uniform, levels: 64}}, targets_bpp: [1.2]}}
  - {{source: {{type: bpg}}, qualities: [24, 51]}}
  - {{source: {{type: bpg, chroma: "444"}}, targets_bpp: [1.2]}}
compare: ["qmap2021-uniform vs bpg444"]
""")
    assert main(["rd", str(path), "--out", str(tmp_path / "out")]) == 0
    doc = json.loads((tmp_path / "out" / "rd.json").read_text())
    rows = {(c["codec"], c.get("target_bpp", c.get("quality"))): c for c in doc["curves"]}
    fine, coarse = rows["bpg", 24], rows["bpg", 51]
    assert 0 < fine["feature_distance_vgg8"]["mean"] < coarse["feature_distance_vgg8"]["mean"]
    assert 1 > fine["fsimc"]["mean"] > coarse["fsimc"]["mean"] > 0
    for row in (fine, coarse):
        fd = row["frechet_vgg8"]
        assert fd["ci95_low"] <= fd["value"] <= fd["ci95_high"]
    assert fine["frechet_vgg8"]["value"] < coarse["frechet_vgg8"]["value"]
    (gap,) = [c for c in doc["comparisons"] if c["a"] == "qmap2021-uniform"]
    assert set(gap["feature_distance_vgg8"]) == set(gap["fsimc"]) == {"gap", "ci95"}


def test_an_unknown_perceptual_metric_is_refused():
    with pytest.raises(ConfigError, match="'perceptual\\[0\\]'.*lpips.*fsimc"):
        from linksim.config import from_mapping
        from_mapping(RdScenario, {"codecs": [{"qualities": [30]}], "perceptual": ["lpips"]})
