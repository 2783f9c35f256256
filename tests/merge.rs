//! Partial reports (`--format partial`), `merge` and `--shard K/N`: partials
//! of any split of the inputs, merged in any order and grouping, give the
//! report of one run over all of them; partials made differently are refused.
//!
//! The shared corpus (`../shared/corpus`) is required: without it these
//! tests fail, they are never skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::Value;

/// The corpus, relative to the crate root (reports name inputs by path).
const CORPUS: &str = "../shared/corpus";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The inputs of every run here: run from the crate root, these names are
/// what the reports show.
fn inputs() -> [&'static str; 2] {
    let dir = root().join(CORPUS);
    assert!(
        dir.is_dir(),
        "the shared input corpus is missing: expected a directory at {} \
         (CARGO_MANIFEST_DIR/{CORPUS}); the merge tests need it and are not skipped without it",
        dir.display()
    );
    ["testdata", CORPUS]
}

fn cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tape-audit"));
    c.current_dir(root());
    c
}

fn tape(args: &[&str]) -> Output {
    cmd().args(args).output().expect("tape-audit runs")
}

fn tape_stdin(args: &[&str], stdin: Vec<u8>) -> Output {
    cmd()
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("tape-audit runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 0, or 2 because an input stopped early (the corpus has two such
/// files); anything else fails the test.
fn assert_ran(o: &Output, what: &str) {
    assert!(
        matches!(code(o), 0 | 2) && !o.stdout.is_empty(),
        "{what}: exit {} with {} bytes on stdout; stderr:\n{}",
        code(o),
        o.stdout.len(),
        stderr(o)
    );
}

/// `tape-audit ARGS --format partial --allow-empty --no-progress`: one
/// partial, checked to be one.
fn partial(args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--format", "partial", "--allow-empty", "--no-progress"]);
    let o = tape(&all);
    assert_ran(&o, &format!("tape-audit {}", all.join(" ")));
    let text = String::from_utf8(o.stdout).expect("UTF-8");
    assert!(text.ends_with('\n') && text.trim_end().lines().count() == 1);
    let v: Value = serde_json::from_str(&text).expect("a partial is JSON");
    assert_eq!(v["schema"], "tape-audit/partial/v2");
    text
}

/// The partial of shard K of N of the inputs, with `-j jobs`.
fn shard_partial(k: u32, n: u32, jobs: &str) -> String {
    let shard = format!("{k}/{n}");
    let [a, b] = inputs();
    partial(&[a, b, "--shard", &shard, "-j", jobs])
}

/// The JSON report of one direct run over the inputs.
fn direct_json() -> &'static [u8] {
    static ONCE: OnceLock<Vec<u8>> = OnceLock::new();
    ONCE.get_or_init(|| {
        let [a, b] = inputs();
        let o = tape(&[a, b, "--format", "json", "--allow-empty", "--no-progress"]);
        assert_ran(&o, "the direct run");
        o.stdout
    })
}

/// `tape-audit merge PARTS --format json --allow-empty`, checked to report.
fn merge_json(parts: &[&str]) -> Vec<u8> {
    let mut args = vec!["merge"];
    args.extend(parts);
    args.extend(["--format", "json", "--allow-empty"]);
    let o = tape(&args);
    assert_ran(&o, &format!("tape-audit {}", args.join(" ")));
    o.stdout
}

/// `tape-audit merge PARTS --format partial` into `out`.
fn merge_to_partial(parts: &[&str], out: &Path) {
    let mut args = vec!["merge"];
    args.extend(parts);
    args.extend(["--format", "partial", "--allow-empty"]);
    let o = tape(&args);
    assert_ran(&o, &format!("tape-audit {}", args.join(" ")));
    std::fs::write(out, &o.stdout).expect("write");
}

/// Fails with the first differing line rather than two whole reports.
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    if got == want {
        return;
    }
    let (g, w) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
    let line = g
        .lines()
        .zip(w.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| g.lines().count().min(w.lines().count()));
    panic!(
        "{what}: the report differs from the direct run's at line {}:\n  merged: {:?}\n  direct: {:?}\n({} vs {} bytes)",
        line + 1,
        g.lines().nth(line).unwrap_or("<end>"),
        w.lines().nth(line).unwrap_or("<end>"),
        got.len(),
        want.len()
    );
}

