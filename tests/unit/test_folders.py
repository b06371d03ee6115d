"""Output folders: safe defaults, the run lock, moving a damaged file aside."""
from pathlib import Path

import pytest

from linksim.errors import OutputError
from linksim.folders import check_writable, default_out, move_aside, run_lock


@pytest.mark.parametrize("name,folder", [("cifar_5db", "cifar_5db"), ("../../x", "x"), ("/etc", "etc"),
                                         ("", "scenario"), ("...", "scenario"), ("a b:c", "a_b_c")])
def test_default_out_is_a_plain_folder_under_runs(name, folder):
    assert default_out(name) == Path("runs") / folder


def test_the_lock_excludes_a_second_holder_until_released(tmp_path):
    with run_lock(tmp_path / "out"):
        with pytest.raises(OutputError, match=r"in use by another linksim run \(pid \d+\)"):
            with run_lock(tmp_path / "out"):
                pass
    with run_lock(tmp_path / "out"):                   # released on leaving the block
        pass


def test_unwritable_folders_are_named(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        check_writable(tmp_path / "f")
    with pytest.raises(OutputError, match="cannot be written"):
        check_writable(tmp_path / "f" / "sub", "cache folder")
    assert check_writable(tmp_path / "new" / "deep").is_dir()


def test_move_aside_never_overwrites_an_earlier_one(tmp_path):
    moved = []
    for text in ("a", "b", "c"):
        (tmp_path / "x.db").write_text(text)
        moved.append(move_aside(tmp_path / "x.db"))
    assert [p.read_text() for p in moved] == ["a", "b", "c"] and not (tmp_path / "x.db").exists()
    assert all(p.name.startswith("x.db.damaged-") for p in moved)
