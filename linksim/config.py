"""Typed, frozen scenario configuration.

YAML is read with ``yaml.safe_load`` only. :func:`from_mapping` turns a mapping
into a frozen dataclass, rejecting unknown keys, wrong types and values out of
the range a field's metadata allows, with a :class:`ConfigError` naming the
key, the value and what is allowed.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ConfigError


def bounded(default, lo=None, hi=None, choices=None, **kw):
    """A dataclass field with an allowed range (inclusive) or a set of choices."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "choices": choices}, **kw)


def node(registry, default=None, many: bool = False):
    """A field holding a ``{type: name, ...}`` node (``many``: a non-empty list of them) of ``registry``.

    ``registry`` is a :class:`~linksim.registry.Registry` or a zero-argument
    callable returning one (for registries whose module would import this one).
    :func:`from_mapping` parses such fields through the registry, whatever
    their name; ``default`` is a config object (or None) the field takes when absent.
    """
    return field(default=default, metadata={"registry": registry, "many": many})


def _registry(meta):
    reg = meta.get("registry")
    return reg() if callable(reg) else reg


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _coerce(value, tp, key):
    """Check ``value`` against type hint ``tp``; returns the (tuple-converted) value."""
    origin = typing.get_origin(tp)
    if origin is typing.Union:
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, key)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0])
    if origin is tuple:
        (item_tp, _) = typing.get_args(tp)
        if isinstance(value, (int, float, str)) and not isinstance(value, bool) and item_tp is not str:
            value = [value]  # a scalar where a list is allowed: a one-point list
        if not isinstance(value, (list, tuple)) or not value:
            raise ConfigError(f"'{key}': expected a non-empty list of {_type_name(item_tp)}, got {value!r}")
        return tuple(_coerce(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        return from_mapping(tp, value, key)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"'{key}': expected a number, got {value!r} ({type(value).__name__})")
        if not math.isfinite(value):
            raise ConfigError(f"'{key}': expected a finite number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"'{key}': expected an integer, got {value!r} ({type(value).__name__})")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"'{key}': expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"'{key}': expected a string, got {value!r} ({type(value).__name__})")
        return value
    raise TypeError(f"unsupported config type {tp!r} for '{key}'")


def _check_range(value, meta, key):
    items = [(f"{key}[{i}]", v) for i, v in enumerate(value)] if isinstance(value, tuple) else [(key, value)]
    for key, v in items:
        if v is None:
            continue
        if meta.get("choices") is not None and v not in meta["choices"]:
            raise ConfigError(f"'{key}': {v!r} is not allowed; choose one of {list(meta['choices'])}")
        lo, hi = meta.get("lo"), meta.get("hi")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
            raise ConfigError(f"'{key}': {v!r} is out of range; allowed {rng}")


def from_mapping(cls, mapping, where: str = ""):
    """Build frozen dataclass ``cls`` from ``mapping``, validating every key."""
    prefix = f"{where}." if where else ""
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, dict):
        raise ConfigError(f"'{where or 'scenario'}': expected a mapping, got {mapping!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in mapping if k not in fields]
    if unknown:
        raise ConfigError(f"unknown key '{prefix}{unknown[0]}'; allowed keys: {', '.join(fields)}")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in mapping.items():
        key = prefix + name
        registry = _registry(fields[name].metadata)
        if registry is not None:
            if fields[name].metadata["many"]:
                if not isinstance(value, list) or not value:
                    raise ConfigError(f"'{key}': expected a non-empty list of {registry.kind} nodes "
                                      f"{{type: ...}}; types: {', '.join(registry.names())}")
                values[name] = tuple(registry.parse(n, f"{key}[{i}]") for i, n in enumerate(value))
            else:
                values[name] = None if value is None else registry.parse(value, key)
            continue
        if value == [] and fields[name].default == ():
            values[name] = ()          # a list that may be empty by default may be emptied (e.g. --set judges=[])
            continue
        choices = fields[name].metadata.get("choices") or ()
        if isinstance(value, int) and not isinstance(value, bool) and str(value) in choices:
            value = str(value)  # YAML reads chroma: 444 as a number
        values[name] = _coerce(value, hints[name], key)
        _check_range(values[name], fields[name].metadata, key)
    missing = [n for n, f in fields.items() if n not in values
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"missing key '{prefix}{missing[0]}'")
    return cls(**values)


@dataclass(frozen=True)
class Scenario:
    """One simulation: codecs x SNR x CPP grid, R runs each, judged by one classifier.

    Attributes:
        name: label used in outputs.
        data: CIFAR-10 path (image folders or cifar-10-batches-py); None = ``$LINKSIM_DATA``
            or the embedded sample.
        images: number of test images (N/10 per class, file order); None = all.
        runs: independent channel realisations per grid point.
        seed: base seed; each run's noise derives from (seed, codec, SNR, CPP, run).
        snr_db: Es/N0 values in dB.
        cpp: channel uses (complex symbols) per pixel.
        classifier: zoo name of the primary judging classifier (top-level accuracy/F1).
        judges: zoo names of further classifiers whose accuracy/F1 every point reports too.
        codecs: codec nodes ``{type: name, ...params}``.
        compare: pairs ``"a vs b"`` of codec labels; every (SNR, CPP) reports a
            minus b (accuracy per judge, PSNR, SSIM) with paired 95% intervals.
        ssim: compute SSIM (the slowest metric).
        importance: optional importance-map node ``{type: sp_gradient, ...}``;
            the run then draws the example images next to their maps.
    """
    codecs: tuple = node(lambda: _registries()[0], None, many=True)
    name: str = "scenario"
    data: typing.Optional[str] = None
    images: typing.Optional[int] = bounded(None, lo=10)
    runs: int = bounded(5, lo=1, hi=1000)
    seed: int = bounded(0, lo=0, hi=2**31 - 1)
    snr_db: typing.Tuple[float, ...] = bounded((5.0,), lo=-30.0, hi=60.0)
    cpp: typing.Tuple[float, ...] = bounded((0.25,), lo=1e-3, hi=64.0)
    classifier: str = "resnet32"
    judges: typing.Tuple[str, ...] = ()
    compare: typing.Tuple[str, ...] = ()
    ssim: bool = True
    importance: typing.Any = node(lambda: _registries()[1])

    def __post_init__(self):
        if not self.codecs:
            raise ConfigError("missing key 'codecs'")
        labels = codec_labels(self.codecs)
        for item in self.compare:
            pair = tuple(part.strip() for part in item.split(" vs "))
            if len(pair) != 2 or not all(p in labels for p in pair) or pair[0] == pair[1]:
                raise ConfigError(f"'compare': {item!r} must be 'a vs b' with two different codec labels "
                                  f"of this scenario: {', '.join(labels)}")
        if self.classifier in self.judges:
            raise ConfigError(f"'judges': {self.classifier!r} is already the primary 'classifier'")

    judge_names = property(lambda self: judge_names(self), doc="The primary classifier, then the further judges.")
    compare_pairs = property(lambda self: compare_pairs(self), doc="``compare`` as ``(a, b)`` label pairs.")


def judge_names(scenario) -> tuple:
    """A scenario's primary ``classifier``, then its further ``judges``."""
    return (scenario.classifier,) + tuple(scenario.judges)


def compare_pairs(scenario) -> tuple:
    """A scenario's ``compare`` items ``"a vs b"`` as ``(a, b)`` pairs."""
    return tuple(tuple(part.strip() for part in item.split(" vs ")) for item in scenario.compare)


def _registries() -> tuple:
    """Every registry whose config objects appear in scenarios (codecs, importance maps, source codecs)."""
    from .codecs.source.base import SOURCES
    from .importance.base import IMPORTANCE_MAPS
    from .registry import CODECS
    return CODECS, IMPORTANCE_MAPS, SOURCES


def codec_labels(codecs) -> list:
    """Output names of codec nodes, suffixed ``-k`` when one repeats.

    A node's name is its type, or what its config's ``label()`` method returns
    (a digital link names its source codec and its policy: ``bpg_ldpc``,
    ``qmap2021_adaptive``).
    """
    types = [c.label() if hasattr(c, "label") else to_plain(c)["type"] for c in codecs]
    return [t if types.count(t) == 1 else f"{t}-{types[:i + 1].count(t)}" for i, t in enumerate(types)]


def _set_dotted(tree, dotted: str, value):
    parts = dotted.split(".")
    node = tree
    for i, part in enumerate(parts[:-1]):
        nxt = node[int(part)] if isinstance(node, list) and part.isdigit() else \
            node.get(part) if isinstance(node, dict) else None
        if nxt is None:
            raise ConfigError(f"--set {dotted}: '{'.'.join(parts[:i + 1])}' does not exist")
        node = nxt
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ConfigError(f"--set {dotted}: no list item '{last}'")
        node[int(last)] = value
    else:
        node[last] = value


def apply_overrides(raw: dict, overrides) -> dict:
    """Apply ``key=value`` strings (values parsed as YAML, keys dotted: ``codecs.1.chroma``)."""
    for item in overrides or ():
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got '{item}'")
        key, text = item.split("=", 1)
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"--set {key}: cannot parse '{text}': {e}") from None
        _set_dotted(raw, key.strip(), value)
    return raw


def read_yaml(path) -> dict:
    """Read a scenario file with ``yaml.safe_load``; errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"scenario file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a scenario must be a mapping of keys, got {type(raw).__name__}")
    return raw


def load_scenario(path, overrides=(), values=None) -> Scenario:
    """Scenario from a YAML file, fully validated.

    Args:
        path: the YAML file.
        overrides: ``key=value`` strings (``--set``), values parsed as YAML.
        values: keys set verbatim before the overrides (``--data``, ``--runs``, ...).
    """
    raw = read_yaml(path)
    raw.setdefault("name", Path(path).stem)
    raw.update(values or {})
    return from_mapping(Scenario, apply_overrides(raw, overrides))


def to_plain(obj):
    """Config objects -> plain dicts/lists (for results.json); codec nodes keep their type."""
    if dataclasses.is_dataclass(obj):
        out = {}
        for f in dataclasses.fields(obj):
            out[f.name] = to_plain(getattr(obj, f.name))
        for registry in _registries():
            for name in registry.names():
                if registry.config_class(name) is type(obj):
                    out = {"type": name, **out}
        return out
    if isinstance(obj, (tuple, list)):
        return [to_plain(v) for v in obj]
    return obj
