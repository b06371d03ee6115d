"""Typed, frozen scenario configuration.

Every YAML text of linksim (scenario files, ``--set`` values) is read by
:func:`parse_yaml`: a ``yaml.SafeLoader`` that bounds nesting and alias
expansion, refuses duplicate keys and reads YAML 1.2 floats (``1e308``).
:func:`from_mapping` turns a mapping into a frozen dataclass, rejecting
unknown keys, wrong types and values out of the range a field's metadata
allows, with a :class:`ConfigError` naming the key, the value and what is
allowed.
"""
from __future__ import annotations

import dataclasses
import math
import re
import typing
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ConfigError, LinksimWarning

#: Bounds of a YAML text; a scenario holds tens of values a few levels deep.
MAX_DEPTH = 100
MAX_VALUES = 10_000        # after alias expansion: a few hundred bytes of aliases can name 9^10 values
MAX_FILE_BYTES = 1_000_000
#: Characters of a user's value a message shows.
SHOWN = 80


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN - 3] + "..."


def show(value) -> str:
    """``repr(value)``, cut to :data:`SHOWN` characters: a message names a value, it does not print it."""
    return _clip(repr(value))


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with bounded depth and alias expansion, no duplicate keys, YAML 1.2 floats.

    Bounds are checked while composing, before anything is constructed; an
    alias counts as a copy of what it names.
    """

    def __init__(self, text: str, where: str):
        super().__init__(text)
        self.where = where
        self.depth = 0
        self.sizes = {}            # id(node) -> (values, levels) of the node with its aliases expanded

    def refuse(self, mark, problem: str):
        raise ConfigError(f"{self.where}, line {mark.line + 1}, column {mark.column + 1}: {problem}")

    def compose_node(self, parent, index):
        event = self.peek_event()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.refuse(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
        node = super().compose_node(parent, index)
        self.depth -= 1
        if isinstance(event, yaml.AliasEvent):
            if id(node) not in self.sizes:         # its anchor is still being composed
                self.refuse(event.start_mark, f"alias *{_clip(event.anchor)} is inside its own anchor")
        else:
            children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) \
                else node.value if isinstance(node, yaml.SequenceNode) else ()
            sizes = [self.sizes[id(child)] for child in children]
            self.sizes[id(node)] = (1 + sum(v for v, _ in sizes), 1 + max((lv for _, lv in sizes), default=0))
        values, levels = self.sizes[id(node)]
        if self.depth + levels > MAX_DEPTH:
            self.refuse(event.start_mark, f"nested deeper than {MAX_DEPTH} levels once aliases are expanded")
        if values > MAX_VALUES:
            self.refuse(event.start_mark, f"more than {MAX_VALUES} values (an alias counts as a copy)")
        return node

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        first = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                seen = first.setdefault((key.tag, key.value), key)
                if seen is not key:
                    self.refuse(key.start_mark, f"duplicate key {show(key.value)} "
                                                f"(first on line {seen.start_mark.line + 1})")
        return node

    def construct_object(self, node, deep=False):
        # PyYAML's constructors fail on some values of their tag (2024-13-01, 5,000 digits,
        # !!bool maybe, !!timestamp x) with plain Python errors
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, AttributeError) as e:
            detail = f": {_clip(str(e))}" if isinstance(e, ValueError) else ""
            self.refuse(node.start_mark, f"cannot read {show(node.value)} as {node.tag.rsplit(':', 1)[-1]}{detail}")


# YAML 1.1 floats need a dot and a signed exponent, so `1e308` and `5e-1` would be
# strings; YAML 1.2's core schema reads them as numbers (integers still match first).
_BoundedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"))


def parse_yaml(text: str, where: str):
    """The value of YAML ``text`` (bounded, safe); a :class:`ConfigError` names ``where``, the line and the column."""
    try:
        loader = _BoundedLoader(text, where)       # the reader checks for unprintable characters here
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        context = f" ({e.context} at line {e.context_mark.line + 1})" if e.context and e.context_mark else ""
        raise ConfigError(f"{where}, line {mark.line + 1}, column {mark.column + 1}: not valid YAML: "
                          f"{_clip(e.problem or '')}{context}") from None
    except yaml.reader.ReaderError as e:
        raise ConfigError(f"{where}, character {e.position + 1}: not valid YAML: {e.reason}") from None


def bounded(default, lo=None, hi=None, choices=None, fractions: bool = False, **kw):
    """A dataclass field with an allowed range (inclusive) or a set of choices; ``fractions``: its numbers may
    be written ``"1/8"``."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "choices": choices, "fractions": fractions}, **kw)