/// Writes partials to files `p1.json`, `p2.json` ... of a new directory.
fn write_parts(texts: &[String]) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = dir.path().join(format!("p{}.json", i + 1));
            std::fs::write(&p, t).expect("write");
            p.display().to_string()
        })
        .collect();
    (dir, files)
}

/// A fixed-seed Fisher–Yates shuffle (xorshift64).
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut v = items.to_vec();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Shards 1..N of the inputs, made with `-j 1` and with `-j 2`, merged in
/// several orders and groupings: always the direct run's JSON, byte for byte.
fn check_shards(n: u32) {
    let want = direct_json();
    let mut by_jobs = Vec::new();
    for jobs in ["1", "2"] {
        let parts: Vec<String> = (1..=n).map(|k| shard_partial(k, n, jobs)).collect();
        let (dir, files) = write_parts(&parts);
        let what = |how: &str| format!("{n} shards made with -j {jobs}, merged {how}");
        let files = refs(&files);

        assert_same(&merge_json(&files), want, &what("in shard order"));
        by_jobs.push(parts);
        if jobs == "1" {
            // The orders and groupings below are the same for -j 2's partials.
            continue;
        }
        let reversed: Vec<&str> = files.iter().rev().copied().collect();
        assert_same(&merge_json(&reversed), want, &what("in reverse order"));
        for seed in [1, 2] {
            let order = shuffled(&files, seed + u64::from(n));
            assert_same(
                &merge_json(&order),
                want,
                &what(&format!("shuffled ({order:?})")),
            );
        }
        let dir_arg = dir.path().display().to_string();
        assert_same(&merge_json(&[&dir_arg]), want, &what("as a directory"));

        // Associativity: merge pairs into partials, then merge those...
        let pairs: Vec<String> = files
            .chunks(2)
            .enumerate()
            .map(|(i, pair)| {
                let out = dir.path().join(format!("pair{i}.partial"));
                merge_to_partial(pair, &out);
                out.display().to_string()
            })
            .collect();
        assert_same(
            &merge_json(&refs(&pairs)),
            want,
            &what("in pairs, then the pairs"),
        );
        // ... and fold from the right: p1 + (p2 + (... + pN)).
        let mut acc = files[files.len() - 1].to_string();
        for (i, f) in files.iter().rev().skip(1).enumerate() {
            let out = dir.path().join(format!("fold{i}.partial"));
            merge_to_partial(&[f, &acc], &out);
            acc = out.display().to_string();
        }
        assert_same(&merge_json(&[&acc]), want, &what("folded from the right"));
    }
    // The partials themselves do not depend on -j (compared as JSON: the
    // order of keys in their endpoint map is not fixed).
    for (k, (a, b)) in by_jobs[0].iter().zip(&by_jobs[1]).enumerate() {
        let (a, b): (Value, Value) = (
            serde_json::from_str(a).expect("json"),
            serde_json::from_str(b).expect("json"),
        );
        assert!(a == b, "shard {}/{n}: -j 1 and -j 2 partials differ", k + 1);
    }
}

#[test]
fn one_shard_merges_to_the_direct_report() {
    check_shards(1);
}

#[test]
fn two_shards_merge_to_the_direct_report() {
    check_shards(2);
}

#[test]
fn three_shards_merge_to_the_direct_report() {
    check_shards(3);
}

#[test]
fn four_shards_merge_to_the_direct_report() {
    check_shards(4);
}

#[test]
fn five_shards_merge_to_the_direct_report() {
    check_shards(5);
}

