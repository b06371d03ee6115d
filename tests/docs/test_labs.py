"""Each lab scenario has a page that runs it (tests/docs/test_commands.py runs every page's commands at tiny
size: the labs' too)."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "scenarios" / "labs"
PAGES = {"ber_waterfalls": "ber", "cliff": "cliff", "bandwidth": "bandwidth", "semantics": "semantics"}
pytestmark = pytest.mark.skipif(not LABS.is_dir(), reason="needs the source tree")


def test_every_lab_scenario_has_a_page_that_runs_it():
    assert sorted(p.stem for p in LABS.glob("*.yaml")) == sorted(PAGES)
    for scenario, page in PAGES.items():
        text = (ROOT / "docs" / "labs" / f"{page}.md").read_text()
        assert f"scenarios/labs/{scenario}.yaml" in text and "Answers (for the teacher)" in text
