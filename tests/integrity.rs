//! Output integrity and honest exits, through the binary: failed writes,
//! atomic outputs, signals, closed pipes, conflicting flags, the gate.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> String {
    root().join("testdata").join(name).display().to_string()
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tape-audit"));
    c.arg("--no-progress");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `n` JSON-lines records, every one an undocumented error code.
fn undocumented_lines(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "{{\"timestamp\": \"2024-06-11T09:00:{:02}.000Z\", \"method\": \"GET\", \"url\": \"https://api.tapeapp.com/v1/record/{i}\", \"status_code\": 409, \"content_type\": \"application/json\", \"response_body\": \"{{\\\"error_code\\\": \\\"weird_code\\\", \\\"error_message\\\": \\\"nope {i}\\\"}}\"}}\n",
            i % 60
        ));
    }
    s
}

fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tape-audit-"))
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn csv_to_a_full_device_is_an_error_naming_the_path() {
    let o = run(&[&sample("sample.jsonl"), "--csv", "/dev/full"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("tape-audit: /dev/full: No space left on device"),
        "{}",
        stderr(&o)
    );
    let o = run(&[&sample("sample.jsonl"), "--timeline-csv", "/dev/full"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/dev/full: No space left on device"));
}

#[cfg(target_os = "linux")]
#[test]
fn a_report_to_a_full_device_names_stdout() {
    for format in ["table", "json", "markdown", "partial"] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = bin()
            .args([&sample("sample.jsonl"), "--format", format])
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("tape-audit: <stdout>: No space left on device"),
            "{format}: {}",
            stderr(&o)
        );
    }
    // --show rows too.
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = bin()
        .args([&sample("sample.jsonl"), "--show", "all"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("<stdout>: No space left on device"));
}

#[test]
fn outputs_appear_whole_and_replace_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("errors.csv");
    let tl = dir.path().join("timeline.csv");
    let o = run(&[
        &sample("sample.jsonl"),
        "--csv",
        csv.to_str().unwrap(),
        "--timeline-csv",
        tl.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("source,locator,"));
    assert!(text.lines().count() > 5);
    assert!(fs::read_to_string(&tl)
        .unwrap()
        .starts_with("bucket_start,"));
    assert!(temp_files(dir.path()).is_empty());
    // A run that fails to write one output leaves the others as they were.
    fs::write(&csv, "previous run\n").unwrap();
    let o = run(&[
        &sample("sample.jsonl"),
        "--csv",
        csv.to_str().unwrap(),
        "--timeline-csv",
        dir.path().join("no/such/dir/t.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/dir/t.csv"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&csv).unwrap(), "previous run\n");
    assert!(temp_files(dir.path()).is_empty());
}

/// Starts an audit of standard input that keeps being fed, sends `signal`,
/// and checks the exit code and that no output file was written.
#[cfg(unix)]
fn interrupted_by(signal: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("errors.csv");
    fs::write(&csv, "previous run\n").unwrap();
    let mut child = bin()
        .args(["-", "--csv", csv.to_str().unwrap(), "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let chunk = undocumented_lines(200);
    let feeder = std::thread::spawn(move || {
        let start = Instant::now();
        // Feed until the pipe closes (the process exited) or 20 s pass.
        while start.elapsed() < Duration::from_secs(20) {
            if stdin.write_all(chunk.as_bytes()).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "still running");
    // The temporary file exists while the run goes on.
    assert_eq!(temp_files(dir.path()).len(), 1);
    let st = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no exit after {signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    feeder.join().unwrap();
    assert_eq!(status.code(), Some(code), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(out.is_empty(), "no report after a signal: {out}");
    assert_eq!(fs::read_to_string(&csv).unwrap(), "previous run\n");
    assert!(temp_files(dir.path()).is_empty(), "temporary files removed");
}

#[cfg(unix)]
#[test]
fn sigint_stops_the_run_and_writes_nothing() {
    interrupted_by("-INT", 130);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_run_and_writes_nothing() {
    interrupted_by("-TERM", 143);
}

#[test]
fn an_output_that_is_an_input_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("v.jsonl");
    let body = undocumented_lines(3);
    fs::write(&v, &body).unwrap();
    let o = run(&[v.to_str().unwrap(), "--csv", v.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is both an input and the --csv output"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read_to_string(&v).unwrap(), body, "the input is intact");
    // Through another spelling of the same path.
    let other = format!("{}/./v.jsonl", dir.path().display());
    let o = run(&[v.to_str().unwrap(), "--timeline-csv", &other]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(fs::read_to_string(&v).unwrap(), body);
}

#[test]
fn an_output_inside_a_walked_directory_is_left_out_of_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.jsonl"), undocumented_lines(3)).unwrap();
    let csv = dir.path().join("errors.csv");
    fs::write(&csv, "x\n").unwrap();
    let o = run(&[
        dir.path().to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("left out of the inputs"),
        "{}",
        stderr(&o)
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["inputs"].as_array().unwrap().len(), 1);
    assert_eq!(r["totals"]["records"], 3);
}

#[test]
fn two_outputs_at_one_path_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.csv");
    let o = run(&[
        &sample("sample.jsonl"),
        "--csv",
        x.to_str().unwrap(),
        "--timeline-csv",
        x.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("both write to"), "{}", stderr(&o));
    assert!(!x.exists(), "nothing opened");
}

#[test]
fn flags_that_would_share_or_drop_stdout_are_usage_errors() {
    let s = sample("sample.jsonl");
    for args in [
        vec!["--csv", "-", "--timeline-csv", "-"],
        vec!["--show", "all", "--csv", "-"],
        vec!["--show", "all", "--timeline-csv", "-"],
        vec!["--show", "all", "--format", "json"],
        vec!["--csv", "-", "--format", "json"],
        vec!["--timeline-csv", "-", "--format", "markdown"],
    ] {
        let mut a = vec![s.as_str()];
        a.extend(&args);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(
            stderr(&o).contains("standard output"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn fail_on_new_needs_a_baseline() {
    let o = run(&[&sample("sample.jsonl"), "--fail-on", "new"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--baseline"), "{}", stderr(&o));
}

#[test]
fn the_gate_says_why_it_failed() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("before.json");
    let b = run(&[&sample("incident/before.jsonl"), "--format", "json"]);
    fs::write(&base, &b.stdout).unwrap();
    let o = run(&[
        &sample("sample.jsonl"),
        "--fail-on",
        "undocumented,violations,skipped,new",
        "--baseline",
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let gate = &r["gate"];
    assert_eq!(gate["failed"], true);
    let conds = gate["conditions"].as_array().unwrap();
    let names: Vec<&str> = conds.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["undocumented", "violations", "skipped", "new"]);
    assert_eq!(conds[0]["count"], r["classes"]["undocumented_code"]);
    assert_eq!(conds[1]["count"], r["classes"]["envelope_violation"]);
    assert_eq!(conds[2]["count"], r["totals"]["skipped"]);
    let err = stderr(&o);
    let line = err
        .lines()
        .find(|l| l.starts_with("tape-audit: --fail-on: "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains(&format!(
            "undocumented ({} responses)",
            r["classes"]["undocumented_code"]
        )),
        "{line}"
    );
    assert!(line.contains("violations ("), "{line}");
    // Without --fail-on there is no gate and no line.
    let o = run(&[&sample("sample.jsonl"), "--format", "json"]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r.get("gate").is_none());
    assert!(!stderr(&o).contains("--fail-on"));
    // A gate that holds nothing passes and says nothing.
    let o = run(&[
        &sample("sample.jsonl"),
        "--fail-on",
        "undocumented",
        "--code",
        "not_found",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["gate"]["failed"], false);
    assert!(!stderr(&o).contains("--fail-on"));
}

/// Reads one line of the child's stdout, closes it (as `| head -1` does),
/// and returns the exit code.
fn exit_after_first_line(mut cmd: Command) -> (Option<i32>, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_never_hides_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("b.jsonl");
    fs::write(&big, undocumented_lines(40_000)).unwrap();
    let b = big.to_str().unwrap();
    // Without a gate and without input errors: stop early, exit 0 quietly.
    let mut c = bin();
    c.args([b, "--show", "all"]);
    let (code, err) = exit_after_first_line(c);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
    // With a gate, the exit code stays the audit's.
    let mut c = bin();
    c.args([b, "--show", "all", "--fail-on", "undocumented"]);
    let (code, err) = exit_after_first_line(c);
    assert_eq!(code, Some(1), "{err}");
    let mut c = bin();
    c.args([b, "--csv", "-", "--fail-on", "undocumented"]);
    let (code, _) = exit_after_first_line(c);
    assert_eq!(code, Some(1));
    // An input error before the pipe closed: exit 2.
    let cut = dir.path().join("a.jsonl.gz");
    let mut gz = flate2_gzip(undocumented_lines(100).as_bytes());
    gz.truncate(gz.len() / 2);
    fs::write(&cut, gz).unwrap();
    let mut c = bin();
    c.args([cut.to_str().unwrap(), b, "--show", "all"]);
    let (code, err) = exit_after_first_line(c);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("a.jsonl.gz"), "{err}");
}

fn flate2_gzip(data: &[u8]) -> Vec<u8> {
    let mut out = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = out.stdin.take().unwrap();
    let data = data.to_vec();
    let t = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let o = out.wait_with_output().unwrap();
    t.join().unwrap();
    o.stdout
}

#[test]
fn every_stdout_output_treats_a_closed_pipe_alike() {
    let s = sample("sample.jsonl");
    for args in [
        vec!["--timeline-csv", "-"],
        vec!["--csv", "-"],
        vec!["--show", "all"],
        vec!["--format", "json"],
    ] {
        let mut child = bin()
            .arg(&s)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(o.stderr.is_empty(), "{args:?}: {}", stderr(&o));
    }
}

/// Block-buffered into a file or pipe: a handful of write(2) calls for
/// thousands of rows, counted by the kernel for the shell that waits for
/// the run (`syscw` in /proc/PID/io includes reaped children).
#[cfg(target_os = "linux")]
#[test]
fn rows_are_block_buffered_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    fs::write(&input, undocumented_lines(20_000)).unwrap();
    let script = format!(
        "'{}' --no-progress '{}' --show all > '{}' 2>/dev/null; grep syscw /proc/$$/io",
        env!("CARGO_BIN_EXE_tape-audit"),
        input.display(),
        dir.path().join("out.txt").display()
    );
    let o = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let writes: u64 = text
        .trim()
        .strip_prefix("syscw:")
        .unwrap_or_else(|| panic!("{text}"))
        .trim()
        .parse()
        .unwrap();
    let lines = fs::read_to_string(dir.path().join("out.txt"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(lines, 20_000);
    assert!(writes < 200, "{writes} write calls for {lines} rows");
}

#[test]
fn no_response_in_a_non_empty_input_is_not_a_clean_bill() {
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("audit.jsonl");
    // Kubernetes-audit-like events: read fine, but not one HTTP response.
    let mut s = String::new();
    for i in 0..20 {
        s.push_str(&format!(
            "{{\"kind\": \"Event\", \"level\": \"Metadata\", \"auditID\": \"{i}\", \"stage\": \"ResponseComplete\", \"verb\": \"get\"}}\n"
        ));
    }
    fs::write(&k, s).unwrap();
    let o = run(&[k.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("none of the 20 records read is an HTTP response"),
        "{}",
        stderr(&o)
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r["warnings"][0]
        .as_str()
        .unwrap()
        .contains("none of the 20 records"));
    let o = run(&[k.to_str().unwrap(), "--allow-empty"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("none of the 20 records"));
}

#[test]
fn since_accepts_only_the_documented_forms() {
    let s = sample("sample.jsonl");
    for bad in ["10.20", "1718100000", "yesterday"] {
        let o = run(&[&s, "--since", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&o).contains("@EPOCH_SECONDS"),
            "{bad}: {}",
            stderr(&o)
        );
    }
    // sample.jsonl spans 09:00..09:40 on 2024-06-11.
    let o = run(&[&s, "--since", "@1718096400", "--format", "json"]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = run(&[&s, "--since", "2024-06-11T09:00:00Z", "--format", "json"]);
    let q: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
    assert_eq!(r["classes"], q["classes"]);
    assert_eq!(r["filters"], q["filters"]);
}

/// A process limit that leaves no room for a worker thread: one clear line, exit 2.
#[cfg(target_os = "linux")]
#[test]
fn no_threads_is_a_clear_error() {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let have = |c: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {c}"))
            .status()
            .is_ok_and(|s| s.success())
    };
    if !(is_root && have("prlimit") && have("runuser")) {
        // As an ordinary user, the limit counts every process of the user:
        // run in a fresh shell with a limit of one.
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -u 1 2>/dev/null || exit 99; exec '{}' --no-progress '{}' -j 2",
                env!("CARGO_BIN_EXE_tape-audit"),
                sample("sample.jsonl")
            ))
            .output()
            .unwrap();
        if o.status.code() == Some(99) {
            panic!("cannot set a process limit here: {}", stderr(&o));
        }
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("no worker thread could be started"));
        return;
    }
    // Root ignores RLIMIT_NPROC: run as nobody, with a copy of the binary
    // and the sample where nobody can read them.
    let dir = tempfile::Builder::new()
        .prefix("ta-nproc")
        .tempdir_in("/tmp")
        .unwrap();
    let exe = dir.path().join("tape-audit");
    fs::copy(env!("CARGO_BIN_EXE_tape-audit"), &exe).unwrap();
    let data = dir.path().join("s.jsonl");
    fs::copy(sample("sample.jsonl"), &data).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&data, fs::Permissions::from_mode(0o644)).unwrap();
    let o = Command::new("prlimit")
        .args(["--nproc=1", "runuser", "-u", "nobody", "--"])
        .arg(&exe)
        .args(["--no-progress", data.to_str().unwrap(), "-j", "2"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("tape-audit: no worker thread could be started: "),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

/// `--since HH:MM` takes its date from the head of the input: only the head
/// is read twice (`rchar` in /proc/PID/io counts bytes read, including
/// those of reaped children).
#[cfg(target_os = "linux")]
#[test]
fn a_time_of_day_reads_only_the_head_twice() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    fs::write(&input, undocumented_lines(120_000)).unwrap();
    let size = fs::metadata(&input).unwrap().len();
    assert!(size > 20 << 20, "{size}");
    let read = |extra: &str| -> u64 {
        let script = format!(
            "'{}' --no-progress '{}' --format json {extra} > /dev/null 2>&1; grep rchar /proc/$$/io",
            env!("CARGO_BIN_EXE_tape-audit"),
            input.display(),
        );
        let o = Command::new("sh").arg("-c").arg(&script).output().unwrap();
        let t = String::from_utf8_lossy(&o.stdout);
        t.trim()
            .strip_prefix("rchar:")
            .unwrap_or_else(|| panic!("{t}"))
            .trim()
            .parse()
            .unwrap()
    };
    let plain = read("");
    let windowed = read("--since 09:00 --until 23:00");
    assert!(plain >= size, "{plain} < {size}");
    assert!(
        windowed < plain + (8 << 20),
        "--since read {windowed} bytes, the plain run {plain}: the input was read twice"
    );
}

/// Catalog text from `--spec` reaches the terminal escaped, like traffic.
#[test]
fn catalog_text_from_a_spec_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("evil\u{1b}[2J.toml");
    fs::write(
        &spec,
        "[[errors]]\nstatus = 404\nerror_code = \"not_found\"\ndescription = \"gone \\u001b]0;pwned\\u0007 \\u202e now\"\n",
    )
    .unwrap();
    let s = spec.to_str().unwrap();
    for args in [
        vec!["catalog", "--spec", s],
        vec![&*sample("sample.jsonl"), "--spec", s, "--color", "never"],
    ] {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tape-audit"));
        if args[0] != "catalog" {
            c.arg("--no-progress");
        }
        let o = c.args(&args).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(!out.is_empty(), "{args:?}: {}", stderr(&o));
        assert!(
            !out.contains(['\u{1b}', '\u{7}', '\u{202e}']),
            "{args:?}: raw control characters:\n{out}"
        );
    }
}

/// A write that fails mid-run stops the run; no other output of it is
/// renamed into place, since it would be cut short.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_mid_run_leaves_no_other_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    fs::write(&input, undocumented_lines(20_000)).unwrap();
    let tl = dir.path().join("timeline.csv");
    let o = run(&[
        input.to_str().unwrap(),
        "--csv",
        "/dev/full",
        "--timeline-csv",
        tl.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/dev/full: No space left on device"),
        "{}",
        stderr(&o)
    );
    assert!(!tl.exists(), "the timeline of a run cut short was written");
    assert!(temp_files(dir.path()).is_empty());
}
