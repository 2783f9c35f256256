//! Bounded memory at any cardinality: keyed tables past their memory budget
//! (lowered here with the hidden `TAPE_AUDIT_MEMORY_ENTRIES`, so that a few
//! hundred records spill to disk) give the same exact reports; reports fold
//! what they cannot list into an honest statement in every format; the
//! timeline coarsens up a fixed ladder; partials of any split, merged in
//! any order, give the direct run's report byte for byte.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// A budget that makes every table below spill many runs.
const SMALL: &str = "8";

fn tape(dir: &Path, budget: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tape-audit"));
    c.current_dir(dir).env("TMPDIR", dir);
    match budget {
        Some(b) => c.env("TAPE_AUDIT_MEMORY_ENTRIES", b),
        None => c.env_remove("TAPE_AUDIT_MEMORY_ENTRIES"),
    };
    let o = c.args(args).output().expect("tape-audit runs");
    assert!(
        o.status.success(),
        "tape-audit {args:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).expect("a JSON report")
}

fn text(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

/// One JSON line: `status`, `code` (none for a success), a path, a
/// credential and a time (ms after a fixed start).
fn line(status: u16, code: Option<&str>, path: &str, client: &str, ms: i64) -> String {
    let body = match code {
        Some(c) => serde_json::json!({"error_code": c, "error_message": "x"}).to_string(),
        None => "{}".to_string(),
    };
    let t = 1_718_096_400_000i64 + ms;
    serde_json::json!({
        "timestamp": t / 1000,
        "status": status,
        "method": "GET",
        "url": format!("https://api.tapeapp.com{path}"),
        "headers": {"authorization": format!("Bearer sk_live_{client:0>24}")},
        "response_body": body,
    })
    .to_string()
}

/// Traffic with `n` unique error codes beside a frequent documented one,
/// `n` unique search paths, 40 clients and one success in three.
fn high_cardinality(n: usize) -> Vec<String> {
    (0..n)
        .flat_map(|i| {
            let ms = i as i64 * 1000;
            [
                line(
                    404,
                    Some(&format!("gone_{i}")),
                    &format!("/search/red-shoes-{}", i % 97),
                    &format!("{}", i % 40),
                    ms,
                ),
                line(
                    404,
                    Some("not_found"),
                    &format!("/search/blue-{i}"),
                    &format!("{}", i % 40),
                    ms + 1,
                ),
                line(200, None, "/v1/user", "7", ms + 2),
            ]
        })
        .collect()
}

fn write(dir: &Path, name: &str, lines: &[String]) {
    std::fs::write(dir.join(name), lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_dimension_past_its_limit_folds_with_exact_totals_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let lines = high_cardinality(300);
    write(dir.path(), "a.jsonl", &lines);
    // --collapse 0: every path its own endpoint (the templates are tested below).
    let args = [
        "a.jsonl",
        "--max-codes",
        "5",
        "--max-endpoints",
        "4",
        "--max-clients",
        "3",
        "--collapse",
        "0",
    ];
    let r = json(&tape(
        dir.path(),
        Some(SMALL),
        &[&args[..], &["--format", "json"]].concat(),
    ));
    assert_eq!(r["totals"]["records"], 900);
    assert_eq!(r["totals"]["responses"], 900);
    assert_eq!(r["classes"]["documented"], 300);
    assert_eq!(r["classes"]["undocumented_code"], 300);
    assert_eq!(r["classes"]["ok"], 300);
    let codes = r["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 5);
    // The most frequent rows, ties by key: not_found (300), ok (300), then
    // the first three unique codes in key order.
    let listed: Vec<&str> = codes
        .iter()
        .map(|c| c["error_code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(listed, ["", "not_found", "gone_0", "gone_1", "gone_10"]);
    let fold = &r["codes_fold"];
    assert_eq!(fold["distinct"], 302);
    assert_eq!(fold["listed"], 5);
    assert_eq!(fold["others"], 297);
    assert_eq!(fold["responses"], 297);
    let statement = "302 distinct (status, error_code, class) rows; the 5 most frequent are listed; 297 others account for 297 responses";
    assert_eq!(fold["statement"], statement);
    // Clients: 40 distinct for not_found, the 3 most frequent listed.
    let nf = codes
        .iter()
        .find(|c| c["error_code"] == "not_found")
        .unwrap();
    assert_eq!(nf["distinct_clients"], 40);
    assert_eq!(nf["clients"].as_object().unwrap().len(), 3);
    let shown: u64 = nf["clients"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(nf["clients_fold"]["others"], 37);
    assert_eq!(
        nf["clients_fold"]["responses"].as_u64().unwrap() + shown,
        300
    );
    // Endpoints: 97 + 300 with errors, 4 listed, the rest counted.
    assert_eq!(r["endpoints"].as_array().unwrap().len(), 4);
    let ef = &r["endpoints_fold"];
    assert_eq!(ef["distinct"], 397);
    let listed_errors: u64 = r["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["errors"].as_u64().unwrap())
        .sum();
    assert_eq!(ef["responses"].as_u64().unwrap() + listed_errors, 600);
    for format in ["table", "markdown", "html"] {
        let out = text(&tape(
            dir.path(),
            Some(SMALL),
            &[&args[..], &["--format", format]].concat(),
        ));
        assert!(
            out.contains(statement),
            "{format} says what it left out:\n{out}"
        );
        assert!(
            out.contains(ef["statement"].as_str().unwrap()),
            "{format} says which endpoints it left out"
        );
    }
}

#[test]
fn spilled_tables_give_the_reports_and_partials_of_tables_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.jsonl", &high_cardinality(200));
    for format in ["json", "partial", "table"] {
        let small = tape(
            dir.path(),
            Some(SMALL),
            &["a.jsonl", "--format", format, "-j", "2"],
        );
        let big = tape(
            dir.path(),
            None,
            &["a.jsonl", "--format", format, "-j", "1"],
        );
        assert_eq!(
            text(&small),
            text(&big),
            "{format}: spilling changes nothing"
        );
    }
    // No temporary run is left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".tape-audit-run-")
        })
        .collect();
    assert!(left.is_empty(), "temporary runs left: {left:?}");
}

#[test]
fn merge_of_any_split_in_any_order_is_the_direct_report_above_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let lines = high_cardinality(240);
    let names = ["a.jsonl", "b.jsonl", "c.jsonl"];
    for (i, chunk) in lines.chunks(240).enumerate() {
        write(dir.path(), names[i], chunk);
    }
    let d = dir.path();
    for format in ["json", "table", "markdown"] {
        let direct = text(&tape(
            d,
            Some(SMALL),
            &[&names[..], &["--format", format, "--max-codes", "20"]].concat(),
        ));
        let part = |inputs: &[&str], out: &str| {
            let o = tape(d, Some(SMALL), &[inputs, &["--format", "partial"]].concat());
            std::fs::write(d.join(out), &o.stdout).unwrap();
        };
        part(&["a.jsonl"], "pa");
        part(&["b.jsonl"], "pb");
        part(&["c.jsonl"], "pc");
        part(&["a.jsonl", "c.jsonl"], "pac");
        for parts in [
            &["pa", "pb", "pc"][..],
            &["pc", "pa", "pb"],
            &["pb", "pac"],
            &["pac", "pb"],
        ] {
            let merged = text(&tape(
                d,
                Some(SMALL),
                &[
                    &["merge"],
                    parts,
                    &["--format", format, "--max-codes", "20"],
                ]
                .concat(),
            ));
            assert_eq!(merged, direct, "{format}: merge {parts:?}");
        }
    }
}

#[test]
fn the_timeline_coarsens_up_the_ladder_and_merges_across_splits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 30 days, one error an hour: 43,200 one-minute buckets.
    let lines: Vec<String> = (0..720)
        .map(|h| {
            line(
                500,
                Some("internal_server_error"),
                "/v1/user",
                "1",
                h * 3_600_000,
            )
        })
        .collect();
    write(d, "early.jsonl", &lines[..100]);
    write(d, "late.jsonl", &lines[100..]);
    let args = [
        "early.jsonl",
        "late.jsonl",
        "--max-buckets",
        "100",
        "--format",
        "json",
    ];
    let r = json(&tape(d, None, &args));
    let tl = &r["timeline"];
    // 1m, 5m, 15m, 30m, 1h, 2h, 6h need more than 100; 12 h holds 30 days in 61.
    assert_eq!(tl["bucket_seconds"], 43_200.0);
    assert_eq!(tl["requested_bucket_seconds"], 60.0);
    let note = tl["note"].as_str().unwrap();
    assert!(
        note.starts_with("buckets coarsened from 1 min to 12 h"),
        "{note}"
    );
    assert!(note.contains("--max-buckets 100"), "{note}");
    let buckets = tl["buckets"].as_array().unwrap();
    assert!(
        buckets.len() <= 100 && buckets.len() >= 60,
        "{} buckets",
        buckets.len()
    );
    let sum: u64 = buckets
        .iter()
        .map(|b| b["responses"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 720, "every response is in a bucket");
    for b in buckets {
        let start = chrono_ms(b["start"].as_str().unwrap());
        assert_eq!(
            start % 43_200_000,
            0,
            "buckets start at multiples of their width from the epoch"
        );
    }
    for format in ["table", "markdown", "html"] {
        let out = text(&tape(
            d,
            None,
            &[&args[..4], &["--format", format]].concat(),
        ));
        assert!(
            out.contains("buckets coarsened from 1 min to 12 h"),
            "{format}:\n{out}"
        );
    }
    // The early file alone coarsens less; merged with the late one, the
    // timeline is the direct run's.
    let early = tape(
        d,
        None,
        &["early.jsonl", "--max-buckets", "100", "--format", "partial"],
    );
    let p: Value = serde_json::from_slice(&early.stdout).unwrap();
    assert!(p["summary"]["timeline_ms"].as_i64().unwrap() < 43_200_000);
    std::fs::write(d.join("pe"), &early.stdout).unwrap();
    let late = tape(
        d,
        None,
        &["late.jsonl", "--max-buckets", "100", "--format", "partial"],
    );
    std::fs::write(d.join("pl"), &late.stdout).unwrap();
    for parts in [["pe", "pl"], ["pl", "pe"]] {
        let m = tape(d, None, &["merge", parts[0], parts[1], "--format", "json"]);
        assert_eq!(text(&m), text(&tape(d, None, &args)), "merge {parts:?}");
    }
}

#[test]
fn partials_with_different_buckets_merge_at_the_larger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines: Vec<String> = (0..50)
        .map(|i| line(404, Some("not_found"), "/v1/user", "1", i * 47_000))
        .collect();
    write(d, "a.jsonl", &lines[..20]);
    write(d, "b.jsonl", &lines[20..]);
    let pa = tape(
        d,
        None,
        &["a.jsonl", "--bucket", "1m", "--format", "partial"],
    );
    let pb = tape(
        d,
        None,
        &["b.jsonl", "--bucket", "5m", "--format", "partial"],
    );
    std::fs::write(d.join("pa"), &pa.stdout).unwrap();
    std::fs::write(d.join("pb"), &pb.stdout).unwrap();
    let direct = text(&tape(
        d,
        None,
        &["a.jsonl", "b.jsonl", "--bucket", "5m", "--format", "json"],
    ));
    for parts in [["pa", "pb"], ["pb", "pa"]] {
        let m = tape(d, None, &["merge", parts[0], parts[1], "--format", "json"]);
        assert_eq!(text(&m), direct, "merge {parts:?} at 5 min");
    }
}

#[test]
fn path_positions_with_many_values_become_variables() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lines = Vec::new();
    for i in 0..60 {
        let ms = i * 1000;
        lines.push(line(
            404,
            Some("not_found"),
            &format!("/users/user-{i}/orders"),
            "1",
            ms,
        ));
        lines.push(line(
            404,
            Some("not_found"),
            &format!("/search/term-{i}"),
            "1",
            ms,
        ));
        lines.push(line(
            404,
            Some("not_found"),
            &format!("/files/report-{i}.pdf"),
            "1",
            ms,
        ));
    }
    // Literal siblings, few: they stay as they are.
    for p in ["/v1/user", "/v1/app", "/v1/workspace"] {
        lines.push(line(500, Some("internal_server_error"), p, "1", 0));
    }
    // Few values under /teams/: below the threshold, kept apart.
    for i in 0..5 {
        lines.push(line(
            404,
            Some("not_found"),
            &format!("/teams/team-{i}"),
            "1",
            0,
        ));
    }
    write(d, "a.jsonl", &lines);
    let endpoints = |extra: &[&str]| -> Vec<(String, u64)> {
        let r = json(&tape(
            d,
            Some(SMALL),
            &[&["a.jsonl", "--format", "json"], extra].concat(),
        ));
        let mut v: Vec<(String, u64)> = r["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["endpoint"].as_str().unwrap().to_string(),
                    e["errors"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let want: Vec<(String, u64)> = [
        ("/files/{*}", 60),
        ("/search/{*}", 60),
        ("/teams/team-0", 1),
        ("/teams/team-1", 1),
        ("/teams/team-2", 1),
        ("/teams/team-3", 1),
        ("/teams/team-4", 1),
        ("/users/{*}/orders", 60),
        ("/v1/app", 1),
        ("/v1/user", 1),
        ("/v1/workspace", 1),
    ]
    .iter()
    .map(|(e, n)| (e.to_string(), *n))
    .collect();
    assert_eq!(endpoints(&[]), want);
    // A lower threshold takes /teams/ too; 0 turns the templates off.
    assert!(endpoints(&["--collapse", "5"]).contains(&("/teams/{*}".to_string(), 5)));
    assert_eq!(endpoints(&["--collapse", "0"]).len(), 60 * 3 + 3 + 5);
    // The CSV keeps the raw path.
    let csv = text(&tape(d, None, &["a.jsonl", "--csv", "-"]));
    assert!(
        csv.contains("/search/term-7") && csv.contains("/users/user-7/orders"),
        "{csv}"
    );
}

/// Epoch ms of an RFC 3339 UTC time as reports write it.
fn chrono_ms(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .timestamp_millis()
}
