"""The one YAML loader (scenario files and --set values) is bounded, strict on keys and reads YAML 1.2 floats."""
import pytest
import yaml

from linksim.config import MAX_FILE_BYTES, Scenario, apply_overrides, from_mapping, parse_yaml, read_yaml
from linksim.errors import ConfigError


def alias_tree(levels: int, fanout: int = 9) -> str:
    """``levels`` anchors, each a list of ``fanout`` aliases of the one before: fanout**levels values."""
    lines = [f"a0: &a0 [{', '.join(['x'] * fanout)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as e:
        parse_yaml(text, "f.yaml")
    return str(e.value)


def test_yaml_1_2_floats_on_the_loader_only():
    assert parse_yaml("[1e308, 5e-1, 1E3, -2.5e+2, .5e1, 1.0e+3, 1.5]", "f") == [1e308, 0.5, 1000.0, -250.0,
                                                                               5.0, 1000.0, 1.5]
    values = parse_yaml("[5, 0x10, 010, 1_000, 2001-12-14, 1e, e5, 1.2.3]", "f")
    assert [type(v).__name__ for v in values] == ["int", "int", "int", "int", "date", "str", "str", "str"]
    assert yaml.safe_load("1e308") == "1e308"         # PyYAML's own SafeLoader is left as it was


def test_duplicate_keys_are_refused_with_both_lines():
    assert refused("runs: 1\nseed: 2\nruns: 3\n") == "f.yaml, line 3, column 1: duplicate key 'runs' (first on line 1)"
    assert refused("codecs:\n  - {type: identity, type: bpg_ldpc}\n") == \
        "f.yaml, line 2, column 22: duplicate key 'type' (first on line 2)"
    assert refused("'a': 1\na: 2\n") == "f.yaml, line 2, column 1: duplicate key 'a' (first on line 1)"


def test_merge_keys_may_still_be_overridden():
    assert parse_yaml("b: &b {a: 1, c: 2}\nd: {<<: *b, a: 3}\n", "f") == {"b": {"a": 1, "c": 2}, "d": {"a": 3, "c": 2}}


def test_depth_is_bounded():
    hundred = []
    for _ in range(99):
        hundred = [hundred]
    assert parse_yaml("[" * 100 + "]" * 100, "f") == hundred
    assert refused("[" * 101 + "]" * 101) == "f.yaml, line 1, column 101: nested deeper than 100 levels"
    assert refused("[" * 100_000) == "f.yaml, line 1, column 101: nested deeper than 100 levels"
    # 60 levels under an anchor, used 60 levels down: 120 levels once expanded
    deep = "a: &a " + "[" * 59 + "]" * 59 + "\nb: " + "[" * 59 + "*a" + "]" * 59 + "\n"
    assert refused(deep) == "f.yaml, line 2, column 63: nested deeper than 100 levels once aliases are expanded"


def test_alias_expansion_is_bounded():
    assert len(parse_yaml(alias_tree(4), "f")["a3"]) == 9           # 9^4 = 6,561 values: allowed
    message = "f.yaml, line 5, column 5: more than 10000 values (an alias counts as a copy)"
    assert refused(alias_tree(7)) == message                        # 9^7, the 353-byte file of the issue
    assert refused(alias_tree(10)) == message                       # 9^10 used to run out of memory
    assert refused("a: &a [1, *a]\n") == "f.yaml, line 1, column 11: alias *a is inside its own anchor"


@pytest.mark.parametrize("text,message", [
    ("a: [1,\n", "f.yaml, line 2, column 1: not valid YAML: expected the node content, but found '<stream end>' "
                 "(while parsing a flow node at line 2)"),
    ("a: 1\n\tb: 2\n", "f.yaml, line 2, column 1: not valid YAML: found character '\\t' that cannot start any token"),
    ("a: \x00\n", "f.yaml, character 4: not valid YAML: special characters are not allowed"),
    ("a: *nope\n", "f.yaml, line 1, column 4: not valid YAML: found undefined alias 'nope'"),
    ("a: 2001-13-45\n", "f.yaml, line 1, column 4: cannot read '2001-13-45' as timestamp: month must be in 1..12"),
    ("a: !!bool maybe\n", "f.yaml, line 1, column 4: cannot read 'maybe' as bool"),
    ("a: " + "1" * 5000 + "\n", "f.yaml, line 1, column 4: cannot read '" + "1" * 76 + "... as int: "
                                "Exceeds the limit (4300 digits) for integer string conversion: value has 5000..."),
])
def test_errors_are_one_short_line(text, message):
    assert refused(text) == message


def test_read_yaml_refuses_what_is_not_a_scenario_file(tmp_path):
    with pytest.raises(ConfigError) as e:
        read_yaml(tmp_path)
    assert str(e.value) == f"scenario file {tmp_path} is a directory, not a YAML file"
    big = tmp_path / "big.yaml"
    big.write_text("#" * MAX_FILE_BYTES + "\n")
    with pytest.raises(ConfigError) as e:
        read_yaml(big)
    assert str(e.value) == f"scenario file {big} is larger than 1000000 bytes; is it a scenario?"
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ConfigError) as e:
        read_yaml(latin)
    assert str(e.value) == f"{latin} is not valid YAML: not UTF-8 text (byte 9)"


