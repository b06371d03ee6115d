"""Measured BLER of the IEEE 802.11n codes over AWGN, for choosing a code and modulation.

The table (``linksim/resources/bler_80211n.json``) is built by
``benchmarks/make_bler_table.sh``: one ``linksim ber`` run per (code,
modulation), merged with ``python -m linksim.phy.bler_table merge DIR...
--out FILE``.

Lookup (:meth:`BlerTable.bler`) interpolates log10(BLER) linearly in Es/N0
(dB) between measured points, with these choices:

* a point with zero block errors counts as its one-sided 95% upper bound
  ``3/blocks`` (rule of three), never as 0;
* values are made non-increasing in SNR (running minimum), so Monte Carlo
  noise between neighbouring points cannot make more SNR look worse;
* below the first grid point the BLER is 1.0;
* above the last grid point it stays at that point's value: the table never
  promises fewer errors than were measured (a conservative choice for the
  adaptive codec, which then still pays a little for long streams).
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ConfigError

__all__ = ["BlerTable", "load_bler_table", "bler", "merge", "main"]

TABLE_RESOURCE = "bler_80211n.json"


class BlerTable:
    """BLER vs Es/N0 curves keyed by (code name, modulation).

    Parameters
    ----------
    doc : dict
        A table document: ``{"curves": {"CODE|MOD": [{"snr_db", "bler",
        "blocks", "block_errors"}, ...]}, ...metadata}``.

    ``bler(code, modulation, snr_db) -> float`` in [0, 1].
    """

    def __init__(self, doc: dict):
        self.doc = doc
        self._curves = {}
        for key, points in doc["curves"].items():
            pts = sorted(points, key=lambda p: p["snr_db"])
            snr = np.array([p["snr_db"] for p in pts], float)
            value = np.array([p["bler"] if p["block_errors"] > 0 else 3.0 / p["blocks"] for p in pts])
            self._curves[key] = (snr, np.log10(np.minimum.accumulate(value)))

    @property
    def keys(self) -> list:
        """``(code, modulation)`` pairs in the table."""
        return [tuple(k.split("|")) for k in self._curves]

    def bler(self, code: str, modulation: str, snr_db: float) -> float:
        """Interpolated BLER of ``code`` with ``modulation`` at Es/N0 ``snr_db`` dB (see module doc)."""
        return float(self.blers(code, modulation, np.array([snr_db]))[0])

    def blers(self, code: str, modulation: str, snr_db) -> np.ndarray:
        """:meth:`bler` at every Es/N0 of the array ``snr_db``."""
        key = f"{code}|{modulation}"
        if key not in self._curves:
            raise ConfigError(f"no BLER curve for code {code!r} with {modulation!r}; "
                              f"the table has {len(self._curves)} curves of 802.11n codes")
        snr, log_bler = self._curves[key]
        snr_db = np.asarray(snr_db, np.float64)
        return np.where(snr_db < snr[0], 1.0, 10.0 ** np.interp(snr_db, snr, log_bler))


@functools.lru_cache(maxsize=None)
def load_bler_table(path: str | None = None) -> BlerTable:
    """The shipped table, or the one at ``path``; cached."""
    if path is None:
        text = resources.files("linksim.resources").joinpath(TABLE_RESOURCE).read_text()
    else:
        text = Path(path).read_text()
    return BlerTable(json.loads(text))


def bler(code_name: str, modulation: str, snr_db: float) -> float:
    """BLER from the shipped table (see :meth:`BlerTable.bler`)."""
    return load_bler_table().bler(code_name, modulation, snr_db)


def merge(run_dirs, out, meta: dict | None = None) -> dict:
    """Merge ``DIR/ber.json`` of several ``linksim ber`` runs into one table document.

    ``meta`` (e.g. the building command and wall time) is stored under ``"build"``.
    """
    curves, runs = {}, []
    for d in run_dirs:
        path = Path(d) / "ber.json"
        if not path.is_file():
            raise ConfigError(f"{path} not found: run `linksim ber ... --out {d}` first")
        doc = json.loads(path.read_text())
        key = f"{doc['code']}|{doc['modulation']}"
        if key in curves:
            raise ConfigError(f"two runs for {key}: {path} and an earlier folder")
        curves[key] = [{k: p[k] for k in ("snr_db", "bler", "ber", "blocks", "block_errors")}
                       for p in doc["points"]]
        runs.append({"key": key, "iterations": doc.get("iterations"), "seed": doc.get("seed"),
                     "target_block_errors": doc.get("target_block_errors"),
                     "max_bits": doc.get("max_bits"), "wall_seconds": doc.get("wall_seconds")})
    table = {"description": "BLER vs Es/N0 (dB) over AWGN of IEEE 802.11n LDPC codes, "
                            "BP decoding, APP demapping; see linksim.phy.bler_table",
             "build": dict(meta or {}), "runs": runs, "curves": curves}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(table, indent=1) + "\n")
    return table


def main(argv=None) -> int:
    """``python -m linksim.phy.bler_table merge DIR... --out FILE [--command C] [--wall-seconds S]``."""
    p = argparse.ArgumentParser(prog="python -m linksim.phy.bler_table")
    sub = p.add_subparsers(dest="action", required=True)
    m = sub.add_parser("merge", help="merge linksim ber run folders into a BLER table")
    m.add_argument("dirs", nargs="+")
    m.add_argument("--out", required=True)
    m.add_argument("--command", help="the command that built the table (stored as metadata)")
    m.add_argument("--wall-seconds", type=float, help="its wall time (stored as metadata)")
    args = p.parse_args(argv)
    meta = {k: v for k, v in (("command", args.command), ("wall_seconds", args.wall_seconds))
            if v is not None}
    try:
        table = merge(args.dirs, args.out, meta)
    except ConfigError as e:
        print(f"bler_table: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {len(table['curves'])} curves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
