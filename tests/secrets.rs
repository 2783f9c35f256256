//! The secrets corpus (`testdata/secrets/`, made by its `make.py`): 45
//! kinds of fake credentials, each in every position a record can hold it.
//! Every output mode is run on it, and not one secret, nor any 12-character
//! piece of one, may appear in any of them.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus(name: &str) -> String {
    root()
        .join("testdata/secrets")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tape-audit"))
        .arg("--no-progress")
        .args(args)
        .output()
        .unwrap()
}

/// (kind, secret) from secrets.txt.
fn secrets() -> Vec<(String, String)> {
    fs::read_to_string(corpus("secrets.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, s) = l.split_once('\t').unwrap();
            (k.to_string(), s.replace("\\n", "\n"))
        })
        .collect()
}

/// The pieces of a secret that must not appear: the whole, and every
/// 12-character window of it (half a token is a leak too).
fn pieces(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    let mut v = vec![secret.to_string()];
    if chars.len() > 12 {
        for w in chars.windows(12) {
            v.push(w.iter().collect());
        }
    }
    v
}

/// Every output of every mode on `inputs`, named.
fn outputs(inputs: &[&str]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let mut keep = |name: String, o: &Output| {
        out.push((
            format!("{name} stdout"),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        ));
        out.push((
            format!("{name} stderr"),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ));
    };
    let csv = dir.path().join("rows.csv");
    let tl = dir.path().join("timeline.csv");
    let mut files = Vec::new();
    for fmt in ["table", "json", "markdown", "partial"] {
        let mut a: Vec<&str> = inputs.to_vec();
        a.extend([
            "--format",
            fmt,
            "--samples",
            "50",
            "--top",
            "1000",
            "--csv",
            csv.to_str().unwrap(),
            "--timeline-csv",
            tl.to_str().unwrap(),
        ]);
        let o = run(&a);
        keep(format!("--format {fmt}"), &o);
        files.push((
            format!("--csv ({fmt} run)"),
            fs::read_to_string(&csv).unwrap(),
        ));
        files.push((
            format!("--timeline-csv ({fmt} run)"),
            fs::read_to_string(&tl).unwrap(),
        ));
        if fmt == "partial" {
            let p = dir.path().join("p.json");
            fs::write(&p, &o.stdout).unwrap();
            for mfmt in ["table", "json", "markdown"] {
                let m = run(&[
                    "merge",
                    p.to_str().unwrap(),
                    "--format",
                    mfmt,
                    "--top",
                    "1000",
                ]);
                keep(format!("merge --format {mfmt}"), &m);
            }
        }
        if fmt == "json" {
            let b = dir.path().join("base.json");
            fs::write(&b, &o.stdout).unwrap();
            for bfmt in ["table", "json", "markdown"] {
                let mut a: Vec<&str> = inputs.to_vec();
                a.extend([
                    "--baseline",
                    b.to_str().unwrap(),
                    "--format",
                    bfmt,
                    "--top",
                    "1000",
                ]);
                keep(format!("--baseline --format {bfmt}"), &run(&a));
            }
        }
    }
    for extra in [
        vec!["--show", "all"],
        vec!["--csv", "-"],
        vec!["--timeline-csv", "-"],
        vec!["--color", "always", "--top", "1000"],
    ] {
        let mut a: Vec<&str> = inputs.to_vec();
        a.extend(&extra);
        keep(extra.join(" "), &run(&a));
    }
    out.extend(files);
    out
}

fn check(inputs: &[&str]) {
    let secrets = secrets();
    assert!(
        secrets.len() >= 40,
        "the corpus holds {} kinds",
        secrets.len()
    );
    let mut leaks = Vec::new();
    for (mode, text) in outputs(inputs) {
        for (kind, s) in &secrets {
            if let Some(p) = pieces(s).into_iter().find(|p| text.contains(p.as_str())) {
                let at = text.find(p.as_str()).unwrap();
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                let to = (at + p.len() + 40).min(text.len());
                let to = (to..=text.len())
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap();
                leaks.push(format!("{kind} in {mode}: …{}…", &text[from..to]));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

#[test]
fn no_secret_of_the_corpus_reaches_any_output_of_a_log() {
    check(&[&corpus("leaks.jsonl")]);
}

#[test]
fn no_secret_of_the_corpus_reaches_any_output_of_a_har() {
    check(&[&corpus("leaks.har")]);
}

#[test]
fn unsafe_show_secrets_shows_them() {
    let o = run(&[
        &corpus("leaks.jsonl"),
        "--unsafe-show-secrets",
        "--csv",
        "-",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    let shown = secrets()
        .iter()
        .filter(|(_, s)| text.contains(s.as_str()))
        .count();
    assert!(
        shown > 30,
        "only {shown} secrets shown with --unsafe-show-secrets"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--unsafe-show-secrets"));
}
