//! Runs the built binary on every file of the shared input corpus
//! (`../shared/corpus`, described file by file in its `MANIFEST.md`) and
//! checks the JSON reports against expectations derived from the files
//! themselves (entry and line counts, statuses, bodies), not from the tool.
//!
//! The corpus is required: when it is missing every test here fails with a
//! message saying where it was looked for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The classes, in report order.
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

/// Classes of responses with status 400 or more.
const ERROR_CLASSES: [&str; 5] = [
    "body_missing",
    "envelope_violation",
    "documented",
    "status_mismatch",
    "undocumented_code",
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus directory; fails the test (never skips it) when it is missing.
fn corpus() -> PathBuf {
    let dir = manifest_dir().join("../shared/corpus");
    assert!(
        dir.is_dir(),
        "the shared input corpus is missing: expected a directory at {} \
         (CARGO_MANIFEST_DIR/../shared/corpus, with har/, logs/, synthetic/ and MANIFEST.md); \
         these tests need it and are not skipped without it",
        dir.display()
    );
    dir
}

/// One run of the binary.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    json: Value,
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tape-audit"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the tape-audit binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("tape-audit {args:?} was killed by a signal; stderr:\n{stderr}"));
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "tape-audit {args:?} did not print one JSON report ({e}); exit {code}; stderr:\n{stderr}\nstdout:\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    Run {
        code,
        stdout: out.stdout,
        stderr,
        json,
    }
}

/// Audits one corpus file, named relative to the corpus (run from there).
fn audit(file: &str) -> Run {
    let dir = corpus();
    assert!(
        dir.join(file).is_file(),
        "corpus file {file} is missing from {}",
        dir.display()
    );
    run_in(&dir, &[file, "--format", "json", "--no-progress"])
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected a count, got {v}"))
}

