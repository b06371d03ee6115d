"""The Python API page's code runs as written."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "api.md"


def python_blocks(text: str) -> list:
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


@pytest.mark.skipif(not PAGE.is_file(), reason="needs the source tree")
def test_every_python_block_runs(tmp_path, monkeypatch, capsys):
    from linksim.registry import CODECS
    monkeypatch.setattr(CODECS, "_entries", dict(CODECS._entries))     # the page registers a codec
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    blocks = python_blocks(PAGE.read_text())
    assert len(blocks) == 3
    namespace = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["ar_jscc", "bpg_capacity", "ar_jscc"]
    assert "accuracy" in out[0] and "outage 0.00" in out[0]
    assert (tmp_path / "runs" / "api_example" / "report.html").is_file()
    codec = CODECS.build(CODECS.parse({"type": "mute", "level": 7}, "mute"))
    rx = codec.receive(None, codec.transmit(namespace["data"].images[:3], 5.0, 0.25), 5.0)
    assert rx.images.shape == (3, 32, 32, 3) and (rx.images == 7).all() and rx.outage.all()
