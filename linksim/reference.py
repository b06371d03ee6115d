"""The scenario and command-line references of the docs, generated from the code.

:func:`scenario_reference` walks the config dataclasses (the scenario kinds,
every entry of every registry, the trainers' options) and renders one table
per class: key, type, default, allowed values, meaning. The meaning is the
field's entry in the ``Attributes:`` section of the class's (or a base
class's) docstring. :func:`cli_reference` renders every subcommand's
``--help``. The docs build calls both (``docs/hooks.py``), so the reference
cannot drift from the code.
"""
from __future__ import annotations

import dataclasses
import os
import re
import typing
from contextlib import contextmanager

_ROLE = re.compile(r":(?:class|func|mod|meth|attr|data):`~?([^`]+)`")
_ENTRY = re.compile(r"^(\s*)([A-Za-z_][\w, ]*):\s*(.*)$")


def _markdown(text: str) -> str:
    """Docstring reST to Markdown: roles and double backticks to code spans, one line."""
    text = _ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", text)
    return " ".join(text.replace("``", "`").split()).replace("|", "\\|")


def attribute_docs(cls) -> dict:
    """Field name -> meaning, from the ``Attributes`` sections of ``cls``'s docstrings (nearest class first)."""
    found = {}
    for klass in reversed(cls.__mro__):
        found.update(_parse_attributes(klass.__dict__.get("__doc__") or ""))
    return found


def _parse_attributes(doc: str) -> dict:
    entries, current, indent, inside = {}, None, None, False
    for line in doc.expandtabs().splitlines():
        stripped = line.strip()
        if stripped.startswith("Attributes"):
            inside, current, indent = True, None, None
            continue
        if not inside:
            continue
        if not stripped:
            current = None
            continue
        match = _ENTRY.match(line)
        depth = len(line) - len(line.lstrip())
        if match and (indent is None or depth == indent):
            indent = depth
            names = [n.strip() for n in match.group(2).split(",")]
            current = names
            for name in names:
                entries[name] = match.group(3)
        elif current is not None and depth > (indent or 0):
            for name in current:
                entries[name] += " " + stripped
        else:
            inside = False
    return entries


def _type_text(hint, meta) -> str:
    registry = meta.get("registry")
    if registry is not None:
        registry = registry() if callable(registry) else registry
        kind = f"{registry.kind} node `{{type: ...}}`"
        return f"list of {kind}s" if meta.get("many") else kind
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return " or ".join(_type_text(a, {}) for a in args) + " or null"
    if origin is tuple:
        return f"list of {_type_text(typing.get_args(hint)[0], {})}"
    if dataclasses.is_dataclass(hint):
        return f"mapping ({hint.__name__})"
    return getattr(hint, "__name__", str(hint).replace("typing.", ""))


def _default_text(f) -> str:
    from .config import to_plain
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
        return "required"
    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()
    value = to_plain(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "`{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}`"
    if isinstance(value, list):
        return "`[" + ", ".join(str(v) for v in value) + "]`" if value else "`[]`"
    return f"`{value}`"


def _allowed_text(meta) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(f"`{c}`" for c in meta["choices"])
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is None and hi is None:
        return ""
    return f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"


def table(cls, fallback: dict = None) -> str:
    """One Markdown table of ``cls``'s keys; a key its docstrings do not describe takes ``fallback``'s text."""
    docs = attribute_docs(cls)
    hints = typing.get_type_hints(cls)
    rows = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for f in dataclasses.fields(cls):
        meaning = docs.get(f.name, "")
        if (not meaning or meaning.startswith("as in")) and fallback and f.name in fallback:
            meaning = fallback[f.name]
        rows.append(f"| `{f.name}` | {_type_text(hints[f.name], f.metadata)} | {_default_text(f)} | "
                    f"{_allowed_text(f.metadata)} | {_markdown(meaning)} |")
    return "\n".join(rows)


def _summary(cls) -> str:
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    return _markdown(doc)


def sections() -> list:
    """``(heading level, title, intro, config class or None)`` of every table the reference shows."""
    from .ber import BerCurve, BerScenario
    from .codecs.source.base import SOURCES
    from .config import Scenario
    from .channels.base import CHANNELS
    from .importance.base import IMPORTANCE_MAPS
    from .jnd import JndScenario
    from .rd import RdCodec, RdScenario
    from .registry import CODECS
    from .train.allocator import AllocatorTrainConfig
    from .train.classifier import ClassifierTrainConfig
    from .train.hevrc import HevrcTrainConfig
    from .train.jnd import DmvJndTrainConfig
    from .train.jscc import JSCCTrainConfig
    from .train.qmap import QmapTrainConfig
    out = [(2, "Link scenario (`linksim run`)", "The top level of a scenario file.", Scenario)]
    for title, registry, where in (
            ("Codecs", CODECS, "Each item of a link scenario's `codecs:` list."),
            ("Source codecs", SOURCES, "The `source:` node of a digital link (`ldpc_link`, `adaptive_link`, "
                                       "`capacity_link` and the `bpg_*` links) and of an rd codec."),
            ("Importance maps", IMPORTANCE_MAPS, "A scenario's `importance:` node, and the `strategy` of the "
                                                 "`qmap` source when it names a map."),
            ("Channels", CHANNELS, "A scenario's (or a BER scenario's) `channel:` node; AWGN when absent. "
                                   "Under fading `snr_db` is the average received Es/N0, the transmitter knows "
                                   "only that average, and the receiver equalises with its CSI.")):
        out.append((2, title, where, None))
        for name in registry.names():
            cls = registry.config_class(name)
            out.append((3, f"`{name}`", _summary(cls), cls))
    out += [(2, "Rate-distortion scenario (`linksim rd`)", _summary(RdScenario), RdScenario),
            (3, "Each item of `codecs:`", _summary(RdCodec), RdCodec),
            (2, "DMV-JND scenario (`linksim jnd`)", _summary(JndScenario), JndScenario),
            (2, "BER scenario (`linksim ber SCENARIO`)", _summary(BerScenario), BerScenario),
            (3, "Each item of `curves:`", _summary(BerCurve), BerCurve),
            (2, "Training options (`linksim train MODEL --set key=value`)",
             "Every trainer's options; `--epochs`, `--seed`, `--arch` and `--classifier` set the keys of the same "
             "name.", None)]
    for model, cls in (("classifier", ClassifierTrainConfig), ("ar_jscc, sp_jscc", JSCCTrainConfig),
                       ("allocator", AllocatorTrainConfig), ("qmap2021", QmapTrainConfig),
                       ("hevrc", HevrcTrainConfig), ("dmv_jnd", DmvJndTrainConfig)):
        out.append((3, f"`{model}`", _summary(cls), cls))
    return out


def scenario_reference() -> str:
    """The scenario reference page's body (Markdown)."""
    from .config import Scenario
    fallback = attribute_docs(Scenario)
    parts = []
    for level, title, intro, cls in sections():
        parts.append(f"{'#' * level} {title}\n\n{intro}\n")
        if cls is not None:
            parts.append(table(cls, fallback) + "\n")
    return "\n".join(parts)


@contextmanager
def _columns(width: int):
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def cli_reference(width: int = 100) -> str:
    """Every subcommand's ``--help``, as the parser prints it (Markdown)."""
    import argparse
    from .cli import build_parser
    with _columns(width):
        parser = build_parser()
        parts = ["## linksim\n", f"```text\n{parser.format_help()}```\n"]
        for action in parser._actions:          # argparse keeps its subparsers here only
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    parts += [f"## linksim {name}\n", f"```text\n{sub.format_help()}```\n"]
    return "\n".join(parts)