@pytest.mark.parametrize("override,message", [
    ("codecs.7.chroma=444", "--set codecs.7.chroma: 'codecs' has no item '7' (it has 2)"),
    ("codecs.x=1", "--set codecs.x: 'codecs' has no item 'x' (it has 2)"),
    ("codecs.2=1", "--set codecs.2: 'codecs' has no item '2' (it has 2)"),
    ("runs.x=1", "--set runs.x: 'runs' is 5, not a mapping or a list"),
    ("codecs.0.type.x=1", "--set codecs.0.type.x: 'codecs.0.type' is 'identity', not a mapping or a list"),
    ("codecs.1.source.chroma=1", "--set codecs.1.source.chroma: 'codecs.1.source' does not exist"),
    ("a..b=1", "--set a..b: a dotted key has no empty parts"),
    ("=1", "--set expects key=value, got '=1'"),
    ("runs=[", "--set runs, line 1, column 2: not valid YAML: expected the node content, but found "
               "'<stream end>' (while parsing a flow node at line 1)"),
    ("snr_db=" + "[" * 200, "--set snr_db, line 1, column 101: nested deeper than 100 levels"),
])
def test_every_set_mistake_is_a_config_error_naming_the_key(override, message):
    raw = {"runs": 5, "codecs": [{"type": "identity"}, {"type": "bpg_ldpc"}]}
    with pytest.raises(ConfigError) as e:
        apply_overrides(raw, [override])
    assert str(e.value) == message


def test_set_reads_yaml_1_2_floats():
    raw = apply_overrides({"codecs": [{"type": "identity"}]}, ["snr_db=[5e-1, 1e1]", "codecs.0={type: identity}"])
    assert from_mapping(Scenario, raw).snr_db == (0.5, 10.0)


@pytest.mark.parametrize("key,value,message", [
    ("snr_db", ["x" * 1000], "'snr_db[0]': expected a number, got '" + "x" * 76 + "... (str)"),
    ("runs", 10 ** 1000, "'runs': " + "1" + "0" * 76 + "... is out of range; allowed [1, 1000]"),
    ("ssim", list(range(1000)), "'ssim': expected true or false, got " + repr(list(range(1000)))[:77] + "..."),
    ("name", {"k": "v" * 1000}, "'name': expected a string, got " + repr({"k": "v" * 1000})[:77] + "... (dict)"),
])
def test_messages_show_at_most_80_characters_of_a_value(key, value, message):
    with pytest.raises(ConfigError) as e:
        from_mapping(Scenario, {"codecs": [{"type": "identity"}], key: value})
    assert str(e.value) == message


def test_a_long_unknown_key_is_cut():
    with pytest.raises(ConfigError) as e:
        from_mapping(Scenario, {"codecs": [{"type": "identity"}], "k" * 500: 1})
    assert str(e.value).startswith("unknown key '" + "k" * 77 + "...'; allowed keys: codecs, name,")
