#!/usr/bin/env bash
# Builds linksim/resources/bler_80211n.json, the BLER table of the adaptive
# digital codec: every IEEE 802.11n LDPC code (n = 648/1296/1944, rates
# 1/2..5/6) with every modulation (bpsk, qpsk, qam16, qam64), BLER vs Es/N0
# over AWGN, 20 BP iterations, on a 0.25 dB grid.
#
# One `python -m linksim ber` run per (code, modulation) writes
# $WORK/<code>-<modulation>/ber.json; a merge step writes the table with this
# command and the wall time as metadata. A run whose ber.json exists is
# skipped, so an interrupted build resumes (its wall time then covers only the
# resumed part).
#
# Each point stops at 100 block errors or 3000 codewords (--max-bits =
# 3000 * k). The grid of each pair spans its waterfall: it starts at the last
# SNR where a coarse pilot (0.5 dB steps, <= 600 codewords a point, seed 0)
# measured BLER >= 0.95 and ends 0.25 dB past the pilot's first SNR with no
# block error, so it reaches below BLER 1e-3; points past that are recorded
# with zero errors and their block count.
#
# Usage: bash benchmarks/make_bler_table.sh      (env: PYTHON, WORK, JOBS)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHON=${PYTHON:-python}
export WORK=${WORK:-runs/bler_80211n}
JOBS=${JOBS:-2}
OUT=linksim/resources/bler_80211n.json
export CAP_BLOCKS=3000

# code modulation first-SNR last-SNR (dB Es/N0)
GRID="
ldpc-80211n-648-r12 bpsk -3 0.25
ldpc-80211n-648-r12 qpsk 0 3.25
ldpc-80211n-648-r12 qam16 5 8.75
ldpc-80211n-648-r12 qam64 9.5 13.25
ldpc-80211n-648-r23 bpsk -1 2.25
ldpc-80211n-648-r23 qpsk 2 5.25
ldpc-80211n-648-r23 qam16 8 11.25
ldpc-80211n-648-r23 qam64 12.5 16.25
ldpc-80211n-648-r34 bpsk 0 3.25
ldpc-80211n-648-r34 qpsk 3 5.75
ldpc-80211n-648-r34 qam16 9 12.75
ldpc-80211n-648-r34 qam64 14.5 17.75
ldpc-80211n-648-r56 bpsk 1.5 4.25
ldpc-80211n-648-r56 qpsk 4.5 6.75
ldpc-80211n-648-r56 qam16 10.5 13.75
ldpc-80211n-648-r56 qam64 16 19.25
ldpc-80211n-1296-r12 bpsk -3 -0.25
ldpc-80211n-1296-r12 qpsk 0.5 2.75
ldpc-80211n-1296-r12 qam16 5.5 8.25
ldpc-80211n-1296-r12 qam64 10 12.75
ldpc-80211n-1296-r23 bpsk -0.5 1.75
ldpc-80211n-1296-r23 qpsk 2 4.75
ldpc-80211n-1296-r23 qam16 8 10.25
ldpc-80211n-1296-r23 qam64 13 15.75
ldpc-80211n-1296-r34 bpsk 0 2.75
ldpc-80211n-1296-r34 qpsk 3 5.75
ldpc-80211n-1296-r34 qam16 9.5 11.75
ldpc-80211n-1296-r34 qam64 14.5 17.25
ldpc-80211n-1296-r56 bpsk 1.5 4.25
ldpc-80211n-1296-r56 qpsk 4.5 6.75
ldpc-80211n-1296-r56 qam16 10.5 13.25
ldpc-80211n-1296-r56 qam64 16 18.75
ldpc-80211n-1944-r12 bpsk -2.5 -0.75
ldpc-80211n-1944-r12 qpsk 0.5 2.75
ldpc-80211n-1944-r12 qam16 5.5 7.75
ldpc-80211n-1944-r12 qam64 10 12.25
ldpc-80211n-1944-r23 bpsk -0.5 1.25
ldpc-80211n-1944-r23 qpsk 2.5 4.25
ldpc-80211n-1944-r23 qam16 8 10.25
ldpc-80211n-1944-r23 qam64 13 15.25
ldpc-80211n-1944-r34 bpsk 0.5 2.25
ldpc-80211n-1944-r34 qpsk 3.5 5.25
ldpc-80211n-1944-r34 qam16 9.5 11.25
ldpc-80211n-1944-r34 qam64 14.5 16.75
ldpc-80211n-1944-r56 bpsk 1.5 3.75
ldpc-80211n-1944-r56 qpsk 4.5 6.25
ldpc-80211n-1944-r56 qam16 10.5 12.75
ldpc-80211n-1944-r56 qam64 16 19.25
"

run_one() {
    local code=$1 mod=$2 lo=$3 hi=$4
    local dir="$WORK/$code-$mod"
    [ -f "$dir/ber.json" ] && { echo "skip $code $mod (done)"; return 0; }
    local n=${code#ldpc-80211n-}; n=${n%-r*}
    local rate=${code##*-r} k
    k=$(( n * ${rate:0:1} / ${rate:1:1} ))
    mkdir -p "$dir"
    # shellcheck disable=SC2046
    "$PYTHON" -m linksim ber --modulation "$mod" --code "$code" \
        --snr-db $(LC_ALL=C seq -f %g "$lo" 0.25 "$hi") \
        --iterations 20 --target-block-errors 100 --max-bits $(( CAP_BLOCKS * k )) --seed 0 \
        --out "$dir" > "$dir/log.txt" 2>&1 || { echo "FAILED $code $mod (see $dir/log.txt)"; return 1; }
    echo "done $code $mod: $(tail -n 1 "$dir/log.txt")"
}
export -f run_one

start=$(date +%s)
mkdir -p "$WORK"
echo "$GRID" | grep . | xargs -P "$JOBS" -L 1 bash -c 'run_one "$@"' _
wall=$(( $(date +%s) - start ))
dirs=$(echo "$GRID" | grep . | awk -v w="$WORK" '{print w "/" $1 "-" $2}')
# shellcheck disable=SC2086
"$PYTHON" -m linksim.phy.bler_table merge $dirs --out "$OUT" \
    --command "JOBS=$JOBS bash benchmarks/make_bler_table.sh" --wall-seconds "$wall"
echo "BLER table: $OUT (${wall} s)"