#[test]
fn merge_writes_every_format_and_the_timeline_of_a_direct_run() {
    let [a, b] = inputs();
    let (dir, files) = write_parts(
        &(1..=3)
            .map(|k| shard_partial(k, 3, "2"))
            .collect::<Vec<_>>(),
    );
    for format in ["markdown", "table", "partial"] {
        let direct_csv = dir.path().join(format!("direct-{format}.csv"));
        let merged_csv = dir.path().join(format!("merged-{format}.csv"));
        let d = tape(&[
            a,
            b,
            "--format",
            format,
            "--color",
            "never",
            "--allow-empty",
            "--no-progress",
            "--timeline-csv",
            direct_csv.to_str().expect("utf-8"),
        ]);
        assert_ran(&d, format);
        let mut args = vec!["merge"];
        args.extend(refs(&files));
        args.extend(["--format", format, "--color", "never", "--allow-empty"]);
        args.extend(["--timeline-csv", merged_csv.to_str().expect("utf-8")]);
        let m = tape(&args);
        assert_ran(&m, format);
        if format == "partial" {
            // Same state; the endpoint map's key order is not fixed.
            let (x, y): (Value, Value) = (
                serde_json::from_slice(&m.stdout).expect("json"),
                serde_json::from_slice(&d.stdout).expect("json"),
            );
            assert!(x == y, "merged partial differs from the direct run's");
        } else {
            assert_same(&m.stdout, &d.stdout, &format!("--format {format}"));
        }
        let (x, y) = (
            std::fs::read(&merged_csv).expect("merged timeline"),
            std::fs::read(&direct_csv).expect("direct timeline"),
        );
        assert!(!y.is_empty());
        assert_same(&x, &y, &format!("--timeline-csv with --format {format}"));
    }
}

#[test]
fn merge_exits_like_the_direct_run() {
    let [a, b] = inputs();
    let cases: [(&[&str], &[&str], i32); 3] = [
        (&[a, b], &[], 2),
        (&["testdata/sample.har", "testdata/sample.jsonl"], &[], 0),
        (
            &["testdata/sample.har", "testdata/sample.jsonl"],
            &["--fail-on", "findings"],
            1,
        ),
    ];
    for (ins, report_args, want) in cases {
        let mut direct = ins.to_vec();
        direct.extend(["--format", "json", "--no-progress"]);
        direct.extend(report_args);
        let d = tape(&direct);
        assert_eq!(code(&d), want, "direct {direct:?}: {}", stderr(&d));
        let p = partial(ins);
        let mut args = vec!["merge", "-", "--format", "json"];
        args.extend(report_args);
        let m = tape_stdin(&args, p.into_bytes());
        assert_eq!(code(&m), want, "merge {args:?}: {}", stderr(&m));
        assert_same(&m.stdout, &d.stdout, &format!("{direct:?}"));
        if want == 2 {
            // The inputs' errors are said again by the merge.
            assert_eq!(
                stderr(&m).lines().filter(|l| l.contains(".har: ")).count(),
                2,
                "{}",
                stderr(&m)
            );
        }
    }
}

#[test]
fn merge_reads_concatenated_partials_on_stdin() {
    let want = direct_json();
    let parts: Vec<String> = (1..=3).map(|k| shard_partial(k, 3, "2")).collect();
    let m = tape_stdin(
        &["merge", "-", "--format", "json", "--allow-empty"],
        parts.concat().into_bytes(),
    );
    assert_ran(&m, "merge - (3 partials)");
    assert_same(&m.stdout, want, "3 partials on stdin");

    // Standard input beside a file, in either order.
    let (_dir, files) = write_parts(&parts[1..2]);
    let stdin = format!("{}{}", parts[2], parts[0]).into_bytes();
    for args in [[files[0].as_str(), "-"], ["-", files[0].as_str()]] {
        let mut all = vec!["merge"];
        all.extend(args);
        all.extend(["--format", "json", "--allow-empty"]);
        let m = tape_stdin(&all, stdin.clone());
        assert_ran(&m, &format!("{all:?}"));
        assert_same(&m.stdout, want, &format!("{all:?}"));
    }

    let m = tape_stdin(&["merge", "-", "--format", "json"], Vec::new());
    assert_eq!(code(&m), 2);
    assert!(m.stdout.is_empty());
    assert!(
        stderr(&m).contains("<stdin>") && stderr(&m).contains("no partial"),
        "{}",
        stderr(&m)
    );
}

