"""linksim: an end-to-end wireless link simulator for images.

Subcommands: ``run`` a scenario, ``rd`` source codecs without a channel, ``ber``
sweep a modulation/code, ``train`` a model, ``validate`` a scenario file,
``list`` what is available. Library code
raises :class:`~linksim.errors.LinksimError`; this module alone turns it into
one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shlex
import sys
import warnings
from pathlib import Path

from .errors import LinksimError, LinksimWarning
from .folders import default_out


def count_argument(lo: int = 1, hi: int | None = None):
    """An argparse type: an integer in ``lo..hi`` (also written like ``1e7``); its error names the range."""
    wanted = f"an integer from {lo} to {hi}" if hi is not None else f"an integer >= {lo}"

    def parse(text: str) -> int:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not value.is_integer() or value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text[:40]!r}")
        return int(value)
    return parse


_default_show_warning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, LinksimWarning):
        print(f"linksim: warning: {message}", file=sys.stderr, flush=True)
    else:
        _default_show_warning(message, category, filename, lineno, file, line)


def _scenario_from_args(args):
    from .config import load_scenario, overridden_keys, parse_sweep, read_yaml
    from .errors import ConfigError
    from .rd import is_rd_scenario
    if is_rd_scenario(read_yaml(args.scenario)):
        raise ConfigError(f"{args.scenario} is a rate-distortion scenario: run it with `linksim rd {args.scenario}`")
    values = {key: getattr(args, key) for key in ("images", "runs", "seed", "data")
              if getattr(args, key) is not None}
    if args.snr is not None:
        values["snr_db"] = parse_sweep(args.snr)
    if args.cpp is not None:
        values["cpp"] = parse_sweep(args.cpp, fractions=True)
    codecs = [c.strip() for c in args.codecs.split(",") if c.strip()] if args.codecs else None
    changes = {**values, "set": list(args.set or ()), "codecs": codecs}
    if any(changes.values()) and "name" not in overridden_keys(args.set):
        # a changed scenario gets its own default folder and title: it never overwrites the file's own run
        base = read_yaml(args.scenario).get("name") or Path(args.scenario).stem
        digest = hashlib.sha256(json.dumps(changes, sort_keys=True, default=str).encode()).hexdigest()[:8]
        values["name"] = f"{base}-{digest}"
    return load_scenario(args.scenario, args.set or (), values, codecs)


def _run(args) -> int:
    from .config import to_plain
    from .pipeline import run
    from .results import format_comparisons, format_table
    from .progress import for_stream
    scenario = _scenario_from_args(args)
    out = Path(args.out) if args.out else default_out(scenario.name)
    try:
        output = run(scenario, out, scenario_text=_scenario_text(args.scenario, to_plain(scenario)),
                     resume=args.resume, workers=args.workers, address=args.ray_address, threads=args.threads,
                     progress=for_stream(sys.stderr, args.quiet))
    except KeyboardInterrupt:
        saved = len(list((out / "points").glob("*.npz")))
        again = shlex.join(["python", "-m", "linksim", *args.argv] + ([] if args.resume else ["--resume"]))
        print(f"linksim: interrupted: {saved} finished grid points are saved in {out}/points; "
              f"`{again}` computes only the rest", file=sys.stderr)
        return 130
    print(format_table(output.doc["points"], output.doc["reference"]))
    if output.doc["comparisons"]:
        print(format_comparisons(output.doc["comparisons"]))
    print(f"results: {out}/results.json, results.csv, report.html, figures ({output.seconds:.1f} s)")
    return 0


def _rd(args) -> int:
    from .progress import for_stream
    from .rd import format_rd, load_rd_scenario, run_rd
    scenario = load_rd_scenario(args.scenario, args.set or (), _data_options(args))
    out = Path(args.out) if args.out else default_out(scenario.name)
    doc = run_rd(scenario, out, threads=args.threads, progress=for_stream(sys.stderr, args.quiet))
    print(format_rd(doc))
    print(f"results: {out}/rd.json, rd.png ({doc['provenance']['wall_seconds']:.1f} s)")
    return 0


def _jnd(args) -> int:
    from .jnd import format_jnd, load_jnd_scenario, run_jnd
    from .progress import for_stream
    from .sim import configure_threads
    values = {"data": args.data} if args.data else {}
    scenario = load_jnd_scenario(args.scenario, args.set or (), values)
    out = Path(args.out) if args.out else default_out(scenario.name)
    configure_threads(args.threads)
    doc = run_jnd(scenario, out, progress=for_stream(sys.stderr, args.quiet))
    print(format_jnd(doc))
    print(f"results: {out}/jnd.json, rca_vs_psnr.png, jnd_examples.png "
          f"({doc['provenance']['wall_seconds']:.1f} s)")
    return 0


def _scenario_text(path, resolved: dict) -> str:
    import yaml
    return (Path(path).read_text() + "\n# as run, with defaults and command-line options:\n"
            + yaml.safe_dump(resolved, sort_keys=False))


def _data_options(args) -> dict:
    return {key: getattr(args, key) for key in ("images", "data") if getattr(args, key, None) is not None}


def _validate(args) -> int:
    from .config import read_yaml
    from .pipeline import grid_size, preflight
    from .sim import build_codecs
    if "curves" in read_yaml(args.scenario):                   # a BER scenario (linksim ber)
        from .ber import validate_scenario
        scenario = validate_scenario(args.scenario)
        points = sum(len(c.snr_db or scenario.snr_db) for c in scenario.curves)
        print(f"{args.scenario}: ok (BER scenario: {len(scenario.curves)} curves, {points} points)")
        return 0
    from .jnd import is_jnd_scenario, load_jnd_scenario, load_network
    if is_jnd_scenario(read_yaml(args.scenario)):
        jnd = load_jnd_scenario(args.scenario, args.set or ())
        from . import zoo
        load_network(jnd.weights)
        for name in jnd.transfer:
            zoo.classifier_entry(name)
        print(f"{args.scenario}: ok (jnd scenario: {jnd.test_images} test and {jnd.train_images} training images)")
        return 0
    from .rd import is_rd_scenario, load_rd_scenario
    if is_rd_scenario(read_yaml(args.scenario)):
        from .rd import build_sources
        rd = load_rd_scenario(args.scenario, args.set or (), _data_options(args))
        preflight(rd)
        build_sources(rd)                                # weights and qualities fail here, not in `linksim rd`
        points = sum(c.point_count for c in rd.codecs)
        print(f"{args.scenario}: ok (rd scenario: {len(rd.codecs)} source codecs, {points} operating points)")
        return 0
    scenario = _scenario_from_args(args)
    preflight(scenario)
    build_codecs(scenario)
    print(f"{args.scenario}: ok ({len(scenario.codecs)} codecs x {len(scenario.snr_db)} SNR x "
          f"{len(scenario.cpp)} CPP = {grid_size(scenario)} points, {scenario.runs} runs each)")
    return 0


def _list(args) -> int:
    from . import zoo
    from .config import shipped_scenarios
    from .importance import IMPORTANCE_MAPS
    from .registry import CODECS
    from .codecs.source.base import SOURCES
    from .codecs.source.learned import strategies
    print("codecs:  " + ", ".join(CODECS.names()))
    print("source codecs (the digital links' source: node): " + ", ".join(SOURCES.names()))
    print("qmap strategies: " + ", ".join(strategies()))
    print("importance maps: " + ", ".join(IMPORTANCE_MAPS.names()))
    print("weights: " + ", ".join(f"{k} ({v['arch']}, {v['summary']})" for k, v in sorted(zoo.registry().items())))
    print("codes:   none, ldpc-80211n-{648,1296,1944}-r{12,23,34,56}, ldpc-5g-<n>-r{12,23,34,56}")
    print("modulations: bpsk, qpsk, qam16, qam64")
    print("scenarios (run by name, e.g. `linksim run cifar_5db`): " + ", ".join(shipped_scenarios()))
    return 0


def _print_now(message: str) -> None:
    print(message, flush=True)


#: ``linksim train MODEL``: (module, config class, trainer function, the command-line flags it takes).
TRAINERS = {"classifier": ("classifier", "ClassifierTrainConfig", "train_classifier", ("epochs", "seed", "arch")),
            "ar_jscc": ("jscc", "JSCCTrainConfig", "train_jscc", ("epochs", "seed")),
            "sp_jscc": ("jscc", "JSCCTrainConfig", "train_jscc", ("epochs", "seed", "classifier")),
            "allocator": ("allocator", "AllocatorTrainConfig", "train_allocator", ("epochs", "seed")),
            "qmap2021": ("qmap", "QmapTrainConfig", "train_qmap", ("epochs", "seed")),
            "hevrc": ("hevrc", "HevrcTrainConfig", "train_hevrc", ("epochs", "seed")),
            "dmv_jnd": ("jnd", "DmvJndTrainConfig", "train_dmv_jnd", ("epochs", "seed"))}


def train_plan(args):
    """``(trainer function, its config object)`` of ``linksim train`` arguments, every option checked.

    Raises:
        ConfigError: a flag the model does not take (``--arch`` for a JSCC network), or a bad ``--set``.
    """
    import importlib
    from .config import apply_overrides, from_mapping
    from .errors import ConfigError
    module, config_name, function, flags = TRAINERS[args.model]
    given = {key: getattr(args, key) for key in ("epochs", "seed", "arch", "classifier")
             if getattr(args, key, None) is not None}
    stray = [f"--{key}" for key in given if key not in flags]
    if stray:
        raise ConfigError(f"{', '.join(stray)} does not apply to `linksim train {args.model}`")
    if args.model in ("ar_jscc", "sp_jscc"):
        given["variant"] = args.model
    trainer = importlib.import_module(f".train.{module}", __package__)
    return getattr(trainer, function), from_mapping(getattr(trainer, config_name), apply_overrides(given, args.set))


def _train(args) -> int:
    train, cfg = train_plan(args)
    train(cfg, args.data, args.out, log=_print_now)
    return 0


def _add_scenario_args(p):
    p.add_argument("scenario", help="scenario YAML file, or a shipped scenario's name (`linksim list`)")
    p.add_argument("--data", help="CIFAR-10 root (image folders with test/, or cifar-10-batches-py); "
                                  "default: the scenario's data, $LINKSIM_DATA, or the embedded sample")
    p.add_argument("--images", type=int, help="number of images (N/10 per class, file order)")
    p.add_argument("--runs", type=int, help="independent channel realisations per point")
    p.add_argument("--seed", type=int, help="base seed")
    p.add_argument("--snr", metavar="SWEEP", help="Es/N0 values in dB: 5, 0,5,10 or 0:20:5 (stop included)")
    p.add_argument("--cpp", metavar="SWEEP", help="channel uses per pixel: 1/8,1/4 or 0.125:0.5:0.125")
    p.add_argument("--codecs", metavar="A,B", help="the scenario's codecs of these labels, in this order "
                                                    "(a name it does not have: that codec with its defaults)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a scenario key (YAML value; dotted keys, e.g. codecs.1.chroma=444)")


def _analysis_parser(sub, name: str, help: str, func, with_images: bool = False):
    """A subcommand that reads one scenario of its own kind and writes one output folder (``rd``, ``jnd``)."""
    p = sub.add_parser(name, help=help)
    p.add_argument("scenario", help=f"{name} scenario YAML file, or a shipped scenario's name")
    p.add_argument("--data", help="CIFAR-10 root (default: the scenario's data, $LINKSIM_DATA, or the embedded sample)")
    if with_images:
        p.add_argument("--images", type=int, help="number of images (N/10 per class, file order)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a scenario key")
    p.add_argument("--out", help="output folder (default runs/<scenario name>)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--threads", type=count_argument(1, 256), default=2, metavar="N",
                   help="TensorFlow threads (default 2)")
    p.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    p = argparse.ArgumentParser(prog="linksim", description=__doc__.split("\n\n")[0])
    p.add_argument("--version", action="version", version=f"linksim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario: every codec at every (SNR, CPP), R runs")
    _add_scenario_args(r)
    r.add_argument("--out", help="output folder (default runs/<scenario name>)")
    r.add_argument("--resume", action="store_true",
                   help="reuse the points an interrupted run of the same scenario left in --out")
    r.add_argument("--quiet", action="store_true", help="no progress (a bar on a terminal, plain lines elsewhere)")
    r.add_argument("--threads", type=count_argument(1, 256), default=2, metavar="N",
                   help="TensorFlow threads of the run and of each worker (default 2); numbers are "
                        "reproducible for a given count")
    r.add_argument("--workers", type=count_argument(1, 1024), metavar="N",
                   help="run the grid points on N Ray workers of a local cluster (needs linksim[ray])")
    r.add_argument("--ray-address", metavar="ADDR", help="run the grid points on this Ray cluster ('auto' = "
                                                        "the one `ray start` launched here)")
    r.set_defaults(func=_run)
    _analysis_parser(sub, "rd", "rate-distortion of source codecs without a channel: real bpp vs PSNR, SSIM, "
                     "accuracy; BD-rate", _rd, with_images=True)
    _analysis_parser(sub, "jnd", "DMV-JND analysis: RCA and PSNR of x + e, controls at equal energy, homogeneity, "
                     "transfer", _jnd)
    v = sub.add_parser("validate", help="check a scenario file without running it")
    _add_scenario_args(v)
    v.set_defaults(func=_validate)
    sub.add_parser("list", help="codecs, weights, codes, modulations").set_defaults(func=_list)
    from .ber import add_parser as add_ber_parser
    add_ber_parser(sub)
    t = sub.add_parser("train", help="train a model (resumable: rerun the same command)")
    t.add_argument("model", choices=["classifier", "ar_jscc", "sp_jscc", "allocator", "qmap2021", "hevrc",
                                     "dmv_jnd"],
                   help="allocator: adaptive rate control of a shipped JSCC network (--set jscc=NAME); "
                        "hevrc: HEVRC's stage 2 or 3 on the Qmap codec (--set stage=3 --set init=RUN); "
                        "dmv_jnd: DMV-JND-NET on four zoo classifiers (--set classifiers=[...])")
    t.add_argument("--data", help="CIFAR-10 root (image folders or cifar-10-batches-py)")
    t.add_argument("--out", required=True, help="run folder (checkpoints, log, weights)")
    t.add_argument("--arch", help="classifier only: architecture (default resnet20)")
    t.add_argument("--classifier", help="sp_jscc: zoo classifier of the SP weights")
    t.add_argument("--epochs", type=int, help="default 45 (classifier), 60 (JSCC), 14 (qmap2021), 3 (hevrc), "
                                                         "10 (dmv_jnd)")
    t.add_argument("--seed", type=int)
    t.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="any other training option (see the trainer's config class), e.g. rate_weight=0.003")
    t.set_defaults(func=_train)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        if getattr(args, "scenario", None):
            from .config import find_scenario
            args.scenario = str(find_scenario(args.scenario))
        with warnings.catch_warnings():
            warnings.simplefilter("always", LinksimWarning)
            warnings.showwarning = _show_warning
            return args.func(args)
    except LinksimError as e:
        print(f"linksim: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("linksim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
