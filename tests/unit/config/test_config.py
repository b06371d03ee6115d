import dataclasses

import pytest

from linksim.config import Scenario, apply_overrides, from_mapping, load_scenario, to_plain
from linksim.errors import ConfigError

BASE = {"codecs": [{"type": "identity"}]}


def scenario(**kw):
    return from_mapping(Scenario, {**BASE, **kw})


def test_defaults_and_frozen():
    s = scenario()
    assert s.snr_db == (5.0,) and s.cpp == (0.25,) and s.runs == 5 and s.seed == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.runs = 3


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match="not_a_key"):
        scenario(not_a_key=1)


def test_unknown_codec_param_is_named():
    with pytest.raises(ConfigError, match=r"codecs\[0\]\.bogus"):
        scenario(codecs=[{"type": "bpg_ldpc", "bogus": 3}])


def test_unknown_codec_type_lists_allowed():
    with pytest.raises(ConfigError, match="unknown codec type 'nope'.*bpg_ldpc"):
        scenario(codecs=[{"type": "nope"}])


@pytest.mark.parametrize("key,value,pattern", [
    ("snr_db", ["5"], r"snr_db\[0\].*expected a number.*'5'"),
    ("snr_db", "five", r"snr_db.*'five'"),
    ("cpp", [-0.25], r"cpp\[0\].*-0.25.*out of range"),
    ("runs", 2.5, r"runs.*expected an integer"),
    ("runs", 0, r"runs.*0.*out of range"),
    ("runs", True, r"runs.*expected an integer"),
    ("ssim", "yes", r"ssim.*true or false"),
    ("codecs", [], r"codecs.*non-empty list"),
])
def test_bad_values(key, value, pattern):
    with pytest.raises(ConfigError, match=pattern):
        scenario(**{key: value})


def test_choice_field():
    with pytest.raises(ConfigError, match=r"modulation.*'qam256'.*qam16"):
        scenario(codecs=[{"type": "bpg_ldpc", "modulation": "qam256"}])


def test_scalar_becomes_one_point_list():
    assert scenario(snr_db=10).snr_db == (10.0,)


def test_overrides_dotted_and_yaml_values():
    raw = {"runs": 5, "codecs": [{"type": "identity"}, {"type": "bpg_ldpc"}]}
    apply_overrides(raw, ["runs=2", "snr_db=[0, 5]", "codecs.1.source={type: bpg, chroma: 444}"])
    assert raw["runs"] == 2 and raw["snr_db"] == [0, 5] and raw["codecs"][1]["source"]["chroma"] == 444
    s = from_mapping(Scenario, raw)
    assert s.runs == 2 and s.codecs[1].source.chroma == "444"
    with pytest.raises(ConfigError, match="does not exist"):
        apply_overrides(raw, ["nothere.x=1"])
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides(raw, ["runs"])


def test_load_scenario_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("snr_db: [0, 10]\ncodecs:\n  - type: bpg_capacity\n    source: {type: bpg, chroma: '444'}\n")
    s = load_scenario(path)
    assert s.name == "s" and s.snr_db == (0.0, 10.0)
    plain = to_plain(s)
    assert plain["codecs"][0] == {"type": "bpg_capacity", "source": {"type": "bpg", "chroma": "444"}, "cache": "disk"}


@pytest.mark.parametrize("text,pattern", [
    ("a: [1,\n", "not valid YAML"),
    ("- 1\n- 2\n", "must be a mapping"),
    ("!!python/object:os.system {}\n", "not valid YAML"),
])
def test_bad_files(tmp_path, text, pattern):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=pattern):
        load_scenario(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_scenario(tmp_path / "none.yaml")


def test_shipped_scenarios_validate():
    from pathlib import Path
    from linksim.ber import validate_scenario
    from linksim.config import read_yaml
    from linksim.rd import is_rd_scenario, load_rd_scenario
    for path in sorted(Path(__file__).parents[3].joinpath("scenarios").glob("*.yaml")):
        if path.name.startswith("ber_"):
            assert validate_scenario(path).curves
        elif is_rd_scenario(read_yaml(path)):
            assert load_rd_scenario(path).codecs
        else:
            assert load_scenario(path).codecs


def test_lists_empty_by_default_may_be_emptied_but_the_grid_may_not():
    s = scenario(compare=[], judges=[])
    assert s.compare == () and s.judges == ()
    with pytest.raises(ConfigError, match=r"snr_db.*non-empty list"):
        scenario(snr_db=[])


def test_compare_pairs_and_judges_are_checked():
    codecs = [{"type": "identity"}, {"type": "bpg_ldpc"}, {"type": "bpg_ldpc"}]
    s = from_mapping(Scenario, {"codecs": codecs, "compare": ["bpg_ldpc-2 vs identity"], "judges": ["other"]})
    assert s.compare_pairs == (("bpg_ldpc-2", "identity"),) and s.judge_names == ("resnet32", "other")
    for bad in ("bpg_ldpc vs identity", "identity vs identity", "identity - bpg_ldpc-1"):
        with pytest.raises(ConfigError, match="'compare'.*identity, bpg_ldpc-1, bpg_ldpc-2"):
            from_mapping(Scenario, {"codecs": codecs, "compare": [bad]})
    with pytest.raises(ConfigError, match="already the primary"):
        from_mapping(Scenario, {"codecs": codecs, "judges": ["resnet32"]})