#[test]
fn partials_made_with_other_options_are_refused() {
    let base = partial(&["testdata/sample.har"]);
    let cases: [(&str, &[&str]); 6] = [
        // A --bucket that divides the other merges, coarsened to the larger
        // (tests/cardinality.rs); one that does not is refused.
        ("--bucket", &["--bucket", "7s"]),
        ("--samples", &["--samples", "3"]),
        ("filters", &["--status", "5xx"]),
        ("filters", &["--code", "not_found"]),
        ("--input-format", &["--input-format", "har"]),
        ("--max-record-mib", &["--max-record-mib", "8"]),
        // Not `--unsafe-show-secrets`: such a partial is redacted on load
        // and merges (tests/secrets.rs).
    ];
    for (name, opts) in cases {
        let mut args = vec!["testdata/sample.jsonl"];
        args.extend(opts);
        let other = partial(&args);
        let (_dir, files) = write_parts(&[base.clone(), other.clone()]);
        for order in [[0, 1], [1, 0]] {
            let parts = [files[order[0]].as_str(), files[order[1]].as_str()];
            let o = tape(&["merge", parts[0], parts[1], "--format", "json"]);
            let err = stderr(&o);
            assert_eq!(code(&o), 2, "{opts:?} must be refused; stderr:\n{err}");
            assert!(o.stdout.is_empty(), "{opts:?}: no report on a refusal");
            assert!(
                err.contains(name) && err.contains(parts[1]) && err.contains(parts[0]),
                "{opts:?}: the refusal should name {name} and both partials:\n{err}"
            );
        }
        // The same options on both sides merge.
        let mut args = vec!["testdata/sample.har"];
        args.extend(opts);
        let same = partial(&args);
        let (_dir, files) = write_parts(&[same, other]);
        let o = tape(&["merge", &files[0], &files[1], "--format", "json"]);
        assert!(
            matches!(code(&o), 0 | 2) && !o.stdout.is_empty(),
            "{opts:?} on both sides should merge: {}",
            stderr(&o)
        );
    }
}

