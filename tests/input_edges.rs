//! Input edge cases through the binary: how inputs are found, detected,
//! decoded and accounted for. Each test names the bug it guards.
//!
//! Every run is checked for the basics: no panic, exit 0, 1 or 2, every
//! stderr line a one-line `tape-audit: ` message, and (for JSON reports)
//! `records == responses + skipped + excluded`.
//!
//! `TAPE_AUDIT_BIN` runs the tests against another build of the binary
//! (to see them fail on an older one).

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

fn bin() -> PathBuf {
    std::env::var_os("TAPE_AUDIT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tape-audit")))
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, data).expect("write a test file");
    p
}

/// One finished run.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn report(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON report ({e}); exit {}; stderr:\n{}\nstdout:\n{}",
                self.code,
                self.stderr,
                &self.stdout[..self.stdout.len().min(2000)]
            )
        })
    }
}

fn run_env(args: &[&OsStr], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(bin());
    c.args(args).arg("--no-progress");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!r.stderr.contains("panicked"), "panicked:\n{}", r.stderr);
    assert!(
        (0..=2).contains(&r.code),
        "exit {} (want 0..=2); stderr:\n{}",
        r.code,
        r.stderr
    );
    for l in r.stderr.lines() {
        assert!(
            l.starts_with("tape-audit: "),
            "stderr line is not a tape-audit message: {l:?}"
        );
    }
    r
}

fn os<S: AsRef<OsStr> + ?Sized>(s: &S) -> &OsStr {
    s.as_ref()
}

