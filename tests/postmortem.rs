//! Dashboards, postmortems and secrets: CSV exports, filters, timelines,
//! Markdown, baselines, honest exits and redaction, run through the binary.

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> String {
    root().join("testdata").join(name).display().to_string()
}

fn run(args: &[&str]) -> Output {
    Command::cargo_bin("tape-audit")
        .expect("binary built")
        .current_dir(root())
        .args(args)
        .output()
        .expect("runs")
}

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let out = run(&a);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}

/// Responses that get a CSV row: every class but ok.
fn notable(r: &Value) -> u64 {
    r["classes"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "ok")
        .map(|(_, v)| v.as_u64().unwrap())
        .sum()
}

fn read_csv(text: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|x| x.unwrap()).collect();
    (header, rows)
}

/// Counts CSV rows with Python's csv module, a reader independent of ours.
fn python_rows(path: &std::path::Path) -> usize {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv,sys; rows=list(csv.reader(open(sys.argv[1], newline=''))); print(len(rows)-1)",
        ])
        .arg(path)
        .output()
        .expect("python3 is needed for the independent CSV check");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

const COLUMNS: &str = "source,locator,timestamp,method,host,path,endpoint,status,error_code,class,violation,suggestion,documented_status,error_message,body_excerpt,request_id,duration_ms,client";

#[test]
fn csv_has_one_row_per_notable_record_in_order() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["sample.har", "sample.jsonl", "incident/during.jsonl"] {
        let path = dir.path().join("rows.csv");
        let report = json(&[&data(f), "--csv", path.to_str().unwrap()]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().next(), Some(COLUMNS));
        let (header, rows) = read_csv(&text);
        assert_eq!(header.len(), 18);
        assert_eq!(rows.len() as u64, notable(&report), "{f}");
        assert_eq!(
            python_rows(&path) as u64,
            notable(&report),
            "{f} read by Python"
        );
        // Input order: locators increase.
        let idx: Vec<u64> = rows
            .iter()
            .map(|r| r[1].split(' ').nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(idx.windows(2).all(|w| w[0] < w[1]), "{f}: {idx:?}");
        // -j 1 and -j 4 write the same bytes.
        let one = run(&[&data(f), "--csv", "-", "-j", "1"]);
        let four = run(&[&data(f), "--csv", "-", "-j", "4"]);
        assert_eq!(one.stdout, four.stdout, "{f}");
        assert_eq!(stdout(&one), text, "--csv - writes only the CSV to stdout");
    }
}

#[test]
fn csv_row_contents() {
    let out = run(&[&data("sample.har"), "--csv", "-"]);
    let (_, rows) = read_csv(&stdout(&out));
    let get = |loc: &str| rows.iter().find(|r| &r[1] == loc).unwrap().clone();
    let r = get("entry 17");
    assert_eq!(
        (&r[7], &r[8], &r[9], &r[11]),
        (
            "400",
            "Validation-Error",
            "undocumented_code",
            "validation_error"
        )
    );
    assert_eq!(
        (&r[4], &r[5], &r[6]),
        ("api.tapeapp.com", "/v1/record/app/7", "/v1/record/app/{id}")
    );
    let r = get("entry 15");
    assert_eq!((&r[9], &r[12]), ("status_mismatch", "404"));
    let r = get("entry 5");
    assert_eq!((&r[9], &r[10]), ("envelope_violation", "not_json"));
    assert_eq!(&r[2], "2024-06-11T09:10:35.185Z");
    assert_eq!(&r[16], "12.500");
    let r = get("entry 2");
    assert_eq!((&r[7], &r[9]), ("0", "no_response"));
}

