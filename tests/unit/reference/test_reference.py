"""The generated scenario reference lists every key of every config, with its meaning."""
import dataclasses
import re
from dataclasses import dataclass

from linksim.codecs.source.base import SOURCES
from linksim.config import Scenario, bounded
from linksim.importance.base import IMPORTANCE_MAPS
from linksim.reference import attribute_docs, cli_reference, scenario_reference, sections, table
from linksim.registry import CODECS


@dataclass(frozen=True)
class _Base:
    """A base.

    Attributes:
        rate, power: shared text
            over two lines.
        mode: picks one.
    """
    rate: float = bounded(0.5, lo=0.0, hi=1.0)
    power: float = 1.0
    mode: str = bounded("a", choices=("a", "b"))


@dataclass(frozen=True)
class _Child(_Base):
    """A child.

    Attributes:
        mode: the child's own meaning.
        extra: a | pipe.
    Returns:
        nothing: not an attribute.
    """
    extra: int = 3


def test_attribute_docs_merge_bases_nearest_first():
    docs = attribute_docs(_Child)
    assert docs["rate"] == docs["power"] == "shared text over two lines."
    assert docs["mode"] == "the child's own meaning."
    assert "nothing" not in docs


def test_table_rows():
    rows = table(_Child).splitlines()[2:]
    assert rows[0] == "| `rate` | float | `0.5` | [0.0, 1.0] | shared text over two lines. |"
    assert rows[2] == "| `mode` | str | `a` | one of `a`, `b` | the child's own meaning. |"
    assert rows[3] == "| `extra` | int | `3` |  | a \\| pipe. |"


def test_every_key_of_every_config_is_listed_and_described():
    text = scenario_reference()
    classes = [cls for _, _, _, cls in sections() if cls is not None]
    for registry in (CODECS, SOURCES, IMPORTANCE_MAPS):
        for name in registry.names():
            assert registry.config_class(name) in classes, name
            assert f"### `{name}`" in text
    assert Scenario in classes
    for cls in classes:
        rendered = table(cls, attribute_docs(Scenario))
        for f in dataclasses.fields(cls):
            row = next(line for line in rendered.splitlines() if line.startswith(f"| `{f.name}` |"))
            assert not row.endswith("|  |"), f"{cls.__name__}.{f.name} has no meaning in its docstrings"
            assert row in text


def test_cli_reference_has_every_subcommand():
    text = cli_reference()
    for command in ("run", "rd", "jnd", "validate", "list", "ber", "train"):
        assert re.search(rf"^## linksim {command}$", text, re.M)
    assert "--resume" in text and "--max-bits" in text