/// The fingerprint of the catalog a partial was made with.
fn fingerprint(partial: &str) -> String {
    let v: Value = serde_json::from_str(partial).expect("json");
    v["catalog"]["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_string()
}

#[test]
fn catalogs_merge_by_content_and_other_catalogs_are_refused() {
    let [a, b] = inputs();
    let dir = tempfile::tempdir().expect("tempdir");
    // The builtin catalog written to a file is another source with the same
    // content: its partials merge with the builtin's (the fingerprint is a
    // hash of the entries), and the report is the direct run's.
    let copy = dir.path().join("builtin.json");
    let o = tape(&["catalog", "--format", "json"]);
    assert_eq!(code(&o), 0);
    std::fs::write(&copy, &o.stdout).expect("write");
    let copy = copy.display().to_string();
    let from_file = partial(&[a, b, "--shard", "1/2", "--spec", &copy]);
    let builtin = shard_partial(2, 2, "2");
    assert_eq!(fingerprint(&from_file), fingerprint(&builtin));
    let (_d, files) = write_parts(&[from_file, builtin.clone()]);
    assert_same(
        &merge_json(&refs(&files)),
        direct_json(),
        "partial made with a copy of the builtin catalog + builtin partial",
    );

    // testdata/spec/tape.toml has the builtin's codes but another note on
    // too_many_requests, and a catalog of one entry is plainly another one:
    // both are refused, naming the partial.
    let one = dir.path().join("one.toml");
    std::fs::write(
        &one,
        "[[errors]]\nstatus = 404\nerror_code = \"not_found\"\ndescription = \"Gone.\"\n",
    )
    .expect("write");
    let one = one.display().to_string();
    for spec in ["testdata/spec/tape.toml", one.as_str()] {
        let other = partial(&["testdata/sample.har", "--spec", spec]);
        assert_ne!(fingerprint(&other), fingerprint(&builtin), "{spec}");
        let (_d, parts) = write_parts(&[builtin.clone(), other]);
        let o = tape(&["merge", &parts[0], &parts[1], "--format", "json"]);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{spec}: {err}");
        assert!(o.stdout.is_empty());
        assert!(
            err.contains("another catalog") && err.contains(&parts[1]) && err.contains(spec),
            "{spec}: the refusal should say the catalog differs and name the partial and the catalog:\n{err}"
        );

        // Alone, it merges only against the same --spec.
        let o = tape(&["merge", &parts[1], "--format", "json"]);
        assert_eq!(code(&o), 2);
        assert!(o.stdout.is_empty());
        assert!(stderr(&o).contains("--spec"), "{}", stderr(&o));
        let o = tape(&["merge", &parts[1], "--format", "json", "--spec", spec]);
        assert_ran(&o, "merge with the same --spec");
        let v: Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(v["catalog"]["source"], spec);
    }
}

#[test]
fn a_file_that_is_not_a_partial_is_named() {
    let good = partial(&["testdata/sample.har"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.display().to_string()
    };
    let report = {
        let o = tape(&["testdata/sample.har", "--format", "json"]);
        String::from_utf8(o.stdout).expect("utf-8")
    };
    let bad: Vec<(String, &str)> = vec![
        ("README.md".to_string(), "not a tape-audit partial"),
        (write("report.json", &report), "not a tape-audit partial"),
        (write("empty.json", ""), "no partial"),
        (write("half.json", &good[..good.len() / 2]), "partial"),
        (
            write(
                "v3.json",
                &good.replace("tape-audit/partial/v2", "tape-audit/partial/v3"),
            ),
            "tape-audit/partial/v3",
        ),
        (dir.path().join("missing.json").display().to_string(), ""),
    ];
    let good = write("good.json", &good);
    for (file, says) in &bad {
        let o = tape(&["merge", &good, file, "--format", "json"]);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{file}: {err}");
        assert!(o.stdout.is_empty(), "{file}: no report");
        assert!(
            err.contains(file.as_str()) && err.contains(says),
            "{file}: the error should name the file and say {says:?}:\n{err}"
        );
        assert_eq!(err.lines().count(), 1, "one error line:\n{err}");
    }
    // In a directory of partials, the bad file is named.
    let sub = dir.path().join("parts");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::copy(&good, sub.join("a.json")).expect("copy");
    std::fs::write(sub.join("b.txt"), "hello\n").expect("write");
    let o = tape(&["merge", sub.to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("b.txt"), "{}", stderr(&o));
}

/// A partial of the format before v2 (`tape-audit/partial/v1`, whose
/// `codes` was a list of ((status, class), {code: stat}) groups, which v2
/// cannot parse) is refused with a message naming its version and what to
/// do, not with the type error of the first field that differs.
#[test]
fn an_old_partial_is_named_as_such() {
    let mut v: Value = serde_json::from_str(&partial(&["testdata/sample.jsonl"])).expect("json");
    v["schema"] = Value::from("tape-audit/partial/v1");
    let mut groups: BTreeMap<String, (Value, serde_json::Map<String, Value>)> = BTreeMap::new();
    for row in v["summary"]["codes"]["rows"].as_array().expect("rows") {
        let (key, stat) = (&row[0], &row[1]);
        let group = serde_json::json!([key["status"], key["class"]]);
        groups
            .entry(group.to_string())
            .or_insert_with(|| (group, serde_json::Map::new()))
            .1
            .insert(
                key["code"].as_str().expect("code").to_string(),
                stat.clone(),
            );
    }
    assert!(groups.len() > 3, "the sample has several groups");
    v["summary"]["codes"] = groups
        .into_values()
        .map(|(g, codes)| serde_json::json!([g, codes]))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let old = dir.path().join("old.json");
    std::fs::write(&old, v.to_string()).expect("write");
    let o = tape(&["merge", old.to_str().expect("utf-8"), "--format", "json"]);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(o.stdout.is_empty(), "no report");
    assert_eq!(
        err.trim_end(),
        format!(
            "tape-audit: {}: a tape-audit/partial/v1 report; this build reads tape-audit/partial/v2 (make the partials again with this version)",
            old.display()
        )
    );
}

/// The `inputs[].path` of a JSON report.
fn input_paths(json: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(json).expect("json");
    v["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i["path"].as_str().expect("path").to_string())
        .collect()
}

#[test]
fn shards_partition_the_inputs() {
    let [a, b] = inputs();
    let all = input_paths(direct_json());
    assert!(all.len() > 30, "{all:?}");
    for n in [2u32, 3, 7] {
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        let mut nonempty = 0;
        for k in 1..=n {
            let shard = format!("{k}/{n}");
            let o = tape(&[
                a,
                b,
                "--shard",
                &shard,
                "--format",
                "json",
                "--allow-empty",
                "--no-progress",
            ]);
            assert_ran(&o, &shard);
            let paths = input_paths(&o.stdout);
            let mut sorted = paths.clone();
            sorted.sort();
            assert_eq!(paths, sorted, "shard {shard} reads in name order");
            nonempty += usize::from(!paths.is_empty());
            for p in paths {
                *seen.entry(p).or_default() += 1;
            }
        }
        let twice: Vec<_> = seen.iter().filter(|(_, &c)| c > 1).collect();
        assert!(twice.is_empty(), "{n} shards: in several shards: {twice:?}");
        let got: Vec<String> = seen.into_keys().collect();
        assert_eq!(got, all, "{n} shards: every input in exactly one shard");
        assert!(nonempty >= 2, "{n} shards: all inputs fell in one shard");
    }
    for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
        let o = tape(&[a, "--shard", bad, "--format", "json"]);
        assert_eq!(code(&o), 2, "--shard {bad}");
        assert!(stderr(&o).contains("--shard"), "{}", stderr(&o));
    }
}

/// Files under the inputs as tape-audit walks them (name order, hidden
/// entries skipped), to name them one by one.
fn listed_files() -> &'static [String] {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        for n in names {
            let (p, r) = (dir.join(&n), format!("{rel}/{n}"));
            if p.is_dir() {
                walk(&p, &r, out);
            } else {
                out.push(r);
            }
        }
    }
    static ONCE: OnceLock<Vec<String>> = OnceLock::new();
    ONCE.get_or_init(|| {
        let mut out = Vec::new();
        for i in inputs() {
            walk(&root().join(i), i, &mut out);
        }
        out
    })
}