_FRACTION = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*/\s*([0-9]+(?:\.[0-9]*)?)\s*$")


def read_fractions(value):
    """``"1/8"`` (alone or in a list) as 0.125; anything else unchanged (a zero denominator stays a string)."""
    if isinstance(value, list):
        return [read_fractions(v) for v in value]
    match = _FRACTION.match(value) if isinstance(value, str) else None
    if match and float(match.group(2)) != 0:
        return float(match.group(1)) / float(match.group(2))
    return value


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
            raise ConfigError(f"'{key}': expected a non-empty list of {_type_name(item_tp)}, got {show(value)}")
        return tuple(_coerce(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        return from_mapping(tp, value, key)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"'{key}': expected a number, got {show(value)} ({type(value).__name__})")
        if not math.isfinite(value):
            raise ConfigError(f"'{key}': expected a finite number, got {show(value)}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"'{key}': expected an integer, got {show(value)} ({type(value).__name__})")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"'{key}': expected true or false, got {show(value)}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"'{key}': expected a string, got {show(value)} ({type(value).__name__})")
        return value
    raise TypeError(f"unsupported config type {tp!r} for '{key}'")


def _check_range(value, meta, key):
    items = [(f"{key}[{i}]", v) for i, v in enumerate(value)] if isinstance(value, tuple) else [(key, value)]
    for key, v in items:
        if v is None:
            continue
        if meta.get("choices") is not None and v not in meta["choices"]:
            raise ConfigError(f"'{key}': {show(v)} is not allowed; choose one of {list(meta['choices'])}")
        lo, hi = meta.get("lo"), meta.get("hi")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
            raise ConfigError(f"'{key}': {show(v)} is out of range; allowed {rng}")


def from_mapping(cls, mapping, where: str = ""):
    """Build frozen dataclass ``cls`` from ``mapping``, validating every key."""
    prefix = f"{where}." if where else ""
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, dict):
        raise ConfigError(f"'{where or 'scenario'}': expected a mapping, got {show(mapping)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in mapping if k not in fields]
    if unknown:
        raise ConfigError(f"unknown key '{prefix}{_clip(str(unknown[0]))}'; allowed keys: {', '.join(fields)}")
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
        if fields[name].metadata.get("fractions"):
            value = read_fractions(value)
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


#: Metrics a scenario's ``perceptual:`` can switch on (:mod:`linksim.perceptual`).
PERCEPTUAL_METRICS = ("fsimc", "feature_distance", "frechet")


def uses_features(metrics) -> bool:
    """Whether perceptual ``metrics`` need the feature classifier (feature distance, Frechet)."""
    return bool({"feature_distance", "frechet"} & set(metrics))


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
        cpp: channel uses (complex symbols) per pixel; fractions may be written ``1/8``.
        classifier: zoo name of the primary judging classifier (top-level accuracy/F1).
        judges: zoo names of further classifiers whose accuracy/F1 every point reports too.
        codecs: codec nodes ``{type: name, ...params}``.
        compare: pairs ``"a vs b"`` of codec labels; every (SNR, CPP) reports a
            minus b (accuracy per judge, PSNR, SSIM) with paired 95% intervals.
        ssim: compute SSIM (the slowest metric).
        importance: optional importance-map node ``{type: sp_gradient, ...}``;
            the run then draws the example images next to their maps.
        perceptual: further metrics of every point, off by default (slower):
            ``fsimc`` and ``feature_distance`` per image (mean over runs, then
            over images, with a normal interval), ``frechet`` per point (the
            mean over runs of each run's distance, with a bias-corrected value
            and a basic bootstrap interval over images); see :mod:`linksim.perceptual`. Reported as
            ``fsimc``, ``feature_distance_<net>``, ``frechet_<net>``.
        feature_classifier: zoo classifier of the feature metrics.
        frechet_resamples: bootstrap resamples of the Frechet interval.
        channel: channel node ``{type: awgn}`` (the default), ``{type: rayleigh_block, ...}`` or
            ``{type: rician_block, k_factor_db: ...}`` (see :mod:`linksim.channels`); ``snr_db`` is then
            the average received Es/N0.
    """
    codecs: tuple = node(lambda: _registries()[0], None, many=True)
    name: str = "scenario"
    data: typing.Optional[str] = None
    images: typing.Optional[int] = bounded(None, lo=10)
    runs: int = bounded(5, lo=1, hi=1000)
    seed: int = bounded(0, lo=0, hi=2**31 - 1)
    snr_db: typing.Tuple[float, ...] = bounded((5.0,), lo=-30.0, hi=60.0)
    cpp: typing.Tuple[float, ...] = bounded((0.25,), lo=1e-3, hi=64.0, fractions=True)
    classifier: str = "resnet32"
    judges: typing.Tuple[str, ...] = ()
    compare: typing.Tuple[str, ...] = ()
    ssim: bool = True
    importance: typing.Any = node(lambda: _registries()[1])
    perceptual: typing.Tuple[str, ...] = bounded((), choices=PERCEPTUAL_METRICS)
    feature_classifier: str = "vgg8"
    frechet_resamples: int = bounded(100, lo=10, hi=10000)
    channel: typing.Any = node(lambda: _registries()[3])

    def __post_init__(self):
        if not self.codecs:
            raise ConfigError("missing key 'codecs'")
        labels = codec_labels(self.codecs)
        for item in self.compare:
            pair = tuple(part.strip() for part in item.split(" vs "))
            if len(pair) != 2 or not all(p in labels for p in pair) or pair[0] == pair[1]:
                raise ConfigError(f"'compare': {show(item)} must be 'a vs b' with two different codec labels "
                                  f"of this scenario: {', '.join(labels)}")
        if self.classifier in self.judges:
            raise ConfigError(f"'judges': {show(self.classifier)} is already the primary 'classifier'")

    judge_names = property(lambda self: judge_names(self), doc="The primary classifier, then the further judges.")
    compare_pairs = property(lambda self: compare_pairs(self), doc="``compare`` as ``(a, b)`` label pairs.")

    @property
    def channel_key(self):
        """The channel node of a point's key: None for AWGN (written or not)."""
        plain = to_plain(self.channel) if self.channel is not None else None
        return None if plain is None or plain == {"type": "awgn"} else plain

    @property
    def evaluation_key(self):
        """What the perceptual metrics of a point depend on (None when off)."""
        if not self.perceptual:
            return None
        key = [sorted(self.perceptual)]
        if uses_features(self.perceptual):
            key.append(self.feature_classifier)
        if "frechet" in self.perceptual:
            key.append(self.frechet_resamples)
        return key


def judge_names(scenario) -> tuple:
    """A scenario's primary ``classifier``, then its further ``judges``."""
    return (scenario.classifier,) + tuple(scenario.judges)


def compare_pairs(scenario) -> tuple:
    """A scenario's ``compare`` items ``"a vs b"`` as ``(a, b)`` pairs."""
    return tuple(tuple(part.strip() for part in item.split(" vs ")) for item in scenario.compare)


def _registries() -> tuple:
    """Every registry whose config objects appear in scenarios (codecs, importance maps, source codecs,
    channels)."""
    from .channels.base import CHANNELS
    from .codecs.source.base import SOURCES
    from .importance.base import IMPORTANCE_MAPS
    from .registry import CODECS
    return CODECS, IMPORTANCE_MAPS, SOURCES, CHANNELS


def codec_labels(codecs) -> list:
    """Output names of codec nodes, suffixed ``-k`` when one repeats.

    A node's name is its type, or what its config's ``label()`` method returns
    (a digital link names its source codec and its policy: ``bpg_ldpc``,
    ``qmap2021_adaptive``).
    """
    types = [c.label() if hasattr(c, "label") else to_plain(c)["type"] for c in codecs]
    return [t if types.count(t) == 1 else f"{t}-{types[:i + 1].count(t)}" for i, t in enumerate(types)]


def _set_dotted(tree: dict, dotted: str, value):
    """Set the item at a dotted path (list items by index); a path that is not there is a ConfigError naming it."""
    parts = dotted.split(".")
    if not all(parts):
        raise ConfigError(f"--set {_clip(dotted)}: a dotted key has no empty parts")
    node = tree
    for i, part in enumerate(parts):
        owner, last = _clip(".".join(parts[:i])), i == len(parts) - 1
        if isinstance(node, dict):
            if last:
                node[part] = value
            elif part not in node:
                raise ConfigError(f"--set {_clip(dotted)}: '{_clip('.'.join(parts[:i + 1]))}' does not exist")
            else:
                node = node[part]
        elif isinstance(node, list):
            if not part.isdecimal() or int(part) >= len(node):
                raise ConfigError(f"--set {_clip(dotted)}: '{owner}' has no item '{_clip(part)}' "
                                  f"(it has {len(node)})")
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        else:
            raise ConfigError(f"--set {_clip(dotted)}: '{owner}' is {show(node)}, not a mapping or a list")


def apply_overrides(raw: dict, overrides) -> dict:
    """Apply ``key=value`` strings (values parsed as YAML, keys dotted: ``codecs.1.chroma``)."""
    for item in overrides or ():
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set expects key=value, got {show(item)}")
        _set_dotted(raw, key, parse_yaml(text, f"--set {_clip(key)}"))
    return raw


def shipped_scenarios() -> list:
    """Names of the scenarios shipped in the package (``cifar_5db``, ``labs/cliff``, ...)."""
    from importlib import resources
    root = Path(str(resources.files("linksim.scenarios")))
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.yaml"))


def find_scenario(name: str) -> Path:
    """A scenario file: ``name`` itself if it exists, else the shipped scenario of that name (``.yaml``
    optional). Raises ConfigError listing the shipped names when neither exists."""
    from importlib import resources
    path = Path(name)
    if path.exists():
        return path
    root = Path(str(resources.files("linksim.scenarios")))
    for candidate in (root / name, root / f"{name}.yaml"):
        if candidate.is_file() and candidate.resolve().is_relative_to(root.resolve()):
            return candidate
    raise ConfigError(f"scenario file {name} does not exist, nor is it a shipped scenario "
                      f"({', '.join(shipped_scenarios())})")


def read_yaml(path) -> dict:
    """Read a scenario file through :func:`parse_yaml`; errors name the file."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"scenario file {path} is a directory, not a YAML file")
    if not path.exists():
        raise ConfigError(f"scenario file {path} does not exist")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)      # bounded: a device or a data file given by mistake
    except OSError as e:
        raise ConfigError(f"cannot read scenario file {path}: {e.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"scenario file {path} is larger than {MAX_FILE_BYTES} bytes; is it a scenario?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path} is not valid YAML: not UTF-8 text (byte {e.start})") from None
    raw = parse_yaml(text, str(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a scenario must be a mapping of keys, got {type(raw).__name__}")
    return raw


def load_scenario(path, overrides=(), values=None, codecs=None) -> Scenario:
    """Scenario from a YAML file, fully validated.

    Args:
        path: the YAML file.
        overrides: ``key=value`` strings (``--set``), values parsed as YAML.
        values: keys set verbatim before the overrides (``--data``, ``--runs``, ``--snr``, ...).
        codecs: labels or types (``--codecs``): the file's codecs of those labels, in that order, and a
            default node ``{type: name}`` for a name the file does not have.
    """
    raw = scenario_mapping(path, overrides, values)
    touched = overridden_keys(overrides) | set(values or ())
    labels_of = lambda nodes: codec_labels(tuple(_registries()[0].parse(c, f"codecs[{i}]")
                                                 for i, c in enumerate(nodes)))
    if codecs:
        raw["codecs"] = select_codecs(raw.get("codecs"), codecs, labels_of)
        touched.add("codecs")
    drop_stale_compare(raw, touched, labels_of)
    return from_mapping(Scenario, raw)


def overridden_keys(overrides) -> set:
    """The top-level keys ``--set key=value`` strings touch."""
    return {item.partition("=")[0].strip().split(".")[0] for item in overrides or ()}


def select_codecs(nodes, names, labels_of) -> list:
    """The codec nodes labelled ``names`` (in that order); a name no node has becomes ``{type: name}``."""
    nodes = nodes if isinstance(nodes, list) else []
    by_label = dict(zip(labels_of(nodes), nodes)) if nodes else {}
    return [by_label.get(name, {"type": name}) for name in names]


def parse_sweep(text: str, fractions: bool = False) -> list:
    """A command-line sweep: ``5``, ``0,5,10`` or ``start:stop:step`` (stop included), parts joined by commas;
    ``fractions``: numbers may be written ``1/8``. Raises ConfigError naming the part it cannot read."""
    values = []
    for part in (p.strip() for p in text.split(",")):
        pieces = [read_fractions(x) if fractions else x for x in part.split(":")]
        try:
            numbers = [float(x) for x in pieces]
        except ValueError:
            raise ConfigError(f"cannot read {show(part)} as a number or start:stop:step") from None
        if len(numbers) == 1:
            values.append(numbers[0])
        elif len(numbers) == 3 and numbers[2] > 0 and numbers[1] >= numbers[0]:
            count = int(math.floor((numbers[1] - numbers[0]) / numbers[2] + 1e-9)) + 1
            if count > MAX_VALUES:
                raise ConfigError(f"{show(part)} makes more than {MAX_VALUES} values")
            values += [round(numbers[0] + k * numbers[2], 12) for k in range(count)]
        else:
            raise ConfigError(f"{show(part)}: a range is start:stop:step with stop >= start and step > 0")
    return [int(v) if v.is_integer() else v for v in values]


def drop_stale_compare(raw: dict, touched: set, labels_of) -> None:
    """Drop, with a warning, the ``compare`` items naming codecs that the command line removed.

    ``touched``: the top-level keys the command line set; ``labels_of`` maps the raw codec list to its labels.
    A ``compare`` the file (or a ``--set compare``) gets wrong stays an error.
    """
    codecs = raw.get("codecs")
    if "codecs" not in touched or "compare" in touched or not isinstance(codecs, list) \
            or not isinstance(raw.get("compare"), list):
        return
    labels = set(labels_of(codecs))
    kept = []
    for item in raw["compare"]:
        pair = [part.strip() for part in item.split(" vs ")] if isinstance(item, str) else []
        if len(pair) == 2 and not set(pair) <= labels:
            warnings.warn(f"'compare': {show(item)} dropped: the command line's codecs have no "
                          f"{' or '.join(p for p in pair if p not in labels)}", LinksimWarning)
        else:
            kept.append(item)
    raw["compare"] = kept


def scenario_mapping(path, overrides=(), values=None) -> dict:
    """A scenario file's mapping as run: its ``name`` defaulting to the file's stem, ``values``, then ``overrides``."""
    raw = read_yaml(path)
    raw.setdefault("name", Path(path).stem)
    raw.update(values or {})
    return apply_overrides(raw, overrides)


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
