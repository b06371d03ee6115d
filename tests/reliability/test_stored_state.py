"""Stored sweep points and caches are verified before use: damage is recomputed or rebuilt, never a wrong number."""
import shutil
import sqlite3

import numpy as np
import pytest

from reliability_helpers import points, run_cli

SWEEP = ("snr_db: [3, 12]\ncpp: [0.5]\nimages: 10\nruns: 2\nssim: false\n"
         "codecs: [{type: ar_jscc}, {type: bpg_capacity}, {type: bpg_ldpc, code: ldpc-80211n-648-r12}]\n")


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A clean run of SWEEP (its own cache): ``(scenario path, run folder, cache folder, points)``."""
    from linksim.cli import main
    root = tmp_path_factory.mktemp("clean")
    path = root / "s.yaml"
    path.write_text(SWEEP)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINKSIM_CACHE", str(root / "cache"))
        assert main(["run", str(path), "--out", str(root / "out"), "--quiet"]) == 0
    return path, root / "out", root / "cache", points(root / "out")


def resumed_copy(clean, tmp_path):
    path, out, _, _ = clean
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    return path, copy, sorted((copy / "points").glob("*.npz"))


def rewrite(point, **changes):
    with np.load(point) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez_compressed(point.with_suffix(".tmp.npz"), **arrays)
    point.with_suffix(".tmp.npz").replace(point)


def checksum_of(arrays_from):
    from linksim.store import _checksum
    with np.load(arrays_from) as z:
        return _checksum({k: z[k] for k in z.files})


def test_damaged_points_are_recomputed_with_one_warning_each(clean, tmp_path, capsys):
    path, out, files = resumed_copy(clean, tmp_path)
    files[0].write_bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes())  # ValueError
    files[1].write_bytes(files[1].read_bytes()[:200])                            # truncated: BadZipFile
    rewrite(files[2], psnr=None)                                                # an array missing
    with np.load(files[3]) as z:                                                 # PSNR of 5 of the 10 images,
        short = z["psnr"][:, :5]
    rewrite(files[3], psnr=short)
    rewrite(files[3], checksum=np.array(checksum_of(files[3])))                  # with a checksum to match
    shutil.copy(files[5], files[4])                                              # another point's file
    with np.load(files[5]) as z:
        rewrite(files[5], psnr=z["psnr"] + 1.0)                                  # a changed number
    code, err = run_cli(capsys, "run", path, "--out", out, "--resume", "--quiet")
    assert code == 0 and len(err) == 6, err
    assert all(line.startswith("linksim: warning: stored point ") for line in err)
    why = sorted(line.split(".npz ")[1] for line in err)
    assert why == [f"{reason}: recomputing it" for reason in (
        "fails its checksum", "holds another point", "lacks or has the wrong shape for psnr",
        "unreadable (BadZipFile)", "unreadable (KeyError)", "unreadable (ValueError)")]
    assert points(out) == clean[3]


def test_a_damaged_encoding_cache_is_moved_aside_and_rebuilt(clean, tmp_path, capsys, monkeypatch):
    # a truncated file here (a killed copy); random bytes: tests/unit/codecs/source/test_cache.py
    path, _, cache, reference = clean
    mine = tmp_path / "cache"
    shutil.copytree(cache, mine)
    db = mine / "encodings.sqlite"
    db.write_bytes(db.read_bytes()[:db.stat().st_size // 2])
    monkeypatch.setenv("LINKSIM_CACHE", str(mine))
    code, err = run_cli(capsys, "run", path, "--out", tmp_path / "out", "--quiet")
    assert code == 0 and len(err) == 1 and err[0].startswith(f"linksim: warning: encoding cache {db} is "
                                                             "damaged") and "starting a new one" in err[0]
    assert points(tmp_path / "out") == reference
    assert len(list(mine.glob("encodings.sqlite.damaged-*"))) == 1


def test_cache_rows_of_another_image_or_undecodable_are_never_used(clean, tmp_path, capsys, monkeypatch):
    path, _, cache, reference = clean
    mine = tmp_path / "cache"
    shutil.rmtree(mine, ignore_errors=True)
    shutil.copytree(cache, mine)
    with sqlite3.connect(mine / "encodings.sqlite") as db:
        rows = db.execute("SELECT rowid, image, data FROM streams").fetchall()
        images = sorted({r[1] for r in rows})
        assert len(images) == 10
        other = {r[1]: r[2] for r in rows}                                 # one stream of each image
        for rowid, image, data in rows:
            if image == images[0]:
                db.execute("UPDATE streams SET data=? WHERE rowid=?", (b"\x00garbage" * 9, rowid))
            else:                                                          # another image's stream
                db.execute("UPDATE streams SET data=? WHERE rowid=?", (other[images[0]], rowid))
    monkeypatch.setenv("LINKSIM_CACHE", str(mine))
    code, err = run_cli(capsys, "run", path, "--out", tmp_path / "out", "--quiet")
    assert code == 0 and err == []
    assert points(tmp_path / "out") == reference


def test_a_damaged_or_mislabelled_image_cache_is_rebuilt_from_its_files(tmp_path, scenario, capsys, sample):
    from PIL import Image
    from linksim import CIFAR10_CLASSES
    root = tmp_path / "folders"
    for c, cls in enumerate(CIFAR10_CLASSES):
        (root / "test" / cls).mkdir(parents=True)
        for i, image in enumerate(sample.images[sample.labels == c][:2]):
            Image.fromarray(image).save(root / "test" / cls / f"{i}.png")
    path = scenario(f"data: {root}\nsnr_db: [5]\ncpp: [0.25]\nruns: 1\nssim: false\ncodecs: [{{type: identity}}]\n")
    assert run_cli(capsys, "run", path, "--out", tmp_path / "clean", "--quiet")[0] == 0
    reference = points(tmp_path / "clean")
    (cache,) = (tmp_path / "cache").glob("imagefolder-*.npz")
    good = cache.read_bytes()
    with np.load(cache) as z:
        arrays = {k: z[k] for k in z.files}
    for damage in ("random", "shifted labels"):
        if damage == "random":
            cache.write_bytes(np.random.default_rng(2).integers(0, 256, len(good), dtype=np.uint8).tobytes())
        else:
            np.savez(cache, **{**arrays, "labels": np.roll(arrays["labels"], 1)})
        code, err = run_cli(capsys, "run", path, "--out", tmp_path / damage, "--quiet")
        why = "unreadable (ValueError)" if damage == "random" else "holds other labels than its folders"
        assert code == 0 and len(err) == 1 and err[0].startswith(f"linksim: warning: image cache {cache} is "
                                                                 f"damaged ({why}); moved to"), err
        assert points(tmp_path / damage) == reference and cache.read_bytes() == good