/// The JSON report of one run naming every listed file.
fn direct_files_json() -> &'static [u8] {
    static ONCE: OnceLock<Vec<u8>> = OnceLock::new();
    ONCE.get_or_init(|| {
        let mut args = refs(listed_files());
        args.extend(["--format", "json", "--allow-empty", "--no-progress"]);
        let o = tape(&args);
        assert_ran(&o, "the direct run over the listed files");
        o.stdout
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 5,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any split of the files into groups, audited group by group and
    /// merged in any order (some partials on stdin), is the one run's report.
    #[test]
    fn any_split_of_the_files_merges_to_one_run(
        groups in proptest::collection::vec(0usize..4, 64),
        seed in any::<u64>(),
        on_stdin in any::<[bool; 4]>(),
    ) {
        let files = listed_files();
        prop_assert!(files.len() <= groups.len());
        let mut parts = Vec::new();
        let mut stdin = String::new();
        for (g, &to_stdin) in on_stdin.iter().enumerate() {
            let mine: Vec<&str> = files
                .iter()
                .zip(&groups)
                .filter(|(_, &x)| x == g)
                .map(|(f, _)| f.as_str())
                .collect();
            if mine.is_empty() {
                continue;
            }
            let p = partial(&mine);
            if to_stdin {
                stdin.push_str(&p);
            } else {
                parts.push(p);
            }
        }
        let (_dir, mut args) = write_parts(&parts);
        if !stdin.is_empty() {
            args.push("-".to_string());
        }
        let mut args = shuffled(&args, seed);
        args.insert(0, "merge".to_string());
        args.extend(["--format", "json", "--allow-empty"].map(String::from));
        let m = tape_stdin(&refs(&args), stdin.into_bytes());
        assert_ran(&m, &format!("{args:?}"));
        assert_same(&m.stdout, direct_files_json(), &format!("groups {groups:?}, {args:?}"));
    }
}

/// The Spark recipe checks the schema of each partial it collects; it must be
/// the one this build writes (a stale one failed every shard of the recipe).
#[test]
fn the_spark_recipe_expects_the_partial_schema_written() {
    let written: Value =
        serde_json::from_str(partial(&["testdata/sample.har"]).trim()).expect("partial is JSON");
    let schema = written["schema"].as_str().expect("partial has a schema");
    let recipe = std::fs::read_to_string(root().join("examples/spark/tape_audit_spark.py"))
        .expect("the Spark recipe");
    let line = format!("PARTIAL_SCHEMA = \"{schema}\"");
    assert!(
        recipe.lines().any(|l| l.trim() == line),
        "examples/spark/tape_audit_spark.py must declare `{line}`"
    );
}
