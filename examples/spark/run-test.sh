#!/usr/bin/env bash
# End-to-end test of the Spark recipe in local mode: the merged reports of the
# Spark job must equal, byte for byte, those of one tape-audit run.
# Fails (never skips) when Java, Python or pip are missing or Spark cannot start.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
venv=target/spark-venv
work=target/spark-test
req=examples/spark/requirements.txt
job=examples/spark/tape_audit_spark.py
bin=target/release/tape-audit
corpus=../shared/corpus

fail() { echo "run-test: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
t_start=$(now)

[ -d "$corpus" ] || fail "the shared corpus is missing: expected a directory at $root/$corpus"
command -v java >/dev/null || fail "java not found on PATH: Spark needs a JDK 8, 11 or 17 (apt-get install openjdk-17-jre-headless)"
java -version 2>&1 | head -1 | sed 's/^/run-test: java: /'
command -v python3 >/dev/null || fail "python3 not found"

# 1. The venv, reused while requirements.txt is unchanged.
t0=$(now)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
if ! cmp -s "$req" "$venv/.requirements.installed"; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" \
    || fail "pip install -r $req failed"
  cp "$req" "$venv/.requirements.installed"
fi
"$venv/bin/python" -c 'import pyspark; print("run-test: pyspark", pyspark.__version__)' \
  || fail "pyspark does not import from $venv"
t_venv=$(elapsed "$t0" "$(now)")

# 2. The binary.
t0=$(now)
cargo build --release --quiet || fail "cargo build --release failed"
t_build=$(elapsed "$t0" "$(now)")

export PYSPARK_PYTHON="$root/$venv/bin/python" PYSPARK_DRIVER_PYTHON="$root/$venv/bin/python"
export SPARK_LOCAL_IP=127.0.0.1
rm -rf "$work"
mkdir -p "$work"

# Runs the job; $1 names the run, the rest are the job's arguments.
spark() {
  local name=$1
  shift
  "$venv/bin/spark-submit" --master 'local[2]' --conf spark.ui.enabled=false \
    "$job" --binary "$bin" --out "$work/$name" "$@" >"$work/$name.log" 2>&1
}
show_log() { echo "---- last lines of $work/$1.log" >&2; tail -n 30 "$work/$1.log" >&2; }
# Fails unless two files are byte-identical.
same() {
  cmp -s "$1" "$2" || {
    diff <(head -c 200000 "$1") <(head -c 200000 "$2") | head -n 20 >&2 || true
    fail "$3: $1 and $2 differ"
  }
}

# 3. Shards of the directories, against one direct run over them.
t0=$(now)
rc=0
spark shards --split shards --partitions 4 testdata "$corpus" || rc=$?
t_spark=$(elapsed "$t0" "$(now)")
# 2: the corpus holds a truncated HAR and a broken one; anything else is wrong.
[ "$rc" = 2 ] || { show_log shards; fail "the Spark job (--split shards) exited $rc, expected 2 (two inputs stop early)"; }
t0=$(now)
rc=0
"$bin" testdata "$corpus" --format json --allow-empty --no-progress >"$work/direct.json" 2>"$work/direct.err" || rc=$?
t_direct=$(elapsed "$t0" "$(now)")
[ "$rc" = 2 ] || fail "the direct run exited $rc, expected 2; stderr: $(cat "$work/direct.err")"
same "$work/direct.json" "$work/shards/report.json" "JSON report, Spark --split shards vs direct"
"$bin" testdata "$corpus" --format markdown --allow-empty --no-progress \
  --timeline-csv "$work/direct.csv" >"$work/direct.md" 2>/dev/null || true
same "$work/direct.md" "$work/shards/report.md" "Markdown report, Spark --split shards vs direct"
same "$work/direct.csv" "$work/shards/timeline.csv" "timeline CSV, Spark --split shards vs direct"
echo "run-test: --split shards: report.json, report.md, timeline.csv equal the direct run"

# 4. Files listed on the driver and spread over partitions, with the binary
#    and the catalog shipped to the executors and options passed through,
#    against one direct run over the same files.
mapfile -t files < <("$venv/bin/python" -B -c '
import sys; sys.path.insert(0, "examples/spark")
from tape_audit_spark import list_files
print("\n".join(list_files(sys.argv[1:])))' testdata "$corpus")
[ "${#files[@]}" -gt 30 ] || fail "listed only ${#files[@]} input files"
opts=(--bucket 5m --spec testdata/spec/tape.toml)
t0=$(now)
rc=0
spark files --partitions 3 --ship testdata "$corpus" -- "${opts[@]}" || rc=$?
t_spark_files=$(elapsed "$t0" "$(now)")
[ "$rc" = 2 ] || { show_log files; fail "the Spark job (--split files) exited $rc, expected 2"; }
"$bin" "${files[@]}" "${opts[@]}" --format json --allow-empty --no-progress >"$work/direct-files.json" 2>/dev/null || true
same "$work/direct-files.json" "$work/files/report.json" "JSON report, Spark --split files vs direct over the same ${#files[@]} files"
grep -q '"source": "testdata/spec/tape.toml"' "$work/files/report.json" || fail "the --spec given was not used by the merge"
echo "run-test: --split files (${#files[@]} files, --ship, ${opts[*]}): report.json equals the direct run"

# 5. A tape-audit failure in a task fails the job, with tape-audit's message.
rc=0
spark broken --partitions 2 --ship testdata -- --samples 0 || rc=$?
[ "$rc" = 3 ] || { show_log broken; fail "a failing tape-audit gave exit $rc, expected 3"; }
grep -q 'tape-audit-spark: error: partition .*tape-audit exited 2 without a partial report' "$work/broken.log" \
  && grep -q -- "invalid value '0' for '--samples" "$work/broken.log" \
  || { show_log broken; fail "the job's failure does not carry tape-audit's stderr"; }
# With --ship the tasks run the copy Spark distributed, not the driver's path.
grep -q 'command: /.*/userFiles-[^ ]*/tape-audit ' "$work/broken.log" \
  || { show_log broken; fail "with --ship the tasks did not run the shipped binary"; }
echo "run-test: a failing tape-audit fails the job (exit 3) with its stderr; --ship runs the shipped binary"

echo "run-test: venv ${t_venv}s, cargo build ${t_build}s"
echo "run-test: Spark run (local[2], 4 shards) ${t_spark}s; Spark run (--split files, 3 partitions) ${t_spark_files}s; direct run ${t_direct}s"
echo "run-test: PASS in $(elapsed "$t_start" "$(now)")s"
