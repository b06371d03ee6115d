"""BER/BLER Monte Carlo of a (modulation, channel code) pair over a channel, and ``linksim ber``.

One batch = binary source -> encode -> map -> channel at Es/N0 -> (zero-forcing
equalisation with the receiver's CSI under fading) -> APP demap -> decode ->
error counts, all inside one XLA-compiled ``tf.function`` per (code,
modulation, channel, batch size); the Python loop only adds counts and checks
the stopping rule. The channel is AWGN, or Rayleigh / Rician block fading
(:mod:`linksim.channels.fading`) with a fade per codeword or per
``coherence_symbols`` symbols (a fading channel written without a
``coherence`` fades per symbol here: ``linksim ber`` has no images).

Intervals are over codewords: a codeword's bits share its fades (and its
decoder's fate), so they are not independent trials. BER's 95% interval is a
normal one over the codewords' error fractions, BLER's a Wilson interval.  Each SNR point reseeds Sionna's global generator
(``sionna.config.seed``) from ``(seed, snr_db)``, so a point's numbers do not
depend on the other points of the sweep, and the same command gives the
same numbers.

TensorFlow and Sionna are imported lazily: the CLI builds this parser even
for subcommands that never simulate.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import time
import typing
from dataclasses import dataclass
from pathlib import Path

from . import metrics
from .config import bounded
from .errors import ConfigError

__all__ = ["simulate", "sweep", "plot", "plot_curves", "add_parser", "run", "default_batch_blocks",
           "BerCurve", "BerScenario"]

MODULATION_NAMES = ("bpsk", "qpsk", "qam16", "qam64")
# Work of one compiled call, in codeword bits x BP iterations: about 0.1-0.5 s
# on two busy cores (measured: 154 blocks of ldpc-80211n-1944-r34 at 16-QAM).
_WORK_PER_CALL = 6_000_000


def default_batch_blocks(code, iterations: int) -> int:
    """Blocks per compiled call, from the code size alone (so results never depend on timing)."""
    per_block = code.n * (iterations if code.name != "none" else 1)
    return max(1, _WORK_PER_CALL // per_block)


def _point_seed(seed: int, snr_db: float) -> int:
    digest = hashlib.sha256(f"linksim-ber|{int(seed)}|{float(snr_db)!r}".encode()).hexdigest()
    return int(digest[:15], 16)


@dataclass(frozen=True)
class BerCurve:
    """One curve of a BER scenario.

    Attributes:
        modulation: ``bpsk``, ``qpsk``, ``qam16`` or ``qam64``.
        code: ``none`` or a :func:`~linksim.phy.ldpc.make_code` name.
        snr_db: Es/N0 points of this curve (default: the scenario's).
    """
    modulation: str = bounded("qam16", choices=MODULATION_NAMES)
    code: str = "none"
    snr_db: typing.Optional[typing.Tuple[float, ...]] = bounded(None, lo=-30.0, hi=60.0)

    @property
    def label(self) -> str:
        return f"{self.modulation}_{self.code}"


def _awgn_config():
    from .channels import AWGNConfig
    return AWGNConfig()


@dataclass(frozen=True)
class BerScenario:
    """A set of BER/BLER curves run by ``linksim ber SCENARIO --out DIR``.

    Attributes:
        curves: the (modulation, code) curves.
        channel: ``{type: awgn}`` (default), ``{type: rayleigh_block, ...}`` or ``{type: rician_block, ...}``.
        snr_db: default Es/N0 points, dB (the average received SNR under fading).
        iterations, target_block_errors, max_bits, seed: as in :func:`simulate`.
    """
    curves: typing.Tuple[BerCurve, ...]
    channel: typing.Any = None
    name: str = "ber"
    snr_db: typing.Tuple[float, ...] = bounded((0.0,), lo=-30.0, hi=60.0)
    iterations: int = bounded(20, lo=1, hi=1000)
    target_block_errors: int = bounded(100, lo=1)
    max_bits: int = bounded(10 ** 7, lo=1)
    seed: int = bounded(0, lo=0, hi=2 ** 31 - 1)


def ber_channel(spec=None):
    """The channel config of a BER sweep from a ``{type: ..., ...}`` mapping or a bare type name (None:
    AWGN). A fading channel written without a ``coherence`` fades per symbol: rows are codewords, and
    there is no image to fade with.

    Raises:
        ConfigError: an unknown type or option, or ``coherence: per_image``.
    """
    from .channels import CHANNELS
    if spec is None:
        return _awgn_config()
    spec = {"type": spec} if isinstance(spec, str) else dict(spec)
    if spec.get("type") in ("rayleigh_block", "rician_block"):
        spec.setdefault("coherence", "symbols")
    config = CHANNELS.parse(spec, "channel")
    if getattr(config, "coherence", None) == "per_image":
        raise ConfigError("channel: `linksim ber` sends codewords, not images: use coherence per_codeword or "
                          "symbols (with coherence_symbols)")
    return config


@functools.lru_cache(maxsize=None)
def _batch_fn(code, modulation, channel_config):
    """Compiled ``(batch_blocks, snr_db) -> (bit_errors, block_errors, sum over blocks of squared error
    fractions)`` for one code, modulation and channel."""
    import tensorflow as tf
    from sionna.utils import BinarySource
    from .channels import CHANNELS, blocks_of, equalise, n_blocks, snr_db_to_no

    if code.n % modulation.bits_per_symbol:
        raise ConfigError(f"code {code.name} (n={code.n}) does not fill whole {modulation.name} symbols")
    source, channel = BinarySource(), CHANNELS.build(channel_config)
    n_symbols = code.n // modulation.bits_per_symbol
    if channel.fading:
        layout = (n_symbols, channel_config.coherence, channel_config.coherence_symbols, n_symbols)
        block, width = tf.constant(blocks_of(*layout)), n_blocks(*layout)

    @tf.function(jit_compile=True)
    def run_batch(batch_blocks, snr_db):
        u = source([batch_blocks, code.k])
        x = modulation.map(code.encode(u))
        if channel.fading:
            received = channel(x, snr_db, block, channel.draw_gains(batch_blocks, width))
            y, no = equalise(received.symbols, received.gain, snr_db)
        else:
            y, no = channel(x, snr_db).symbols, snr_db_to_no(snr_db)
        u_hat, _ = code.decode(modulation.demap(y, no))
        wrong = tf.cast(tf.not_equal(u, u_hat), tf.int64)
        per_block = tf.reduce_sum(wrong, axis=-1)
        fraction = tf.cast(per_block, tf.float64) / code.k
        return (tf.reduce_sum(per_block), tf.reduce_sum(tf.cast(per_block > 0, tf.int64)),
                tf.reduce_sum(fraction ** 2))

    return run_batch


def _resolve(modulation, code, iterations):
    from .phy.ldpc import make_code
    if isinstance(modulation, str):
        modulation = _modulation(modulation)
    if isinstance(code, str):
        code = make_code(code, iterations=iterations)
    return modulation, code


@functools.lru_cache(maxsize=None)
def _modulation(name):
    from .phy.modulation import Modulation
    return Modulation(name)


def simulate(modulation, code, snr_db, *, iterations: int = 20, target_block_errors: int = 100,
             max_bits: int = 10 ** 7, batch_blocks: int | None = None, seed: int = 0, channel=None) -> dict:
    """Monte Carlo BER/BLER at one Es/N0 (the average received SNR under fading).

    Parameters
    ----------
    modulation : str or Modulation
        ``bpsk``, ``qpsk``, ``qam16`` or ``qam64``.
    code : str or BlockCode
        A :func:`~linksim.phy.ldpc.make_code` name (``none`` = uncoded blocks of 960 bits).
    snr_db : float
        Es/N0 in dB; returned unchanged in ``snr_db``.
    iterations : int
        BP iterations (used when ``code`` is a name).
    target_block_errors, max_bits : int
        Stop after the batch at which block errors reach the target or the
        information bits simulated reach ``max_bits``, whichever first.
    batch_blocks : int or None
        Codewords per compiled call; None = :func:`default_batch_blocks`,
        capped so one batch is not larger than ``max_bits``.
    seed : int
        Sets ``sionna.config.seed`` from ``(seed, snr_db)`` before simulating (noise and fades).
    channel : channel config or None
        Of :func:`ber_channel` (None: AWGN).

    Returns
    -------
    dict with ``snr_db, ber, bler, bits, bit_errors, blocks, block_errors`` (bits = information bits
    simulated; blocks = codewords) and the 95% intervals ``ber_ci95``, ``bler_ci95`` (low, high) over
    codewords.
    """
    import sionna
    import tensorflow as tf

    for key, value in (("iterations", iterations), ("target_block_errors", target_block_errors),
                       ("max_bits", max_bits)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{key} must be a positive integer, got {value!r}")
    modulation, code = _resolve(modulation, code, iterations)
    if batch_blocks is None:
        batch_blocks = min(default_batch_blocks(code, iterations), -(-max_bits // code.k))
    if isinstance(batch_blocks, bool) or not isinstance(batch_blocks, int) or batch_blocks < 1:
        raise ConfigError(f"batch_blocks must be a positive integer, got {batch_blocks!r}")
    run_batch = _batch_fn(code, modulation, channel if channel is not None else _awgn_config())
    sionna.config.seed = _point_seed(seed, snr_db)
    snr = tf.constant(float(snr_db), tf.float32)
    bits = bit_errors = blocks = block_errors = 0
    squares = 0.0
    while block_errors < target_block_errors and bits < max_bits:
        be, ble, sq = run_batch(batch_blocks, snr)
        bit_errors += int(be)
        block_errors += int(ble)
        squares += float(sq)
        blocks += batch_blocks
        bits += batch_blocks * code.k
    return {"snr_db": snr_db, "ber": bit_errors / bits, "bler": block_errors / blocks,
            "bits": bits, "bit_errors": bit_errors, "blocks": blocks, "block_errors": block_errors,
            "ber_ci95": _ber_interval(bit_errors / bits, squares, blocks),
            "bler_ci95": list(metrics.wilson_interval(block_errors / blocks, blocks))}


def _ber_interval(ber: float, squares: float, blocks: int) -> list:
    """Normal 95% interval of the mean of the codewords' error fractions (mean ``ber``, sum of squares
    ``squares``), clipped to [0, 1]; with no error, the rule-of-three bound ``[0, 3 / blocks]`` of a
    codeword-level event stands in."""
    if ber == 0:
        return [0.0, 3.0 / blocks]
    variance = max(squares / blocks - ber * ber, 0.0) * blocks / max(blocks - 1, 1)
    half = metrics.Z95 * math.sqrt(variance / blocks)
    return [max(ber - half, 0.0), min(ber + half, 1.0)]


def sweep(modulation: str, code: str, snr_dbs, *, iterations: int = 20, target_block_errors: int = 100,
          max_bits: int = 10 ** 7, seed: int = 0, progress=None, channel=None) -> dict:
    """:func:`simulate` at each SNR -> ``{"modulation", "code", "rate", "iterations", "channel", "points"}``.

    ``progress``, if given, is called with each point dict as it is done.
    """
    points = []
    for snr in snr_dbs:
        point = simulate(modulation, code, snr, iterations=iterations,
                         target_block_errors=target_block_errors, max_bits=max_bits, seed=seed, channel=channel)
        points.append(point)
        if progress is not None:
            progress(point)
    from .config import to_plain
    channel = channel if channel is not None else _awgn_config()
    return {"modulation": modulation, "code": code, "rate": _resolve(modulation, code, iterations)[1].rate,
            "iterations": iterations, "channel": to_plain(channel), "points": points}


def _channel_text(doc: dict) -> str:
    """``AWGN`` or e.g. ``Rayleigh, fade per symbol, perfect CSI`` for titles and legends."""
    channel = doc.get("channel") or {"type": "awgn"}
    if channel["type"] == "awgn":
        return "AWGN"
    kind = "Rayleigh" if channel["type"] == "rayleigh_block" else f"Rician K={channel['k_factor_db']:g} dB"
    span = ("fade per codeword" if channel["coherence"] == "per_codeword" else "fade per symbol"
            if channel["coherence_symbols"] == 1 else f"fade per {channel['coherence_symbols']} symbols")
    csi = "perfect CSI" if channel["csi"] == "perfect" else f"CSI from {channel['pilots']} pilots"
    return f"{kind}, {span}, {csi}"


def closed_form_ber(doc: dict, snr_db):
    """The uncoded slicer BER of a curve's modulation over its channel (any coherence: a bit's marginal
    error probability does not depend on how long a fade lasts), or None where there is none (estimated
    CSI)."""
    from .phy.theory import rayleigh_ber, rician_ber, uncoded_ber
    channel = doc.get("channel") or {"type": "awgn"}
    if channel["type"] == "awgn":
        return uncoded_ber(doc["modulation"], snr_db)
    if channel["csi"] != "perfect":
        return None
    if channel["type"] == "rayleigh_block":
        return rayleigh_ber(doc["modulation"], snr_db)
    return rician_ber(doc["modulation"], snr_db, 10.0 ** (channel["k_factor_db"] / 10.0))


def plot(doc: dict, path_png) -> None:
    """Semi-log BER and BLER vs Es/N0 of a :func:`sweep` document, saved as PNG and PDF.

    Points with no errors have no place on a log axis; they are drawn as
    open triangles at their 95% upper bound (3/blocks: over codewords).
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from .plots import save_figure

    pts = doc["points"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, count, label, style, color in (("ber", "bits", "BER", "o-", "C0"),
                                            ("bler", "blocks", "BLER", "s-", "C1")):
        measured = [(p["snr_db"], p[key]) for p in pts if p[key] > 0]
        if measured:
            ax.semilogy(*zip(*measured), style, color=color, label=label)
        zero = [(p["snr_db"], p[f"{key}_ci95"][1] if f"{key}_ci95" in p else 3.0 / p[count])
                for p in pts if p[key] == 0]
        if zero:
            ax.semilogy(*zip(*zero), "v", color=color, mfc="none", label=f"{label}: no errors (95% bound)")
    ax.set_xlabel("Es/N0 (dB)")
    ax.set_ylabel("error rate")
    ax.set_title(f"{doc['code']}, {doc['modulation']}, {doc.get('iterations', '?')} BP iterations, "
                 f"{_channel_text(doc)}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path_png)


def plot_curves(docs: list, path_png) -> None:
    """Every curve of a BER scenario on one semi-log axis: BER solid, BLER dashed (coded curves),
    the closed-form slicer BER of each uncoded modulation dotted black, and at each coded curve's
    spectral efficiency (rate x bits per symbol) the Shannon limit as a dotted vertical line of its colour."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from .phy.modulation import MODULATIONS
    from .phy.theory import shannon_limit_db
    from .plots import save_figure

    fig, ax = plt.subplots(figsize=(10, 5))
    for i, doc in enumerate(docs):
        colour = plt.cm.tab10(i % 10)
        label = f"{doc['modulation']} {doc['code']}"
        for key, style, name in (("ber", "o-", "BER"), ("bler", "s--", "BLER")):
            if key == "bler" and doc["code"] == "none":
                continue
            measured = [(p["snr_db"], p[key]) for p in doc["points"] if p[key] > 0]
            if measured:
                ax.semilogy(*zip(*measured), style, color=colour, ms=3, lw=1.2, label=f"{label} {name}")
        if doc["code"] == "none":
            snrs = [p["snr_db"] for p in doc["points"]]
            grid = np.linspace(min(snrs), max(snrs), 200)
            theory = closed_form_ber(doc, grid)
            if theory is not None:
                ax.semilogy(grid, theory, ":", color="black", lw=1, label=f"{doc['modulation']} closed form")
        elif "rate" in doc and _channel_text(doc) == "AWGN":
            efficiency = doc["rate"] * MODULATIONS[doc["modulation"]]
            ax.axvline(shannon_limit_db(efficiency), ls=":", color=colour, lw=1,
                       label=f"Shannon limit, {efficiency:.3g} bit/symbol")
    ax.set_xlabel("average Es/N0 (dB)" if _channel_text(docs[0]) != "AWGN" else "Es/N0 (dB)")
    ax.set_ylabel("error rate")
    ax.set_title(_channel_text(docs[0]), fontsize=9)
    ax.set_ylim(bottom=1e-6)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)   # beside: hides no curve
    fig.tight_layout()
    save_figure(fig, path_png)


def _snr_value(text: str):
    """argparse type: a float, kept as int when integral so JSON echoes ``6`` as ``6``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return int(value) if value.is_integer() else value


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``ber`` subcommand on an argparse subparsers object."""
    from .cli import count_argument
    _count = count_argument(1)
    p = subparsers.add_parser("ber", help="BER/BLER Monte Carlo sweep of a modulation and code over a channel",
                              description="BER/BLER vs Es/N0 over AWGN or block fading: of one modulation and "
                                          "channel code "
                                          "(writes OUT/ber.json and OUT/ber.png), or of every curve of a "
                                          "BER scenario file (writes OUT/<curve>/ber.json and OUT/ber.png).")
    p.add_argument("scenario", nargs="?", help="BER scenario YAML (curves of modulation x code)")
    p.add_argument("--modulation", choices=MODULATION_NAMES)
    p.add_argument("--code", help="none | ldpc-80211n-{648,1296,1944}-r{12,23,34,56} | ldpc-5g-N-r{12,23,34,56}")
    p.add_argument("--snr-db", nargs="+", type=_snr_value, metavar="S", help="Es/N0 points in dB")
    p.add_argument("--iterations", type=_count, help="BP iterations (default 20; overrides a scenario's)")
    p.add_argument("--target-block-errors", type=_count,
                   help="stop a point at this many block errors (default 100; overrides a scenario's)")
    p.add_argument("--max-bits", type=_count,
                   help="or at this many information bits (default 1e7; overrides a scenario's)")
    p.add_argument("--seed", type=int, help="noise and fading seed (default 0; overrides a scenario's)")
    p.add_argument("--channel", type=_channel_node, metavar="CHANNEL",
                   help="awgn (default), rayleigh_block or rician_block, or a YAML mapping such as "
                        "'{type: rician_block, k_factor_db: 6, coherence: per_codeword}' (fading without a "
                        "coherence: a fade per symbol; overrides a scenario's)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)
    return p


def _channel_node(text: str):
    """argparse type: a channel name or a YAML flow mapping (checked by :func:`ber_channel` at run time)."""
    import yaml
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise argparse.ArgumentTypeError(f"not a channel name or YAML mapping: {text!r} ({exc})") from None
    if not isinstance(value, (str, dict)):
        raise argparse.ArgumentTypeError(f"expected a channel name or a mapping, got {text!r}")
    return value


def _print_header():
    print(f"{'Es/N0 dB':>9} {'BER':>10} {'BLER':>10} {'bits':>11} {'bit err':>9} {'blocks':>8} {'blk err':>8}",
          flush=True)


def _show(p):
    print(f"{p['snr_db']:>9g} {p['ber']:>10.3e} {p['bler']:>10.3e} {p['bits']:>11d} "
          f"{p['bit_errors']:>9d} {p['blocks']:>8d} {p['block_errors']:>8d}", flush=True)


def _run_curve(modulation, code, snr_dbs, out: Path, *, iterations, target_block_errors, max_bits, seed,
               channel=None) -> dict:
    """Sweep one curve and write ``out/ber.json`` and ``out/ber.png``."""
    t0 = time.time()
    _print_header()
    doc = sweep(modulation, code, snr_dbs, iterations=iterations, target_block_errors=target_block_errors,
                max_bits=max_bits, seed=seed, progress=_show, channel=channel)
    doc.update(seed=seed, target_block_errors=target_block_errors, max_bits=max_bits,
               wall_seconds=round(time.time() - t0, 1))
    out.mkdir(parents=True, exist_ok=True)
    (out / "ber.json").write_text(json.dumps(doc, indent=1) + "\n")
    plot(doc, out / "ber.png")
    return doc


#: The sweep options a ``ber`` command line may set, with their defaults.
SWEEP_OPTIONS = {"iterations": 20, "target_block_errors": 100, "max_bits": 10 ** 7, "seed": 0}


def validate_scenario(path, overrides: dict = None) -> BerScenario:
    """Read a BER scenario file (``overrides``: sweep options and ``channel`` that replace its own) and check
    that every curve's code and modulation exist and fit."""
    import dataclasses
    from .config import from_mapping, read_yaml
    mapping = {**read_yaml(path), **(overrides or {})}
    channel = ber_channel(mapping.pop("channel", None))
    scenario = dataclasses.replace(from_mapping(BerScenario, mapping), channel=channel)
    for curve in scenario.curves:
        modulation, code = _resolve(curve.modulation, curve.code, scenario.iterations)
        if code.n % modulation.bits_per_symbol:
            raise ConfigError(f"curve {curve.label}: n={code.n} does not fill whole {curve.modulation} symbols")
    return scenario


def run(args) -> int:
    """Run a ``ber`` command: one curve from the flags, or every curve of a scenario file."""
    from .folders import run_lock
    with run_lock(args.out):
        return _run(args, Path(args.out))


def _run(args, out: Path) -> int:
    given = {k: getattr(args, k) for k in SWEEP_OPTIONS if getattr(args, k) is not None}
    if args.scenario is None:
        missing = [f"--{k.replace('_', '-')}" for k in ("modulation", "code", "snr_db") if getattr(args, k) is None]
        if missing:
            raise ConfigError(f"linksim ber needs a scenario file or {', '.join(missing)}")
        doc = _run_curve(args.modulation, args.code, args.snr_db, out, **{**SWEEP_OPTIONS, **given},
                         channel=ber_channel(args.channel))
        print(f"wrote {out / 'ber.json'} and {out / 'ber.png'} ({doc['wall_seconds']} s)", flush=True)
        return 0
    curve_flags = [f"--{k.replace('_', '-')}" for k in ("modulation", "code", "snr_db")
                   if getattr(args, k) is not None]
    if curve_flags:
        raise ConfigError(f"{', '.join(curve_flags)} cannot be combined with a scenario file; put them in the file")
    scenario = validate_scenario(args.scenario, {**given, **({"channel": args.channel} if args.channel else {})})
    docs = []
    for curve in scenario.curves:
        print(f"{curve.label}:", flush=True)
        docs.append(_run_curve(curve.modulation, curve.code, curve.snr_db or scenario.snr_db, out / curve.label,
                               iterations=scenario.iterations, target_block_errors=scenario.target_block_errors,
                               max_bits=scenario.max_bits, seed=scenario.seed, channel=scenario.channel))
    plot_curves(docs, out / "ber.png")
    print(f"wrote {len(docs)} curves to {out}/<curve>/ber.json and {out / 'ber.png'}", flush=True)
    return 0
