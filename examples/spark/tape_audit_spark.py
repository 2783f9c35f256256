#!/usr/bin/env python3
"""Run tape-audit over many inputs on a Spark cluster and merge the results.

Each Spark task runs the tape-audit binary on a share of the inputs with
`--format partial`; the driver collects the partial reports (one JSON line
each) and runs `tape-audit merge` on them. Because tape-audit reads inputs in
name order and its merge is exact, the reports equal those of one run over
all the inputs.

    spark-submit --master local[2] examples/spark/tape_audit_spark.py \\
        --binary target/release/tape-audit --partitions 4 --out out/ \\
        testdata ../shared/corpus -- --bucket 5m

Everything after `--` is passed to tape-audit: audit options (`--bucket`,
`--samples`, filters, `--input-format`, `--field`, `-j` ...) go to every
task; `--spec` goes to the tasks and to the merge; report options
(`--fail-on`, `--top`, `--baseline`, `--baseline-threshold`,
`--allow-empty`) go to the merge.

Two ways to split the work (`--split`):

  files   (default) the driver lists the files (walking directories the way
          tape-audit does: name order, hidden entries skipped), packs them
          into N size-balanced partitions, and each task audits its files
          as named files. The report equals `tape-audit FILE...` over the
          same files. It differs from `tape-audit DIR` in one way only:
          tape-audit leaves out a non-traffic file it finds while walking a
          directory (a README beside the logs), but audits a file it is
          given by name, so such files show up as inputs with skipped
          records.
  shards  every task gets the inputs as given and audits shard K of N
          (`--shard K/N`, a hash of each path). The report equals
          `tape-audit INPUT...` byte for byte, directories included. Every
          worker must see the inputs under the same paths.

Outputs in --out: report.json, report.md, timeline.csv.

Exit code: the merge's (0, 1 for a --fail-on condition, 2 when an input
could not be read to its end or a warning was not allowed), or 3 when the
job failed and wrote no report.
"""

import argparse
import heapq
import json
import os
import shutil
import subprocess
import sys
import tempfile

# The schema of the partials this recipe was written for; `tape-audit merge`
# checks the version itself and refuses one it cannot read.
PARTIAL_SCHEMA = "tape-audit/partial/v2"
# Longest command line built for one tape-audit run; a partition with more
# files is audited in several runs (their partials merge like any others).
MAX_ARGV_BYTES = 64 * 1024
# tape-audit's exit codes that still come with a report: 0 ok, 1 findings,
# 2 an input stopped early (truncated, not a HAR) or nothing was read.
REPORT_EXITS = (0, 1, 2)
# tape-audit options that belong to the merge, and whether they take a value.
MERGE_OPTIONS = {
    "--fail-on": True,
    "--top": True,
    "--baseline": True,
    "--baseline-threshold": True,
    "--allow-empty": False,
}
# Options the job sets itself.
FORBIDDEN = ("--format", "--timeline-csv", "--csv", "--show", "--shard", "--color", "--no-progress")


class TapeAuditError(RuntimeError):
    """tape-audit failed in a task or on the driver."""


class JobError(RuntimeError):
    """The job cannot run as asked."""


def parse_args(argv):
    if "--" in argv:
        cut = argv.index("--")
        own, passthrough = argv[:cut], argv[cut + 1 :]
    else:
        own, passthrough = argv, []
    p = argparse.ArgumentParser(
        prog="tape_audit_spark.py",
        description="Audit inputs with tape-audit on Spark and merge the partial reports.",
        epilog="Options after -- are passed to tape-audit.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or directories (paths the workers can read)")
    p.add_argument("--binary", required=True, metavar="PATH", help="the tape-audit binary (shipped with --files or --ship, or installed on every node)")
    p.add_argument("--partitions", type=int, default=0, metavar="N", help="Spark partitions (default: the default parallelism)")
    p.add_argument("--out", required=True, metavar="DIR", help="where report.json, report.md and timeline.csv are written")
    p.add_argument("--split", choices=("files", "shards"), default="files", help="how inputs are divided (see the module doc)")
    p.add_argument("--spec", action="append", default=[], metavar="FILE", help="catalog file, for the tasks and the merge (repeatable)")
    p.add_argument("--ship", action="store_true", help="ship the binary and --spec files to the executors with SparkContext.addFile")
    p.add_argument("--workdir", metavar="DIR", help="directory the tasks resolve relative input paths against (default: the driver's working directory, where it exists on the worker)")
    args = p.parse_args(own)
    if args.partitions < 0:
        p.error("--partitions must be positive")
    if "-" in args.inputs:
        p.error("standard input (-) cannot be distributed")
    args.audit_opts, args.merge_opts = split_passthrough(passthrough, args.spec, p)
    return args


