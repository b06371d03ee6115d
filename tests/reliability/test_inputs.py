"""Judges must be classifiers, run weights must match their recorded sha256, and the small cases of bad input."""
import json
import time

import pytest

from linksim import zoo
from reliability_helpers import run_cli

CHEAP = "snr_db: [5]\ncpp: [0.25]\nimages: 10\nruns: 1\nssim: false\n"


def test_a_judge_that_is_not_a_classifier_is_refused_by_validate_and_run(scenario, capsys):
    path = scenario(CHEAP + "judges: [ar_jscc]\ncodecs: [{type: identity}]\n")
    for command in ("validate", "run"):
        code, err = run_cli(capsys, command, path)
        assert code == 2 and len(err) == 1 and err[0].startswith(
            "linksim: error: 'ar_jscc' is not a classifier (arch ar_jscc); classifiers: "
            + ", ".join(zoo.classifier_names())), err


@pytest.fixture
def run_weights(tmp_path):
    """A tiny deep JSCC network written as `linksim train ar_jscc` writes it; returns its path."""
    from linksim import zoo
    from linksim.models.jscc import AdaptiveRateJSCC
    model = AdaptiveRateJSCC(groups=4, fixed_groups=1, width=8)
    model.build_variables()
    path = tmp_path / "run" / "ar_jscc.weights.npz"
    path.parent.mkdir()
    zoo.write_weights(path, model.save_npz)
    (path.parent / "config.json").write_text(json.dumps({"groups": 4, "fixed_groups": 1, "width": 8}))
    return path


def test_damaged_or_swapped_run_weights_are_refused_in_one_line(scenario, capsys, run_weights):
    from linksim import zoo
    path = scenario(CHEAP + f"codecs: [{{type: ar_jscc, weights: {run_weights}}}]\n")
    assert run_cli(capsys, "validate", path)[0] == 0
    good = run_weights.read_bytes()
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x10
    from linksim.models.jscc import AdaptiveRateJSCC
    other = AdaptiveRateJSCC(groups=4, fixed_groups=1, width=8)
    other.build_variables()
    for damage in ("flipped", "swapped"):
        if damage == "flipped":
            run_weights.write_bytes(bytes(flipped))
        else:
            other.save_npz(run_weights)                  # a valid file, not the one training wrote
        code, err = run_cli(capsys, "run", path, "--out", run_weights.parent.parent / "out")
        assert code == 2 and len(err) == 1 and "is damaged: sha256" in err[0] \
            and err[0].endswith("recorded when it was trained"), err
    run_weights.write_bytes(b"not weights at all")
    zoo.recorded_sha256_path(run_weights).write_text(zoo.sha256_file(run_weights))
    code, err = run_cli(capsys, "run", path, "--out", run_weights.parent.parent / "out")
    assert code == 2 and err == [f"linksim: error: {run_weights} for '{run_weights}' is not a weights file "
                                 "(.npz expected)"]


def test_a_thread_count_out_of_range_names_the_range_not_every_choice(scenario, capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli(capsys, "run", scenario(CHEAP + "codecs: [{type: identity}]\n"), "--threads", "0")
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and err[0].startswith("usage:") and len(err) < 8     # argparse's usage, then
    assert err[-1] == "linksim run: error: argument --threads: expected an integer from 1 to 256, got '0'"


def test_a_bpg_header_announcing_another_size_is_refused_before_decoding(sample):
    from linksim.codecs.source import bpg
    from linksim.codecs.source.base import decode_many
    source = bpg.BpgSource(bpg.BpgSourceConfig())
    data = bpg.encode(sample.images[0], 30)
    huge = data[:6] + bpg._put_ue7(4096) + bpg._put_ue7(4096) + data[8:]      # width, height 32 -> 4096
    assert bpg.parse(huge).width == 4096
    t0 = time.perf_counter()
    refused, accepted = decode_many(source, [huge, data], (32, 32, 3))
    assert refused is None and accepted.shape == (32, 32, 3) and time.perf_counter() - t0 < 1.0
