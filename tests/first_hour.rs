//! The first-hour items, through the binary: completions, the man page,
//! `version`, `--help`, mistyped subcommands, class spellings, plurals,
//! table alignment (snapshots) and Kubernetes audit logs.

use std::path::PathBuf;
use std::process::{Command as Std, Output, Stdio};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin_path() -> PathBuf {
    assert_cmd::cargo::cargo_bin("tape-audit")
}

fn run(args: &[&str]) -> Output {
    Command::cargo_bin("tape-audit")
        .expect("binary built")
        .current_dir(root())
        .env_remove("COLUMNS")
        .args(args)
        .output()
        .expect("runs")
}

fn run_at(width: usize, args: &[&str]) -> Output {
    Command::cargo_bin("tape-audit")
        .expect("binary built")
        .current_dir(root())
        .env("COLUMNS", width.to_string())
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let s = stdout(&o);
        assert!(s.contains("tape-audit"), "{shell}");
        assert!(s.contains("fail-on"), "{shell}: options completed");
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn bash_completion_loads_in_bash() {
    let script = format!(
        "source <('{}' completions bash) && complete -p tape-audit",
        bin_path().display()
    );
    let o = Std::new("bash")
        .args(["-c", &script])
        .output()
        .expect("bash runs");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("tape-audit"), "{}", stdout(&o));
}

#[test]
fn man_page_renders_without_warnings() {
    let o = run(&["man"]);
    assert!(o.status.success());
    let page = o.stdout;
    assert!(String::from_utf8_lossy(&page).starts_with(".ie"));
    // groff: every warning on, output discarded; a warning fails the test.
    let mut groff = Std::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff is installed (groff-base)");
    std::io::Write::write_all(groff.stdin.as_mut().unwrap(), &page).unwrap();
    let g = groff.wait_with_output().unwrap();
    assert!(g.status.success());
    assert_eq!(stderr(&g), "", "groff warnings");
    // man -l, where man-db is installed.
    if Std::new("man").arg("--version").output().is_ok() {
        let mut man = Std::new("man")
            .args(["-l", "-"])
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(man.stdin.as_mut().unwrap(), &page).unwrap();
        let m = man.wait_with_output().unwrap();
        assert!(m.status.success(), "{}", stderr(&m));
        let text = stdout(&m);
        assert!(text.contains("NAME"), "{text}");
        assert!(text.contains("--fail-on"), "{text}");
    }
}

#[test]
fn version_subcommand_for_bug_reports() {
    let o = run(&["version"]);
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(s.starts_with(&format!("tape-audit {}\n", env!("CARGO_PKG_VERSION"))));
    for key in ["commit:", "target:", "features:", "rustc:"] {
        assert!(s.contains(key), "{key} in {s}");
    }
    let commit = s.lines().find(|l| l.starts_with("commit:")).unwrap();
    let commit = commit["commit:".len()..].trim();
    assert!(
        commit == "unknown" || commit.chars().all(|c| c.is_ascii_hexdigit()),
        "{commit}"
    );
}

#[test]
fn help_is_grouped_and_ends_with_examples() {
    let long = stdout(&run(&["--help"]));
    let mut at = 0;
    for heading in [
        "Inputs:",
        "Scope and filters:",
        "Reports and exports:",
        "CI gate:",
        "Examples:",
    ] {
        let i = long[at..]
            .find(&format!("\n{heading}\n"))
            .unwrap_or_else(|| panic!("{heading} in\n{long}"));
        at += i + 1;
    }
    assert!(long.trim_end().ends_with("2 usage, input or I/O error."));
    assert!(long.contains("[possible values: all, no_response"));
    let short = stdout(&run(&["-h"]));
    assert!(short.len() < long.len(), "-h is the short help");
    assert!(
        !short.contains("Split a large audit"),
        "-h leaves out the long examples"
    );
    assert!(short.contains("Examples:"));
    assert!(short.contains("tape-audit --help"));
}