def split_passthrough(tokens, specs, p):
    """Sorts pass-through tape-audit options into audit and merge options;
    --spec values are appended to `specs`."""
    audit, merge = [], []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        name, eq, value = t.partition("=")
        if name in FORBIDDEN:
            p.error(f"{name} is set by the job; do not pass it to tape-audit")
        if name == "--spec" or name in MERGE_OPTIONS:
            takes_value = name == "--spec" or MERGE_OPTIONS[name]
            if takes_value and not eq:
                if i + 1 >= len(tokens):
                    p.error(f"{name} needs a value")
                i += 1
                value = tokens[i]
            if name == "--spec":
                specs.append(value)
            elif takes_value:
                merge += [name, value]
            else:
                merge.append(name)
        else:
            audit.append(t)
        i += 1
    return audit, merge


def list_files(inputs):
    """Files under the inputs, the way tape-audit walks directories:
    recursively, name order, hidden entries skipped, symlinks followed."""
    out = []

    def walk(d):
        try:
            names = sorted(n for n in os.listdir(d) if not n.startswith("."))
        except OSError as e:
            raise JobError(f"{d}: {e.strerror or e}") from e
        for n in names:
            path = os.path.join(d, n)
            if os.path.isdir(path):
                walk(path)
            else:
                out.append(path)

    for a in inputs:
        if os.path.isdir(a):
            walk(a)
        else:
            # Missing files are left for tape-audit to report, as it would.
            out.append(a)
    return out


def pack(paths, n):
    """Splits paths into at most n bins of about equal total size (largest
    file first into the lightest bin); each bin keeps name order."""
    def size(p):
        try:
            return os.path.getsize(p)
        except OSError:
            return 0

    n = max(1, min(n, len(paths)))
    heap = [(0, i) for i in range(n)]
    bins = [[] for _ in range(n)]
    for p in sorted(paths, key=lambda p: (-size(p), p)):
        total, i = heapq.heappop(heap)
        bins[i].append(p)
        heapq.heappush(heap, (total + size(p), i))
    return [sorted(b) for b in bins if b]


def chunks(paths):
    """Cuts a partition's files into command lines of bounded length."""
    chunk, length = [], 0
    for p in paths:
        if chunk and length + len(p) + 1 > MAX_ARGV_BYTES:
            yield chunk
            chunk, length = [], 0
        chunk.append(p)
        length += len(p) + 1
    if chunk:
        yield chunk


def local_file(path):
    """Where a file is on this machine: the copy shipped with the job
    (spark-submit --files, or --ship), else the path itself."""
    from pyspark import SparkFiles

    copy = SparkFiles.get(os.path.basename(path))
    if os.path.isfile(copy):
        return copy
    return path


def run_partial(binary, opts, inputs, cwd, what):
    """Runs one tape-audit audit; returns its partial JSON line."""
    if not os.access(binary, os.X_OK) and os.path.isfile(binary):
        try:
            os.chmod(binary, 0o755)
        except OSError:
            pass
    cmd = [binary, "--format", "partial", "--allow-empty", "--no-progress", *opts, "--", *inputs]
    try:
        r = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)
    except OSError as e:
        raise TapeAuditError(f"{what}: cannot run {binary}: {e}") from e
    stdout = r.stdout.decode("utf-8", "replace").strip()
    stderr = r.stderr.decode("utf-8", "replace").strip()
    valid = False
    if r.returncode in REPORT_EXITS and stdout:
        try:
            valid = json.loads(stdout).get("schema") == PARTIAL_SCHEMA
        except ValueError:
            valid = False
    if not valid:
        shown = " ".join(cmd[: cmd.index("--") + 1] + inputs[:3]) + (" ..." if len(inputs) > 3 else "")
        raise TapeAuditError(
            f"{what}: tape-audit exited {r.returncode} without a partial report\n"
            f"  command: {shown}\n  stderr:\n    " + (stderr.replace("\n", "\n    ") or "(empty)")
        )
    return stdout


def task(conf):
    """The function each partition runs; `conf` is plain data (pickled)."""

    def run(index, items):
        binary = local_file(conf["binary"])
        opts = list(conf["audit_opts"])
        for spec in conf["specs"]:
            opts += ["--spec", local_file(spec)]
        cwd = conf["workdir"] if conf["workdir"] and os.path.isdir(conf["workdir"]) else None
        items = list(items)
        if not items:
            return  # an empty partition: nothing to audit, no partial
        if conf["split"] == "shards":
            for k in items:
                yield run_partial(binary, opts + ["--shard", f"{k}/{conf['n']}"], conf["inputs"], cwd,
                                  f"partition {index} (shard {k}/{conf['n']})")
        else:
            files = [p for b in items for p in b]
            for c, chunk in enumerate(chunks(files)):
                yield run_partial(binary, opts, chunk, cwd, f"partition {index} chunk {c} ({len(chunk)} files)")

    return run


