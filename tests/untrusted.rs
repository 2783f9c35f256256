//! Partials (`merge`) and baselines (`--baseline`) come from other machines
//! and other people: every one is checked on load. A bad one is refused
//! with one line naming the file and the field, exit 2, never a panic; what
//! they hold is escaped before it reaches a terminal.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::{json, Value};

use tape_audit::catalog::Catalog;
use tape_audit::partial;
use tape_audit::report::baseline::Baseline;
use tape_audit::report::{self, Report, ReportOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> String {
    root().join("testdata").join(name).display().to_string()
}

fn tape(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tape-audit"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("tape-audit runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The partial of both samples, as JSON.
fn sample_partial() -> Value {
    static ONCE: OnceLock<Value> = OnceLock::new();
    ONCE.get_or_init(|| {
        let o = tape(
            &root(),
            &[
                &data("sample.jsonl"),
                &data("sample.har"),
                "--format",
                "partial",
                "--no-progress",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).expect("a partial is JSON")
    })
    .clone()
}

/// Writes `files` into a new directory.
fn dir_with(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

/// Asserts a run refused its input with exactly one line, exit 2, starting
/// `tape-audit: WANT`.
fn assert_refused(o: &Output, want: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "exit; stderr:\n{err}");
    assert!(!err.contains("panicked"), "a panic:\n{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line:\n{err}");
    assert!(
        err.starts_with(&format!("tape-audit: {want}")),
        "want `tape-audit: {want}...`, got:\n{err}"
    );
    assert!(o.stdout.is_empty(), "no report on stdout");
}

/// `merge p1.json` of the sample partial changed by `edit`.
fn merge_edited(edit: impl FnOnce(&mut Value)) -> Output {
    let mut p = sample_partial();
    edit(&mut p);
    let dir = dir_with(&[("p1.json", p.to_string())]);
    tape(dir.path(), &["merge", "p1.json", "--format", "json"])
}

#[test]
fn a_zero_bucket_is_refused_not_divided_by() {
    let o = merge_edited(|p| {
        p["options"]["settings"]["bucket_ms"] = json!(0);
        p["summary"]["settings"]["bucket_ms"] = json!(0);
    });
    assert_refused(
        &o,
        "p1.json: options.settings.bucket_ms: must be at least 1",
    );
    let o = merge_edited(|p| {
        p["options"]["settings"]["bucket_ms"] = json!(-60000);
        p["summary"]["settings"]["bucket_ms"] = json!(-60000);
    });
    assert_refused(
        &o,
        "p1.json: options.settings.bucket_ms: must be at least 1",
    );
}

#[test]
fn summary_settings_must_be_the_options_settings() {
    let o = merge_edited(|p| p["summary"]["settings"]["bucket_ms"] = json!(0));
    assert_refused(
        &o,
        "p1.json: summary.settings: differ from options.settings",
    );
    let o = merge_edited(|p| p["summary"]["settings"]["samples"] = json!(7));
    assert_refused(
        &o,
        "p1.json: summary.settings: differ from options.settings",
    );
}

#[test]
fn counts_that_overflow_are_refused() {
    let o = merge_edited(|p| p["summary"]["classes"][1] = json!(u64::MAX));
    assert_refused(&o, "p1.json: summary.classes: counts add up to more than");
    let o = merge_edited(|p| {
        let f = &mut p["summary"]["files"]["0"];
        f["records"] = json!(u64::MAX);
        f["responses"] = json!(u64::MAX);
    });
    assert_refused(&o, "p1.json: summary.files.0: counts add up to more than");
}

#[test]
fn counts_that_do_not_add_up_are_refused() {
    // A class count above the responses.
    let o = merge_edited(|p| {
        let n = p["summary"]["classes"][1].as_u64().unwrap();
        p["summary"]["classes"][1] = json!(n + 1);
    });
    assert_refused(&o, "p1.json: summary.classes: ");
    let o = merge_edited(|p| {
        let n = p["summary"]["files"]["0"]["records"].as_u64().unwrap();
        p["summary"]["files"]["0"]["records"] = json!(n + 5);
    });
    assert_refused(&o, "p1.json: summary.files.0.records: ");
    let o = merge_edited(|p| {
        let n = p["summary"]["untimed"].as_u64().unwrap();
        p["summary"]["untimed"] = json!(n + 1);
    });
    assert_refused(&o, "p1.json: summary.timeline: ");
    let o = merge_edited(|p| p["summary"]["body_status_mismatch"]["count"] = json!(1000));
    assert_refused(
        &o,
        "p1.json: summary.body_status_mismatch.count: 1000 is more than",
    );
    // More skip reasons than skipped records: the report subtracts them.
    let o = merge_edited(|p| {
        let skipped = p["summary"]["skipped"].as_object_mut().unwrap();
        let (_, first) = skipped.iter_mut().next().expect("the samples skip records");
        let n = first["count"].as_u64().unwrap();
        first["count"] = json!(n + 3);
    });
    assert_refused(&o, "p1.json: summary.skipped: ");
    // An input index past the input list.
    let o = merge_edited(|p| {
        let f = p["summary"]["files"]["0"].clone();
        p["summary"]["files"]["7"] = f;
    });
    assert_refused(
        &o,
        "p1.json: summary.files: input 7 is not in the input list",
    );
}

#[test]
fn timeline_keys_must_be_bucket_starts_at_possible_times() {
    fn move_first_bucket(p: &mut Value, to: &str) {
        let tl = p["summary"]["timeline"].as_object_mut().unwrap();
        let k = tl.keys().next().expect("the samples are timed").clone();
        let b = tl.remove(&k).unwrap();
        tl.insert(to.to_string(), b);
    }
    let o = merge_edited(|p| move_first_bucket(p, "61"));
    assert_refused(
        &o,
        "p1.json: summary.timeline.61: not a bucket start (a multiple of bucket_ms 60000)",
    );
    // A multiple of 60 s, but before any date a timestamp parses to.
    let early = (-(1i64 << 62) / 60_000 * 60_000).to_string();
    let o = merge_edited(|p| move_first_bucket(p, &early));
    assert_refused(
        &o,
        &format!("p1.json: summary.timeline.{early}: {early} is not a time"),
    );
    // The earliest time there is and the latest: the report's walk from
    // the first bucket to the last would overflow.
    let first = (-8_000_000_000_000_000i64 / 60_000 * 60_000).to_string();
    let last = (i64::MAX / 60_000 * 60_000).to_string();
    let o = merge_edited(|p| {
        let tl = p["summary"]["timeline"].as_object_mut().unwrap();
        let keys: Vec<String> = tl.keys().cloned().collect();
        assert!(keys.len() >= 2, "{keys:?}");
        let a = tl.remove(&keys[0]).unwrap();
        let b = tl.remove(&keys[1]).unwrap();
        tl.insert(first.clone(), a);
        tl.insert(last.clone(), b);
    });
    assert_refused(
        &o,
        "p1.json: summary.timeline: its first and last buckets are too far apart",
    );
    // Each partial's span fits, the two together do not.
    let mut early_p = sample_partial();
    let mut late_p = sample_partial();
    late_p["inputs"][0]["name"] = json!("other.jsonl");
    late_p["inputs"][1]["name"] = json!("other.har");
    for (p, to) in [(&mut early_p, &first), (&mut late_p, &last)] {
        let tl = p["summary"]["timeline"].as_object_mut().unwrap();
        let all: Vec<(String, Value)> = std::mem::take(tl).into_iter().collect();
        let mut merged = all[0].1.clone();
        for (_, b) in &all[1..] {
            merged["responses"] =
                json!(merged["responses"].as_u64().unwrap() + b["responses"].as_u64().unwrap());
            for (k, n) in b["by_key"].as_object().unwrap() {
                let was = merged["by_key"][k].as_u64().unwrap_or(0);
                merged["by_key"][k] = json!(was + n.as_u64().unwrap());
            }
        }
        tl.insert(to.clone(), merged);
    }
    let dir = dir_with(&[
        ("p1.json", early_p.to_string()),
        ("p2.json", late_p.to_string()),
    ]);
    let o = tape(dir.path(), &["merge", "p1.json", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = tape(
        dir.path(),
        &["merge", "p1.json", "p2.json", "--format", "json"],
    );
    assert_refused(
        &o,
        "p2.json: summary.timeline: with the partials before it, the first and last buckets are too far apart",
    );
    let o = merge_edited(|p| p["summary"]["first_ms"] = json!(i64::MIN));
    assert_refused(&o, "p1.json: summary.first_ms: ");
    let o = merge_edited(|p| {
        let last = p["summary"]["last_ms"].as_i64().unwrap();
        p["summary"]["first_ms"] = json!(last + 1);
    });
    assert_refused(&o, "p1.json: summary.first_ms: ");
}

/// A log whose epoch time is absurd (year 3 million) records it as a time
/// far in the future; the partial of that run must still merge, into the
/// run's own report.
#[test]
fn a_run_with_an_absurd_timestamp_still_merges() {
    let line = |t: &str| {
        format!(
            r#"{{"timestamp": {t}, "method":"GET","url":"https://api.tapeapp.com/v1/x","status_code":404,"content_type":"application/json","response_body":"{{\"error_code\":\"not_found\",\"error_message\":\"x\"}}"}}"#
        ) + "\n"
    };
    let text = line("99999999999999999999999") + &line("\"2024-06-11T09:00:00Z\"");
    let dir = dir_with(&[("far.jsonl", text)]);
    let direct = tape(
        dir.path(),
        &["far.jsonl", "--format", "json", "--no-progress"],
    );
    assert_eq!(direct.status.code(), Some(0), "{}", stderr(&direct));
    let part = tape(
        dir.path(),
        &["far.jsonl", "--format", "partial", "--no-progress"],
    );
    std::fs::write(dir.path().join("far.partial.json"), &part.stdout).unwrap();
    let merged = tape(
        dir.path(),
        &["merge", "far.partial.json", "--format", "json"],
    );
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    assert_eq!(
        String::from_utf8_lossy(&merged.stdout),
        String::from_utf8_lossy(&direct.stdout)
    );
}

/// A partial of `n` unreadable records only: every count but the skipped
/// ones zero, so the counts can be made huge and stay consistent.
fn skipped_only_partial(n: u64) -> String {
    static ONCE: OnceLock<Value> = OnceLock::new();
    let base = ONCE.get_or_init(|| {
        let dir = dir_with(&[("junk.jsonl", "not json\n".to_string())]);
        let o = tape(
            dir.path(),
            &[
                "junk.jsonl",
                "--format",
                "partial",
                "--allow-empty",
                "--no-progress",
            ],
        );
        assert!(!o.stdout.is_empty(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    });
    let mut p = base.clone();
    let f = &mut p["summary"]["files"]["0"];
    f["records"] = json!(n);
    f["skipped"] = json!(n);
    let skipped = p["summary"]["skipped"].as_object_mut().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    skipped.values_mut().next().unwrap()["count"] = json!(n);
    p.to_string()
}

#[test]
fn records_of_all_partials_together_are_checked() {
    let half = (1u64 << 53) / 2 + 1;
    let dir = dir_with(&[
        ("p1.json", skipped_only_partial(half)),
        ("p2.json", skipped_only_partial(half)),
    ]);
    // Each alone is fine.
    let o = tape(
        dir.path(),
        &["merge", "p1.json", "--format", "json", "--allow-empty"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = tape(
        dir.path(),
        &[
            "merge",
            "p1.json",
            "p2.json",
            "--format",
            "json",
            "--allow-empty",
        ],
    );
    assert_refused(
        &o,
        "p2.json: summary.files: with the partials before it, more than 9007199254740992 records",
    );
    // Just below the limit they merge, and every writer copes.
    let dir = dir_with(&[
        ("p1.json", skipped_only_partial(half - 1)),
        ("p2.json", skipped_only_partial(half - 1)),
    ]);
    for format in ["json", "table", "markdown"] {
        let o = tape(
            dir.path(),
            &[
                "merge",
                "p1.json",
                "p2.json",
                "--format",
                format,
                "--allow-empty",
            ],
        );
        assert!(
            o.status.code() == Some(0) && !stderr(&o).contains("panicked"),
            "{format}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn names_from_partials_are_escaped_on_the_terminal() {
    let mut p = sample_partial();
    p["inputs"][0]["name"] = json!("evil\u{1b}[31m.jsonl");
    p["inputs"][0]["note"] = json!("left\u{1b}]0;pwned\u{7}out");
    p["inputs"][1]["shape"] = json!("shape\u{1b}[2J");
    p["options"]["filters"] = json!(["status \u{1b}[5m4xx"]);
    let skipped = p["summary"]["skipped"].as_object_mut().unwrap();
    let (k, v) = skipped
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    skipped.remove(&k);
    skipped.insert("reason\u{1b}[1m\u{202e}".into(), v);
    let text = p.to_string();
    // The same partial twice: the "in both" warning names inputs too.
    let dir = dir_with(&[("p1.json", text.clone()), ("p2.json", text)]);
    for format in ["table", "markdown"] {
        let o = tape(
            dir.path(),
            &[
                "merge", "p1.json", "p2.json", "--format", format, "--color", "never",
            ],
        );
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        let err = stderr(&o);
        assert!(!out.is_empty(), "{format}: {err}");
        for (what, s) in [("stdout", &out), ("stderr", &err)] {
            assert!(
                !s.contains(['\u{1b}', '\u{7}', '\u{202e}']),
                "{format} {what} has raw control characters:\n{s}"
            );
        }
        assert!(err.contains("evil\\u{1b}[31m.jsonl is in both"), "{err}");
    }
    let o = tape(
        dir.path(),
        &[
            "merge", "p1.json", "p2.json", "--format", "table", "--color", "never",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    for want in [
        "note: left\\u{1b}]0;pwned\\u{7}out",
        "shape shape\\u{1b}[2J",
        "reason\\u{1b}[1m\\u{202e}",
        "status \\u{1b}[5m4xx",
    ] {
        assert!(out.contains(want), "want {want:?} in:\n{out}");
    }
}

/// `--baseline NAME` holding `text`, over the JSON-lines sample.
fn with_baseline(name: &str, text: &str) -> Output {
    let dir = dir_with(&[(name, text.to_string())]);
    tape(
        dir.path(),
        &[
            &data("sample.jsonl"),
            "--baseline",
            name,
            "--format",
            "json",
        ],
    )
}

const EXPECTED: &str =
    "(expected the JSON of `tape-audit ... --format json`, schema tape-audit/report/v1";

#[test]
fn a_baseline_that_is_not_a_report_says_what_it_expects() {
    let log = std::fs::read_to_string(data("sample.jsonl")).unwrap();
    let o = with_baseline("before.jsonl", &log);
    assert_refused(
        &o,
        &format!(
            "before.jsonl: not a tape-audit JSON report {EXPECTED}; this holds several JSON values)"
        ),
    );
    for (text, what) in [
        ("", ""),
        ("not json", ""),
        ("[1, 2]", ""),
        ("{}", ""),
        (r#"{"schema": "other/v1"}"#, "; this has schema `other/v1`"),
    ] {
        let o = with_baseline("before.json", text);
        assert_refused(
            &o,
            &format!("before.json: not a tape-audit JSON report {EXPECTED}{what})"),
        );
    }
    let o = with_baseline("part.json", &sample_partial().to_string());
    assert_refused(
        &o,
        "part.json: a tape-audit partial, not a report: make the report with `tape-audit merge part.json --format json`",
    );
    let o = with_baseline("old.json", r#"{"schema": "tape-audit/report/v1"}"#);
    assert_refused(
        &o,
        "old.json: not a valid tape-audit/report/v1 report: missing field `totals`",
    );
}

#[test]
fn a_baseline_with_impossible_counts_is_refused() {
    let o = tape(&root(), &[&data("sample.jsonl"), "--format", "json"]);
    let good: Value = serde_json::from_slice(&o.stdout).unwrap();
    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut r = good.clone();
        edit(&mut r);
        r.to_string()
    };
    let o = with_baseline(
        "old.json",
        &edited(&|r| r["codes"][0]["count"] = json!(u64::MAX)),
    );
    assert_refused(&o, "old.json: codes[0].count: ");
    let o = with_baseline(
        "old.json",
        &edited(&|r| r["endpoints"][0]["errors"] = json!(u64::MAX)),
    );
    assert_refused(&o, "old.json: endpoints[0].errors: ");
    let o = with_baseline(
        "old.json",
        &edited(&|r| r["totals"]["responses"] = json!(u64::MAX)),
    );
    assert_refused(&o, "old.json: totals.responses: ");
    let o = with_baseline(
        "old.json",
        &edited(&|r| r["violations"]["not_json"] = json!(1_000_000)),
    );
    assert_refused(&o, "old.json: violations.not_json: ");
    // The report itself is a fine baseline.
    let o = with_baseline("old.json", &good.to_string());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Every writer over a merged partial (and a baseline), through the library.
fn report_everything(text: &str) {
    let Ok(parts) = partial::parse(text, "p.json") else {
        return;
    };
    let Ok(merged) = partial::merge(parts) else {
        return;
    };
    let cat = Catalog::builtin();
    let audit = merged.into_audit();
    let opts = ReportOptions {
        filters: Vec::new(),
        top: 10,
        max_skipped_share: 0.5,
        ..ReportOptions::default()
    };
    let mut r = Report::build(&audit, &cat, &opts);
    let json = serde_json::to_string(&r).expect("a report serializes");
    if let Ok(b) = Baseline::parse(&json, "old.json") {
        r.baseline = Some(b.compare(&r, 0.5));
    }
    let mut out = Vec::new();
    report::table::write(&r, 10, report::table::Style::new(true), &mut out).unwrap();
    report::markdown::write(&r, 10, &mut out).unwrap();
    report::json::write(&r, &mut out).unwrap();
    report::csv::write_timeline(&audit.summary, Box::new(std::io::sink())).unwrap();
}

/// Numbers a crafted file might hold.
fn extreme() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(-1)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1u64 << 53)),
        Just(json!((1u64 << 53) + 1)),
        Just(json!(u32::MAX)),
        (0u64..100).prop_map(|n| json!(n)),
    ]
}

/// Replaces the `k`th number leaf (modulo their count) with `v`.
fn set_nth_number(doc: &mut Value, k: usize, v: Value) {
    fn numbers<'a>(doc: &'a mut Value, out: &mut Vec<&'a mut Value>) {
        match doc {
            Value::Number(_) => out.push(doc),
            Value::Array(a) => a.iter_mut().for_each(|x| numbers(x, out)),
            Value::Object(m) => m.values_mut().for_each(|x| numbers(x, out)),
            _ => {}
        }
    }
    let mut leaves = Vec::new();
    numbers(doc, &mut leaves);
    let n = leaves.len();
    *leaves.swap_remove(k % n) = v;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any numbers in a partial: refused or reported, never a panic.
    #[test]
    fn crafted_numbers_in_a_partial_never_panic(
        edits in proptest::collection::vec((any::<usize>(), extreme()), 1..4)
    ) {
        let mut p = sample_partial();
        for (k, v) in edits {
            set_nth_number(&mut p, k, v);
        }
        report_everything(&p.to_string());
    }

    /// Any numbers in a baseline: refused or compared, never a panic.
    #[test]
    fn crafted_numbers_in_a_baseline_never_panic(
        edits in proptest::collection::vec((any::<usize>(), extreme()), 1..4)
    ) {
        static GOOD: OnceLock<Value> = OnceLock::new();
        let good = GOOD.get_or_init(|| {
            let o = tape(&root(), &[&data("sample.jsonl"), &data("sample.har"), "--format", "json"]);
            serde_json::from_slice(&o.stdout).unwrap()
        });
        let mut r = good.clone();
        for (k, v) in edits {
            set_nth_number(&mut r, k, v);
        }
        let Ok(parts) = partial::parse(&sample_partial().to_string(), "p.json") else {
            panic!("the sample partial loads");
        };
        let audit = partial::merge(parts).unwrap().into_audit();
        let now = Report::build(&audit, &Catalog::builtin(), &ReportOptions::default());
        if let Ok(b) = Baseline::parse(&r.to_string(), "old.json") {
            let _ = b.compare(&now, 0.5);
        }
    }
}

/// Files kept from fuzzing (`fuzz/fuzz_targets/partial_load.rs` and
/// `baseline_load.rs`): each goes through the library paths the targets
/// drive.
#[test]
fn fuzz_regressions_replay() {
    let dir = root().join("tests/fuzz_regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if name.starts_with("partial_load-") {
            report_everything(&text);
            replayed += 1;
        } else if name.starts_with("baseline_load-") {
            let _ = Baseline::parse(&text, "old.json");
            replayed += 1;
        }
    }
    // The partial with `bucket_ms: 0` that made `merge` divide by zero.
    assert!(replayed >= 1, "no partial_load-/baseline_load- reproducers");
    let zero = std::fs::read_to_string(dir.join("partial_load-bucket-ms-zero.json")).unwrap();
    let err = partial::parse(&zero, "p1.json").unwrap_err().to_string();
    assert_eq!(
        err,
        "p1.json: options.settings.bucket_ms: must be at least 1"
    );
}
