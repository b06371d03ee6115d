"""What verifying state read back from disk costs, as a share of a warm sweep (one process, one run).

    python benchmarks/verification_cost.py [scenarios/cifar_5db.yaml] [--data PATH] [--images N]

Runs the scenario once to fill a fresh encoding cache, then again into a new
output folder (every point recomputed, every encoding read back from the
cache: a warm sweep), timing inside that second run everything that checks
disk state: each cache row's digest (``row_digest``), the cache file's
integrity check (``PRAGMA quick_check`` on open) and the image cache's
checksum. Prints the verification seconds, the warm run's seconds and their
ratio.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


class Timed:
    """Wrap ``owner.name`` so that its calls' wall time is summed in ``seconds``."""

    def __init__(self, owner, name):
        self.owner, self.name, self.real, self.seconds, self.calls = owner, name, getattr(owner, name), 0.0, 0

    def __enter__(self):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return self.real(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1
        setattr(self.owner, self.name, timed)
        return self

    def __exit__(self, *exc):
        setattr(self.owner, self.name, self.real)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("scenario", nargs="?", default="scenarios/cifar_5db.yaml")
    p.add_argument("--data")
    p.add_argument("--images", type=int)
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="verification-cost-"))
    os.environ["LINKSIM_CACHE"] = str(tmp / "cache")
    from linksim import data as data_module
    from linksim.cli import main as linksim
    from linksim.codecs.source import cache as cache_module
    extra = (["--data", args.data] if args.data else []) + (["--images", str(args.images)] if args.images else [])
    assert linksim(["run", args.scenario, "--out", str(tmp / "cold"), "--quiet", *extra]) == 0
    from linksim.codecs import separate
    separate._CACHES.clear()                      # the warm run opens (and checks) the cache file afresh
    with Timed(cache_module, "row_digest") as rows, Timed(cache_module.EncodingCache, "_open") as opens, \
            Timed(data_module, "_arrays_digest") as images:
        t0 = time.perf_counter()
        assert linksim(["run", args.scenario, "--out", str(tmp / "warm"), "--quiet", *extra]) == 0
        warm = time.perf_counter() - t0
    checks = rows.seconds + opens.seconds + images.seconds
    print(f"warm run {warm:.1f} s; verification {checks:.3f} s = {100 * checks / warm:.2f}% "
          f"(row digests {rows.seconds:.3f} s over {rows.calls} calls, cache open + quick_check "
          f"{opens.seconds:.3f} s over {opens.calls}, image-cache checksum {images.seconds:.3f} s over "
          f"{images.calls})", file=sys.stderr)


if __name__ == "__main__":
    main()
