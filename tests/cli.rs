//! Runs the built binary on the samples in testdata/ and checks the reports.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde::Deserialize;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> String {
    root().join("testdata").join(name).display().to_string()
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("tape-audit").expect("binary built");
    c.current_dir(root());
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

/// The top level of the JSON report; unknown keys fail the test, so the
/// schema cannot change unnoticed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Report {
    schema: String,
    version: String,
    catalog: Value,
    inputs: Vec<Input>,
    filters: Value,
    scope: Option<Value>,
    hosts: Vec<Value>,
    hosts_fold: Value,
    totals: Totals,
    time_span: Option<Value>,
    classes: serde_json::Map<String, Value>,
    violations: serde_json::Map<String, Value>,
    codes: Vec<Value>,
    codes_fold: Value,
    undocumented_statuses: Vec<Value>,
    findings: Value,
    spellings: Vec<Value>,
    violation_examples: Value,
    endpoints: Vec<Value>,
    endpoints_fold: Value,
    timeline: Value,
    coverage: Value,
    baseline: Option<Value>,
    skipped: Vec<Value>,
    warnings: Vec<String>,
    errors: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Input {
    path: String,
    format: Option<String>,
    compression: Option<String>,
    shape: Option<String>,
    records: u64,
    responses: u64,
    skipped: u64,
    excluded: u64,
    error: Option<String>,
    note: Option<String>,
    warning: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Totals {
    records: u64,
    responses: u64,
    error_responses: u64,
    skipped: u64,
    excluded: u64,
}

const CLASSES: [&str; 8] = [
    "no_response",
    "ok",
    "error_on_success",
    "body_missing",
    "envelope_violation",
    "documented",
    "status_mismatch",
    "undocumented_code",
];
const VIOLATIONS: [&str; 8] = [
    "empty_body",
    "not_json",
    "not_object",
    "missing_error_code",
    "error_code_not_string",
    "empty_error_code",
    "missing_error_message",
    "error_message_not_string",
];

fn report(out: &Output) -> Report {
    let text = String::from_utf8(out.stdout.clone()).expect("UTF-8 stdout");
    let r: Report =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{text}"));
    check_invariants(&r);
    r
}

fn check_invariants(r: &Report) {
    assert_eq!(r.schema, "tape-audit/report/v1");
    let t = &r.totals;
    assert_eq!(
        t.records,
        t.responses + t.skipped + t.excluded,
        "records = responses + skipped + excluded"
    );
    assert_eq!(
        r.filters["excluded"].as_u64(),
        Some(t.excluded),
        "filters.excluded = totals.excluded"
    );
    let mut keys: Vec<&str> = r.classes.keys().map(String::as_str).collect();
    let mut want = CLASSES.to_vec();
    keys.sort_unstable();
    want.sort_unstable();
    assert_eq!(keys, want, "every class is a key");
    let sum: u64 = r.classes.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(sum, t.responses, "classes sum to responses");
    let mut vkeys: Vec<&str> = r.violations.keys().map(String::as_str).collect();
    let mut want = VIOLATIONS.to_vec();
    vkeys.sort_unstable();
    want.sort_unstable();
    assert_eq!(vkeys, want, "every violation kind is a key");
    let vsum: u64 = r.violations.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(vsum, r.classes["envelope_violation"].as_u64().unwrap());
    let skipped: u64 = r.skipped.iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(skipped, t.skipped);
    for i in &r.inputs {
        assert_eq!(
            i.records,
            i.responses + i.skipped + i.excluded,
            "per input: {}",
            i.path
        );
    }
    let per_input: u64 = r.inputs.iter().map(|i| i.records).sum();
    assert_eq!(per_input, t.records);
    let rows: u64 = r.codes.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(rows, t.responses, "the code table covers every response");
}

fn class(r: &Report, name: &str) -> u64 {
    r.classes[name].as_u64().unwrap()
}

/// Every class and violation appears in each sample with these counts.
fn check_sample_classes(r: &Report) {
    let want = [
        ("no_response", 1),
        ("ok", 1),
        ("error_on_success", 1),
        ("body_missing", 1),
        ("envelope_violation", 8),
        ("documented", 5),
        ("status_mismatch", 1),
        ("undocumented_code", 3),
    ];
    for (name, n) in want {
        assert_eq!(class(r, name), n, "class {name}");
    }
    for v in VIOLATIONS {
        assert_eq!(r.violations[v].as_u64(), Some(1), "violation {v}");
    }
    let code_row = |code: &str| {
        r.codes
            .iter()
            .find(|c| c["error_code"] == code)
            .unwrap_or_else(|| panic!("no row for {code}"))
            .clone()
    };
    assert_eq!(
        code_row("Validation-Error")["suggestion"],
        "validation_error"
    );
    assert_eq!(code_row("record_not_exists")["class"], "undocumented_code");
    // `not_found` has two rows (404 documented, 409 status_mismatch): the
    // row is picked by status and class, not by the code alone.
    let mismatch = r
        .codes
        .iter()
        .find(|c| c["error_code"] == "not_found" && c["class"] == "status_mismatch")
        .expect("a status_mismatch row for not_found");
    assert_eq!(mismatch["status"], 409);
    assert_eq!(mismatch["documented_statuses"], serde_json::json!([404]));
    // The code is kept even when the message is missing.
    assert!(r
        .codes
        .iter()
        .any(|c| c["error_code"] == "internal_server_error" && c["class"] == "envelope_violation"));
    assert_eq!(r.spellings[0]["seen"]["too_many_requets"], 1);
    assert_eq!(r.spellings[0]["seen"]["too_many_requests"], 1);
    let statuses: Vec<u64> = r
        .undocumented_statuses
        .iter()
        .map(|s| s["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [422, 502]);
    assert_eq!(r.findings["body_status_code_mismatch"]["count"], 1);
    assert_eq!(
        r.findings["json_body_with_non_json_content_type"]["count"],
        1
    );
    assert_eq!(r.totals.error_responses, 18);
}

#[test]
fn sample_har_every_class() {
    let out = run(&[&data("sample.har"), "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    assert_eq!(
        r.totals,
        Totals {
            records: 21,
            responses: 21,
            error_responses: 18,
            skipped: 0,
            excluded: 0
        }
    );
    assert_eq!(r.inputs[0].format.as_deref(), Some("har"));
    check_sample_classes(&r);
    // Locators name the HAR entry.
    let ex = &r.violation_examples["not_json"][0];
    assert_eq!(ex["entry"], 5);
    assert_eq!(
        r.time_span.as_ref().unwrap()["first"],
        "2024-06-11T09:00:00.000Z"
    );
}

#[test]
fn sample_jsonl_every_class() {
    let out = run(&[&data("sample.jsonl"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let r = report(&out);
    assert_eq!(
        r.totals,
        Totals {
            records: 23,
            responses: 21,
            error_responses: 18,
            skipped: 2,
            excluded: 0
        }
    );
    assert_eq!(r.inputs[0].format.as_deref(), Some("jsonl"));
    assert_eq!(r.inputs[0].shape.as_deref(), Some("flat"));
    check_sample_classes(&r);
    let reasons: Vec<(&str, u64)> = r
        .skipped
        .iter()
        .map(|s| (s["reason"].as_str().unwrap(), s["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(reasons, [("no_status", 1), ("not_json", 1)]);
    // Line numbers count the blank line too.
    let not_json = r
        .skipped
        .iter()
        .find(|s| s["reason"] == "not_json")
        .unwrap();
    assert_eq!(not_json["first"][0]["line"], 13);
}

/// Filters leave records out: the totals still add up, counting them.
#[test]
fn totals_add_up_with_records_excluded() {
    for f in ["sample.jsonl", "sample.har"] {
        let out = run(&[&data(f), "--status", "4xx", "--format", "json"]);
        let r = report(&out);
        assert!(r.totals.excluded > 0, "{f}: the filter excludes records");
        assert!(r.totals.responses > 0, "{f}: and keeps some");
    }
}

#[test]
fn both_samples_together_add_up() {
    let out = run(&[
        &data("sample.har"),
        &data("sample.jsonl"),
        "--format",
        "json",
    ]);
    let r = report(&out);
    assert_eq!(r.inputs.len(), 2);
    assert_eq!(r.totals.records, 44);
    assert_eq!(class(&r, "documented"), 10);
}

#[test]
fn jobs_do_not_change_the_report() {
    for f in ["sample.har", "sample.jsonl"] {
        let one = run(&[&data(f), "--format", "json", "-j", "1"]);
        let four = run(&[&data(f), "--format", "json", "-j", "4"]);
        assert_eq!(one.stdout, four.stdout, "{f}");
    }
}

#[test]
fn directory_input_is_walked_in_order_skipping_hidden() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    std::fs::copy(data("sample.har"), dir.path().join("b/x.har")).unwrap();
    std::fs::copy(data("sample.jsonl"), dir.path().join("a.log")).unwrap();
    std::fs::write(dir.path().join(".hidden.jsonl"), "{\"status\":500}\n").unwrap();
    let out = run(&[dir.path().to_str().unwrap(), "--format", "json"]);
    let r = report(&out);
    let names: Vec<String> = r.inputs.iter().map(|i| i.path.clone()).collect();
    assert_eq!(names.len(), 2);
    assert!(
        names[0].ends_with("a.log") && names[1].ends_with("x.har"),
        "{names:?}"
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn compressed_and_stdin_inputs_match_plain() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["sample.har", "sample.jsonl"] {
        let plain = std::fs::read(data(f)).unwrap();
        // Names say nothing: detection is by content.
        let gz = dir.path().join(format!("{f}.data"));
        // Two gzip members in a row, as `cat a.gz b.gz` makes.
        let (a, b) = plain.split_at(plain.len() / 2);
        let mut two = gzip(a);
        two.extend(gzip(b));
        std::fs::write(&gz, two).unwrap();
        let zst = dir.path().join(format!("{f}.bin"));
        std::fs::write(&zst, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();

        let base = report(&run(&[&data(f), "--format", "json"]));
        for p in [&gz, &zst] {
            let r = report(&run(&[p.to_str().unwrap(), "--format", "json"]));
            assert_eq!(r.classes, base.classes, "{p:?}");
            assert_eq!(r.totals, base.totals);
        }
        let r = report(&run(&[gz.to_str().unwrap(), "--format", "json"]));
        assert_eq!(r.inputs[0].compression.as_deref(), Some("gzip"));

        let out = bin()
            .args(["-", "--format", "json"])
            .write_stdin(plain)
            .output()
            .unwrap();
        let r = report(&out);
        assert_eq!(r.inputs[0].path, "<stdin>");
        assert_eq!(r.classes, base.classes);
    }
}

#[test]
fn truncated_har_keeps_complete_entries_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data("sample.har")).unwrap();
    // Cut inside the 4th entry's request.
    let cut = text.match_indices("\"request\"").nth(3).unwrap().0 + 20;
    let p = dir.path().join("cut.har");
    std::fs::write(&p, &text[..cut]).unwrap();
    let out = run(&[p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("tape-audit: ")
            && err.contains("cut.har")
            && err.contains(&format!("at byte {cut}")),
        "{err}"
    );
    let r = report(&out);
    assert_eq!(r.totals.responses, 3);
    assert_eq!(r.totals.skipped, 1);
    assert_eq!(r.skipped[0]["reason"], "truncated");
    assert_eq!(r.errors.len(), 1);
}

#[test]
fn specs_in_three_formats_are_one_catalog() {
    let cat = |spec: &str| {
        let out = run(&["catalog", "--spec", &data(spec), "--format", "json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v
    };
    let md = cat("spec/tape.md");
    assert_eq!(md["errors"].as_array().unwrap().len(), 11);
    assert_eq!(md, cat("spec/tape.json"));
    assert_eq!(md, cat("spec/tape.toml"));
    // The embedded default is the same catalog.
    let builtin: Value =
        serde_json::from_slice(&run(&["catalog", "--format", "json"]).stdout).unwrap();
    let codes = |v: &Value| -> Vec<(u64, String)> {
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["status"].as_u64().unwrap(),
                    e["error_code"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(codes(&builtin), codes(&md));
    // And audits the same way.
    let a = report(&run(&[&data("sample.har"), "--format", "json"]));
    let b = report(&run(&[
        &data("sample.har"),
        "--format",
        "json",
        "--spec",
        &data("spec/tape.toml"),
    ]));
    assert_eq!(a.classes, b.classes);
}

#[test]
fn catalog_table_shows_both_429_spellings() {
    let out = run(&["catalog"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("too_many_requets"));
    assert!(text.contains("too_many_requests") && text.contains("alias of too_many_requets"));
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_specs_name_file_and_line() {
    let out = run(&[&data("sample.har"), "--spec", &data("spec/bad-status.md")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.ends_with("bad-status.md:4: status `4x9` is not a number\n"),
        "{err}"
    );
    let out = run(&[&data("sample.har"), "--spec", &data("spec/bad.toml")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("bad.toml:6: "),
        "{}",
        stderr_of(&out)
    );
    let out = run(&[&data("sample.har"), "--spec", "no/such/spec.md"]);
    assert_eq!(
        stderr_of(&out),
        "tape-audit: no/such/spec.md: No such file or directory\n"
    );
}

#[test]
fn user_errors_are_one_clear_line() {
    let out = run(&["no-such-file.har", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "tape-audit: no-such-file.har: No such file or directory\n"
    );
    // No input could be opened: no report at all (tests/first_hour.rs).
    assert!(out.stdout.is_empty());

    let out = run(&["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--frobnicate"));

    let out = run(&[&data("sample.har"), "--field", "colour=x"]);
    assert_eq!(out.status.code(), Some(2));
    for out in [run(&["no-such-file.har"]), run(&[&data("spec/tape.md")])] {
        let err = stderr_of(&out);
        assert!(!err.contains("panicked") && !err.contains("Os {"), "{err}");
    }
}

#[test]
fn fail_on_gates() {
    let code = |args: &[&str]| run(args).status.code();
    let har = data("sample.har");
    assert_eq!(code(&[&har]), Some(0));
    assert_eq!(code(&[&har, "--fail-on", "violations"]), Some(1));
    assert_eq!(code(&[&har, "--fail-on", "undocumented,mismatch"]), Some(1));
    assert_eq!(code(&[&har, "--fail-on", "any-error"]), Some(1));
    assert_eq!(code(&[&har, "--fail-on", "skipped"]), Some(0));
    assert_eq!(
        code(&[&data("sample.jsonl"), "--fail-on", "skipped"]),
        Some(1)
    );
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.jsonl");
    std::fs::write(
        &clean,
        "{\"status\":200}\n{\"status\":404,\"body\":{\"error_code\":\"not_found\",\"error_message\":\"x\"}}\n",
    )
    .unwrap();
    assert_eq!(
        code(&[clean.to_str().unwrap(), "--fail-on", "findings"]),
        Some(0)
    );
}

#[test]
fn field_mapping_overrides_detection() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("custom.jsonl");
    std::fs::write(
        &p,
        concat!(
            "{\"meta\":{\"code\":\"409\"},\"payload\":{\"error_code\":\"not_found\",\"error_message\":\"m\"},\"status\":200}\n",
            "{\"meta\":{\"code\":404},\"payload\":\"{\\\"error_code\\\":\\\"not_found\\\",\\\"error_message\\\":\\\"m\\\"}\",\"status\":200}\n",
        ),
    )
    .unwrap();
    let out = run(&[
        p.to_str().unwrap(),
        "--format",
        "json",
        "--field",
        "status=meta.code",
        "--field",
        "body=payload",
    ]);
    let r = report(&out);
    assert!(r.inputs[0].shape.as_deref().unwrap().starts_with("custom"));
    assert_eq!(class(&r, "status_mismatch"), 1);
    assert_eq!(class(&r, "documented"), 1);
}

#[test]
fn table_report_reads_in_ten_seconds() {
    let out = run(&[&data("sample.har")]);
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "21 records",
        "Classes",
        "Documented errors seen",
        "Undocumented codes",
        "did you mean `validation_error`?",
        "documented under 404",
        "Envelope violations",
        "429 spellings in traffic: too_many_requets ×1, too_many_requests ×1",
        "not_json                           1  entry 5",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let colored = run(&[&data("sample.har"), "--color", "always"]);
    assert!(String::from_utf8(colored.stdout)
        .unwrap()
        .contains("\x1b[1m"));
}

#[test]
fn terminal_report_escapes_hostile_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("evil.jsonl");
    std::fs::write(
        &p,
        "{\"status\":400,\"body\":{\"error_code\":\"x\\u001b]0;pwned\\u0007\",\"error_message\":\"m\"}}\n",
    )
    .unwrap();
    let out = run(&[p.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(text.contains("x\\u{1b}]0;pwned\\u{7}"));
}

#[test]
fn readme_names_the_setup_commands() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("cargo run --release -- testdata/sample.har"));
    assert!(readme.contains("cargo test --locked"));
}

/// A JSON-lines log with `errors` documented 404s at each `/v1/NAME`, and
/// one 200 per endpoint.
fn endpoint_log(errors: &[(&str, u32)]) -> String {
    let mut out = String::new();
    let mut n = 0;
    for &(name, count) in errors {
        for i in 0..=count {
            n += 1;
            let (status, body) = if i == 0 {
                (200, r#"{\"ok\":true}"#)
            } else {
                (
                    404,
                    r#"{\"error_code\":\"not_found\",\"error_message\":\"gone\"}"#,
                )
            };
            out.push_str(&format!(
                r#"{{"timestamp":"2024-06-11T09:{:02}:{:02}.000Z","method":"GET","url":"https://api.tapeapp.com/v1/{name}","status_code":{status},"content_type":"application/json","response_body":"{body}"}}"#,
                (n / 60) % 60,
                n % 60
            ));
            out.push('\n');
        }
    }
    out
}

const NAMES: [&str; 12] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima",
];

/// Before: `kilo` is 11th with 30 errors. After: it is 10th with 38 and
/// `juliet` 11th with 35.
fn before_after_logs(dir: &Path) -> (String, String) {
    let counts = |juliet: u32, kilo: u32| -> Vec<(&'static str, u32)> {
        NAMES
            .iter()
            .enumerate()
            .map(|(i, &n)| match n {
                "juliet" => (n, juliet),
                "kilo" => (n, kilo),
                "lima" => (n, 20),
                _ => (n, 130 - 10 * i as u32),
            })
            .collect()
    };
    let before = dir.join("before.jsonl");
    let after = dir.join("after.jsonl");
    std::fs::write(&before, endpoint_log(&counts(40, 30))).unwrap();
    std::fs::write(&after, endpoint_log(&counts(35, 38))).unwrap();
    (before.display().to_string(), after.display().to_string())
}

fn endpoint_names(r: &Value) -> Vec<String> {
    r["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn json_report_lists_every_endpoint_and_the_others_the_top() {
    let dir = tempfile::tempdir().unwrap();
    let (before, _) = before_after_logs(dir.path());
    let out = run(&[&before, "--format", "json", "--top", "3"]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = endpoint_names(&r);
    assert_eq!(names.len(), 12, "{names:?}");
    assert_eq!(names[10], "/v1/kilo");
    let sum: u64 = r["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["errors"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, r["totals"]["error_responses"].as_u64().unwrap());
    for format in ["table", "markdown"] {
        let text =
            String::from_utf8(run(&[&before, "--format", format, "--top", "3"]).stdout).unwrap();
        let shown = NAMES
            .iter()
            .filter(|n| text.contains(&format!("/v1/{n}")))
            .count();
        assert_eq!(shown, 3, "{format}:\n{text}");
    }
}

#[test]
fn an_endpoint_moving_into_the_top_is_not_new() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = before_after_logs(dir.path());
    let old = run(&[&before, "--format", "json"]);
    assert_eq!(old.status.code(), Some(0));
    let full: Value = serde_json::from_slice(&old.stdout).unwrap();
    // A baseline written before reports listed every endpoint: cut to the
    // top 10, as `--top` cut it.
    let mut cut = full.clone();
    cut["endpoints"].as_array_mut().unwrap().truncate(10);
    assert!(!endpoint_names(&cut).contains(&"/v1/kilo".to_string()));
    for (name, baseline) in [("full.json", &full), ("cut.json", &cut)] {
        let path = dir.path().join(name);
        std::fs::write(&path, baseline.to_string()).unwrap();
        let path = path.display().to_string();
        let out = run(&[&after, "--baseline", &path, "--format", "json"]);
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let d = &r["baseline"];
        assert_eq!(d["new"], serde_json::json!([]), "{name}: {d}");
        assert_eq!(d["gone"], serde_json::json!([]), "{name}: {d}");
        assert_eq!(d["changed"], serde_json::json!([]), "{name}: {d}");
        let gate = run(&[&after, "--baseline", &path, "--fail-on", "new"]);
        assert_eq!(gate.status.code(), Some(0), "{name}: {}", stderr_of(&gate));
    }
}

/// The rule for baselines whose endpoint list was cut: an endpoint the list
/// leaves out had at most the list's smallest count, how many is unknown,
/// so it is neither new nor changed, whatever its count now; endpoints the
/// list names compare as usual (here one that is gone).
#[test]
fn a_cut_baseline_compares_only_the_endpoints_it_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (before, _) = before_after_logs(dir.path());
    let old = run(&[&before, "--format", "json"]);
    let mut cut: Value = serde_json::from_slice(&old.stdout).unwrap();
    cut["endpoints"].as_array_mut().unwrap().truncate(10);
    let path = dir.path().join("cut.json");
    std::fs::write(&path, cut.to_string()).unwrap();
    // Now: alpha is gone, lima (left out of the cut list, 20 errors then)
    // has 500 errors, and a truly new endpoint appears: neither is new.
    let mut counts: Vec<(&str, u32)> = NAMES
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, &n)| (n, 130 - 10 * i as u32))
        .collect();
    counts.push(("lima", 500));
    counts.push(("zulu", 200));
    let now = dir.path().join("now.jsonl");
    std::fs::write(&now, endpoint_log(&counts)).unwrap();
    let out = run(&[
        now.to_str().unwrap(),
        "--baseline",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &r["baseline"];
    let keys = |what: &str| -> Vec<String> {
        d[what]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "endpoint")
            .map(|c| c["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys("new"), Vec::<String>::new(), "{d}");
    assert_eq!(keys("gone"), ["/v1/alpha"], "{d}");
    assert!(!keys("changed").contains(&"/v1/lima".to_string()), "{d}");
    // Against the complete list, lima changed and zulu is new.
    let full = dir.path().join("full.json");
    std::fs::write(&full, &old.stdout).unwrap();
    let out = run(&[
        now.to_str().unwrap(),
        "--baseline",
        full.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let new: Vec<&str> = r["baseline"]["new"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "endpoint")
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(new, ["/v1/zulu"]);
    assert!(r["baseline"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["key"] == "/v1/lima"));
}