/// `tape-audit ARGS --format json`, with the report's totals checked.
fn audit_env(args: &[&OsStr], env: &[(&str, &str)]) -> (Run, Value) {
    let mut all: Vec<&OsStr> = args.to_vec();
    all.extend([os("--format"), os("json"), os("--allow-empty")]);
    let r = run_env(&all, env);
    let rep = r.report();
    let t = &rep["totals"];
    let n = |k: &str| t[k].as_u64().unwrap_or_else(|| panic!("totals.{k}"));
    assert_eq!(
        n("records"),
        n("responses") + n("skipped") + n("excluded"),
        "every record accounted: {t}"
    );
    let per_input: u64 = rep["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["records"].as_u64().unwrap())
        .sum();
    assert_eq!(per_input, n("records"), "inputs add up to the totals");
    (r, rep)
}

fn audit(args: &[&OsStr]) -> (Run, Value) {
    audit_env(args, &[])
}

fn records(rep: &Value) -> u64 {
    rep["totals"]["records"].as_u64().unwrap()
}

fn responses(rep: &Value) -> u64 {
    rep["totals"]["responses"].as_u64().unwrap()
}

fn skipped(rep: &Value, reason: &str) -> u64 {
    rep["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["reason"] == reason)
        .map_or(0, |s| s["count"].as_u64().unwrap())
}

/// A HAR entry with a Tape error envelope (or a success).
fn har_entry(i: usize, status: u16) -> Value {
    let text = if status >= 400 {
        json!({"error_code": "not_found", "error_message": format!("no record {i}")}).to_string()
    } else {
        json!({"record_id": i}).to_string()
    };
    json!({
        "startedDateTime": format!("2024-06-11T09:{:02}:{:02}.000Z", (i / 60) % 60, i % 60),
        "time": 10.5,
        "request": {"method": "GET", "url": format!("https://api.tapeapp.com/v1/record/{i}"), "headers": []},
        "response": {"status": status, "headers": [],
            "content": {"size": text.len(), "mimeType": "application/json", "text": text}}
    })
}

/// A flat JSON-lines record.
fn flat_line(i: usize, status: u16) -> String {
    let body = if status >= 400 {
        json!({"error_code": "not_found", "error_message": format!("no record {i}")}).to_string()
    } else {
        json!({"record_id": i}).to_string()
    };
    json!({
        "timestamp": format!("2024-06-11T10:{:02}:{:02}.000Z", (i / 60) % 60, i % 60),
        "method": "GET",
        "url": format!("https://api.tapeapp.com/v1/record/{i}"),
        "status": status,
        "response_body": body
    })
    .to_string()
}

fn har_doc(entries: &[Value]) -> String {
    json!({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": entries}})
        .to_string()
}

fn input(rep: &Value, i: usize) -> &Value {
    &rep["inputs"][i]
}

// ---------------------------------------------------------------------------
// 2. HAR detection by a `log` member anywhere among the root's members.

#[test]
fn har_with_members_before_log() {
    let d = tmp();
    let entries: Vec<Value> = (0..3).map(|i| har_entry(i, 404)).collect();
    let one_line = format!(
        r#"{{"_comment":"exported by a tool","_meta":{{"a":[1,2,{{"log":1}}]}},"log":{}}}"#,
        json!({"version": "1.2", "entries": entries})
    );
    let a = write(d.path(), "one-line.har", &one_line);
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<Value>(&one_line).expect("valid JSON"),
    )
    .unwrap();
    let b = write(d.path(), "pretty.har", &pretty);
    for p in [&a, &b] {
        let (r, rep) = audit(&[os(p)]);
        assert_eq!(
            input(&rep, 0)["format"],
            "har",
            "{}: {}",
            p.display(),
            r.stderr
        );
        assert_eq!(records(&rep), 3, "{}", p.display());
        assert_eq!(responses(&rep), 3, "{}", p.display());
    }
}

#[test]
fn structured_log_with_a_log_object_is_not_har() {
    // ECS and similar loggers put a `log` object in every line.
    let d = tmp();
    let lines: String = (0..4)
        .map(|i| format!("{{\"@timestamp\":\"2024-06-11T09:00:0{i}Z\",\"log\":{{\"level\":\"info\"}},\"status\":500}}\n"))
        .collect();
    let p = write(d.path(), "ecs.jsonl", lines);
    let (_, rep) = audit(&[os(&p)]);
    assert_eq!(input(&rep, 0)["format"], "jsonl");
    assert_eq!(responses(&rep), 4);
}

// ---------------------------------------------------------------------------
// 3. A first line longer than the first detection window.

#[test]
fn long_first_line_is_still_json_lines() {
    let d = tmp();
    let big = "x".repeat(200 << 10);
    let mut data = format!(
        "{}\n",
        json!({"status": 500, "method": "GET", "url": "/v1/a", "response_body": big})
    );
    for i in 0..3 {
        data.push_str(&flat_line(i, 404));
        data.push('\n');
    }
    let p = write(d.path(), "long.jsonl", &data);
    let (r, rep) = audit(&[os(&p)]);
    assert_eq!(input(&rep, 0)["format"], "jsonl", "{}", r.stderr);
    assert_eq!(records(&rep), 4);
    assert_eq!(responses(&rep), 4);
    assert!(input(&rep, 0)["error"].is_null(), "{}", input(&rep, 0));
}

#[test]
fn first_line_longer_than_max_record_is_one_skipped_line() {
    let d = tmp();
    let big = "x".repeat(3 << 20);
    let mut data = format!("{}\n", json!({"status": 500, "response_body": big}));
    for i in 0..3 {
        data.push_str(&flat_line(i, 404));
        data.push('\n');
    }
    let p = write(d.path(), "huge-first.jsonl", &data);
    let (r, rep) = audit(&[os(&p), os("--max-record-mib"), os("1")]);
    assert_eq!(input(&rep, 0)["format"], "jsonl", "{}", r.stderr);
    assert_eq!(records(&rep), 4);
    assert_eq!(skipped(&rep, "too_large"), 1);
    assert_eq!(responses(&rep), 3);
}

// ---------------------------------------------------------------------------
// 4. HAR-entry lines and flat lines mixed: no line lost to the shape vote.

#[test]
fn mixed_har_entry_and_flat_lines_in_either_order() {
    let d = tmp();
    let har: Vec<String> = (0..5).map(|i| har_entry(i, 404).to_string()).collect();
    let flat: Vec<String> = (0..3).map(|i| flat_line(i, 500)).collect();
    let har_first = [har.clone(), flat.clone()].concat().join("\n") + "\n";
    let flat_first = [flat.clone(), har.clone()].concat().join("\n") + "\n";
    let mut classes = Vec::new();
    for (name, data) in [
        ("har-first.jsonl", har_first),
        ("flat-first.jsonl", flat_first),
    ] {
        let p = write(d.path(), name, data);
        let (_, rep) = audit(&[os(&p)]);
        assert_eq!(responses(&rep), 8, "{name}");
        assert_eq!(
            rep["classes"]["no_response"], 0,
            "{name}: {}",
            rep["classes"]
        );
        classes.push(rep["classes"].clone());
    }
    assert_eq!(classes[0], classes[1]);
}

#[test]
fn har_entry_line_without_response_whatever_the_vote() {
    let d = tmp();
    let mut no_response = har_entry(99, 404);
    no_response.as_object_mut().unwrap().remove("response");
    let no_response = no_response.to_string();
    for (n_har, n_flat) in [(5, 2), (2, 6)] {
        let mut lines: Vec<String> = (0..n_har).map(|i| har_entry(i, 404).to_string()).collect();
        lines.extend((0..n_flat).map(|i| flat_line(i, 500)));
        lines.push(no_response.clone());
        let p = write(
            d.path(),
            &format!("mix-{n_har}-{n_flat}.jsonl"),
            lines.join("\n"),
        );
        let (_, rep) = audit(&[os(&p)]);
        assert_eq!(
            responses(&rep),
            (n_har + n_flat + 1) as u64,
            "{}",
            rep["skipped"]
        );
        assert_eq!(
            rep["classes"]["no_response"], 1,
            "{n_har} HAR, {n_flat} flat"
        );
    }
}

// ---------------------------------------------------------------------------
// 7. Status forms.

#[test]
fn status_with_zero_fraction_or_reason_phrase() {
    let d = tmp();
    let data = [
        r#"{"status":404.0,"method":"GET","url":"/v1/a"}"#,
        r#"{"status":"404 Not Found","method":"GET","url":"/v1/b"}"#,
        r#"{"status":"503","method":"GET","url":"/v1/c"}"#,
        r#"{"status":404.5,"method":"GET","url":"/v1/d"}"#,
        r#"{"status":"40","method":"GET","url":"/v1/e"}"#,
        r#"{"status":"abc","method":"GET","url":"/v1/f"}"#,
    ]
    .join("\n");
    let p = write(d.path(), "statuses.jsonl", data);
    let (_, rep) = audit(&[os(&p)]);
    assert_eq!(records(&rep), 6);
    assert_eq!(responses(&rep), 3, "{}", rep["skipped"]);
    assert_eq!(skipped(&rep, "no_status"), 3);
    let statuses: Vec<u64> = rep["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["status"].as_u64())
        .collect();
    assert!(statuses.contains(&404), "{statuses:?}");
}

// ---------------------------------------------------------------------------
// 12. Timestamps outside 1970..=9999.

#[test]
fn timestamps_out_of_range_are_untimed() {
    let d = tmp();
    let data = [
        r#"{"status":500,"time":1e300}"#,
        r#"{"status":500,"time":-5}"#,
        r#"{"status":500,"time":"+10000-01-01T00:00:00Z"}"#,
        r#"{"status":500,"time":"0001-01-01T00:00:00Z"}"#,
    ]
    .join("\n");
    let p = write(d.path(), "times.jsonl", data);
    let (r, rep) = audit(&[os(&p)]);
    assert_eq!(responses(&rep), 4);
    assert!(
        !r.stdout.contains("9223372036854775807") && !r.stdout.contains("+292"),
        "an out-of-range time was printed: {}",
        rep["time_span"]
    );
    assert!(
        rep["time_span"].is_null() || rep["time_span"]["first"].is_null(),
        "{}",
        rep["time_span"]
    );
    // CSV rows have no time either.
    let csv = d.path().join("rows.csv");
    let _ = audit(&[os(&p), os("--csv"), os(&csv)]);
    let text = fs::read_to_string(&csv).unwrap();
    assert!(!text.contains("9223372036854775807"), "{text}");
}

// ---------------------------------------------------------------------------
// 13. Directory walks: an entry that cannot be read is an error naming it.

#[test]
fn unreadable_directory_entry_is_an_error_naming_it() {
    let d = tmp();
    let top = d.path().join("cap");
    fs::create_dir(&top).unwrap();
    write(&top, "a.jsonl", flat_line(1, 404));
    // A directory too deep to open by its path (longer than PATH_MAX):
    // built step by step with relative paths, which works even as root
    // (where permissions would not stop the walk).
    let seg = "d".repeat(250);
    let script = format!("cd '{}' && for i in $(seq 20); do mkdir {seg} && cd {seg} || exit 1; done; echo '{{\"status\":500}}' > deep.jsonl", top.display());
    // bash, whose `cd` goes on past PATH_MAX (dash's does not).
    let ok = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .status()
        .unwrap();
    assert!(ok.success());
    let (r, rep) = audit(&[os(&top)]);
    assert_eq!(responses(&rep), 1, "the readable file is still read");
    let named = r
        .stderr
        .lines()
        .any(|l| l.contains(&*top.to_string_lossy()) && l.contains(&seg));
    assert!(named, "no error naming the deep entry:\n{}", r.stderr);
    assert_eq!(r.code, 2, "an unreadable entry makes the run fail");
    let _ = Command::new("bash")
        .arg("-c")
        .arg(format!("cd '{}' && rm -rf {seg}", top.display()))
        .status();
}

#[test]
fn walk_order_and_hidden_entries() {
    let d = tmp();
    let top = d.path().join("w");
    fs::create_dir_all(top.join("b")).unwrap();
    fs::create_dir_all(top.join(".hidden")).unwrap();
    write(&top, "c.jsonl", flat_line(3, 404));
    write(&top.join("b"), "a.jsonl", flat_line(2, 404));
    write(&top, "a.jsonl", flat_line(1, 404));
    write(&top, ".x.jsonl", flat_line(9, 404));
    write(&top.join(".hidden"), "y.jsonl", flat_line(9, 404));
    let (_, rep) = audit(&[os(&top)]);
    let names: Vec<String> = rep["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect();
    let rel: Vec<String> = names
        .iter()
        .map(|n| n.strip_prefix(&*top.to_string_lossy()).unwrap().to_string())
        .collect();
    assert_eq!(rel, ["/a.jsonl", "/b/a.jsonl", "/c.jsonl"]);
}

// ---------------------------------------------------------------------------
// 14. The same file given or reached twice is read once.

#[test]
fn same_file_twice_is_read_once() {
    let d = tmp();
    let dir = d.path().join("cap");
    fs::create_dir(&dir).unwrap();
    let entries: Vec<Value> = (0..4).map(|i| har_entry(i, 404)).collect();
    let a = write(&dir, "a.har", har_doc(&entries));
    let link = d.path().join("link.har");
    std::os::unix::fs::symlink(&a, &link).unwrap();
    for args in [
        vec![os(&a), os(&a)],
        vec![os(&dir), os(&a)],
        vec![os(&a), os(&link)],
    ] {
        let (r, rep) = audit(&args);
        assert_eq!(records(&rep), 4, "{args:?}: {}", r.stderr);
        assert_eq!(rep["inputs"].as_array().unwrap().len(), 1, "{args:?}");
        assert!(
            r.stderr
                .lines()
                .any(|l| l.starts_with("tape-audit: warning: ") && l.contains("read once")),
            "{args:?}: no warning:\n{}",
            r.stderr
        );
    }
}

// ---------------------------------------------------------------------------
// 15. A tape-audit report or partial among the inputs is left out.

#[test]
fn own_reports_and_partials_are_left_out() {
    let d = tmp();
    let cap = d.path().join("cap");
    fs::create_dir(&cap).unwrap();
    let entries: Vec<Value> = (0..3).map(|i| har_entry(i, 404)).collect();
    write(&cap, "a.har", har_doc(&entries));
    for format in ["json", "partial"] {
        let r = run_env(
            &[os(&cap), os("--format"), os(format), os("--allow-empty")],
            &[],
        );
        write(&cap, &format!("out-{format}.json"), &r.stdout);
    }
    let (_, rep) = audit(&[os(&cap)]);
    assert_eq!(records(&rep), 3);
    let inputs = rep["inputs"].as_array().unwrap();
    for i in inputs
        .iter()
        .filter(|i| i["path"].as_str().unwrap().ends_with(".json"))
    {
        assert_eq!(i["records"], 0, "{i}");
        assert!(i["error"].is_null(), "{i}");
        assert!(
            i["note"].as_str().is_some_and(|n| n.contains("tape-audit")),
            "{i}"
        );
    }
    assert_eq!(inputs.len(), 3);
    // Named on the command line too.
    let (r, rep) = audit(&[os(&cap.join("out-json.json"))]);
    assert_eq!(records(&rep), 0);
    assert_ne!(r.code, 2, "{}", r.stderr);
}

// ---------------------------------------------------------------------------
// 16. Empty files.

#[test]
fn empty_files_are_inputs_without_records() {
    let d = tmp();
    let a = write(d.path(), "a.jsonl", flat_line(1, 404) + "\n");
    let e = write(d.path(), "empty.jsonl", b"");
    let g = write(d.path(), "empty.jsonl.gz", b"");
    let (r, rep) = audit(&[os(&a), os(&e), os(&g)]);
    assert_eq!(records(&rep), 1);
    for i in rep["inputs"].as_array().unwrap() {
        assert!(i["error"].is_null(), "{i}");
    }
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A gzip header cut short is an error naming the file.
    let cut = write(d.path(), "cut.jsonl.gz", [0x1f, 0x8b, 0x08]);
    let (r, rep) = audit(&[os(&a), os(&cut)]);
    assert_eq!(records(&rep), 1);
    assert!(
        r.stderr
            .lines()
            .any(|l| l.contains(&*cut.to_string_lossy())),
        "{}",
        r.stderr
    );
    assert_eq!(r.code, 2);
}

// ---------------------------------------------------------------------------
// 18. Tiny work units give the same reports and rows in input order.

fn csv_locations(text: &str) -> Vec<(String, u64)> {
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let head = rd.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name);
    let file = col("source").expect("a source column");
    let loc = col("locator").expect("a locator column");
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            // `line 3`, `entry 7`
            let n = r[loc].rsplit(' ').next().unwrap().parse().unwrap();
            (r[file].to_string(), n)
        })
        .collect()
}

#[test]
fn tiny_blocks_and_batches_change_nothing() {
    let d = tmp();
    let lines: String = (0..300)
        .map(|i| flat_line(i, [200, 404, 500, 429][i % 4]) + "\n")
        .collect();
    let jl = write(d.path(), "a.jsonl", lines);
    let entries: Vec<Value> = (0..200).map(|i| har_entry(i, [200, 404][i % 2])).collect();
    let har = write(d.path(), "b.har", har_doc(&entries));
    let tiny = [
        ("TAPE_AUDIT_BLOCK_BYTES", "256"),
        ("TAPE_AUDIT_HAR_BATCH", "3"),
    ];
    let mut reports = Vec::new();
    let mut csvs = Vec::new();
    for (env, jobs) in [(&[][..], "1"), (&tiny[..], "1"), (&tiny[..], "2")] {
        let (_, rep) = audit_env(&[os(&jl), os(&har), os("-j"), os(jobs)], env);
        reports.push(rep);
        let r = run_env(
            &[
                os(&jl),
                os(&har),
                os("-j"),
                os(jobs),
                os("--csv"),
                os("-"),
                os("--allow-empty"),
            ],
            env,
        );
        csvs.push(r.stdout);
    }
    assert_eq!(records(&reports[0]), 500);
    assert_eq!(reports[0], reports[1], "tiny units at -j 1");
    assert_eq!(reports[0], reports[2], "tiny units at -j 2");
    assert_eq!(csvs[0], csvs[1]);
    assert_eq!(csvs[0], csvs[2]);
    let locs = csv_locations(&csvs[2]);
    assert!(locs.len() > 300, "{} rows", locs.len());
    let mut sorted = locs.clone();
    sorted.sort();
    assert_eq!(locs, sorted, "rows in input order");
}

// ---------------------------------------------------------------------------
// 6. UTF-16 and UTF-32 inputs.

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd_bytes(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

#[test]
fn utf16_and_utf32_inputs_are_transcoded() {
    let d = tmp();
    let text: String = (0..20)
        .map(|i| flat_line(i, [404, 500][i % 2]) + "\r\n")
        .collect();
    let utf8 = write(d.path(), "utf8.jsonl", &text);
    let (_, want) = audit(&[os(&utf8)]);
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for u in text.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
        be.extend_from_slice(&u.to_be_bytes());
    }
    let mut le32 = vec![0xFF, 0xFE, 0, 0];
    for c in text.chars() {
        le32.extend_from_slice(&(c as u32).to_le_bytes());
    }
    let har_text = har_doc(&(0..5).map(|i| har_entry(i, 404)).collect::<Vec<_>>());
    let mut har16 = vec![0xFF, 0xFE];
    for u in har_text.encode_utf16() {
        har16.extend_from_slice(&u.to_le_bytes());
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("le.jsonl", le.clone()),
        ("be.jsonl", be),
        ("le32.jsonl", le32),
        ("le.jsonl.gz", gzip(&le)),
        ("le.jsonl.zst", zstd_bytes(&le)),
    ];
    for (name, data) in cases {
        let p = write(d.path(), name, data);
        let (r, rep) = audit(&[os(&p)]);
        assert_eq!(records(&rep), 20, "{name}: {}", r.stderr);
        assert_eq!(rep["classes"], want["classes"], "{name}");
        assert_eq!(skipped(&rep, "not_json"), 0, "{name}");
    }
    let p = write(d.path(), "le.har", har16);
    let (_, rep) = audit(&[os(&p)]);
    assert_eq!(input(&rep, 0)["format"], "har");
    assert_eq!(responses(&rep), 5);
}

// ---------------------------------------------------------------------------
// 5. zstd: skippable frames first; the window limit.

#[test]
fn zstd_skippable_frame_first() {
    let d = tmp();
    let text: String = (0..10).map(|i| flat_line(i, 404) + "\n").collect();
    let mut data = vec![0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
    data.extend(zstd_bytes(text.as_bytes()));
    let p = write(d.path(), "pz.jsonl.zst", data);
    let (r, rep) = audit(&[os(&p)]);
    assert_eq!(input(&rep, 0)["compression"], "zstd", "{}", r.stderr);
    assert_eq!(responses(&rep), 10);
}

fn zstd_with_window_log(data: &[u8], log: u32) -> Vec<u8> {
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    e.set_parameter(zstd::stream::raw::CParameter::WindowLog(log))
        .unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn zstd_window_above_the_limit_is_one_clear_error() {
    let d = tmp();
    let text: String = (0..10).map(|i| flat_line(i, 404) + "\n").collect();
    let p = write(d.path(), "x.zst", zstd_with_window_log(text.as_bytes(), 27));
    let (r, rep) = audit(&[os(&p)]);
    assert_eq!(r.code, 2);
    let want = format!(
        "tape-audit: {}: zstd frame needs a 128 MiB window, above the 32 MiB limit (raise it with --zstd-window-mib)",
        p.display()
    );
    assert!(
        r.stderr.lines().any(|l| l == want),
        "want {want:?} in:\n{}",
        r.stderr
    );
    assert_eq!(records(&rep), 0);
    let (r, rep) = audit(&[os(&p), os("--zstd-window-mib"), os("128")]);
    assert_eq!(responses(&rep), 10, "{}", r.stderr);
    // A frame within the default limit reads as before.
    let p = write(d.path(), "y.zst", zstd_with_window_log(text.as_bytes(), 25));
    let (_, rep) = audit(&[os(&p)]);
    assert_eq!(responses(&rep), 10);
}

// ---------------------------------------------------------------------------
// 9. Offsets in errors of compressed inputs.

#[test]
fn compressed_errors_say_which_bytes_they_count() {
    let d = tmp();
    let text: String = (0..2000).map(|i| flat_line(i, 404) + "\n").collect();
    let gz = gzip(text.as_bytes());
    let p = write(d.path(), "cut.jsonl.gz", &gz[..gz.len() / 2]);
    let (r, rep) = audit(&[os(&p)]);
    assert!(records(&rep) > 0);
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("cut.jsonl.gz"))
        .unwrap_or_else(|| panic!("no error line:\n{}", r.stderr));
    assert!(
        line.contains("decompressed byte") && line.contains("compressed byte"),
        "{line}"
    );
    let mut z = zstd_bytes(text.as_bytes());
    let n = z.len();
    z[n / 2] ^= 0xff;
    z[n / 2 + 1] ^= 0xff;
    z.truncate(n * 3 / 4);
    let p = write(d.path(), "bad.jsonl.zst", &z);
    let (r, _) = audit(&[os(&p)]);
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("bad.jsonl.zst"))
        .unwrap_or_else(|| panic!("no error line:\n{}", r.stderr));
    assert!(line.contains("decompressed byte"), "{line}");
}

// ---------------------------------------------------------------------------
// 11. File names that are not UTF-8.

#[test]
fn non_utf8_file_names() {
    use std::os::unix::ffi::OsStringExt;
    let d = tmp();
    let a = d.path().join(OsString::from_vec(b"a\xff.jsonl".to_vec()));
    let b = d.path().join(OsString::from_vec(b"a\xfe.jsonl".to_vec()));
    fs::write(&a, flat_line(1, 404)).unwrap();
    fs::write(&b, flat_line(2, 500)).unwrap();
    let (r, rep) = audit(&[os(&a), os(&b)]);
    assert_eq!(records(&rep), 2, "{}", r.stderr);
    let names: Vec<&str> = rep["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert!(names[0].ends_with("a\\xfe.jsonl"), "{names:?}");
    assert!(names[1].ends_with("a\\xff.jsonl"), "{names:?}");
    // Walked too.
    let (_, rep) = audit(&[os(d.path())]);
    assert_eq!(records(&rep), 2);
}

// ---------------------------------------------------------------------------
// 8. Duplicate `log` / `log.entries` keys.

#[test]
fn duplicate_log_entries_are_all_read_and_noted() {
    let d = tmp();
    let e = |i| har_entry(i, 404).to_string();
    let doc = format!(
        r#"{{"log":{{"version":"1.2","entries":[{},{}]}},"log":{{"entries":[{}]}}}}"#,
        e(0),
        e(1),
        e(2)
    );
    let p = write(d.path(), "dup.har", doc);
    let (_, rep) = audit(&[os(&p)]);
    assert_eq!(records(&rep), 3);
    assert!(
        input(&rep, 0)["note"]
            .as_str()
            .is_some_and(|n| n.contains("log.entries")),
        "{}",
        input(&rep, 0)
    );
    let doc = format!(
        r#"{{"log":{{"entries":[{}],"entries":[{},{}]}}}}"#,
        e(0),
        e(1),
        e(2)
    );
    let p = write(d.path(), "dup2.har", doc);
    let (_, rep) = audit(&[os(&p)]);
    assert_eq!(records(&rep), 3);
}

// ---------------------------------------------------------------------------
// 1. Skip reason names in reports are unchanged.

#[test]
fn skip_reason_names_are_stable() {
    let d = tmp();
    let mut data = Vec::new();
    data.extend_from_slice(b"not json at all\n[1,2]\n{\"a\":\n{\"level\":\"info\"}\n");
    data.extend_from_slice(b"{\"status\":500,\"body\":\"\xff\"}\n");
    data.extend_from_slice(flat_line(1, 404).as_bytes());
    let p = write(d.path(), "bad.jsonl", data);
    let (_, rep) = audit(&[os(&p)]);
    for reason in [
        "not_json",
        "not_object",
        "invalid_json",
        "no_status",
        "invalid_utf8",
    ] {
        assert_eq!(skipped(&rep, reason), 1, "{reason}: {}", rep["skipped"]);
    }
    let har = r#"{"log":{"entries":[[],{"response":{"status":"abc"}},{"request":{}}]}}"#;
    let p = write(d.path(), "bad.har", har);
    let (_, rep) = audit(&[os(&p)]);
    assert_eq!(skipped(&rep, "entry_not_object"), 1, "{}", rep["skipped"]);
    assert_eq!(skipped(&rep, "malformed_entry"), 1, "{}", rep["skipped"]);
}
