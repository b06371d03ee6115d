"""Issue 11, class 6 (and the YAML part of 8): every bad scenario file or --set ends in one short line, exit 2."""
import pytest

from linksim.cli import main

GOOD = "runs: 1\nsnr_db: [5]\ncpp: [0.25]\ncodecs:\n  - type: identity\n  - type: identity\n"


def validate(capsys, path, *options):
    code = main(["validate", str(path), *options])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("linksim: error: "), err[:300]
    return lines[0][len("linksim: error: "):]


def alias_tree(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + f"snr_db: *a{levels - 1}\ncodecs: [{{type: identity}}]\n"


@pytest.mark.parametrize("levels", [7, 10])
def test_an_alias_tree_is_refused_in_one_line(tmp_path, capsys, levels):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_tree(levels))
    code, _, err = validate(capsys, path)
    assert code == 2
    assert one_error_line(err) == f"{path}, line 5, column 5: more than 10000 values (an alias counts as a copy)"


def test_deep_nesting_is_refused_in_one_line(tmp_path, capsys):
    path = tmp_path / "deep.yaml"
    path.write_text("snr_db: " + "[" * 100_000 + "\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert one_error_line(err) == f"{path}, line 1, column 108: nested deeper than 100 levels"


def test_duplicate_keys_are_refused(tmp_path, capsys):
    path = tmp_path / "dup.yaml"
    path.write_text(GOOD + "runs: 3\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert one_error_line(err) == f"{path}, line 7, column 1: duplicate key 'runs' (first on line 1)"


def test_the_floats_a_user_writes_are_numbers(tmp_path, capsys):
    path = tmp_path / "floats.yaml"
    path.write_text("snr_db: [5e-1, 1e1]\ncpp: [2.5e-1]\ncodecs: [{type: identity}]\n")
    code, out, err = validate(capsys, path)
    assert (code, err) == (0, "")
    assert out == f"{path}: ok (1 codecs x 2 SNR x 1 CPP = 2 points, 5 runs each)\n"
    path.write_text("snr_db: [1e308]\ncodecs: [{type: identity}]\n")
    code, _, err = validate(capsys, path)             # read as a number, so judged by its range
    assert code == 2 and one_error_line(err) == "'snr_db[0]': 1e+308 is out of range; allowed [-30.0, 60.0]"


@pytest.mark.parametrize("override,message", [
    ("codecs.7.chroma=444", "--set codecs.7.chroma: 'codecs' has no item '7' (it has 2)"),
    ("runs.x=1", "--set runs.x: 'runs' is 1, not a mapping or a list"),
    ("codecs.1.source.chroma=444", "--set codecs.1.source.chroma: 'codecs.1.source' does not exist"),
    ("snr_db=[5", "--set snr_db, line 1, column 3: not valid YAML: expected ',' or ']', but got '<stream end>' "
                  "(while parsing a flow sequence at line 1)"),
    ("snr_db=5e-1", None),
])
def test_every_set_mistake_is_one_line_naming_the_key(tmp_path, capsys, override, message):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD)
    code, out, err = validate(capsys, path, "--set", override)
    if message is None:
        assert (code, err) == (0, "") and out.startswith(f"{path}: ok (2 codecs x 1 SNR")
    else:
        assert code == 2 and one_error_line(err) == message


def test_a_syntax_error_is_one_line_with_line_and_column(tmp_path, capsys):
    path = tmp_path / "syntax.yaml"
    path.write_text("snr_db: [5\ncodecs:\n  - type: identity\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert one_error_line(err) == (f"{path}, line 2, column 7: not valid YAML: expected ',' or ']', but got ':' "
                                   "(while parsing a flow sequence at line 1)")


def test_a_long_value_is_cut_in_the_message(tmp_path, capsys):
    path = tmp_path / "long.yaml"
    path.write_text(f"snr_db: ['{'x' * 100_000}']\ncodecs: [{{type: identity}}]\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert one_error_line(err) == "'snr_db[0]': expected a number, got '" + "x" * 76 + "... (str)"


def test_a_directory_is_reported_as_a_directory(tmp_path, capsys):
    code, _, err = validate(capsys, tmp_path)
    assert code == 2
    assert one_error_line(err) == f"scenario file {tmp_path} is a directory, not a YAML file"