def task_failure(e):
    """The tape-audit message inside a Spark task failure, without the JVM's stack."""
    text = str(e)
    marker = "TapeAuditError: "
    if marker in text:
        msg = text[text.index(marker) + len(marker) :]
        lines = []
        for line in msg.splitlines():
            if line.startswith("\tat") or line.startswith("Driver stacktrace"):
                break
            lines.append(line)
        return "\n".join(lines).rstrip()
    return None


def merge(binary, parts_dir, specs, merge_opts, out):
    """Runs tape-audit merge for report.json (+ timeline.csv) and report.md;
    returns the exit code of the JSON merge."""
    spec_opts = [x for s in specs for x in ("--spec", s)]
    code = None
    for fmt, name, extra in (
        ("json", "report.json", ["--timeline-csv", os.path.join(out, "timeline.csv")]),
        ("markdown", "report.md", []),
    ):
        cmd = [binary, "merge", parts_dir, "--format", fmt, *extra, *spec_opts, *merge_opts]
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
        stderr = r.stderr.decode("utf-8", "replace")
        if r.returncode not in REPORT_EXITS or not r.stdout:
            raise TapeAuditError(f"tape-audit merge exited {r.returncode} without a report:\n{stderr.rstrip()}")
        with open(os.path.join(out, name), "wb") as f:
            f.write(r.stdout)
        if code is None:
            # Input errors and warnings, once (the Markdown merge repeats them).
            sys.stderr.write(stderr)
            code = r.returncode
    return code


def main(argv):
    args = parse_args(argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("tape-audit").getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    try:
        # On the driver too, a copy shipped with spark-submit --files wins.
        binary = os.path.abspath(local_file(args.binary))
        # Specs keep the name given: the report names the catalog by it.
        specs = [local_file(s) for s in args.spec]
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise JobError(f"{args.binary}: not an executable file on the driver (the merge runs there)")
        for s in specs:
            if not os.path.isfile(s):
                raise JobError(f"{s}: no such catalog file on the driver")
        if args.ship:
            sc.addFile(binary)
            for s in specs:
                sc.addFile(s)
        n = args.partitions or sc.defaultParallelism
        conf = {
            "binary": binary,
            "specs": specs,
            "audit_opts": args.audit_opts,
            "split": args.split,
            "inputs": args.inputs,
            "n": n,
            "workdir": os.path.abspath(args.workdir) if args.workdir else os.getcwd(),
        }
        if args.split == "shards":
            rdd = sc.parallelize(range(1, n + 1), n)
            print(f"tape-audit-spark: {n} shards of {' '.join(args.inputs)}", file=sys.stderr)
        else:
            files = list_files(args.inputs)
            if not files:
                raise JobError("no input files found")
            bins = pack(files, n)
            # One bin per partition; an empty partition yields no partial.
            rdd = sc.parallelize(bins, n)
            print(f"tape-audit-spark: {len(files)} files in {len(bins)} of {n} partitions", file=sys.stderr)
        try:
            parts = rdd.mapPartitionsWithIndex(task(conf)).collect()
        except Exception as e:  # a task failed: show tape-audit's words, not the JVM's stack
            msg = task_failure(e)
            if msg is None:
                raise
            raise TapeAuditError(msg) from None
    finally:
        spark.stop()

    if not parts:
        raise JobError("the tasks returned no partial report")
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tape-audit-parts-")
    try:
        for i, p in enumerate(parts):
            with open(os.path.join(tmp, f"part-{i:05d}.json"), "w", encoding="utf-8") as f:
                f.write(p + "\n")
        code = merge(binary, tmp, specs, args.merge_opts, args.out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"tape-audit-spark: merged {len(parts)} partial reports into {args.out}/report.json, "
          f"report.md, timeline.csv (exit {code})", file=sys.stderr)
    return code


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (TapeAuditError, JobError) as e:
        print(f"tape-audit-spark: error: {e}", file=sys.stderr)
        sys.exit(3)
    except Exception:  # Spark could not start, or a bug: never exit 0, 1 or 2
        import traceback

        traceback.print_exc()
        print("tape-audit-spark: error: the job failed (see above)", file=sys.stderr)
        sys.exit(3)