#[test]
fn csv_cells_cannot_run_as_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("evil.jsonl");
    std::fs::write(
        &p,
        concat!(
            r#"{"status":400,"url":"/v1/x","body":{"error_code":"=HYPERLINK(\"http://evil\")","error_message":"+SUM(1,2)"}}"#,
            "\n",
            r#"{"status":500,"url":"/v1/y","request_id":"@cmd","body":{"error_code":"-2+3","error_message":"\tx"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = run(&[p.to_str().unwrap(), "--csv", "-"]);
    let (_, rows) = read_csv(&stdout(&out));
    assert_eq!(rows.len(), 2);
    for r in &rows {
        for cell in r.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
    assert_eq!(&rows[0][8], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(&rows[1][15], "'@cmd");
}

#[test]
fn timeline_csv_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    let report = json(&[
        &data("incident/during.jsonl"),
        "--timeline-csv",
        p.to_str().unwrap(),
        "--bucket",
        "5m",
    ]);
    let (header, rows) = read_csv(&std::fs::read_to_string(&p).unwrap());
    assert_eq!(
        header,
        [
            "bucket_start",
            "bucket_seconds",
            "status",
            "error_code",
            "class",
            "count",
            "bucket_responses"
        ]
    );
    let counted: u64 = rows.iter().map(|r| r[5].parse::<u64>().unwrap()).sum();
    assert_eq!(counted, notable(&report));
    let mut buckets = std::collections::BTreeMap::new();
    for r in &rows {
        assert_eq!(&r[1], "300");
        buckets.insert(r[0].to_string(), r[6].parse::<u64>().unwrap());
    }
    assert_eq!(buckets.len(), 12, "an hour in 5-minute buckets");
    assert_eq!(
        buckets.values().sum::<u64>(),
        report["totals"]["responses"].as_u64().unwrap()
    );
    assert_eq!(report["timeline"]["bucket_seconds"], 300.0);
    assert_eq!(report["timeline"]["buckets"].as_array().unwrap().len(), 12);
    assert_eq!(
        report["timeline"]["peak"]["start"],
        "2024-06-11T10:20:00.000Z"
    );
}

#[test]
fn filters_exclude_and_say_so() {
    let f = data("incident/during.jsonl");
    let all = json(&[&f]);
    let check = |r: &Value| {
        let t = &r["totals"];
        assert_eq!(
            t["records"].as_u64().unwrap(),
            t["responses"].as_u64().unwrap()
                + t["skipped"].as_u64().unwrap()
                + t["excluded"].as_u64().unwrap()
        );
        assert_eq!(r["filters"]["excluded"], t["excluded"]);
    };
    // A bare time of day is on the capture's own date.
    let w = json(&[&f, "--since", "10:20", "--until", "10:35"]);
    check(&w);
    assert_eq!(
        w["filters"]["in_force"],
        serde_json::json!([
            "since 2024-06-11T10:20:00.000Z",
            "until 2024-06-11T10:35:00.000Z"
        ])
    );
    assert_eq!(w["totals"]["responses"], 60);
    assert_eq!(w["time_span"]["first"], "2024-06-11T10:20:00.141Z");
    let rfc = json(&[
        &f,
        "--since",
        "2024-06-11T10:20:00Z",
        "--until",
        "2024-06-11T10:35:00Z",
    ]);
    assert_eq!(rfc["totals"], w["totals"]);
    // Relative to now: a capture from 2024 is entirely before the last two hours.
    let rel = run(&[&f, "--since", "-2h", "--format", "json"]);
    assert_eq!(
        rel.status.code(),
        Some(2),
        "everything filtered out is not a clean bill of health"
    );
    let rel: Value = serde_json::from_slice(&rel.stdout).unwrap();
    assert_eq!(rel["totals"]["responses"], 0);
    assert_eq!(rel["warnings"][0], "the filters left out every record");

    let s = json(&[&f, "--status", "5xx"]);
    check(&s);
    assert_eq!(
        s["totals"]["responses"],
        all["undocumented_statuses"][0]["count"]
    );
    let c = json(&[&f, "--code", "record_locked"]);
    assert_eq!(c["classes"]["undocumented_code"], c["totals"]["responses"]);
    let k = json(&[&f, "--class", "envelope_violation,undocumented_code"]);
    assert_eq!(
        k["totals"]["responses"].as_u64().unwrap(),
        all["classes"]["envelope_violation"].as_u64().unwrap()
            + all["classes"]["undocumented_code"].as_u64().unwrap()
    );
    let h = json(&[&f, "--host", "example.com"]);
    assert_eq!(h["totals"]["responses"], 0);
    let p = json(&[&f, "--path-prefix", "/v1/app/"]);
    let e = json(&[&f, "--endpoint", "/v1/app/*"]);
    assert_eq!(p["totals"], e["totals"]);
    let eps: Vec<&str> = e["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(eps, ["/v1/app/{id}"]);
    let bad = run(&[&f, "--status", "abc"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn endpoints_codes_samples_and_coverage() {
    let r = json(&[&data("incident/during.jsonl"), "--samples", "2"]);
    let eps = r["endpoints"].as_array().unwrap();
    assert!(eps.iter().any(|e| e["endpoint"] == "/v1/record/{id}"));
    let errors: Vec<u64> = eps.iter().map(|e| e["errors"].as_u64().unwrap()).collect();
    assert!(errors.windows(2).all(|w| w[0] >= w[1]), "sorted by errors");
    let locked = r["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["error_code"] == "record_locked")
        .unwrap();
    assert_eq!(locked["examples"].as_array().unwrap().len(), 2);
    assert_eq!(locked["examples"][0]["request_id"], "req-2-0017");
    assert_eq!(locked["first_seen"], "2024-06-11T10:04:15.394Z");
    assert!(locked["last_seen"].as_str().unwrap() > locked["first_seen"].as_str().unwrap());
    // Two API keys, told apart by fingerprint only.
    assert_eq!(locked["clients"].as_object().unwrap().len(), 2);
    let seen: Vec<&str> = r["coverage"]["seen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        seen,
        ["401 unauthorized", "404 not_found", "429 too_many_requests"]
    );
    assert_eq!(r["coverage"]["never_seen"].as_array().unwrap().len(), 8);
}

#[test]
fn terminal_timeline_and_show() {
    let out = run(&[&data("incident/during.jsonl"), "--bucket", "5m"]);
    let text = stdout(&out);
    assert!(
        text.contains("Error responses over time (5m buckets)"),
        "{text}"
    );
    assert!(
        // Two 5-minute buckets tie at 18 errors: both are named.
        text.contains("peak: 18 errors in each of 2 buckets, the first starting 2024-06-11T10:20:00.000Z, the last 2024-06-11T10:25:00.000Z"),
        "{text}"
    );
    assert!(text.contains("Endpoints with the most errors"));
    assert!(text.contains("Coverage 3 of 11 documented codes seen"));

    let out = run(&[
        "testdata/incident/during.jsonl",
        "--show",
        "undocumented_code",
    ]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    assert_eq!(lines.len(), 13);
    assert_eq!(
        lines[0],
        "testdata/incident/during.jsonl:18: 2024-06-11T10:04:15.394Z  GET /v1/record/913 (/v1/record/{id})  409 record_locked  undocumented_code  [req-2-0017]  Record is being edited"
    );
}

#[test]
fn markdown_report_for_a_postmortem() {
    let out = run(&[&data("sample.har"), "--format", "markdown"]);
    let md = stdout(&out);
    for want in [
        "# tape-audit report",
        "| class | responses |",
        "| status | error_code | class | count | first seen | last seen | note | examples |",
        "| 400 | `Validation-Error` | `undocumented_code` | 1 |",
        "did you mean `validation_error`?",
        "## Envelope violations",
        "## Endpoints with the most errors",
        "## Timeline",
        "## Catalog coverage",
    ] {
        assert!(md.contains(want), "missing {want:?}:\n{md}");
    }
    // Every table row has the same number of cells as its header.
    let mut cols = 0;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = line.replace("\\|", "").matches('|').count();
            if line.starts_with("| ---") || line.starts_with("| ---:") {
                assert_eq!(n, cols, "{line}");
            } else if cols == 0 {
                cols = n;
            } else {
                assert_eq!(n, cols, "{line}");
            }
        } else {
            cols = 0;
        }
    }
}

#[test]
fn baseline_names_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("before.json");
    let out = run(&[&data("incident/before.jsonl"), "--format", "json"]);
    std::fs::write(&old, &out.stdout).unwrap();
    let r = json(&[
        &data("incident/during.jsonl"),
        "--baseline",
        old.to_str().unwrap(),
    ]);
    let new: Vec<&str> = r["baseline"]["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert!(
        new.contains(&"409 record_locked (undocumented_code)"),
        "{new:?}"
    );
    assert!(new.contains(&"429 too_many_requests (documented)"));
    assert!(new.contains(&"not_json"));
    let code = |args: &[&str]| run(args).status.code();
    assert_eq!(
        code(&[
            &data("incident/during.jsonl"),
            "--baseline",
            old.to_str().unwrap(),
            "--fail-on",
            "new"
        ]),
        Some(1)
    );
    assert_eq!(
        code(&[
            &data("incident/before.jsonl"),
            "--baseline",
            old.to_str().unwrap(),
            "--fail-on",
            "new"
        ]),
        Some(0)
    );
    let same = json(&[
        &data("incident/before.jsonl"),
        "--baseline",
        old.to_str().unwrap(),
    ]);
    for k in ["new", "gone", "changed"] {
        assert_eq!(same["baseline"][k].as_array().unwrap().len(), 0, "{k}");
    }
    let md = stdout(&run(&[
        &data("incident/during.jsonl"),
        "--baseline",
        old.to_str().unwrap(),
        "--format",
        "markdown",
    ]));
    assert!(
        md.contains("| new | code | 409 record\\_locked (undocumented\\_code) | 0 | 13 |"),
        "{md}"
    );
    let bad = run(&[&data("sample.har"), "--baseline", &data("sample.har")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a tape-audit JSON report"));
}

#[test]
fn empty_or_unreadable_audits_do_not_pass() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let out = run(&[empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // An empty file is an input without records (not an input error): the
    // audit still fails, for reading nothing.
    assert!(String::from_utf8_lossy(&out.stderr).contains("no records"));
    let blank = dir.path().join("blank.jsonl");
    std::fs::write(&blank, "\n\n  \n").unwrap();
    let out = run(&[blank.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        err.trim_end(),
        format!("tape-audit: warning: {}: no records", blank.display())
    );
    assert!(stdout(&out).contains("WARNING: no records were read"));
    assert_eq!(
        run(&[blank.to_str().unwrap(), "--allow-empty"])
            .status
            .code(),
        Some(0)
    );
    let junk = dir.path().join("junk.log");
    std::fs::write(&junk, "not json\nnot json either\n{\"status\":200}\n").unwrap();
    let out = run(&[junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        err.trim_end(),
        format!(
            "tape-audit: warning: {}: 2 of 3 records could not be read",
            junk.display()
        )
    );
    assert_eq!(
        run(&[junk.to_str().unwrap(), "--allow-empty"])
            .status
            .code(),
        Some(0)
    );
}

const SECRETS: [&str; 12] = [
    "SECRET_QUERY_TOKEN_111",
    "SECRET_BEARER_IN_MESSAGE_222",
    "SECRET_HEADER_TOKEN_333",
    "SECRET_COOKIE_444",
    "SECRET_SETCOOKIE_555",
    "SECRET_APIKEY_666",
    "SECRET_PASSWORD_777",
    "SECRET_SIG_888",
    "SECRET_XAPIKEY_999",
    "SECRET_IN_CODE_000",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    "U0VDUkVUX0JBU0lDX0FBQTpwdw",
];

#[test]
fn secrets_never_reach_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let har = data("secrets.har");
    let csv = dir.path().join("rows.csv");
    let tl = dir.path().join("timeline.csv");
    let mut outputs = Vec::new();
    for fmt in ["table", "json", "markdown"] {
        let out = run(&[
            &har,
            "--format",
            fmt,
            "--csv",
            csv.to_str().unwrap(),
            "--timeline-csv",
            tl.to_str().unwrap(),
        ]);
        outputs.push(stdout(&out));
        outputs.push(String::from_utf8_lossy(&out.stderr).into_owned());
        outputs.push(std::fs::read_to_string(&csv).unwrap());
        outputs.push(std::fs::read_to_string(&tl).unwrap());
    }
    outputs.push(stdout(&run(&[&har, "--show", "all"])));
    for text in &outputs {
        for s in SECRETS {
            assert!(!text.contains(s), "{s} leaked into:\n{text}");
        }
    }
    // The credential is replaced by a stable fingerprint that groups rows.
    let r = json(&[&har]);
    let row = r["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["error_code"] == "unauthorized")
        .unwrap();
    let fp = row["clients"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert_eq!(fp.len(), 12);
    assert_eq!(
        json(&[&har])["codes"],
        r["codes"],
        "fingerprints are the same across runs"
    );
    assert!(outputs[0].contains("[redacted:"));

    // Asked for, secrets are shown, with a warning.
    let out = run(&[&har, "--unsafe-show-secrets", "--csv", "-"]);
    let text = stdout(&out);
    assert!(
        text.contains("SECRET_BEARER_IN_MESSAGE_222") && text.contains("SECRET_HEADER_TOKEN_333")
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: --unsafe-show-secrets"));
}
