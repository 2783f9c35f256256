//! Hostile inputs through the binary: empty, binary, broken UTF-8, cut and
//! malformed HAR documents, duplicate keys, deep nesting, lone surrogates,
//! huge lines, a gigabyte-scale run of whitespace, a gzip bomb, a cut gzip
//! stream, unreadable and dangling directory entries, a FIFO, and the fuzz
//! regressions in `tests/fuzz_regressions/`.
//!
//! Every case checks that the process did not panic (no "panicked", exit 0,
//! 1 or 2, never 101 or a signal), that messages are single `tape-audit: `
//! lines without Rust debug output, that the JSON report is still printed
//! with `totals.records == totals.responses + totals.skipped`, and then the
//! case's own expectations. Expectations are what the tool should do; a case
//! collects every failed expectation and reports them together.
//!
//! Big inputs are generated at test time (streamed to a temp file or piped
//! to stdin), never committed. Sizes that the debug build reads too slowly
//! shrink in debug builds; `cargo test --release --test hostile` runs them
//! at full size.

use std::fs;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

const MIB: u64 = 1 << 20;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> PathBuf {
    root().join("testdata").join(name)
}

fn bin_path() -> PathBuf {
    assert_cmd::cargo::cargo_bin("tape-audit")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

/// Writes a child's standard input from a thread.
type Feed = Box<dyn FnOnce(&mut dyn Write) -> std::io::Result<()> + Send>;

/// What feeds the child's standard input.
enum Stdin {
    Null,
    /// A writer thread streams into the pipe (for inputs too big to hold).
    Stream(Feed),
}

/// One finished (or killed) run.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    timed_out: bool,
    /// Peak resident set in KiB, when measured with /usr/bin/time.
    peak_kib: Option<u64>,
    elapsed: Duration,
}

impl Run {
    fn report(&self) -> Option<Value> {
        serde_json::from_str(&self.stdout).ok()
    }
}

/// Runs the binary via `assert_cmd` (small inputs, no stdin).
fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let start = Instant::now();
    let mut cmd = Command::cargo_bin("tape-audit").expect("binary built");
    cmd.current_dir(root()).env("NO_COLOR", "1");
    for a in args {
        cmd.arg(a.as_ref());
    }
    cmd.timeout(Duration::from_secs(60));
    let out = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        timed_out: out.status.code().is_none() && start.elapsed() >= Duration::from_secs(60),
        stderr,
        peak_kib: None,
        elapsed: start.elapsed(),
    }
}

