"""BER-loop throughput of ``linksim.ber.simulate`` vs a plain Sionna loop, and 5G vs 802.11n LDPC.

Part ``throughput``: the same code (ldpc-80211n-1944-r34), modulation
(16-QAM), SNRs and number of codewords through

* ``linksim.ber.simulate`` (one XLA-compiled step per batch, counts in-graph);
* a plain Sionna loop as the tutorials write it: a Keras model whose
  ``tf.function`` call runs BinarySource -> encoder -> Mapper -> AWGN ->
  Demapper -> LDPCBPDecoder, and a Python loop adding up ``compute_ber``.
  Its encoder is linksim's systematic 802.11n encoder, because Sionna's
  ``LinearEncoder`` gives non-codewords for this k (see linksim.phy.ldpc);
  it is also timed with ``jit_compile=True`` for reference.

Each loop is warmed up (trace/compile) once, outside the timing.

Part ``5g``: 16-QAM BLER curves of ``ldpc-80211n-1944-r34`` and
``ldpc-5g-1944-r34`` and the Es/N0 where each crosses BLER 1e-2.

Writes ``benchmarks/results/ber_throughput.md`` and
``benchmarks/results/ldpc_5g_vs_80211n.md``.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CODE, MODULATION = "ldpc-80211n-1944-r34", "qam16"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (nproc), {model}, Python {platform.python_version()}"


def plain_sionna_loop(code, snr_db: float, batch: int, n_batches: int, jit: bool):
    """Tutorial-style loop; returns (info bits, bit errors, seconds without the warm-up call)."""
    import tensorflow as tf
    from sionna.channel import AWGN
    from sionna.fec.ldpc import LDPCBPDecoder
    from sionna.mapping import Demapper, Mapper
    from sionna.utils import BinarySource, compute_ber, ebnodb2no

    class Model(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.source = BinarySource()
            self.mapper = Mapper("qam", 4)
            self.channel = AWGN()
            self.demapper = Demapper("app", "qam", 4)
            self.decoder = LDPCBPDecoder(code.pcm, num_iter=20, hard_out=True)

        @tf.function(jit_compile=jit)
        def call(self, batch_size, snr):
            no = ebnodb2no(snr, num_bits_per_symbol=1, coderate=1.0)  # = Es/N0 convention
            u = self.source([batch_size, code.k])
            x = self.mapper(code.encode(u))
            y = self.channel([x, no])
            u_hat = self.decoder(self.demapper([y, no]))[:, :code.k]
            return u, u_hat

    model = Model()
    snr = tf.constant(snr_db, tf.float32)
    model(batch, snr)  # warm-up: trace (and compile)
    errors = 0.0
    t0 = time.perf_counter()
    for _ in range(n_batches):
        u, u_hat = model(batch, snr)
        errors += float(compute_ber(u, u_hat)) * batch * code.k
    return n_batches * batch * code.k, int(round(errors)), time.perf_counter() - t0


def linksim_loop(code_name: str, snr_db: float, batch: int, n_batches: int):
    """``linksim.ber.simulate`` for exactly ``n_batches`` batches; (bits, bit errors, seconds)."""
    from linksim import ber
    from linksim.phy.ldpc import make_code
    k = make_code(code_name).k
    ber.simulate(MODULATION, code_name, snr_db, target_block_errors=10 ** 12, max_bits=batch * k,
                 batch_blocks=batch)  # warm-up: trace and compile
    t0 = time.perf_counter()
    r = ber.simulate(MODULATION, code_name, snr_db, target_block_errors=10 ** 12,
                     max_bits=n_batches * batch * k, batch_blocks=batch)
    return r["bits"], r["bit_errors"], time.perf_counter() - t0


def throughput(args, command: str) -> None:
    from linksim.ber import default_batch_blocks
    from linksim.phy.ldpc import make_code
    code = make_code(CODE)
    batch = default_batch_blocks(code, 20)
    rows = []
    totals = {"linksim": [0, 0.0], "plain": [0, 0.0], "plain_xla": [0, 0.0]}
    for snr in args.snr_db:
        for label, fn in (("linksim", lambda: linksim_loop(CODE, snr, batch, args.batches)),
                          ("plain", lambda: plain_sionna_loop(code, snr, batch, args.batches, False)),
                          ("plain_xla", lambda: plain_sionna_loop(code, snr, batch, args.batches, True))):
            bits, errors, seconds = fn()
            totals[label][0] += bits
            totals[label][1] += seconds
            rows.append((snr, label, bits, errors, seconds, bits / seconds))
            print(f"{snr:6.2f} dB {label:10s} {bits:9d} bits {errors:7d} errors {seconds:7.2f} s "
                  f"{bits / seconds:12.0f} info bits/s", flush=True)
    rate = {k: v[0] / v[1] for k, v in totals.items()}
    ratio, ratio_xla = rate["linksim"] / rate["plain"], rate["linksim"] / rate["plain_xla"]
    print(f"linksim / plain Sionna (graph) = {ratio:.2f}; linksim / plain Sionna (XLA) = {ratio_xla:.2f}")
    lines = [
        "# BER-loop throughput: linksim.ber.simulate vs a plain Sionna loop", "",
        f"Command: `{command}`", "",
        f"Machine: {machine()}; shared with other jobs while measured "
        f"(load average at start {os.getloadavg()[0]:.1f}).", "",
        f"Code {CODE}, {MODULATION}, 20 BP iterations, {batch} codewords per batch, "
        f"{args.batches} batches per SNR and loop; warm-up (trace/compile) excluded.", "",
        "| Es/N0 (dB) | loop | info bits | bit errors | seconds | info bits/s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {s:g} | {lbl} | {b} | {e} | {t:.2f} | {b / t:,.0f} |" for s, lbl, b, e, t, _ in rows]
    lines += ["", f"Overall: linksim {rate['linksim']:,.0f} info bits/s, plain Sionna loop (tf.function graph) "
                  f"{rate['plain']:,.0f}, plain Sionna loop with jit_compile {rate['plain_xla']:,.0f}.", "",
              f"**Ratio linksim / plain (graph) = {ratio:.2f}** (goal >= 1.0); "
              f"linksim / plain (XLA) = {ratio_xla:.2f}.", "",
              "Loops: `plain` is a Keras model with a `tf.function` call (BinarySource, encoder, Mapper, AWGN, "
              "Demapper, LDPCBPDecoder) and a Python loop over `compute_ber`; `linksim` compiles the whole "
              "batch with XLA and counts errors in-graph. Both use linksim's systematic 802.11n encoder "
              "(Sionna's LinearEncoder gives non-codewords for k = 1458 on this TF build).", ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ber_throughput.md").write_text("\n".join(lines))


def crossing(points, level: float):
    """Es/N0 where BLER crosses ``level``, log-BLER interpolated linearly; None if not bracketed."""
    for a, b in zip(points, points[1:]):
        if a["bler"] >= level > b["bler"]:
            if b["bler"] == 0:
                return None
            la, lb = math.log10(a["bler"]), math.log10(b["bler"])
            return a["snr_db"] + (math.log10(level) - la) / (lb - la) * (b["snr_db"] - a["snr_db"])
    return None


def compare_5g(args, command: str) -> None:
    from linksim import ber
    from linksim.phy.ldpc import make_code
    grid = [round(args.grid[0] + i * args.grid[2], 3)
            for i in range(int(round((args.grid[1] - args.grid[0]) / args.grid[2])) + 1)]
    curves = {}
    for name in (CODE, "ldpc-5g-1944-r34"):
        k = make_code(name).k
        t0 = time.time()
        curves[name] = [ber.simulate(MODULATION, name, s, target_block_errors=args.target_block_errors,
                                     max_bits=args.max_blocks * k, seed=0) for s in grid]
        print(name, f"{time.time() - t0:.0f} s", [(p["snr_db"], p["bler"]) for p in curves[name]], flush=True)
    cross = {name: crossing(pts, 1e-2) for name, pts in curves.items()}
    lines = ["# 16-QAM BLER: IEEE 802.11n vs 5G NR LDPC, n = 1944, rate 3/4", "",
             f"Command: `{command}`", "", f"Machine: {machine()}.", "",
             f"AWGN, APP demapping, 20 BP iterations (boxplus-phi) for both; per point until "
             f"{args.target_block_errors} block errors or {args.max_blocks} codewords; seed 0.", "",
             "| Es/N0 (dB) | " + " | ".join(f"BLER {n} (errors/blocks)" for n in curves) + " |",
             "|---:|" + "---:|" * len(curves)]
    for i, s in enumerate(grid):
        cells = [f"{c[i]['bler']:.2e} ({c[i]['block_errors']}/{c[i]['blocks']})" for c in curves.values()]
        lines.append(f"| {s:g} | " + " | ".join(cells) + " |")
    lines.append("")
    for name, x in cross.items():
        lines.append(f"- {name}: BLER 1e-2 at Es/N0 = {x:.2f} dB" if x is not None
                     else f"- {name}: BLER 1e-2 not bracketed by the grid")
    if all(x is not None for x in cross.values()):
        gap = cross["ldpc-5g-1944-r34"] - cross[CODE]
        verdict = "within" if abs(gap) <= 0.5 else "NOT within"
        lines += ["", f"Gap (5G minus 802.11n) = {gap:+.2f} dB: {verdict} 0.5 dB."]
        print(f"crossings {cross}, gap {gap:+.2f} dB")
    lines.append("")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ldpc_5g_vs_80211n.md").write_text("\n".join(lines))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=("throughput", "5g", "all"), default="all")
    p.add_argument("--snr-db", type=float, nargs="+", default=[10.0, 10.75],
                   help="throughput SNRs (Es/N0 dB)")
    p.add_argument("--batches", type=int, default=10, help="batches per SNR and loop")
    p.add_argument("--grid", type=float, nargs=3, default=[9.5, 11.5, 0.25], metavar=("LO", "HI", "STEP"),
                   help="Es/N0 grid of the 5G vs 802.11n curves")
    p.add_argument("--target-block-errors", type=int, default=100)
    p.add_argument("--max-blocks", type=int, default=3000)
    args = p.parse_args(argv)
    command = "python benchmarks/ber_throughput.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.part in ("throughput", "all"):
        throughput(args, command.strip())
    if args.part in ("5g", "all"):
        compare_5g(args, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
