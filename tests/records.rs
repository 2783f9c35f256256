//! Records of any size, through the binary: HAR entries, HAR members and
//! JSON-lines lines larger than the record limit are `too_large` (or, for a
//! HAR entry whose body alone does not fit, counted by its status), and
//! JSON documents are read value by value. The limit is lowered with the
//! hidden `TAPE_AUDIT_MAX_RECORD_BYTES` (bytes) so that inputs stay small.
//!
//! Every run is checked for the basics: no panic, every record accounted
//! (`records == responses + skipped + excluded`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

fn bin() -> PathBuf {
    std::env::var_os("TAPE_AUDIT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tape-audit")))
}

/// A finished run: exit code, the JSON report, stderr.
struct Run {
    code: i32,
    rep: Value,
    stderr: String,
}

/// `tape-audit FILE --format json ARGS` with `env`, its totals checked.
fn audit(file: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(bin());
    c.arg(file)
        .args(args)
        .args(["--format", "json", "--no-progress", "--allow-empty"]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let rep: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}); stderr: {stderr}"));
    let t = &rep["totals"];
    let n = |k: &str| t[k].as_u64().unwrap();
    assert_eq!(
        n("records"),
        n("responses") + n("skipped") + n("excluded"),
        "every record accounted: {t}"
    );
    Run {
        code: out.status.code().unwrap_or(-1),
        rep,
        stderr,
    }
}

fn total(rep: &Value, k: &str) -> u64 {
    rep["totals"][k].as_u64().unwrap()
}

fn class(rep: &Value, k: &str) -> u64 {
    rep["classes"][k].as_u64().unwrap_or(0)
}