/// Runs the binary with a streamed stdin, a deadline, and (when
/// `/usr/bin/time` exists and `measure` is set) its peak memory.
fn run_full(
    args: &[&dyn AsRef<std::ffi::OsStr>],
    stdin: Stdin,
    measure: bool,
    limit: Duration,
) -> Run {
    use std::os::unix::process::CommandExt;
    let time_bin = Path::new("/usr/bin/time");
    let dir = tmp();
    let time_out = dir.path().join("time.txt");
    let mut cmd = if measure && time_bin.exists() {
        let mut c = StdCommand::new(time_bin);
        c.arg("-v").arg("-o").arg(&time_out).arg(bin_path());
        c
    } else {
        StdCommand::new(bin_path())
    };
    for a in args {
        cmd.arg(a.as_ref());
    }
    cmd.current_dir(root())
        .env("NO_COLOR", "1")
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(match stdin {
            Stdin::Null => Stdio::null(),
            Stdin::Stream(_) => Stdio::piped(),
        });
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawns");
    let writer = match stdin {
        Stdin::Stream(f) => {
            let mut pipe = child.stdin.take().expect("a stdin pipe");
            // A closed pipe (the tool stopped reading) ends the writer.
            Some(std::thread::spawn(move || {
                let _ = f(&mut pipe);
            }))
        }
        Stdin::Null => None,
    };
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("waits") {
            break st;
        }
        if start.elapsed() > limit {
            timed_out = true;
            // The whole process group: /usr/bin/time and the tool under it.
            let _ = StdCommand::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            break child.wait().expect("waits");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = String::from_utf8_lossy(&out_t.join().expect("reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().expect("reader")).into_owned();
    let mut code = status.code();
    let mut peak_kib = None;
    if let Ok(t) = fs::read_to_string(&time_out) {
        for line in t.lines() {
            let line = line.trim();
            if let Some(v) = line.strip_prefix("Maximum resident set size (kbytes):") {
                peak_kib = v.trim().parse().ok();
            }
            if let Some(v) = line.strip_prefix("Command terminated by signal") {
                let _ = v;
                code = None;
            }
            if let Some(v) = line.strip_prefix("Exit status:") {
                if code.is_some() {
                    code = v.trim().parse().ok();
                }
            }
        }
    }
    Run {
        code,
        stdout,
        stderr,
        timed_out,
        peak_kib,
        elapsed,
    }
}

/// Failed expectations of one case, reported together at the end.
struct Checks {
    case: &'static str,
    failures: Vec<String>,
}

impl Checks {
    fn new(case: &'static str) -> Checks {
        Checks {
            case,
            failures: Vec::new(),
        }
    }

    fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            self.failures.push(what.into());
        }
    }

    /// Tags the failures since `mark` with the run's exit code and stderr.
    fn label(&mut self, mark: usize, r: &Run) {
        if self.failures.len() > mark {
            self.failures.push(format!(
                "    (that run: exit {:?} after {:.1?}; stderr: {})",
                r.code,
                r.elapsed,
                truncate(r.stderr.trim(), 600)
            ));
        }
    }

    fn finish(self, run: Option<&Run>) {
        if self.failures.is_empty() {
            return;
        }
        let mut msg = format!(
            "{}: {} failed expectation(s):\n",
            self.case,
            self.failures.len()
        );
        for f in &self.failures {
            msg.push_str(&format!("  - {f}\n"));
        }
        if let Some(r) = run {
            msg.push_str(&format!(
                "exit {:?} after {:.1?}; stderr:\n{}\n",
                r.code,
                r.elapsed,
                truncate(&r.stderr, 3000)
            ));
        }
        panic!("{msg}");
    }

    /// What every run must satisfy; returns the report when there is one.
    fn basics(&mut self, r: &Run) -> Option<Value> {
        self.check(
            !r.timed_out,
            format!("did not finish within its deadline ({:.1?})", r.elapsed),
        );
        self.check(!r.stderr.contains("panicked"), "panicked");
        self.check(
            matches!(r.code, Some(0..=2)),
            format!(
                "exit code {:?} (want 0, 1 or 2; 101 is a panic, None a signal)",
                r.code
            ),
        );
        let odd: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| !l.starts_with("tape-audit: "))
            .collect();
        self.check(
            odd.is_empty(),
            format!(
                "{} stderr line(s) not `tape-audit: ` messages, first {:?}",
                odd.len(),
                odd.first().map(|l| truncate(l, 200))
            ),
        );
        for debug in ["Os {", "kind:", "Error("] {
            self.check(
                !r.stderr.contains(debug),
                format!("Rust debug output `{debug}` on stderr"),
            );
        }
        let report = r.report();
        self.check(report.is_some(), "stdout is not one valid JSON report");
        let rep = report?;
        let n = |p: &str| rep.pointer(p).and_then(Value::as_u64);
        let (records, responses, skipped, excluded) = (
            n("/totals/records"),
            n("/totals/responses"),
            n("/totals/skipped"),
            n("/totals/excluded").unwrap_or(0),
        );
        self.check(
            records.is_some() && responses.is_some() && skipped.is_some(),
            "totals missing",
        );
        let (records, responses, skipped) = (
            records.unwrap_or(0),
            responses.unwrap_or(0),
            skipped.unwrap_or(0),
        );
        self.check(excluded == 0, "records excluded without any filter");
        self.check(
            records == responses + skipped,
            format!("records {records} != responses {responses} + skipped {skipped}"),
        );
        let per_input: u64 = rep["inputs"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["records"].as_u64()).sum())
            .unwrap_or(0);
        self.check(
            per_input == records,
            format!("inputs sum to {per_input} records, totals say {records}"),
        );
        let classes: u64 = rep["classes"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        self.check(
            classes == responses,
            format!("classes sum to {classes}, responses {responses}"),
        );
        Some(rep)
    }

    /// A stderr line names `path` (and `also`, e.g. a byte offset).
    fn message(&mut self, r: &Run, path: &str, also: &[&str]) {
        let hit = r.stderr.lines().any(|l| {
            l.starts_with("tape-audit: ") && l.contains(path) && also.iter().all(|a| l.contains(a))
        });
        self.check(hit, format!("no stderr line naming {path:?} with {also:?}"));
    }

    fn exit(&mut self, r: &Run, want: i32) {
        self.check(
            r.code == Some(want),
            format!("exit code {:?}, want {want}", r.code),
        );
    }

    fn totals(&mut self, rep: &Value, records: u64, responses: u64, skipped: u64) {
        let got = (
            rep["totals"]["records"].as_u64(),
            rep["totals"]["responses"].as_u64(),
            rep["totals"]["skipped"].as_u64(),
        );
        self.check(
            got == (Some(records), Some(responses), Some(skipped)),
            format!("totals (records, responses, skipped) = {got:?}, want ({records}, {responses}, {skipped})"),
        );
    }

    /// A skip with `reason` whose first locator is `kind` = `index` in `file`.
    fn skipped_at(&mut self, rep: &Value, reason: &str, file: &str, kind: &str, index: u64) {
        let hit = rep["skipped"].as_array().is_some_and(|a| {
            a.iter().any(|s| {
                s["reason"] == reason
                    && s["first"].as_array().is_some_and(|f| {
                        f.iter().any(|l| {
                            l["file"].as_str().is_some_and(|p| p.ends_with(file))
                                && l[kind].as_u64() == Some(index)
                        })
                    })
            })
        });
        self.check(
            hit,
            format!(
                "no `{reason}` skip at {file} {kind} {index}; skipped = {}",
                rep["skipped"]
            ),
        );
    }

    fn peak_below(&mut self, r: &Run, mib: u64) {
        match r.peak_kib {
            Some(kib) => {
                eprintln!("{}: peak memory {} MiB", self.case, kib / 1024);
                self.check(
                    kib < mib * 1024,
                    format!("peak memory {} MiB, want < {mib} MiB", kib / 1024),
                )
            }
            None => eprintln!(
                "note ({}): /usr/bin/time not available; peak memory not checked",
                self.case
            ),
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn code_count(rep: &Value, status: u64, code: &str, class: &str) -> u64 {
    rep["codes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["status"] == status && c["error_code"] == code && c["class"] == class)
                .filter_map(|c| c["count"].as_u64())
                .sum()
        })
        .unwrap_or(0)
}

/// A seeded xorshift64* generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

const ENVELOPE: &str = r#"{"error_code":"not_found","error_message":"gone"}"#;

/// A HAR entry: a GET that got `status` with `body` as content.text.
fn har_entry(status: u16, body: &str) -> String {
    format!(
        r#"{{"startedDateTime":"2024-06-11T09:00:00.000Z","request":{{"method":"GET","url":"https://api.tapeapp.com/v1/record/1","headers":[]}},"response":{{"status":{status},"headers":[],"content":{{"mimeType":"application/json","text":{}}}}}}}"#,
        serde_json::to_string(body).expect("a string")
    )
}

fn har_doc(entries: &[String]) -> String {
    format!(
        r#"{{"log":{{"version":"1.2","creator":{{"name":"hostile","version":"1"}},"entries":[{}]}}}}"#,
        entries.join(",")
    )
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).expect("writes");
    p
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

// ---------------------------------------------------------------------------
// Empty, NUL, random.

#[test]
fn empty_file() {
    let d = tmp();
    let p = write(d.path(), "empty.jsonl", b"");
    let r = run(&[&p, &"--format", &"json"]);
    let mut c = Checks::new("empty file");
    if let Some(rep) = c.basics(&r) {
        c.totals(&rep, 0, 0, 0);
    }
    c.exit(&r, 2);
    c.message(&r, &s(&p), &["empty"]);
    c.finish(Some(&r));
}

#[test]
fn nul_bytes() {
    let d = tmp();
    let p = write(d.path(), "zeros.log", vec![0u8; 64 << 10]);
    let r = run(&[&p, &"--format", &"json"]);
    let mut c = Checks::new("file of NUL bytes");
    if let Some(rep) = c.basics(&r) {
        c.check(
            rep["totals"]["responses"] == 0,
            "NUL bytes read as responses",
        );
    }
    // Nothing readable: exit 2 and a message saying which file.
    c.exit(&r, 2);
    c.message(&r, &s(&p), &[]);
    c.finish(Some(&r));
}

#[test]
fn random_binary() {
    let d = tmp();
    let mut bytes = vec![0u8; 1 << 20];
    Rng(0x5eed_1234_abcd_ef01).fill(&mut bytes);
    bytes[0] = b'X'; // not a gzip/zstd magic: plain garbage
    let p = write(d.path(), "random.bin", &bytes);
    let mut c = Checks::new("random binary");
    for jobs in ["1", "3"] {
        let mark = c.failures.len();
        let r = run(&[&p, &"--format", &"json", &"-j", &jobs]);
        if let Some(rep) = c.basics(&r) {
            c.check(
                rep["totals"]["responses"] == 0,
                "random bytes read as responses",
            );
            c.check(
                rep["totals"]["records"].as_u64() > Some(0),
                "random lines not counted",
            );
        }
        c.exit(&r, 2);
        c.message(&r, &s(&p), &[]);
        c.label(mark, &r);
    }
    c.finish(None);
}

// ---------------------------------------------------------------------------
// Invalid UTF-8, lone surrogates, duplicate keys, deep nesting.

#[test]
fn invalid_utf8_in_jsonl_strings() {
    let d = tmp();
    let good = format!(
        r#"{{"status":404,"body":{}}}"#,
        serde_json::to_string(ENVELOPE).unwrap()
    );
    let mut bad = br#"{"status":404,"body":"{\"error_code\":\"caf"#.to_vec();
    bad.extend_from_slice(b"\xff\xfe");
    bad.extend_from_slice(br#"\",\"error_message\":\"x\"}"}"#);
    let mut c = Checks::new("invalid UTF-8 inside JSON strings (JSON lines)");
    // The broken line second, then first (the first lines decide the format).
    for (name, bad_line) in [("second.jsonl", 2u64), ("first.jsonl", 1)] {
        let mark = c.failures.len();
        let mut data = Vec::new();
        for line in 1..=3u64 {
            if line == bad_line {
                data.extend_from_slice(&bad);
            } else {
                data.extend_from_slice(good.as_bytes());
            }
            data.push(b'\n');
        }
        let p = write(d.path(), name, &data);
        let r = run(&[&p, &"--format", &"json"]);
        if let Some(rep) = c.basics(&r) {
            c.totals(&rep, 3, 2, 1);
            c.skipped_at(&rep, "invalid_utf8", name, "line", bad_line);
            c.check(
                code_count(&rep, 404, "not_found", "documented") == 2,
                format!("{name}: the two good lines are not both documented 404s"),
            );
        }
        c.exit(&r, 0);
        c.label(mark, &r);
    }
    c.finish(None);
}

#[test]
fn jsonl_first_line_cut_short() {
    let d = tmp();
    // A log whose first line was cut (by rotation, or a logger's line limit)
    // in the middle of its object, then complete lines.
    let good = format!(r#"{{"status":404,"body":{ENVELOPE}}}"#);
    let text =
        format!("{{\"status\":404,\"body\":{{\"error_code\":\"not_fo\n{good}\n{good}\n{good}\n");
    let p = write(d.path(), "cut-first.jsonl", text);
    let r = run(&[&p, &"--format", &"json"]);
    let mut c = Checks::new("JSON lines whose first line is cut short");
    if let Some(rep) = c.basics(&r) {
        c.check(
            rep["inputs"][0]["format"] == "jsonl",
            format!("read as {}", rep["inputs"][0]["format"]),
        );
        c.totals(&rep, 4, 3, 1);
        c.skipped_at(&rep, "invalid_json", "cut-first.jsonl", "line", 1);
    }
    c.exit(&r, 0);
    c.finish(Some(&r));
}

#[test]
fn invalid_utf8_in_har_entry() {
    let d = tmp();
    let good = har_entry(404, ENVELOPE);
    let mut doc = Vec::new();
    doc.extend_from_slice(br#"{"log":{"version":"1.2","entries":["#);
    doc.extend_from_slice(good.as_bytes());
    doc.extend_from_slice(br#",{"response":{"status":404,"content":{"text":"caf"#);
    doc.extend_from_slice(b"\xe9\xff");
    doc.extend_from_slice(br#""}}},"#);
    doc.extend_from_slice(good.as_bytes());
    doc.extend_from_slice(b"]}}");
    let p = write(d.path(), "latin1.har", &doc);
    let r = run(&[&p, &"--format", &"json"]);
    let mut c = Checks::new("invalid UTF-8 in a HAR entry");
    if let Some(rep) = c.basics(&r) {
        c.totals(&rep, 3, 2, 1);
        c.skipped_at(&rep, "invalid_utf8", "latin1.har", "entry", 1);
    }
    c.exit(&r, 0);
    c.finish(Some(&r));
}

#[test]
fn lone_surrogates_keep_the_report_valid_json() {
    let d = tmp();
    let lines = [
        // In an error_code inside a string body, and a lone low surrogate in the message.
        r#"{"status":404,"body":"{\"error_code\":\"\\ud800x\",\"error_message\":\"\\udc00\"}"}"#,
        // In an embedded object body.
        r#"{"status":404,"body":{"error_code":"\ud800","error_message":"\udfff"}}"#,
        // In an undocumented code that is otherwise fine, and in the URL and request id.
        r#"{"status":422,"url":"/v1/\ud800/x","request_id":"\udbff","body":{"error_code":"bad\udc00code","error_message":"m"}}"#,
        // In a success body with an error_code.
        r#"{"status":200,"body":{"error_code":"\ud83d","error_message":"m"}}"#,
        // A broken line whose excerpt lands in the skipped details.
        r#"{"status":404,"body":"\ud800"#,
    ];
    let jsonl = write(d.path(), "surrogates.jsonl", lines.join("\n") + "\n");
    let har = write(
        d.path(),
        "surrogates.har",
        har_doc(&[
            har_entry(404, r#"{"error_code":"x"}"#).replace(r#"\"x\""#, r#"\"\\ud800\""#),
            r#"{"request":{"method":"GET","url":"https://h/\udc00"},"response":{"status":404,"content":{"text":"{\"error_code\":\"\\udbff\",\"error_message\":\"\\ud800\"}"}}}"#.to_string(),
        ]),
    );
    let mut c = Checks::new("lone surrogates in \\u escapes");
    for (p, records) in [(&jsonl, 5u64), (&har, 2)] {
        for format in ["json", "table", "markdown"] {
            let mark = c.failures.len();
            let r = run(&[p, &"--format", &format]);
            if format != "json" {
                c.check(
                    !r.stderr.contains("panicked"),
                    format!("{format} writer panicked"),
                );
                c.check(
                    matches!(r.code, Some(0..=2)),
                    format!("{format}: exit {:?}", r.code),
                );
                continue;
            }
            // `report()` parses with serde_json, which rejects lone surrogates.
            if let Some(rep) = c.basics(&r) {
                c.check(
                    rep["totals"]["records"] == records,
                    format!(
                        "{}: {} records, want {records}",
                        p.display(),
                        rep["totals"]["records"]
                    ),
                );
            }
            c.label(mark, &r);
        }
    }
    c.finish(None);
}

#[test]
fn duplicate_keys() {
    let d = tmp();
    // The last duplicate wins (as in most parsers): status 404, code not_found.
    let line = r#"{"status":200,"status":404,"body":"{\"error_code\":\"conflict_error\",\"error_code\":\"not_found\",\"error_message\":\"a\",\"error_message\":\"b\"}"}"#;
    let jsonl = write(d.path(), "dup.jsonl", format!("{line}\n{line}\n"));
    let r = run(&[&jsonl, &"--format", &"json"]);
    let mut c = Checks::new("duplicate keys");
    if let Some(rep) = c.basics(&r) {
        c.totals(&rep, 2, 2, 0);
        c.check(
            code_count(&rep, 404, "not_found", "documented") == 2,
            format!(
                "JSON lines: duplicates did not resolve to the last value: {}",
                rep["codes"]
            ),
        );
    }
    c.exit(&r, 0);

    // In a HAR entry: counted either way; when skipped, the reason says why.
    let dup_entry = r#"{"request":{"method":"GET","method":"POST","url":"https://h/a"},"response":{"status":200,"status":404,"content":{"text":"{\"error_code\":\"conflict_error\",\"error_code\":\"not_found\",\"error_message\":\"m\"}","mimeType":"application/json","mimeType":"text/html"}}}"#;
    let har = write(
        d.path(),
        "dup.har",
        har_doc(&[har_entry(404, ENVELOPE), dup_entry.to_string()]),
    );
    let r2 = run(&[&har, &"--format", &"json"]);
    if let Some(rep) = c.basics(&r2) {
        c.check(rep["totals"]["records"] == 2, "HAR: both entries counted");
        let skipped_ok = rep["skipped"]
            .as_array()
            .is_some_and(|a| a.iter().all(|s| s.to_string().contains("duplicate")));
        c.check(
            skipped_ok,
            format!(
                "HAR: a skip that does not say `duplicate`: {}",
                rep["skipped"]
            ),
        );
    }
    c.check(matches!(r2.code, Some(0..=2)), "HAR exit");
    c.finish(Some(&r2));
}

const DEEP: usize = 10_000;

#[test]
fn nesting_ten_thousand_deep() {
    let d = tmp();
    let arrays = format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(DEEP), "}".repeat(DEEP));
    let lines = [
        // Deep values beside a good envelope: the line is still an exchange.
        format!(r#"{{"status":404,"deep":{arrays},"body":{ENVELOPE}}}"#),
        format!(r#"{{"status":404,"deep":{objects},"body":{ENVELOPE}}}"#),
        // The body itself deep: an envelope violation, not a crash.
        format!(r#"{{"status":404,"body":{arrays}}}"#),
        format!(
            r#"{{"status":404,"body":{}}}"#,
            serde_json::to_string(&objects).unwrap()
        ),
        // Deep and cut: unreadable.
        format!(r#"{{"status":404,"deep":{}"#, "[".repeat(DEEP)),
    ];
    let jsonl = write(d.path(), "deep.jsonl", lines.join("\n") + "\n");
    let r = run(&[&jsonl, &"--format", &"json"]);
    let mut c = Checks::new("nesting 10,000 deep");
    if let Some(rep) = c.basics(&r) {
        c.totals(&rep, 5, 4, 1);
        c.check(
            code_count(&rep, 404, "not_found", "documented") == 2,
            format!(
                "JSON lines: deep siblings broke the envelope: {}",
                rep["codes"]
            ),
        );
        c.check(
            rep["classes"]["envelope_violation"] == 2,
            "JSON lines: deep bodies are violations",
        );
        c.skipped_at(&rep, "invalid_json", "deep.jsonl", "line", 5);
    }
    c.exit(&r, 0);

    let deep_content = har_entry(404, ENVELOPE).replace(
        r#""mimeType":"application/json""#,
        &format!(r#""mimeType":"application/json","_deep":{arrays}"#),
    );
    let deep_text = har_entry(404, &objects);
    let har = write(
        d.path(),
        "deep.har",
        har_doc(&[har_entry(404, ENVELOPE), deep_content, deep_text]),
    );
    let r2 = run(&[&har, &"--format", &"json"]);
    if let Some(rep) = c.basics(&r2) {
        c.totals(&rep, 3, 3, 0);
        c.check(
            code_count(&rep, 404, "not_found", "documented") == 2,
            format!(
                "HAR: a deep `_deep` field broke the entry: {}",
                rep["codes"]
            ),
        );
    }
    c.exit(&r2, 0);
    c.finish(Some(&r2));
}

// ---------------------------------------------------------------------------
// Cut and malformed HAR documents.

fn two_entries() -> String {
    format!("{},{}", har_entry(404, ENVELOPE), har_entry(404, ENVELOPE))
}

#[test]
fn har_cut_inside_a_string() {
    let d = tmp();
    let doc = format!(
        r#"{{"log":{{"version":"1.2","entries":[{},{{"response":{{"status":404,"content":{{"text":"{{\"error_code\":\"not_fo"#,
        two_entries()
    );
    let p = write(d.path(), "cut-string.har", &doc);
    let r = run(&[&p, &"--format", &"json"]);
    let mut c = Checks::new("HAR cut inside a string");
    if let Some(rep) = c.basics(&r) {
        // Two complete entries and the cut one, skipped as truncated.
        c.totals(&rep, 3, 2, 1);
        c.skipped_at(&rep, "truncated", "cut-string.har", "entry", 2);
        c.check(
            rep["errors"].as_array().is_some_and(|e| e.len() == 1),
            "one error in the report",
        );
    }
    c.exit(&r, 2);
    c.message(&r, &s(&p), &[&format!("byte {}", doc.len())]);
    c.finish(Some(&r));
}

#[test]
fn har_cut_between_entries() {
    let d = tmp();
    let mut c = Checks::new("HAR cut between entries");
    // Right after an entry, and after the comma that promised another.
    for (name, tail) in [
        ("cut-after-entry.har", ""),
        ("cut-after-comma.har", ",\n  "),
    ] {
        let mark = c.failures.len();
        let doc = format!(
            r#"{{"log":{{"version":"1.2","entries":[{}{tail}"#,
            two_entries()
        );
        let p = write(d.path(), name, &doc);
        let r = run(&[&p, &"--format", &"json"]);
        if let Some(rep) = c.basics(&r) {
            c.check(
                rep["totals"]["responses"] == 2,
                format!("{name}: the two complete entries"),
            );
            if tail.is_empty() {
                // No third entry ever started: nothing to count as truncated.
                c.totals(&rep, 2, 2, 0);
            }
        }
        c.exit(&r, 2);
        c.message(&r, &s(&p), &[&format!("byte {}", doc.len())]);
        c.label(mark, &r);
    }
    c.finish(None);
}

#[test]
fn har_cut_before_entries() {
    let d = tmp();
    let doc =
        r#"{"log":{"version":"1.2","creator":{"name":"Chrome","version":"126"},"pages":[{"id":"p"#;
    let p = write(d.path(), "cut-before.har", doc);
    let r = run(&[&p, &"--format", &"json"]);
    let mut c = Checks::new("HAR cut before `entries`");
    if let Some(rep) = c.basics(&r) {
        c.totals(&rep, 0, 0, 0);
        c.check(rep["inputs"][0]["format"] == "har", "detected as HAR");
    }
    c.exit(&r, 2);
    c.message(&r, &s(&p), &[&format!("byte {}", doc.len())]);
    c.finish(Some(&r));
}

#[test]
fn har_entries_not_an_array() {
    let d = tmp();
    let mut c = Checks::new("HAR whose `entries` is not an array");
    for (name, value) in [
        (
            "entries-object.har",
            format!(r#"{{"0":{}}}"#, har_entry(404, ENVELOPE)),
        ),
        ("entries-string.har", r#""[]""#.to_string()),
        ("entries-null.har", "null".to_string()),
    ] {
        let mark = c.failures.len();
        let head = r#"{"log":{"version":"1.2","entries":"#;
        let doc = format!("{head}{value}}}}}");
        let p = write(d.path(), name, &doc);
        let r = run(&[&p, &"--format", &"json"]);
        if let Some(rep) = c.basics(&r) {
            c.totals(&rep, 0, 0, 0);
        }
        c.exit(&r, 2);
        c.message(&r, &s(&p), &["entries", &format!("byte {}", head.len())]);
        c.label(mark, &r);
    }
    c.finish(None);
}

// ---------------------------------------------------------------------------
// Big inputs: one huge line, a run of whitespace, a gzip bomb.

/// Peak memory allowed for the streaming cases.
const PEAK_MIB: u64 = 300;

#[test]
fn a_single_200_mib_line() {
    let d = tmp();
    let p = d.path().join("huge-line.jsonl");
    {
        let mut w = BufWriter::new(fs::File::create(&p).expect("creates"));
        let good = format!(r#"{{"status":404,"body":{ENVELOPE}}}"#);
        writeln!(w, "{good}").unwrap();
        w.write_all(br#"{"status":404,"body":""#).unwrap();
        let block = vec![b'x'; MIB as usize];
        for _ in 0..200 {
            w.write_all(&block).unwrap();
        }
        w.write_all(b"\"}\n").unwrap();
        writeln!(w, "{good}").unwrap();
        w.flush().unwrap();
    }
    let r = run_full(
        &[&p, &"--format", &"json"],
        Stdin::Null,
        true,
        Duration::from_secs(60),
    );
    let mut c = Checks::new("a single 200 MiB line");
    if let Some(rep) = c.basics(&r) {
        c.totals(&rep, 3, 2, 1);
        c.skipped_at(&rep, "too_large", "huge-line.jsonl", "line", 2);
        c.check(
            code_count(&rep, 404, "not_found", "documented") == 2,
            "the lines around it are read",
        );
    }
    c.exit(&r, 0);
    c.peak_below(&r, PEAK_MIB);
    c.finish(Some(&r));
}

/// 1 GiB in release builds; the debug build reads ~70 MiB/s, so 256 MiB
/// there (still four times the 64 MiB record limit).
const WHITESPACE: u64 = if cfg!(debug_assertions) {
    256 * MIB
} else {
    1024 * MIB
};

#[test]
fn a_gigabyte_run_of_whitespace_on_stdin() {
    let feed = Stdin::Stream(Box::new(|w: &mut dyn Write| {
        let block: Vec<u8> = b" \t".iter().copied().cycle().take(MIB as usize).collect();
        for _ in 0..WHITESPACE / MIB {
            w.write_all(&block)?;
        }
        w.write_all(b"\r\n")
    }));
    let r = run_full(
        &[&"-", &"--format", &"json"],
        feed,
        true,
        Duration::from_secs(120),
    );
    let mut c = Checks::new("a run of whitespace on stdin");
    if let Some(rep) = c.basics(&r) {
        // Whitespace is blank: no record at all, so nothing to audit.
        c.totals(&rep, 0, 0, 0);
    }
    c.exit(&r, 2);
    c.message(&r, "<stdin>", &[]);
    c.peak_below(&r, PEAK_MIB);
    c.finish(Some(&r));
}

/// Inflated size of the bomb: 4 GiB in release builds. The debug build
/// inflates at ~10 MiB/s (zlib-rs unoptimised), so 48 MiB there.
const BOMB: u64 = if cfg!(debug_assertions) {
    48 * MIB
} else {
    4096 * MIB
};

/// A gzip stream of `members` members, each 1 MiB of `byte` (multi-member
/// gzip, as `cat a.gz b.gz` makes): ~1 KiB per MiB inflated.
fn write_gzip_bomb(path: &Path, byte: u8, mib: u64) -> u64 {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![byte; MIB as usize]).unwrap();
    let member = enc.finish().unwrap();
    let mut w = BufWriter::new(fs::File::create(path).unwrap());
    for _ in 0..mib {
        w.write_all(&member).unwrap();
    }
    w.flush().unwrap();
    member.len() as u64 * mib
}

#[test]
fn gzip_bomb() {
    let d = tmp();
    let p = d.path().join("bomb.jsonl.gz");
    let size = write_gzip_bomb(&p, 0, BOMB / MIB);
    assert!(size * 500 < BOMB, "the bomb is small: {size} bytes");
    let r = run_full(
        &[&p, &"--format", &"json"],
        Stdin::Null,
        true,
        Duration::from_secs(120),
    );
    let mut c = Checks::new("gzip bomb");
    if let Some(rep) = c.basics(&r) {
        c.check(rep["inputs"][0]["compression"] == "gzip", "gzip detected");
        c.check(rep["totals"]["responses"] == 0, "zeros read as responses");
    }
    c.exit(&r, 2);
    c.message(&r, &s(&p), &[]);
    c.peak_below(&r, PEAK_MIB);
    c.finish(Some(&r));
}

// ---------------------------------------------------------------------------
// A truncated gzip stream.

/// Complete non-blank lines in what a cut gzip stream yields before its error.
fn lines_before_cut(gz: &[u8]) -> u64 {
    let mut dec = flate2::read::MultiGzDecoder::new(gz);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match dec.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    let end = out.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    out[..end]
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count() as u64
}

#[test]
fn truncated_gzip_stream() {
    let d = tmp();
    let text = fs::read(sample("sample.jsonl")).expect("the sample");
    let mut c = Checks::new("truncated gzip stream");
    // The sample once (smaller than one read) and 200 times (~1.3 MB).
    for (name, copies) in [("cut.jsonl.gz", 1), ("cut-big.jsonl.gz", 200)] {
        let mark = c.failures.len();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for _ in 0..copies {
            enc.write_all(&text).unwrap();
        }
        let gz = enc.finish().unwrap();
        let cut = &gz[..gz.len() / 2];
        let want = lines_before_cut(cut);
        assert!(want > 0, "the cut keeps some lines");
        let p = write(d.path(), name, cut);
        let r = run(&[&p, &"--format", &"json"]);
        if let Some(rep) = c.basics(&r) {
            let got = rep["totals"]["records"].as_u64().unwrap_or(0);
            c.check(
                got >= want,
                format!("{name}: {got} records counted, {want} complete lines precede the cut"),
            );
            c.check(
                rep["errors"].as_array().is_some_and(|e| e.len() == 1),
                format!("{name}: one error"),
            );
        }
        c.exit(&r, 2);
        c.message(&r, &s(&p), &[]);
        // Where the stream broke: a line number or a byte offset.
        c.check(
            r.stderr
                .lines()
                .any(|l| l.contains(&s(&p)) && (l.contains("line ") || l.contains("byte "))),
            format!("{name}: the error does not say where (line or byte)"),
        );
        c.label(mark, &r);
    }
    c.finish(None);
}

// ---------------------------------------------------------------------------
// Directories, permissions, symlinks, FIFOs.

#[test]
fn directory_with_unreadable_file_and_dangling_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let d = tmp();
    let dir = d.path().join("captures");
    fs::create_dir(&dir).unwrap();
    fs::copy(sample("sample.jsonl"), dir.join("a.jsonl")).unwrap();
    let locked = dir.join("b.jsonl");
    fs::copy(sample("sample.jsonl"), &locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let dangling = dir.join("c.jsonl");
    std::os::unix::fs::symlink(d.path().join("gone.jsonl"), &dangling).unwrap();
    // Root (as in CI containers) reads a mode-000 file anyway.
    let readable_anyway = fs::File::open(&locked).is_ok();

    let single = run(&[&sample("sample.jsonl"), &"--format", &"json"]);
    let per_file = single.report().expect("the sample's report")["totals"]["records"]
        .as_u64()
        .unwrap();

    let r = run(&[&dir, &"--format", &"json"]);
    let mut c = Checks::new("directory with an unreadable file and a dangling symlink");
    if let Some(rep) = c.basics(&r) {
        let want = if readable_anyway {
            2 * per_file
        } else {
            per_file
        };
        c.check(
            rep["totals"]["records"] == want,
            format!(
                "{} records, want {want} (readable_anyway = {readable_anyway})",
                rep["totals"]["records"]
            ),
        );
        c.check(
            rep["inputs"].as_array().is_some_and(|a| a.len() == 3),
            "three inputs listed",
        );
    }
    c.exit(&r, 2);
    c.message(&r, &s(&dangling), &[]);
    if !readable_anyway {
        c.message(&r, &s(&locked), &["ermission"]);
    }
    let _ = fs::set_permissions(&locked, fs::Permissions::from_mode(0o644));
    c.finish(Some(&r));
}

#[test]
fn directory_with_symlink_loops() {
    let d = tmp();
    let dir = d.path().join("captures");
    fs::create_dir(&dir).unwrap();
    fs::copy(sample("sample.jsonl"), dir.join("a.jsonl")).unwrap();
    // Two links back to the directory itself: a walk that follows them
    // meets 2^40 paths before the kernel says "too many levels".
    std::os::unix::fs::symlink(".", dir.join("again")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("up")).unwrap();
    let per_file = run(&[&sample("sample.jsonl"), &"--format", &"json"])
        .report()
        .expect("the sample's report")["totals"]["records"]
        .as_u64()
        .unwrap();
    let r = run_full(
        &[&dir, &"--format", &"json"],
        Stdin::Null,
        false,
        Duration::from_secs(10),
    );
    let mut c = Checks::new("directory with symlink loops");
    if let Some(rep) = c.basics(&r) {
        // The one file, read once.
        c.check(
            rep["totals"]["records"] == per_file,
            format!("{} records, want {per_file}", rep["totals"]["records"]),
        );
        c.check(
            rep["inputs"].as_array().is_some_and(|a| a.len() == 1),
            format!(
                "{} inputs listed, want 1",
                rep["inputs"].as_array().map_or(0, Vec::len)
            ),
        );
    }
    c.finish(Some(&r));
}

/// Makes a FIFO and feeds it `data` from a detached thread (which stays
/// blocked harmlessly if the tool never opens the FIFO).
fn fifo_with(dir: &Path, name: &str, data: Vec<u8>) -> PathBuf {
    let p = dir.join(name);
    let ok = StdCommand::new("mkfifo")
        .arg(&p)
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok, "mkfifo {}", p.display());
    let q = p.clone();
    std::thread::spawn(move || {
        // Blocks until a reader opens the FIFO; the data goes to that reader.
        if let Ok(mut f) = fs::OpenOptions::new().write(true).open(&q) {
            let _ = f.write_all(&data);
        }
    });
    p
}

#[test]
fn fifo_input() {
    let d = tmp();
    let data = fs::read(sample("sample.jsonl")).unwrap();
    let want = run(&[&sample("sample.jsonl"), &"--format", &"json"])
        .report()
        .expect("the sample's report")["totals"]
        .clone();
    let mut c = Checks::new("FIFO input");
    let p = fifo_with(d.path(), "pipe.jsonl", data.clone());
    let r = run_full(
        &[&p, &"--format", &"json"],
        Stdin::Null,
        false,
        Duration::from_secs(10),
    );
    if let Some(rep) = c.basics(&r) {
        c.check(
            rep["totals"] == want,
            format!("totals {} want {want}", rep["totals"]),
        );
    }
    c.exit(&r, 0);

    // A bare time of day makes the tool look for the capture's date first;
    // a FIFO can be read only once, so that must not hang or lose records:
    // either the full report, or a usage error (one line, exit 2) saying
    // that a FIFO is not read twice, before anything is read.
    let p2 = fifo_with(d.path(), "pipe2.jsonl", data);
    let r2 = run_full(
        &[&p2, &"--format", &"json", &"--since", &"00:00"],
        Stdin::Null,
        false,
        Duration::from_secs(10),
    );
    c.check(!r2.timed_out, "--since 00:00 on a FIFO hangs");
    c.check(
        !r2.stderr.contains("panicked"),
        "--since 00:00 on a FIFO panicked",
    );
    match r2.report() {
        Some(rep) => {
            c.basics(&r2);
            c.check(
                rep["totals"] == want,
                format!("--since 00:00: totals {} want {want}", rep["totals"]),
            );
        }
        None => {
            c.exit(&r2, 2);
            c.check(
                r2.stdout.trim().is_empty(),
                "--since 00:00: neither a report nor an empty stdout",
            );
            let lines: Vec<&str> = r2.stderr.lines().collect();
            c.check(
                lines.len() == 1
                    && lines[0].starts_with("tape-audit: ")
                    && lines[0].contains("FIFO"),
                "--since 00:00 refused without one `tape-audit: ` line mentioning the FIFO",
            );
        }
    }
    c.finish(Some(&r2));
}

// ---------------------------------------------------------------------------
// A malformed catalog (the fuzzers found TOML messages spanning lines).

#[test]
fn malformed_toml_spec_is_one_clean_line() {
    let d = tmp();
    let spec = write(d.path(), "bad.toml", "[[errors]\nstatus = 400\n");
    let r = run(&[
        &"--spec",
        &spec,
        &sample("sample.jsonl"),
        &"--format",
        &"json",
    ]);
    let mut c = Checks::new("malformed TOML spec");
    c.check(!r.stderr.contains("panicked"), "panicked");
    c.exit(&r, 2);
    c.message(&r, &format!("{}:1:", s(&spec)), &[]);
    c.check(r.stderr.lines().count() == 1, "one line");
    c.check(
        !r.stderr.contains("\\n"),
        "the message holds an escaped newline (`\\n`) from a multi-line parser message",
    );
    c.finish(Some(&r));
}

// ---------------------------------------------------------------------------
// Crashes found by the fuzzers (fuzz/), kept as reproducers.

fn regressions() -> Vec<PathBuf> {
    let dir = root().join("tests").join("fuzz_regressions");
    let mut v: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Each reproducer through the binary (one job and several): no panic.
#[test]
fn fuzz_regressions_through_the_binary() {
    let files = regressions();
    assert!(
        !files.is_empty(),
        "tests/fuzz_regressions/ holds the reproducers"
    );
    let mut failures = Vec::new();
    for p in &files {
        for jobs in ["1", "2"] {
            let r = run(&[p, &"--format", &"json", &"-j", &jobs]);
            let mut c = Checks::new("fuzz regression");
            c.basics(&r);
            if !c.failures.is_empty() {
                failures.push(format!(
                    "{} (-j {jobs}): {}\n    {}",
                    p.file_name().unwrap().to_string_lossy(),
                    c.failures.join("; "),
                    truncate(
                        r.stderr
                            .lines()
                            .find(|l| l.contains("panicked"))
                            .unwrap_or(""),
                        300
                    )
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each reproducer through the library API its fuzz target drives
/// (`TARGET-name.ext`): no panic.
#[test]
fn fuzz_regressions_through_the_library() {
    use std::sync::Arc;
    use tape_audit::aggregate::Settings;
    use tape_audit::catalog::{self, Catalog};
    use tape_audit::classify::classify;
    use tape_audit::filter::Filter;
    use tape_audit::input::jsonl::{self, Shape};
    use tape_audit::input::{har, ReadOptions, Work};
    use tape_audit::pipeline::{self, Job};

    let cat = Catalog::builtin();
    let read = ReadOptions {
        max_record: 64 << 20,
        ..ReadOptions::default()
    };
    let filter = Filter::default();
    let rule = tape_audit::scope::Rule::Default(Vec::new());
    let job = Job {
        catalog: &cat,
        read: &read,
        filter: &filter,
        rule: &rule,
        settings: Settings::default(),
        jobs: 1,
        extract: false,
    };
    let names = vec!["regression".to_string()];
    let mut failures = Vec::new();
    for p in regressions() {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let data = fs::read(&p).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut works = Vec::new();
            if name.starts_with("jsonl-") {
                let shape = Shape::detect(&data, &[]);
                for line in data.split(|&b| b == b'\n') {
                    if let Ok(t) = std::str::from_utf8(line) {
                        if let Ok(obj) = jsonl::parse_line(t) {
                            if let Ok(Some(ex)) = shape.map(&obj, t) {
                                classify(&ex, &cat);
                            }
                        }
                    }
                }
                works.push(Work::Lines {
                    file: 0,
                    first_line: 1,
                    data: data.clone(),
                    shape: Arc::new(shape),
                });
            } else if name.starts_with("har_stream-") {
                let mut sc = har::Scanner::new(&data[..]);
                let _ = sc.run(|batch| works.push(Work::Entries { file: 0, batch }));
            } else if name.starts_with("catalog-") {
                let _ = catalog::parse_any(&String::from_utf8_lossy(&data), "regression");
            }
            let mut sum = tape_audit::scope::Split::new(Settings::default());
            let mut rows = Vec::new();
            for w in &works {
                pipeline::process(w, &job, &names, &mut sum, Some(&mut rows));
            }
        }));
        if outcome.is_err() {
            failures.push(name);
        }
    }
    assert!(failures.is_empty(), "panicked on: {failures:?}");
}