#[test]
fn mistyped_subcommand_stops_with_a_hint() {
    for (args, hint) in [
        (&["catlog"][..], "catalog"),
        (&["completion", "bash"][..], "completions"),
        (&["mege", "a.json"][..], "merge"),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}: no report");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{}: No such file or directory", args[0])),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "tape-audit: hint: did you mean the subcommand `{hint}`?"
            )),
            "{err}"
        );
    }
    // A missing file with no subcommand near it: the error, no hint, no report.
    let o = run(&["no-such-capture.har"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(!stderr(&o).contains("hint"), "{}", stderr(&o));
    // One missing input beside a readable one: the audit still runs.
    let o = run(&["catlog", "testdata/sample.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("testdata/sample.jsonl"));
}

#[test]
fn class_names_in_either_spelling() {
    let base = ["--format", "json", "testdata/sample.jsonl"];
    let count = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend(base);
        let o = run(&args);
        assert!(o.status.code() != Some(2), "{extra:?}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["totals"]["responses"].as_u64().unwrap()
    };
    assert_eq!(
        count(&["--class", "undocumented_code"]),
        count(&["--class", "undocumented-code"])
    );
    assert_eq!(count(&["--class", "undocumented-code"]), 3);
    for v in ["undocumented", "undocumented_code", "undocumented-code"] {
        let o = run(&["--fail-on", v, "testdata/sample.jsonl"]);
        assert_eq!(o.status.code(), Some(1), "--fail-on {v}");
    }
    for v in ["error-on-success", "error_on_success"] {
        let o = run(&["--fail-on", v, "testdata/sample.jsonl"]);
        assert_eq!(o.status.code(), Some(1), "--fail-on {v}");
    }
    let a = run(&["--show", "envelope-violation", "testdata/sample.jsonl"]);
    let b = run(&["--show", "envelope_violation", "testdata/sample.jsonl"]);
    assert_eq!(stdout(&a), stdout(&b));
    assert_eq!(stdout(&a).lines().count(), 8);
    let o = run(&["--class", "nope", "testdata/sample.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("possible values"));
}

fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    (dir, p.display().to_string())
}

#[test]
fn counts_are_singular_or_plural() {
    let line = r#"{"status":404,"response_body":"{\"error_code\":\"not_found\",\"error_message\":\"x\"}"}"#;
    let (_d, p) = temp_file("one.jsonl", &format!("{line}\n"));
    let t = stdout(&run(&["--color", "never", &p]));
    assert!(
        t.contains("1 input, 1 record: 1 response (1 error), 0 skipped"),
        "{t}"
    );
    assert!(t.contains("  1 record, 0 skipped"), "{t}");
    let m = stdout(&run(&["--format", "markdown", &p]));
    assert!(
        m.contains("1 record read: 1 response (1 with an error status)"),
        "{m}"
    );
}

#[test]
fn har_without_responses_is_not_called_responses() {
    let entries: Vec<String> = (0..8)
        .map(|i| {
            format!(
                r#"{{"startedDateTime":"2024-06-11T09:00:0{i}Z","time":0,"request":{{"method":"GET","url":"https://api.tapeapp.com/v1/record/{i}","headers":[]}},"response":{{"status":0,"statusText":"","headers":[],"content":{{"size":0,"mimeType":""}}}}}}"#
            )
        })
        .collect();
    let har = format!(
        r#"{{"log":{{"version":"1.2","creator":{{"name":"t","version":"1"}},"entries":[{}]}}}}"#,
        entries.join(",")
    );
    let (_d, p) = temp_file("noresp.har", &har);
    let t = stdout(&run(&["--color", "never", "--allow-empty", &p]));
    assert!(
        t.contains("8 records: 8 requests without a response"),
        "{t}"
    );
    assert!(!t.contains("8 responses"), "{t}");
    assert!(
        !t.contains("Every error response is a documented error."),
        "{t}"
    );
    let m = stdout(&run(&["--format", "markdown", "--allow-empty", &p]));
    assert!(m.contains("8 requests without a response"), "{m}");
}

/// The table, with colour and without: columns line up either way.
#[test]
fn table_snapshots() {
    let never = stdout(&run(&["--color", "never", "testdata/sample.jsonl"]));
    let always = stdout(&run(&["--color", "always", "testdata/sample.jsonl"]));
    insta::assert_snapshot!("table_color_never", never);
    insta::assert_snapshot!("table_color_always", always);
    // Stripped of escapes, the coloured table is the plain one.
    let stripped = regex_lite_strip(&always);
    assert_eq!(stripped, never);
}

#[test]
fn table_fits_the_terminal_width() {
    use unicode_width::UnicodeWidthStr;
    let inputs = ["testdata/sample.har", "testdata/incident/during.jsonl"];
    for width in [72usize, 120] {
        let mut args = vec!["--color", "never"];
        args.extend(inputs);
        let never = stdout(&run_at(width, &args));
        args[1] = "always";
        let always = stdout(&run_at(width, &args));
        insta::assert_snapshot!(format!("table_width_{width}_color_never"), never);
        insta::assert_snapshot!(format!("table_width_{width}_color_always"), always);
        assert_eq!(regex_lite_strip(&always), never, "colour changes no column");
        for l in never.lines() {
            assert!(l.width() <= width, "{width}: {} columns: {l}", l.width());
        }
    }
    // Uncut without a terminal or COLUMNS, and every example path once.
    let wide = stdout(&run(&[inputs[0], inputs[1], "--color", "never"]));
    assert!(
        wide.lines().any(|l| l.width() > 120),
        "lines are not cut off a terminal"
    );
    for l in wide.lines() {
        assert!(
            l.matches("testdata/incident/during.jsonl").count() <= 1,
            "{l}"
        );
    }
    // A timeline has a scale, and names the tie of a peak.
    let t = stdout(&run(&["testdata/sample.har", "--color", "never"]));
    assert!(
        t.contains("1 column = 1m; █ = 1 error in a column; · no records"),
        "{t}"
    );
    assert!(
        t.contains(
            "peak: 1 error in each of 18 buckets, the first starting 2024-06-11T09:06:00.000Z"
        ),
        "{t}"
    );
    let t = stdout(&run_at(
        50,
        &["testdata/incident/", "--bucket", "10s", "--color", "never"],
    ));
    let spark = t
        .lines()
        .skip_while(|l| !l.starts_with("Error responses over time (10s buckets)"))
        .nth(1)
        .expect("a sparkline");
    assert_eq!(
        spark.trim_start().width(),
        46,
        "the sparkline follows the width: {spark}"
    );
    assert!(
        spark.contains('·'),
        "the night without traffic is a gap: {spark}"
    );
}

#[test]
fn errors_are_repeated_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.har");
    let har = std::fs::read(root().join("testdata/sample.har")).unwrap();
    std::fs::write(&cut, &har[..har.len() / 2]).unwrap();
    let cut = cut.display().to_string();
    let o = run(&["testdata/sample.jsonl", &cut, "--color", "never"]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("1 error (see stderr): "), "{last}");
    assert!(last.contains(&format!("{cut}: truncated")), "{last}");
    let clean = stdout(&run(&["testdata/sample.jsonl", "--color", "never"]));
    assert!(!clean.contains("(see stderr)"));
}

fn regex_lite_strip(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn kubernetes_audit_events() {
    let o = run(&["--format", "json", "testdata/k8s-audit.jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["inputs"][0]["shape"], "k8s_audit");
    assert_eq!(v["totals"]["records"], 4);
    assert_eq!(v["totals"]["responses"], 4);
    assert_eq!(v["totals"]["error_responses"], 1);
    assert_eq!(v["classes"]["ok"], 3);
    assert_eq!(v["time_span"]["first"], "2018-10-25T13:58:49.736Z");
    // Statuses, methods from verbs, paths and times, per record.
    let o = run(&[
        "--csv",
        "-",
        "--status",
        "1xx,2xx,4xx",
        "testdata/k8s-audit.jsonl",
    ]);
    let csv = stdout(&o);
    let row = csv.lines().nth(1).expect("the 403 row");
    assert!(
        row.starts_with("testdata/k8s-audit.jsonl,line 4,2023-01-01T00:00:02.004Z,GET,,/api/v1/namespaces/default/secrets,"),
        "{row}"
    );
    assert!(
        row.contains(",403,,envelope_violation,missing_error_code,"),
        "{row}"
    );
    // The status of each line: 201, 101, 200, 403.
    for (status, n) in [("201", 1), ("101", 1), ("200", 1), ("403", 1)] {
        let o = run(&[
            "--format",
            "json",
            "--status",
            status,
            "testdata/k8s-audit.jsonl",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["totals"]["responses"], n, "status {status}");
    }
}

/// Real GitLab request logs (lograge): the shape is named, `correlation_id`
/// is the request id and `duration` is milliseconds in every export.
#[test]
fn gitlab_lograge_lines() {
    let f = "testdata/gitlab-lograge.jsonl";
    let o = run(&["--format", "json", f]);
    assert!(
        o.status.success() || o.status.code() == Some(1),
        "{}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["inputs"][0]["shape"], "lograge");
    assert_eq!(v["totals"]["records"], 4);
    assert_eq!(v["totals"]["responses"], 4);
    assert_eq!(v["classes"]["ok"], 3);
    assert_eq!(v["classes"]["body_missing"], 1);
    let o = run(&["--csv", "-", f]);
    let csv = stdout(&o);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(
        rows[0].starts_with(&format!(
            "{f},line 2,2019-06-16T19:07:06.633Z,GET,localhost,/api/v4,"
        )),
        "{}",
        rows[0]
    );
    assert!(rows[0].ends_with(",cEk9obejpWa,74.520,"), "{}", rows[0]);
}

/// A directory of unrelated files (a source tree, a virtualenv) around one
/// real log, for the walk tests.
fn mixed_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for d in ["pkg", "venv/lib/site-packages/x", "logs"] {
        std::fs::create_dir_all(p.join(d)).unwrap();
    }
    for i in 0..30 {
        // Source code with a JSON-looking line (a docstring example).
        std::fs::write(
            p.join(format!("pkg/mod{i}.py")),
            format!("def f{i}(x):\n    \"\"\"\n    {{\"a\": {i}}}\n    \"\"\"\n    return x\n"),
        )
        .unwrap();
    }
    std::fs::write(p.join("pkg/__init__.py"), "").unwrap();
    std::fs::write(
        p.join("venv/lib/site-packages/x/m.pyc"),
        b"\x6f\x0d\x0d\x0a\0\0\0\0{}\n",
    )
    .unwrap();
    std::fs::write(p.join("venv/pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    std::fs::copy(
        root().join("testdata/sample.jsonl"),
        p.join("logs/api.jsonl"),
    )
    .unwrap();
    std::fs::copy(root().join("testdata/sample.har"), p.join("capture.har")).unwrap();
    dir
}

fn inputs_of(o: &Output) -> Vec<String> {
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["format"].is_null())
        .map(|i| {
            i["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn unrelated_files_in_a_walk_are_one_summary_line() {
    let dir = mixed_tree();
    let d = dir.path().display().to_string();
    let o = run(&[&d, "--color", "never"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    // 30 modules, an empty __init__.py, a .pyc and a config file: one note.
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("33 of 35 inputs left out (32 neither HAR nor JSON lines, 1 empty)"),
        "{err}"
    );
    let out = stdout(&o);
    assert!(
        out.contains("  32 files left out: neither HAR nor JSON lines"),
        "{out}"
    );
    assert!(
        !out.contains("mod1.py"),
        "left-out files are counted, not listed: {out}"
    );
    let j = run(&[&d, "--format", "json"]);
    assert_eq!(inputs_of(&j), ["capture.har", "api.jsonl"]);
}

#[test]
fn glob_chooses_the_walked_files() {
    let dir = mixed_tree();
    let d = dir.path().display().to_string();
    let json = |globs: &[&str]| {
        let mut a = vec![d.as_str(), "--format", "json", "--allow-empty"];
        for g in globs {
            a.extend(["-g", g]);
        }
        let o = run(&a);
        assert!(
            o.status.code().is_some_and(|c| c < 2),
            "{globs:?}: {}",
            stderr(&o)
        );
        (o.clone(), inputs_of(&o))
    };
    let (o, ins) = json(&["*.har"]);
    assert_eq!(ins, ["capture.har"]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        r["inputs"].as_array().unwrap().len(),
        1,
        "only matching files are inputs"
    );
    assert_eq!(json(&["*.jsonl"]).1, ["api.jsonl"]);
    // A glob with a slash is anchored at the walked directory.
    assert_eq!(json(&["logs/*"]).1, ["api.jsonl"]);
    assert!(json(&["*/api.jsonl"]).1 == ["api.jsonl"]);
    // `!` excludes; an excluded directory is not walked; the last glob wins.
    let (o, ins) = json(&["!logs/", "!pkg", "!venv"]);
    assert_eq!(ins, ["capture.har"]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["inputs"].as_array().unwrap().len(), 1);
    assert_eq!(json(&["*.har", "!capture.har"]).1, Vec::<String>::new());
    assert_eq!(json(&["!capture.har", "*.har"]).1, ["capture.har"]);
    // Files named on the command line are read whatever the globs say.
    let named = format!("{d}/logs/api.jsonl");
    let o = run(&[&d, &named, "-g", "*.har", "--format", "json"]);
    assert_eq!(inputs_of(&o), ["capture.har", "api.jsonl"]);
    // A bad glob is a usage error naming it.
    let o = run(&[&d, "-g", "a[b"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--glob `a[b`"), "{}", stderr(&o));
}

#[test]
fn mistyped_subcommand_among_real_inputs_gets_a_hint() {
    let o = run(&["catlog", "testdata/sample.har"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("catlog: No such file or directory"), "{err}");
    assert!(
        err.contains("did you mean the subcommand `catalog`?"),
        "{err}"
    );
}

fn sample_entry(i: usize) -> serde_json::Value {
    let har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("testdata/sample.har")).unwrap())
            .unwrap();
    har["log"]["entries"][i].clone()
}

fn folded(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn findings_carry_a_redacted_body_excerpt() {
    // Entry 5 is a 502 with an HTML body (not_json), entry 1 a 201 with an
    // error envelope (error_on_success).
    let html = folded(
        sample_entry(5)["response"]["content"]["text"]
            .as_str()
            .unwrap(),
    );
    let eos: serde_json::Value = serde_json::from_str(
        sample_entry(1)["response"]["content"]["text"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let eos_message = eos["error_message"].as_str().unwrap();

    let o = run(&["testdata/sample.har", "--csv", "-"]);
    let mut csv = csv::Reader::from_reader(&o.stdout[..]);
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(at("body_excerpt"), at("error_message") + 1);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let row = |loc: &str| rows.iter().find(|r| &r[at("locator")] == loc).unwrap();
    assert_eq!(&row("entry 5")[at("body_excerpt")], html);
    assert_eq!(&row("entry 1")[at("error_message")], eos_message);

    let show = stdout(&run(&[
        "testdata/sample.har",
        "--show",
        "envelope_violation",
    ]));
    let line = show.lines().find(|l| l.contains("#entry=5:")).unwrap();
    assert!(line.ends_with(&format!("body: {html}")), "{line}");

    let j: serde_json::Value =
        serde_json::from_slice(&run(&["testdata/sample.har", "--format", "json"]).stdout).unwrap();
    assert_eq!(j["violation_examples"]["not_json"][0]["excerpt"], html);
}

#[test]
fn excerpts_are_redacted_before_they_are_cut() {
    // A token across the 120-character cut (it starts at 102), and a
    // token longer than the part of a long body that is looked at.
    let token = "ghp_0123456789abcdefghijABCDEFGHIJ0123456789";
    let early = format!("{}Authorization: Bearer {token} trailing", "x".repeat(80));
    let long_token: String = token.chars().cycle().take(3000).collect();
    let late = format!("{} Authorization: Bearer {long_token} tail", "y".repeat(40));
    let dir = tempfile::tempdir().unwrap();
    let mut entries = Vec::new();
    for text in [&early, &late] {
        let mut e = sample_entry(5);
        e["response"]["content"]["text"] = serde_json::Value::from(text.as_str());
        entries.push(e);
    }
    let har = serde_json::json!({"log": {"version": "1.2", "entries": entries}});
    let p = dir.path().join("t.har");
    std::fs::write(&p, har.to_string()).unwrap();
    let p = p.display().to_string();
    let outs = [
        stdout(&run(&[&p, "--csv", "-"])),
        stdout(&run(&[&p, "--show", "all"])),
        stdout(&run(&[&p, "--format", "json"])),
    ];
    for out in &outs {
        for cut in 8..token.len() {
            assert!(!out.contains(&token[..cut]), "a piece of the token: {out}");
        }
    }
}