/// The skipped records of `reason`: count and first locators.
fn skipped(rep: &Value, reason: &str) -> (u64, Vec<Value>) {
    rep["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["reason"] == reason)
        .map_or((0, Vec::new()), |s| {
            (
                s["count"].as_u64().unwrap(),
                s["first"].as_array().unwrap().clone(),
            )
        })
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// A HAR entry with `text` as its response body.
fn entry(i: usize, status: u16, text: &str, base64: bool) -> Value {
    let mut content = json!({"size": text.len(), "mimeType": "application/json", "text": text});
    if base64 {
        content["encoding"] = json!("base64");
        content["mimeType"] = json!("image/png");
    }
    json!({
        "startedDateTime": format!("2024-06-11T09:00:{:02}.000Z", i % 60),
        "time": 10.5,
        "request": {"method": "GET", "url": format!("https://api.tapeapp.com/v1/record/{i}"),
            "headers": [{"name": "X-Request-Id", "value": format!("req-{i}")}]},
        "response": {"status": status, "headers": [], "content": content}
    })
}

fn envelope(i: usize) -> String {
    json!({"error_code": "not_found", "error_message": format!("no record {i}")}).to_string()
}

fn har(log: Value) -> String {
    json!({ "log": log }).to_string()
}

const LIMIT: &str = "65536";

fn limit() -> [(&'static str, &'static str); 1] {
    [("TAPE_AUDIT_MAX_RECORD_BYTES", LIMIT)]
}

#[test]
fn a_har_entry_over_the_limit_is_too_large_with_its_locator() {
    let d = tempfile::tempdir().unwrap();
    let big = format!(
        "{{\"error_code\":\"internal\",\"error_message\":\"{}\"}}",
        "x".repeat(200_000)
    );
    let entries = vec![
        entry(0, 404, &envelope(0), false),
        entry(1, 500, &big, false),
        entry(2, 404, &envelope(2), false),
    ];
    let p = write(
        d.path(),
        "big-error.har",
        har(json!({"version": "1.2", "entries": entries})),
    );
    // Within the limit, the entry is judged like any other.
    let whole = audit(&p, &[], &[]);
    assert_eq!(skipped(&whole.rep, "too_large").0, 0);
    assert_eq!(total(&whole.rep, "responses"), 3);
    let r = audit(&p, &[], &limit());
    assert_eq!(total(&r.rep, "records"), 3, "{}", r.stderr);
    assert_eq!(total(&r.rep, "responses"), 2);
    let (n, first) = skipped(&r.rep, "too_large");
    assert_eq!(n, 1);
    assert_eq!(first[0]["file"], p.to_str().unwrap());
    assert_eq!(first[0]["entry"], 1);
    let detail = first[0]["detail"].as_str().unwrap();
    let body = serde_json::to_string(&big).unwrap().len();
    assert_eq!(
        detail,
        format!("status 500: a {body}-byte body, over the 65536-byte limit")
    );
    // The documented flag reaches the HAR reader too.
    let mib = format!(
        "{{\"error_code\":\"internal\",\"error_message\":\"{}\"}}",
        "y".repeat(1 << 20)
    );
    let p = write(
        d.path(),
        "mib.har",
        har(json!({"entries": [entry(0, 503, &mib, false)]})),
    );
    let r = audit(&p, &["--max-record-mib", "1"], &[]);
    assert_eq!(skipped(&r.rep, "too_large").0, 1, "{}", r.rep["skipped"]);
}

#[test]
fn a_large_ok_entry_is_counted_by_status_its_body_unjudged() {
    let d = tempfile::tempdir().unwrap();
    // A 300 KB image as base64 in a 200, and a no-response entry with a
    // large request body: ordinary traffic, not bad records.
    let image = "iVBORw0KGgo".repeat(30_000);
    let mut no_response = entry(3, 0, "", false);
    no_response["request"]["postData"] =
        json!({"mimeType": "text/plain", "text": "p".repeat(100_000)});
    let entries = vec![
        entry(0, 200, &image, true),
        entry(1, 404, &envelope(1), false),
        entry(2, 200, "{}", false),
        no_response,
    ];
    let p = write(
        d.path(),
        "image.har",
        har(json!({"version": "1.2", "entries": entries})),
    );
    let r = audit(&p, &[], &limit());
    assert_eq!(total(&r.rep, "records"), 4, "{}", r.stderr);
    assert_eq!(total(&r.rep, "skipped"), 0, "{}", r.rep["skipped"]);
    assert_eq!(class(&r.rep, "ok"), 2);
    assert_eq!(class(&r.rep, "documented"), 1);
    assert_eq!(class(&r.rep, "no_response"), 1);
    let note = r.rep["inputs"][0]["note"].as_str().unwrap_or_default();
    assert_eq!(
        note,
        "1 entry larger than the 65536-byte record limit counted by status without judging the body"
    );
    // The same capture without a limit: the same classes, no note.
    let whole = audit(&p, &[], &[]);
    assert_eq!(whole.rep["classes"], r.rep["classes"]);
    assert!(whole.rep["inputs"][0]["note"].is_null());
}

#[test]
fn huge_members_besides_entries_are_passed_over() {
    let d = tempfile::tempdir().unwrap();
    let pages: Vec<Value> = (0..5000)
        .map(|i| json!({"id": format!("page_{i}"), "title": "a page title", "pageTimings": {}}))
        .collect();
    // In this order (`json!` sorts keys): pages before the entries, a
    // comment after them.
    let log = format!(
        r#"{{"version":"1.2","pages":{},"entries":[{},{}],"comment":"{}"}}"#,
        json!(pages),
        entry(0, 404, &envelope(0), false),
        entry(1, 200, "{}", false),
        "c".repeat(100_000)
    );
    let doc = format!(r#"{{"log":{log},"_after":"{}"}}"#, "a".repeat(70_000));
    let p = write(d.path(), "pages.har", &doc);
    let r = audit(&p, &[], &limit());
    assert_eq!(total(&r.rep, "records"), 2, "{}", r.stderr);
    assert_eq!(total(&r.rep, "skipped"), 0);
    assert!(r.rep["errors"].as_array().unwrap().is_empty());
    let note = r.rep["inputs"][0]["note"].as_str().unwrap();
    let pages_len = serde_json::to_string(&pages).unwrap().len();
    assert_eq!(
        note,
        format!("`log.pages` ({pages_len} bytes), `log.comment` (100002 bytes), `_after` (70002 bytes) larger than the 65536-byte record limit passed over unread (not entries)")
    );
    // A member before `log` larger than the limit hides the HAR from
    // detection (which looks at most that far): the format can be given.
    let doc = format!(r#"{{"_before":"{}","log":{log}}}"#, "b".repeat(70_000));
    let p = write(d.path(), "before.har", &doc);
    let r = audit(&p, &["--input-format", "har"], &limit());
    assert_eq!(total(&r.rep, "records"), 2, "{}", r.stderr);
    let note = r.rep["inputs"][0]["note"].as_str().unwrap();
    assert!(
        note.starts_with("`_before` (70002 bytes), `log.pages`"),
        "{note}"
    );
}

/// A flat JSON-lines record padded to exactly `len` bytes.
fn line_of(len: usize, status: u16) -> String {
    let base =
        json!({"status": status, "url": "https://api.tapeapp.com/v1/r/1", "pad": ""}).to_string();
    let pad = len - base.len();
    let l =
        json!({"status": status, "url": "https://api.tapeapp.com/v1/r/1", "pad": "p".repeat(pad)})
            .to_string();
    assert_eq!(l.len(), len);
    l
}

#[test]
fn json_lines_limit_is_exact() {
    let d = tempfile::tempdir().unwrap();
    let n: usize = LIMIT.parse().unwrap();
    // Lines of limit - 1, limit and limit + 1 bytes (the `\n` not counted),
    // also as the last line without a newline and with CRLF.
    let data = format!(
        "{}\n{}\n{}\n{}\r\n{}\r\n{}",
        line_of(n - 1, 200),
        line_of(n, 201),
        line_of(n + 1, 202),
        line_of(n - 1, 203),
        line_of(n, 204),
        line_of(n + 1, 205),
    );
    for block in ["1000", "65536", "1048576"] {
        let p = write(d.path(), "exact.jsonl", &data);
        let r = audit(
            &p,
            &[],
            &[
                ("TAPE_AUDIT_MAX_RECORD_BYTES", LIMIT),
                ("TAPE_AUDIT_BLOCK_BYTES", block),
            ],
        );
        assert_eq!(total(&r.rep, "records"), 6, "{}", r.stderr);
        assert_eq!(total(&r.rep, "responses"), 3, "block {block}");
        let (k, first) = skipped(&r.rep, "too_large");
        assert_eq!(k, 3);
        let lines: Vec<&Value> = first.iter().map(|f| &f["line"]).collect();
        assert_eq!(lines, [&json!(3), &json!(5), &json!(6)], "block {block}");
        let detail = first[0]["detail"].as_str().unwrap();
        assert_eq!(
            detail,
            format!("line of {} bytes, over the 65536-byte limit", n + 1)
        );
    }
    // With the flag itself: a line of exactly 1 MiB is read, 1 MiB + 1 is not.
    let mib = 1 << 20;
    let data = format!("{}\n{}\n", line_of(mib, 500), line_of(mib + 1, 500));
    let p = write(d.path(), "mib.jsonl", &data);
    let r = audit(&p, &["--max-record-mib", "1"], &[]);
    assert_eq!(total(&r.rep, "responses"), 1);
    assert_eq!(skipped(&r.rep, "too_large").1[0]["line"], 2);
}

/// The report's codes as (status, class, error_code, count).
fn counts(rep: &Value) -> Vec<(Value, Value, Value, Value)> {
    rep["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["status"].clone(),
                c["class"].clone(),
                c["error_code"].clone(),
                c["count"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_json_array_streams_value_by_value() {
    let d = tempfile::tempdir().unwrap();
    let recs: Vec<Value> = (0..1500)
        .map(|i| {
            let status = [200, 404, 500][i % 3];
            json!({"status": status, "url": format!("https://api.tapeapp.com/v1/record/{i}"),
                   "body": if status >= 400 { envelope(i) } else { "{}".to_string() }})
        })
        .collect();
    // The document is far larger than the record limit: only each value is
    // held to it.
    let doc = serde_json::to_string_pretty(&recs).unwrap();
    assert!(doc.len() > 2 * LIMIT.parse::<usize>().unwrap());
    let p = write(d.path(), "array.json", &doc);
    let lines: String = recs.iter().map(|r| format!("{r}\n")).collect();
    let q = write(d.path(), "same.jsonl", &lines);
    let want = audit(&q, &[], &[]);
    for batch in ["1", "7", "512"] {
        let r = audit(
            &p,
            &[],
            &[
                ("TAPE_AUDIT_MAX_RECORD_BYTES", LIMIT),
                ("TAPE_AUDIT_HAR_BATCH", batch),
            ],
        );
        assert_eq!(r.rep["inputs"][0]["format"], "json");
        assert_eq!(total(&r.rep, "records"), 1500, "{}", r.stderr);
        assert_eq!(total(&r.rep, "skipped"), 0);
        assert_eq!(r.rep["classes"], want.rep["classes"], "batch {batch}");
        assert_eq!(counts(&r.rep), counts(&want.rep), "batch {batch}");
    }
    // A value larger than the limit is too large, named by its number.
    let mut with_big = recs[..3].to_vec();
    with_big.insert(1, json!({"status": 500, "body": "z".repeat(100_000)}));
    let p = write(
        d.path(),
        "big-value.json",
        serde_json::to_string(&with_big).unwrap(),
    );
    let r = audit(&p, &[], &limit());
    assert_eq!(total(&r.rep, "records"), 4);
    let (k, first) = skipped(&r.rep, "too_large");
    assert_eq!((k, &first[0]["value"]), (1, &json!(2)));
}

#[test]
fn concatenated_values_and_a_broken_one() {
    let d = tempfile::tempdir().unwrap();
    let a = json!({"status": 404, "body": envelope(1)}).to_string();
    let b = json!({"status": 200, "body": "{}"}).to_string();
    let broken = r#"{"status": 500, "body": tru}"#;
    // Pretty values one after another, then an array, in one stream.
    let good = format!(
        "{}\n{}\n[{a},{b}]\n",
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&a).unwrap()).unwrap(),
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&b).unwrap()).unwrap(),
    );
    let p = write(d.path(), "concat.json", &good);
    let r = audit(&p, &[], &[]);
    assert_eq!(r.rep["inputs"][0]["format"], "json", "{}", r.stderr);
    assert_eq!(total(&r.rep, "records"), 4);
    assert_eq!(class(&r.rep, "documented"), 2);
    // A broken value in the middle: a one-line error with its byte offset;
    // the values before it are counted.
    let bad = format!("{good}{broken}\n{a}\n");
    let at = good.len() + broken.find("tru").unwrap();
    let p = write(d.path(), "broken.json", &bad);
    let r = audit(&p, &[], &[]);
    assert_eq!(r.code, 2);
    assert_eq!(total(&r.rep, "records"), 4);
    let errors = r.rep["errors"].as_array().unwrap();
    assert_eq!(
        errors[0].as_str().unwrap(),
        format!("{}: invalid JSON in value 5 at byte {at}", p.display())
    );
    let stderr: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        stderr,
        [format!(
            "tape-audit: {}: invalid JSON in value 5 at byte {at}",
            p.display()
        )]
    );
    // Cut inside a value: the values before it counted, the cut one too.
    let p = write(d.path(), "cut.json", &bad[..good.len() + 10]);
    let r = audit(&p, &[], &[]);
    assert_eq!(total(&r.rep, "records"), 5);
    let (k, first) = skipped(&r.rep, "truncated");
    assert_eq!((k, &first[0]["value"]), (1, &json!(5)));
}
