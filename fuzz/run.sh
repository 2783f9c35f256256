#!/usr/bin/env bash
# Runs fuzz targets for a given time each.
#   fuzz/run.sh TARGET [SECONDS]     one target (default 600 s)
#   fuzz/run.sh all [SECONDS]        every target, two at a time
# Env: SANITIZER=address|none (default address), JOBS=2 (parallel runs for
# `all`), KEEP_GOING=1 (libFuzzer fork mode: saves every crash and goes on,
# but runs several times slower; default 0 stops at the first new crash;
# known, already reported panics are skipped by the targets themselves, see
# KNOWN in fuzz_targets/common.rs), EXTRA="..." (more libFuzzer flags).
# Logs go to fuzz/logs/TARGET.log; crashes to fuzz/artifacts/TARGET/.
# The toolchain is stable: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its
# nightly-only flags (-Zsanitizer, -Cpasses=sancov-module, ...).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
targets=(catalog har_stream jsonl classify input jsonscan partial_load baseline_load)
what="${1:?usage: run.sh TARGET|all [SECONDS]}"
secs="${2:-600}"
san="${SANITIZER:-address}"
jobs="${JOBS:-2}"
keep=()
if [ "${KEEP_GOING:-0}" = 1 ]; then
  keep=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
export RUSTC_BOOTSTRAP=1
mkdir -p logs

[ -d corpus ] || ./seed.sh >/dev/null

run_one() {
  local t="$1"
  mkdir -p "corpus/$t" "artifacts/$t"
  echo "== $t: ${secs}s, sanitizer $san, log fuzz/logs/$t.log"
  # shellcheck disable=SC2086
  cargo fuzz run --sanitizer "$san" "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -print_final_stats=1 "${keep[@]}" ${EXTRA:-} >"logs/$t.log" 2>&1 && rc=0 || rc=$?
  local execs speed
  if grep -q 'oom/timeout/crash' "logs/$t.log"; then
    # Fork mode: `#EXECS: cov: .. exec/s: N oom/timeout/crash: a/b/c time: Ts ...`
    local last
    last=$(grep 'oom/timeout/crash' "logs/$t.log" | tail -1)
    execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
    speed=$(sed -E 's/.*exec\/s: ([0-9]+).*/\1/' <<<"$last")
    echo "== $t: $last"
  else
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo '?')
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo '?')
  fi
  echo "== $t: exit $rc, $execs executions, $speed exec/s, artifacts: $(find "artifacts/$t" -type f | wc -l)"
}

if [ "$what" = all ]; then
  # Build once up front so parallel runs do not race on the build.
  cargo fuzz build --sanitizer "$san" >/dev/null
  pids=()
  for t in "${targets[@]}"; do
    run_one "$t" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  done
  wait
else
  run_one "$what"
fi
