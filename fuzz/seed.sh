#!/usr/bin/env bash
# Copies seed inputs into fuzz/corpus/<target>/ (gitignored) from the
# bundled samples (testdata/), the shared corpus (../shared/corpus, when
# present) and the fuzz regressions (tests/fuzz_regressions/).
# Usage: fuzz/seed.sh            (all targets; safe to rerun)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
shared="$(dirname "$root")/shared/corpus"
corpus="$here/corpus"

copy() { # copy TARGET FILE...
  local t="$1"; shift
  mkdir -p "$corpus/$t"
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    # Name by content so reruns do not duplicate.
    cp "$f" "$corpus/$t/$(sha1sum "$f" | cut -c1-16)-$(basename "$f")"
  done
}

shopt -s nullglob globstar
har=("$root"/testdata/**/*.har "$shared"/har/*.har)
logs=("$root"/testdata/**/*.jsonl "$shared"/logs/* "$shared"/synthetic/*)
specs=("$root"/spec/* "$root"/testdata/spec/*)
regress=("$root"/tests/fuzz_regressions/*)

copy har_stream "${har[@]}"
copy jsonl "${logs[@]}"
copy catalog "${specs[@]}"
copy input "${har[@]}" "${logs[@]}"
copy jsonscan "${har[@]}" "${logs[@]}"
for t in catalog har_stream jsonl input classify jsonscan partial_load baseline_load; do
  for f in "${regress[@]}"; do
    case "$(basename "$f")" in "$t"-*) copy "$t" "$f" ;; esac
  done
done

# classify: 4 header bytes (status lo/hi, status mode, flags) + a body.
mkdir -p "$corpus/classify"
i=0
while IFS= read -r body; do
  for st in '\x94\x01\x01' '\xc8\x00\x01' '\xad\x01\x01' '\x00\x00\x00'; do
    printf "${st}\x00%s" "$body" > "$corpus/classify/seed-$i"
    i=$((i + 1))
  done
done <<'BODIES'
{"error_code":"not_found","error_message":"gone"}
{"error_code":"too_many_requets","error_message":"slow down","status_code":429}
{"error_code":"","error_message":"x"}
{"error_code":404}
[1,2]
<html><body>502 Bad Gateway</body></html>

{"message":"no code"}
BODIES

# merge and --baseline: partials and JSON reports of the samples, made by
# the tape-audit binary when one is built (cargo build); a log and a
# partial are baseline seeds too (they must be refused).
bin=""
for b in "$root"/target/release/tape-audit "$root"/target/debug/tape-audit; do
  if [ -x "$b" ]; then bin="$b"; break; fi
done
if [ -n "$bin" ]; then
  mkdir -p "$corpus/partial_load" "$corpus/baseline_load"
  for f in "$root"/testdata/sample.har "$root"/testdata/sample.jsonl "$root"/testdata/incident/*.jsonl; do
    n="$(basename "$f")"
    "$bin" "$f" --format partial --allow-empty --no-progress > "$corpus/partial_load/$n.partial.json" || true
    "$bin" "$f" --format json --allow-empty --no-progress > "$corpus/baseline_load/$n.report.json" || true
  done
  cp "$corpus/partial_load/sample.jsonl.partial.json" "$corpus/baseline_load/" || true
  copy baseline_load "$root/testdata/sample.jsonl"
else
  echo "no tape-audit binary built: partial_load and baseline_load get no seeds (run cargo build)" >&2
fi

# Gzipped and zstd-compressed inputs for the whole-path target.
if command -v gzip >/dev/null; then
  gzip -c "$root/testdata/sample.jsonl" > "$corpus/input/sample.jsonl.gz"
fi
if command -v zstd >/dev/null; then
  zstd -q -c "$root/testdata/sample.jsonl" > "$corpus/input/sample.jsonl.zst"
fi
for t in "$corpus"/*; do
  echo "$(basename "$t"): $(find "$t" -type f | wc -l) seeds"
done