/// What a careful reader of each file expects the audit to find.
struct Expect {
    file: &'static str,
    exit: i32,
    format: &'static str,
    shape: Option<&'static str>,
    records: u64,
    responses: u64,
    /// Skip reasons and counts; `None`: only the number skipped is checked.
    skips: Option<Vec<(&'static str, u64)>>,
    /// Non-zero classes; every other class must be 0.
    classes: Vec<(&'static str, u64)>,
    /// Responses per HTTP status (0: no response).
    statuses: Vec<(u16, u64)>,
    /// Every (status, error_code, class, count) row that has an error_code.
    codes: Vec<(u16, &'static str, &'static str, u64)>,
    /// Non-zero envelope violation kinds.
    violations: Vec<(&'static str, u64)>,
    /// A warning that makes the audit exit 2 although the input read fine
    /// (the start of its text).
    warning: Option<&'static str>,
}

fn x(
    file: &'static str,
    format: &'static str,
    shape: Option<&'static str>,
    records: u64,
    responses: u64,
) -> Expect {
    Expect {
        file,
        exit: 0,
        format,
        shape,
        records,
        responses,
        skips: Some(Vec::new()),
        classes: Vec::new(),
        statuses: Vec::new(),
        codes: Vec::new(),
        violations: Vec::new(),
        warning: None,
    }
}

fn har(file: &'static str, entries: u64, responses: u64) -> Expect {
    x(file, "har", None, entries, responses)
}

impl Expect {
    fn exit(mut self, code: i32) -> Self {
        self.exit = code;
        self
    }
    fn warns(mut self, text: &'static str) -> Self {
        self.exit = 2;
        self.warning = Some(text);
        self
    }
    fn skips(mut self, s: &[(&'static str, u64)]) -> Self {
        self.skips = Some(s.to_vec());
        self
    }
    fn any_skip_reason(mut self) -> Self {
        self.skips = None;
        self
    }
    fn classes(mut self, c: &[(&'static str, u64)]) -> Self {
        self.classes = c.to_vec();
        self
    }
    fn statuses(mut self, s: &[(u16, u64)]) -> Self {
        self.statuses = s.to_vec();
        self
    }
    fn codes(mut self, c: &[(u16, &'static str, &'static str, u64)]) -> Self {
        self.codes = c.to_vec();
        self
    }
    fn violations(mut self, v: &[(&'static str, u64)]) -> Self {
        self.violations = v.to_vec();
        self
    }
    fn class(&self, name: &str) -> u64 {
        self.classes
            .iter()
            .find(|(c, _)| *c == name)
            .map_or(0, |(_, n)| *n)
    }
}

/// Statuses of the truncated requestgenerator.com capture, counted over its
/// 568 complete entries: 11 of each status it requested, 200 ×16 and 304 ×13
/// (the `/api/methods/*` calls), and 407 recorded as status 0 with
/// `_error: net::ERR_UNEXPECTED_PROXY_AUTH`.
fn h3_statuses() -> Vec<(u16, u64)> {
    let mut v = vec![(0, 11), (200, 16), (304, 13)];
    let elevens = (201..=208)
        .chain([226])
        .chain(300..=303)
        .chain(305..=308)
        .chain(400..=406)
        .chain(408..=426)
        .chain([428, 429, 431, 451, 500]);
    v.extend(elevens.map(|s| (s, 11)));
    v.sort();
    v
}

/// Every data file of the corpus and what it should give.
fn expectations() -> Vec<Expect> {
    vec![
        // ---- HAR ----
        har("har/browsertime-chrome-49.har", 10, 10)
            .classes(&[("ok", 10)])
            .statuses(&[(200, 9), (304, 1)]),
        har("har/charles-proxy-4.6.3.har", 1, 1)
            .classes(&[("ok", 1)])
            .statuses(&[(200, 1)]),
        // 404 with `content: {}`: the body was not captured.
        har("har/chrome-404-empty-content.har", 1, 1)
            .classes(&[("body_missing", 1)])
            .statuses(&[(404, 1)]),
        // 304, a failed request (status 0, `_error`), 200.
        har("har/chrome-devtools-webinspector.har", 3, 3)
            .classes(&[("no_response", 1), ("ok", 2)])
            .statuses(&[(0, 1), (200, 1), (304, 1)]),
        // 568 complete entries, then the cut entry #569 (index 568): skipped.
        // Error bodies are `{"methodUsed":..,"statusExpected":..}` (no
        // error_code); HEAD entries at error statuses have no `text`.
        har("har/chrome-h3-all-statuses-truncated.har", 569, 568)
            .exit(2)
            .skips(&[("truncated", 1)])
            .classes(&[
                ("no_response", 11),
                ("ok", 216),
                ("body_missing", 31),
                ("envelope_violation", 310),
            ])
            .statuses(&h3_statuses())
            .violations(&[("missing_error_code", 310)]),
        // Two 404s with a non-Tape JSON envelope `{"code":1,"type":..,"message":..}`.
        har("har/chrome-petstore-404-json.har", 9, 9)
            .classes(&[("ok", 7), ("envelope_violation", 2)])
            .statuses(&[(200, 7), (404, 2)])
            .violations(&[("missing_error_code", 2)]),
        har("har/chrome-utf8-bom.har", 1, 1)
            .classes(&[("ok", 1)])
            .statuses(&[(200, 1)]),
        har("har/fiddler-5.har", 1, 1)
            .classes(&[("ok", 1)])
            .statuses(&[(200, 1)]),
        // 420 with no `text`.
        har("har/firebug-1.5-status-420-no-text.har", 2, 2)
            .classes(&[("ok", 1), ("body_missing", 1)])
            .statuses(&[(200, 1), (420, 1)]),
        har("har/firefox-111.har", 14, 14)
            .classes(&[("ok", 14)])
            .statuses(&[(200, 10), (304, 4)]),
        // Request-only k6 dialect: no entry has a `response`, so the audit
        // says nothing about the contract and must not pass as clean.
        har("har/har-to-k6-request-only.har", 8, 8)
            .warns("none of the 8 records read is an HTTP response")
            .classes(&[("no_response", 8)])
            .statuses(&[(0, 8)]),
        // JSONP-wrapped; the wrapper is accepted and its one entry read.
        har("har/harviewer-jsonp-wrapped.har", 1, 1)
            .classes(&[("ok", 1)])
            .statuses(&[(200, 1)]),
        har("har/insomnia-2022.1.1.har", 1, 1)
            .classes(&[("ok", 1)])
            .statuses(&[(200, 1)]),
        // `{"log":\n[\n\t\t2,1,3\n]\n"request:"}`: nothing readable.
        har("har/malformed-mitmproxy-brokenfile.har", 0, 0).exit(2),
        // Connect failure (status 0) and a 405 with an HTML body.
        har("har/mitmproxy-savehar-405-and-failed.har", 2, 2)
            .classes(&[("no_response", 1), ("envelope_violation", 1)])
            .statuses(&[(0, 1), (405, 1)])
            .violations(&[("not_json", 1)]),
        // The 400 has a text/plain body `error`.
        har("har/optic-capture-har-1.3.har", 10, 10)
            .classes(&[("ok", 9), ("envelope_violation", 1)])
            .statuses(&[(200, 7), (201, 2), (400, 1)])
            .violations(&[("not_json", 1)]),
        har("har/playwright-1.23-attached-content.har", 1, 1)
            .classes(&[("ok", 1)])
            .statuses(&[(200, 1)]),
        har("har/proxyman-5.6.1.har", 1, 1)
            .classes(&[("ok", 1)])
            .statuses(&[(200, 1)]),
        har("har/safari-webkit-inspector.har", 19, 19)
            .classes(&[("ok", 19)])
            .statuses(&[(200, 19)]),
        har("har/zap.har", 6, 6)
            .classes(&[("ok", 6)])
            .statuses(&[(200, 6)]),
        // ---- real logs ----
        // 11 JSON lines (+ a blank one): 10 access lines, and line 11
        // ("selected upstream") which is not an access log.
        x("logs/caddy-access.jsonl", "jsonl", Some("caddy"), 11, 10)
            .skips(&[("no_status", 1)])
            .classes(&[("no_response", 7), ("ok", 1), ("body_missing", 2)])
            .statuses(&[(0, 7), (200, 1), (401, 2)]),
        x(
            "logs/cloudflare-logpush-http-requests.jsonl",
            "jsonl",
            Some("cloudflare"),
            15,
            15,
        )
        .classes(&[("ok", 10), ("body_missing", 5)])
        .statuses(&[(200, 9), (204, 1), (401, 1), (403, 2), (404, 1), (502, 1)]),
        // 6 JSON payloads (200 ×2, 301 ×2, 404, 201) and 4 text lines
        // (204, 200, 200, 201), all behind a CRI prefix.
        x(
            "logs/envoy-access-cri-wrapped.log",
            "jsonl",
            Some("envoy"),
            10,
            10,
        )
        .classes(&[("ok", 9), ("body_missing", 1)])
        .statuses(&[(200, 4), (201, 2), (204, 1), (301, 2), (404, 1)]),
        x("logs/fastly-syslog-json.log", "jsonl", Some("fastly"), 4, 4)
            .classes(&[("ok", 1), ("body_missing", 3)])
            .statuses(&[(200, 1), (404, 3)]),
        // One pretty-printed LogEntry: one JSON value.
        x(
            "logs/gcp-http-lb-503-pretty.json",
            "json",
            Some("gcp"),
            1,
            1,
        )
        .classes(&[("body_missing", 1)])
        .statuses(&[(503, 1)]),
        // Only lines 3, 6 and 9 are responses (`http_status` 403, 401, 403).
        // The other 7 are "request started / not authorized / finished"
        // events for those same three requests: not responses, and certainly
        // not requests that got no response.
        x(
            "logs/ntfy-app-numeric-error-code.jsonl",
            "jsonl",
            Some("flat"),
            10,
            3,
        )
        .any_skip_reason()
        .classes(&[("body_missing", 3)])
        .statuses(&[(401, 1), (403, 2)]),
        // Line 6 is a plugin debug line, not JSON.
        x(
            "logs/traefik-access-mixed.log",
            "jsonl",
            Some("traefik"),
            7,
            6,
        )
        .skips(&[("not_json", 1)])
        .classes(&[("ok", 5), ("body_missing", 1)])
        .statuses(&[(200, 4), (204, 1), (404, 1)]),
        // ---- synthetic Tape logs ----
        x(
            "synthetic/tape-client-node-pino.jsonl",
            "jsonl",
            Some("pino"),
            11,
            11,
        )
        .classes(&[
            ("no_response", 1),
            ("ok", 2),
            ("envelope_violation", 1),
            ("documented", 6),
            ("undocumented_code", 1),
        ])
        .statuses(&[
            (0, 1),
            (200, 1),
            (201, 1),
            (400, 1),
            (401, 1),
            (404, 2),
            (409, 1),
            (429, 1),
            (500, 1),
            (502, 1),
        ])
        .codes(&[
            (400, "validation_error", "documented", 1),
            (401, "unauthorized", "documented", 1),
            (404, "not_found", "documented", 1),
            (404, "record_not_exists", "undocumented_code", 1),
            (409, "conflict_error", "documented", 1),
            (429, "too_many_requets", "documented", 1),
            (500, "internal_server_error", "documented", 1),
        ])
        .violations(&[("not_json", 1)]),
        x(
            "synthetic/tape-client-python-json-logger.jsonl",
            "jsonl",
            Some("flat"),
            10,
            10,
        )
        .classes(&[("ok", 1), ("envelope_violation", 2), ("documented", 7)])
        .statuses(&[
            (200, 1),
            (400, 4),
            (401, 1),
            (403, 1),
            (429, 1),
            (500, 1),
            (503, 1),
        ])
        .codes(&[
            (400, "invalid_json", "documented", 1),
            (400, "invalid_request", "documented", 1),
            (400, "invalid_request_url", "documented", 1),
            (400, "validation_error", "documented", 1),
            (401, "unauthorized", "documented", 1),
            (403, "restricted_resource", "documented", 1),
            (429, "too_many_requests", "documented", 1),
        ])
        .violations(&[("empty_body", 1), ("not_json", 1)]),
        // Line 1 startup (no HTTP fields), lines 10-11 a Go panic.
        x(
            "synthetic/tape-gateway-go-slog.jsonl",
            "jsonl",
            Some("flat"),
            13,
            10,
        )
        .skips(&[("no_status", 1), ("not_json", 2)])
        .classes(&[
            ("ok", 2),
            ("body_missing", 1),
            ("envelope_violation", 2),
            ("documented", 4),
            ("undocumented_code", 1),
        ])
        .statuses(&[
            (200, 1),
            (204, 1),
            (400, 1),
            (403, 1),
            (404, 1),
            (405, 1),
            (409, 1),
            (429, 1),
            (500, 2),
        ])
        .codes(&[
            (400, "field_type_mismatch", "undocumented_code", 1),
            (403, "restricted_resource", "documented", 1),
            (404, "not_found", "documented", 1),
            (409, "conflict_error", "documented", 1),
            (429, "too_many_requets", "documented", 1),
            (500, "internal_server_error", "envelope_violation", 2),
        ])
        .violations(&[
            ("missing_error_message", 1),
            ("error_message_not_string", 1),
        ]),
        x(
            "synthetic/tape-proxy-ecs-dotted.jsonl",
            "jsonl",
            Some("ecs"),
            8,
            8,
        )
        .classes(&[
            ("ok", 2),
            ("envelope_violation", 1),
            ("documented", 4),
            ("undocumented_code", 1),
        ])
        .statuses(&[
            (200, 1),
            (204, 1),
            (400, 1),
            (401, 1),
            (404, 1),
            (429, 1),
            (500, 1),
            (504, 1),
        ])
        .codes(&[
            (400, "validation_error", "documented", 1),
            (401, "unauthorized", "documented", 1),
            (404, "record_not_exists", "undocumented_code", 1),
            (429, "too_many_requests", "documented", 1),
            (500, "internal_server_error", "documented", 1),
        ])
        .violations(&[("not_json", 1)]),
    ]
}

fn expectation(file: &str) -> Expect {
    expectations()
        .into_iter()
        .find(|e| e.file == file)
        .unwrap_or_else(|| panic!("no expectation for {file}"))
}

/// Class counts of a report, every class present.
fn classes_of(r: &Value) -> BTreeMap<String, u64> {
    let m = r["classes"].as_object().expect("classes is an object");
    for c in CLASSES {
        assert!(m.contains_key(c), "class {c} missing from the report");
    }
    m.iter().map(|(k, v)| (k.clone(), u(v))).collect()
}

/// Responses per status, summed over the code rows.
fn statuses_of(r: &Value) -> BTreeMap<u64, u64> {
    let mut m = BTreeMap::new();
    for row in r["codes"].as_array().expect("codes is an array") {
        *m.entry(u(&row["status"])).or_default() += u(&row["count"]);
    }
    m
}

/// The rows that carry an error_code: (status, code, class) -> count.
fn code_rows_of(r: &Value) -> BTreeMap<(u64, String, String), u64> {
    let mut m = BTreeMap::new();
    for row in r["codes"].as_array().expect("codes is an array") {
        if let Some(code) = row["error_code"].as_str() {
            let class = row["class"]
                .as_str()
                .expect("class is a string")
                .to_string();
            *m.entry((u(&row["status"]), code.to_string(), class))
                .or_default() += u(&row["count"]);
        }
    }
    m
}

/// The row for (status, code), if any.
fn code_row<'a>(r: &'a Value, status: u64, code: &str) -> Option<&'a Value> {
    r["codes"]
        .as_array()
        .expect("codes is an array")
        .iter()
        .find(|row| u(&row["status"]) == status && row["error_code"].as_str() == Some(code))
}

/// Locator indexes (`entry`, `line` or `value`) of a list of places.
fn places(v: &Value, kind: &str) -> Vec<u64> {
    v.as_array()
        .expect("a list of places")
        .iter()
        .map(|p| {
            p.get(kind)
                .map(u)
                .unwrap_or_else(|| panic!("place {p} has no `{kind}` locator"))
        })
        .collect()
}

/// The 429 spelling counts: (too_many_requets, too_many_requests).
fn spellings_429(r: &Value) -> (u64, u64) {
    let rows = r["spellings"].as_array().expect("spellings is an array");
    let row = rows
        .iter()
        .find(|s| u(&s["status"]) == 429)
        .expect("a spellings row for 429");
    assert_eq!(row["documented"], "too_many_requets");
    let seen = row["seen"].as_object().expect("seen is an object");
    (
        seen.get("too_many_requets").map_or(0, u),
        seen.get("too_many_requests").map_or(0, u),
    )
}

/// Runs one corpus file and checks everything its expectation states.
fn check(file: &str) -> Run {
    let e = expectation(file);
    let run = audit(file);
    let r = &run.json;
    let ctx = format!("{file}: stderr:\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{ctx}");
    assert_eq!(run.code, e.exit, "exit code; {ctx}");

    // Exactly one input, with its detected format and shape.
    let inputs = r["inputs"].as_array().expect("inputs is an array");
    assert_eq!(inputs.len(), 1, "{ctx}");
    let input = &inputs[0];
    assert_eq!(input["path"], file);
    assert_eq!(input["format"].as_str(), Some(e.format), "format of {file}");
    assert_eq!(input["shape"].as_str(), e.shape, "shape of {file}");
    assert_eq!(input["compression"], Value::Null, "{file}");
    if let Some(w) = e.warning {
        assert_eq!(input["error"], Value::Null, "{ctx}");
        assert_eq!(r["errors"].as_array().map(Vec::len), Some(0), "{ctx}");
        let warned = r["warnings"].as_array().expect("warnings is an array");
        assert!(
            warned
                .iter()
                .any(|x| x.as_str().is_some_and(|x| x.starts_with(w))),
            "{file}: a warning starting `{w}`; {ctx}"
        );
    } else if e.exit == 0 {
        assert_eq!(input["error"], Value::Null, "{ctx}");
        assert_eq!(r["errors"].as_array().map(Vec::len), Some(0), "{ctx}");
    } else {
        assert!(input["error"].is_string(), "{file} should carry its error");
        assert_eq!(r["errors"].as_array().map(Vec::len), Some(1), "{ctx}");
    }

    // Accounting: every record is a response or skipped, per input and in total.
    let t = &r["totals"];
    let (records, responses, skipped) = (u(&t["records"]), u(&t["responses"]), u(&t["skipped"]));
    // No filters here: nothing is excluded, and every record is a response
    // or skipped.
    assert_eq!(u(&t["excluded"]), 0, "{file}: excluded without filters");
    assert_eq!(
        records,
        responses + skipped + u(&t["excluded"]),
        "{file}: records = responses + skipped + excluded"
    );
    assert_eq!(
        (
            u(&input["records"]),
            u(&input["responses"]),
            u(&input["skipped"])
        ),
        (records, responses, skipped),
        "{file}: the input row and the totals disagree"
    );
    let classes = classes_of(r);
    assert_eq!(
        classes.values().sum::<u64>(),
        responses,
        "{file}: class counts must sum to responses"
    );
    assert_eq!(
        u(&t["error_responses"]),
        ERROR_CLASSES.iter().map(|c| classes[*c]).sum::<u64>(),
        "{file}: error_responses"
    );
    let skip_rows = r["skipped"].as_array().expect("skipped is an array");
    assert_eq!(
        skip_rows.iter().map(|s| u(&s["count"])).sum::<u64>(),
        skipped,
        "{file}: skip reasons must sum to skipped"
    );

    // The expected totals.
    assert_eq!(
        (records, responses, skipped),
        (e.records, e.responses, e.records - e.responses),
        "{file}: (records, responses, skipped)"
    );
    let want_classes: BTreeMap<String, u64> = CLASSES
        .iter()
        .map(|c| (c.to_string(), e.class(c)))
        .collect();
    assert_eq!(classes, want_classes, "{file}: classes");
    let want_statuses: BTreeMap<u64, u64> =
        e.statuses.iter().map(|&(s, n)| (u64::from(s), n)).collect();
    assert_eq!(
        statuses_of(r),
        want_statuses,
        "{file}: responses per status"
    );
    let want_codes: BTreeMap<(u64, String, String), u64> = e
        .codes
        .iter()
        .map(|&(s, c, k, n)| ((u64::from(s), c.to_string(), k.to_string()), n))
        .collect();
    assert_eq!(code_rows_of(r), want_codes, "{file}: error codes seen");
    let violations: BTreeMap<String, u64> = r["violations"]
        .as_object()
        .expect("violations is an object")
        .iter()
        .filter(|(_, v)| u(v) > 0)
        .map(|(k, v)| (k.clone(), u(v)))
        .collect();
    let want_violations: BTreeMap<String, u64> = e
        .violations
        .iter()
        .map(|&(k, n)| (k.to_string(), n))
        .collect();
    assert_eq!(violations, want_violations, "{file}: violation kinds");
    if let Some(skips) = &e.skips {
        let got: BTreeMap<String, u64> = skip_rows
            .iter()
            .map(|s| {
                (
                    s["reason"].as_str().expect("reason").to_string(),
                    u(&s["count"]),
                )
            })
            .collect();
        let want: BTreeMap<String, u64> = skips.iter().map(|&(k, n)| (k.to_string(), n)).collect();
        assert_eq!(got, want, "{file}: skip reasons");
    }

    // A file that cannot be read to its end: one clear line naming the offset.
    if e.exit == 2 && e.warning.is_none() {
        let lines: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "{file}: exactly one stderr line; {ctx}");
        assert!(
            lines[0].starts_with(&format!("tape-audit: {file}: ")),
            "{file}: the line must start `tape-audit: <path>: `; {ctx}"
        );
        assert!(
            lines[0].contains("byte "),
            "{file}: the line must name the byte offset; {ctx}"
        );
    }
    run
}

macro_rules! corpus_file_tests {
    ($($name:ident => $file:literal,)+) => {
        $(
            #[test]
            fn $name() {
                check($file);
            }
        )+

        /// The files the per-file tests cover.
        const TESTED: &[&str] = &[$($file),+];
    };
}

corpus_file_tests! {
    har_browsertime_chrome_49 => "har/browsertime-chrome-49.har",
    har_charles_proxy => "har/charles-proxy-4.6.3.har",
    har_chrome_404_empty_content => "har/chrome-404-empty-content.har",
    har_chrome_devtools_webinspector => "har/chrome-devtools-webinspector.har",
    har_chrome_h3_truncated => "har/chrome-h3-all-statuses-truncated.har",
    har_chrome_petstore_404_json => "har/chrome-petstore-404-json.har",
    har_chrome_utf8_bom => "har/chrome-utf8-bom.har",
    har_fiddler_5 => "har/fiddler-5.har",
    har_firebug_420_no_text => "har/firebug-1.5-status-420-no-text.har",
    har_firefox_111 => "har/firefox-111.har",
    har_k6_request_only => "har/har-to-k6-request-only.har",
    har_harviewer_jsonp => "har/harviewer-jsonp-wrapped.har",
    har_insomnia => "har/insomnia-2022.1.1.har",
    har_malformed_brokenfile => "har/malformed-mitmproxy-brokenfile.har",
    har_mitmproxy_405_and_failed => "har/mitmproxy-savehar-405-and-failed.har",
    har_optic_capture_13 => "har/optic-capture-har-1.3.har",
    har_playwright_attached => "har/playwright-1.23-attached-content.har",
    har_proxyman => "har/proxyman-5.6.1.har",
    har_safari => "har/safari-webkit-inspector.har",
    har_zap => "har/zap.har",
    log_caddy => "logs/caddy-access.jsonl",
    log_cloudflare => "logs/cloudflare-logpush-http-requests.jsonl",
    log_envoy_cri => "logs/envoy-access-cri-wrapped.log",
    log_fastly_syslog => "logs/fastly-syslog-json.log",
    log_gcp_pretty => "logs/gcp-http-lb-503-pretty.json",
    log_ntfy_numeric_error_code => "logs/ntfy-app-numeric-error-code.jsonl",
    log_traefik_mixed => "logs/traefik-access-mixed.log",
    synthetic_pino => "synthetic/tape-client-node-pino.jsonl",
    synthetic_python => "synthetic/tape-client-python-json-logger.jsonl",
    synthetic_go_slog => "synthetic/tape-gateway-go-slog.jsonl",
    synthetic_ecs => "synthetic/tape-proxy-ecs-dotted.jsonl",
}

/// Data files under the corpus (everything but MANIFEST.md and hidden files).
fn data_files() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("the corpus is readable") {
            let p = entry.expect("a directory entry").path();
            let name = p
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).expect("under the corpus");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let root = corpus();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.retain(|f| f != "MANIFEST.md");
    out.sort();
    out
}

#[test]
fn every_corpus_file_has_an_expectation() {
    let files = data_files();
    let mut expected: Vec<String> = expectations().iter().map(|e| e.file.to_string()).collect();
    expected.sort();
    assert_eq!(files, expected, "corpus files vs expectations");
    let mut tested: Vec<String> = TESTED.iter().map(|s| s.to_string()).collect();
    tested.sort();
    assert_eq!(tested, expected, "every expectation has its own test");
    assert_eq!(files.len(), 31, "the manifest lists 31 data files");
}

#[test]
fn truncated_har_reports_complete_entries_and_the_cut() {
    let file = "har/chrome-h3-all-statuses-truncated.har";
    let run = audit(file);
    let len = std::fs::metadata(corpus().join(file)).expect("size").len();
    assert_eq!(len, 3_123_000);
    // The input ends inside a string of entry #569: the offset is the end.
    assert!(
        run.stderr.contains(&format!("at byte {len}")),
        "the error must name byte {len}; stderr:\n{}",
        run.stderr
    );
    let skips = run.json["skipped"].as_array().expect("skipped");
    let cut = skips
        .iter()
        .find(|s| s["reason"] == "truncated")
        .expect("a truncated skip row");
    assert_eq!(
        places(&cut["first"], "entry"),
        vec![568],
        "0-based index of entry #569"
    );
    assert_eq!(u(&run.json["totals"]["error_responses"]), 341);
}

#[test]
fn malformed_har_names_the_offending_byte() {
    let file = "har/malformed-mitmproxy-brokenfile.har";
    let bytes = std::fs::read(corpus().join(file)).expect("readable");
    // `{"log":\n[`: `log` holds an array where an object belongs.
    let at = bytes.iter().position(|&b| b == b'[').expect("a '['");
    let run = audit(file);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!("byte {at}")),
        "the error must name byte {at}; stderr:\n{}",
        run.stderr
    );
}

#[test]
fn spellings_of_the_429_code() {
    for (file, want) in [
        ("synthetic/tape-client-node-pino.jsonl", (1, 0)),
        ("synthetic/tape-client-python-json-logger.jsonl", (0, 1)),
        ("synthetic/tape-gateway-go-slog.jsonl", (1, 0)),
        ("synthetic/tape-proxy-ecs-dotted.jsonl", (0, 1)),
        ("logs/caddy-access.jsonl", (0, 0)),
    ] {
        let r = audit(file).json;
        assert_eq!(
            spellings_429(&r),
            want,
            "{file}: (too_many_requets, too_many_requests)"
        );
    }
    // The request-limits spelling is documented as an alias of the table's.
    let r = audit("synthetic/tape-proxy-ecs-dotted.jsonl").json;
    let row = code_row(&r, 429, "too_many_requests").expect("a 429 row");
    assert_eq!(row["class"], "documented");
    assert_eq!(row["alias_of"], "too_many_requets");
}

#[test]
fn record_not_exists_is_an_undocumented_code() {
    for file in [
        "synthetic/tape-client-node-pino.jsonl",
        "synthetic/tape-proxy-ecs-dotted.jsonl",
    ] {
        let r = audit(file).json;
        let row = code_row(&r, 404, "record_not_exists").expect("a record_not_exists row");
        assert_eq!(row["class"], "undocumented_code", "{file}");
        assert_eq!(u(&row["count"]), 1, "{file}");
        assert_eq!(row["documented_statuses"], serde_json::json!([]), "{file}");
        assert_eq!(places(&row["examples"], "line"), vec![2], "{file}");
    }
}

#[test]
fn ntfy_numeric_error_code_is_not_a_tape_code() {
    let r = audit("logs/ntfy-app-numeric-error-code.jsonl").json;
    let rows = r["codes"].as_array().expect("codes");
    assert!(
        rows.iter().all(|row| row["error_code"].is_null()),
        "`error_code: 40301` (a number) is not a Tape code: {rows:?}"
    );
    let c = classes_of(&r);
    for k in [
        "documented",
        "status_mismatch",
        "undocumented_code",
        "envelope_violation",
    ] {
        assert_eq!(c[k], 0, "{k}");
    }
    assert_eq!(c["body_missing"], 3);
    // The 401 and 403s are on lines 3, 6 and 9 and nowhere else.
    let mut lines: Vec<u64> = rows
        .iter()
        .filter(|row| u(&row["status"]) >= 400)
        .flat_map(|row| places(&row["examples"], "line"))
        .collect();
    lines.sort();
    assert_eq!(lines, vec![3, 6, 9]);
    // The other lines are request started/finished events, not responses
    // that never came.
    assert_eq!(c["no_response"], 0, "ntfy event lines are not no_response");
}

#[test]
fn ecs_error_code_http_401_does_not_confuse_the_envelope() {
    let r = audit("synthetic/tape-proxy-ecs-dotted.jsonl").json;
    let row = code_row(&r, 401, "unauthorized").expect("the 401 envelope's code");
    assert_eq!(row["class"], "documented");
    assert_eq!(places(&row["examples"], "line"), vec![3]);
    assert!(
        !r["codes"].to_string().contains("HTTP_401"),
        "ECS error.code is not a Tape code"
    );
    // Line 5 uses nested ECS objects instead of dotted keys.
    let row = code_row(&r, 400, "validation_error").expect("the nested line");
    assert_eq!(places(&row["examples"], "line"), vec![5]);
    // The 504 text/plain body.
    assert_eq!(
        places(&r["violation_examples"]["not_json"], "line"),
        vec![7]
    );
}

#[test]
fn slog_request_body_error_code_is_not_counted() {
    let r = audit("synthetic/tape-gateway-go-slog.jsonl").json;
    assert!(
        !r["codes"].to_string().contains("not-a-tape-error"),
        "the request body's error_code must not count"
    );
    let row = code_row(&r, 409, "conflict_error").expect("the 409 response envelope");
    assert_eq!(
        (u(&row["count"]), &row["class"]),
        (1, &Value::from("documented"))
    );
    assert_eq!(places(&row["examples"], "line"), vec![5]);
    // The gzip + base64 429 body decodes to the table's spelling.
    let row = code_row(&r, 429, "too_many_requets").expect("the gzip 429");
    assert_eq!(places(&row["examples"], "line"), vec![6]);
    // CRLF line 12.
    let row = code_row(&r, 400, "field_type_mismatch").expect("line 12");
    assert_eq!(places(&row["examples"], "line"), vec![12]);
    // `"status":"405"` as a string, no body.
    let st = r["undocumented_statuses"].as_array().expect("statuses");
    assert_eq!(st.len(), 1);
    assert_eq!(u(&st[0]["status"]), 405);
    assert_eq!(places(&st[0]["examples"], "line"), vec![4]);
    // The unreadable lines: startup (1) and the panic (10, 11).
    let mut skipped: Vec<u64> = r["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .flat_map(|s| places(&s["first"], "line"))
        .collect();
    skipped.sort();
    assert_eq!(skipped, vec![1, 10, 11]);
}

#[test]
fn locators_point_at_the_right_records() {
    let r = audit("har/chrome-petstore-404-json.har").json;
    assert_eq!(
        places(&r["violation_examples"]["missing_error_code"], "entry"),
        vec![2, 6],
        "0-based indexes of the two 404 entries"
    );
    let r = audit("har/chrome-devtools-webinspector.har").json;
    let row = &r["codes"].as_array().expect("codes")[0];
    assert_eq!(
        (u(&row["status"]), places(&row["examples"], "entry")),
        (0, vec![1])
    );
    let r = audit("logs/traefik-access-mixed.log").json;
    assert_eq!(places(&r["skipped"][0]["first"], "line"), vec![6]);
    let r = audit("logs/caddy-access.jsonl").json;
    assert_eq!(places(&r["skipped"][0]["first"], "line"), vec![11]);
    let r = audit("logs/gcp-http-lb-503-pretty.json").json;
    let row = &r["codes"].as_array().expect("codes")[0];
    assert_eq!(places(&row["examples"], "value"), vec![1]);
    let r = audit("synthetic/tape-client-python-json-logger.jsonl").json;
    assert_eq!(
        places(&r["violation_examples"]["empty_body"], "line"),
        vec![9]
    );
    assert_eq!(
        places(&r["violation_examples"]["not_json"], "line"),
        vec![8]
    );
}

/// Totals and class counts of one report, or of many summed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Sums {
    records: u64,
    responses: u64,
    skipped: u64,
    classes: BTreeMap<String, u64>,
}

impl Sums {
    fn of_report(r: &Value) -> Sums {
        Sums {
            records: u(&r["totals"]["records"]),
            responses: u(&r["totals"]["responses"]),
            skipped: u(&r["totals"]["skipped"]),
            classes: classes_of(r),
        }
    }
    fn add(&mut self, o: &Sums) {
        self.records += o.records;
        self.responses += o.responses;
        self.skipped += o.skipped;
        for (k, v) in &o.classes {
            *self.classes.entry(k.clone()).or_default() += v;
        }
    }
}

#[test]
fn whole_corpus_in_one_run() {
    corpus();
    let dir_arg = "../shared/corpus";
    // Every host: the files are audited one by one below, and a file of
    // one host is never scoped (the default scope is tested after).
    let args = |j: &'static str| {
        [
            dir_arg,
            "--format",
            "json",
            "--no-progress",
            "--all-hosts",
            "-j",
            j,
        ]
    };
    let one = run_in(&manifest_dir(), &args("1"));
    let four = run_in(&manifest_dir(), &args("4"));
    assert!(
        one.stdout == four.stdout,
        "-j 1 and -j 4 must give byte-identical JSON"
    );
    assert_eq!(one.code, 2, "two inputs cannot be read to their end");
    let r = &one.json;

    // What the data files should add up to.
    let mut want = Sums::default();
    for e in expectations() {
        want.add(&Sums {
            records: e.records,
            responses: e.responses,
            skipped: e.records - e.responses,
            classes: CLASSES
                .iter()
                .map(|c| (c.to_string(), e.class(c)))
                .collect(),
        });
    }
    // What the tool says file by file.
    let mut per_file = Sums::default();
    for f in data_files() {
        per_file.add(&Sums::of_report(&audit(&f).json));
    }

    let got = Sums::of_report(r);
    assert_eq!(got.records, got.responses + got.skipped);
    assert_eq!(got.classes.values().sum::<u64>(), got.responses);

    // Each data file's row matches its own expectation.
    let prefix = format!("{dir_arg}/");
    let mut rows = Sums::default();
    for input in r["inputs"].as_array().expect("inputs") {
        let path = input["path"].as_str().expect("path");
        let rel = path.strip_prefix(&prefix).unwrap_or(path);
        let (rec, resp, skip) = (
            u(&input["records"]),
            u(&input["responses"]),
            u(&input["skipped"]),
        );
        rows.records += rec;
        rows.responses += resp;
        rows.skipped += skip;
        match expectations().into_iter().find(|e| e.file == rel) {
            Some(e) => assert_eq!(
                (rec, resp, skip),
                (e.records, e.responses, e.records - e.responses),
                "{rel} in the directory run"
            ),
            // MANIFEST.md is not traffic: it must not add records.
            None => assert_eq!(rec, 0, "{rel} is not an input of traffic but added records"),
        }
    }
    assert_eq!(
        (rows.records, rows.responses, rows.skipped),
        (got.records, got.responses, got.skipped),
        "totals = sum of the input rows"
    );
    for f in [
        "har/chrome-h3-all-statuses-truncated.har",
        "har/malformed-mitmproxy-brokenfile.har",
    ] {
        let n = one
            .stderr
            .lines()
            .filter(|l| l.starts_with(&format!("tape-audit: {dir_arg}/{f}: ")))
            .count();
        assert_eq!(n, 1, "one error line for {f}; stderr:\n{}", one.stderr);
    }
    assert_eq!(spellings_429(r), (2, 2));

    assert_eq!(got, per_file, "grand totals = sum of the per-file runs");
    assert_eq!(
        got, want,
        "grand totals = sum of the expected per-file totals"
    );

    // The default scope over the whole corpus (many hosts): the Tape API's
    // hosts and the hosts that sent an envelope are audited, every other
    // record is counted as excluded, so the records still add up.
    let scoped = run_in(
        &manifest_dir(),
        &[dir_arg, "--format", "json", "--no-progress"],
    );
    let s = &scoped.json;
    let t = &s["totals"];
    assert_eq!(u(&t["records"]), got.records);
    assert_eq!(
        u(&t["records"]),
        u(&t["responses"]) + u(&t["skipped"]) + u(&t["excluded"])
    );
    assert_eq!(u(&t["excluded"]), u(&s["scope"]["excluded_records"]));
    let hosts = s["hosts"].as_array().expect("hosts");
    let audited: Vec<&str> = hosts
        .iter()
        .filter(|h| h["in_scope"] == true)
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    let listed: Vec<&str> = s["scope"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    let mut sorted = audited.clone();
    sorted.sort();
    assert_eq!(sorted, listed);
    for h in hosts {
        let api = h["host"] == "api.tapeapp.com";
        let sent = u(&h["envelopes"]) > 0;
        assert_eq!(h["in_scope"] == true, api || sent, "{h}");
    }
}
