//! `--extract-har`: the notable records as a HAR 1.2 document, through the
//! binary. The extract parses as HAR, audits to the same non-ok findings as
//! the original, holds exactly the notable records, carries none of the
//! secrets corpus, is the same for any `--jobs`, and a failed write exits 2
//! naming the path.

#[path = "common/secrets.rs"]
mod corpus_secrets;
use corpus_secrets::{pieces, secrets};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tape-audit"))
        .arg("--no-progress")
        .args(args)
        .output()
        .unwrap()
}

/// The JSON report of a run; an input error (a truncated capture, exit 2)
/// still writes the report and the extract.
fn report(args: &[&str]) -> Value {
    let o = run(args);
    assert!(
        o.status.code().is_some_and(|c| c <= 2) && !o.stdout.is_empty(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Runs `input` with `--extract-har` into `dir`; returns the original
/// report and the extract's path.
fn extract(input: &Path, dir: &Path, extra: &[&str]) -> (Value, PathBuf) {
    let out = dir.join(format!(
        "{}.extract.har",
        input.file_name().unwrap().to_string_lossy()
    ));
    let mut args = vec![
        input.to_str().unwrap(),
        "--extract-har",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend(extra);
    (report(&args), out)
}

/// Class counts but ok, and the (status, code, class, count) rows but ok.
type Findings = (BTreeMap<String, u64>, Vec<(u64, String, String, u64)>);

fn findings(r: &Value) -> Findings {
    let classes = r["classes"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "ok")
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    let mut codes: Vec<_> = r["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["class"] != "ok")
        .map(|c| {
            (
                c["status"].as_u64().unwrap(),
                c["error_code"].as_str().unwrap_or("").to_string(),
                c["class"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    codes.sort();
    (classes, codes)
}

fn non_ok(r: &Value) -> u64 {
    findings(r).0.values().sum()
}

fn entries(path: &Path) -> Vec<har::v1_2::Entries> {
    match har::from_path(path)
        .unwrap_or_else(|e| panic!("{}: not HAR: {e:?}", path.display()))
        .log
    {
        har::Spec::V1_2(log) => {
            assert_eq!(log.creator.name, "tape-audit");
            assert_eq!(log.creator.version, env!("CARGO_PKG_VERSION"));
            assert!(log.comment.unwrap().contains("notable record"));
            log.entries
        }
        har::Spec::V1_3(_) => panic!("{}: written as 1.3", path.display()),
    }
}

fn inputs() -> Vec<PathBuf> {
    let mut v = vec![
        root().join("testdata/sample.har"),
        root().join("testdata/sample.jsonl"),
        root().join("testdata/incident/during.jsonl"),
    ];
    let corpus = root().join("../shared/corpus/har");
    if let Ok(dir) = fs::read_dir(&corpus) {
        let mut hars: Vec<PathBuf> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "har"))
            .collect();
        hars.sort();
        v.extend(hars);
    }
    v
}

#[test]
fn extracts_parse_as_har_and_audit_to_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for input in inputs() {
        let (original, out) = extract(&input, dir.path(), &[]);
        let n = non_ok(&original);
        if n == 0 {
            continue;
        }
        checked += 1;
        let es = entries(&out);
        assert_eq!(
            es.len() as u64,
            n,
            "{}: one entry per notable record",
            input.display()
        );
        for e in &es {
            let c = e.comment.as_deref().unwrap();
            assert!(c.starts_with("tape-audit: class "), "{c}");
            assert!(
                c.contains(" entry ") || c.contains(" line ") || c.contains(" value "),
                "{c}"
            );
        }
        // An extract of records without responses alone is "empty" to an audit.
        let again = report(&[out.to_str().unwrap(), "--format", "json", "--allow-empty"]);
        assert_eq!(
            findings(&again),
            findings(&original),
            "{}: the extract audits to other findings",
            input.display()
        );
    }
    assert!(checked >= 3, "only {checked} inputs had notable records");
}

#[test]
fn record_count_is_the_non_ok_total_after_filters() {
    let dir = tempfile::tempdir().unwrap();
    let input = root().join("testdata/sample.har");
    let (r, out) = extract(&input, dir.path(), &["--status", "5xx"]);
    assert!(non_ok(&r) > 0);
    assert_eq!(entries(&out).len() as u64, non_ok(&r));
    assert!(entries(&out).iter().all(|e| e.response.status >= 500));
}

/// Every string in a JSON value (and the keys), joined by newlines: the
/// text as a reader of the HAR sees it, with JSON escapes undone.
fn strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push_str(k);
            out.push('\n');
            strings(x, out);
        }),
        _ => {}
    }
}

#[test]
fn no_secret_of_the_corpus_reaches_the_extract() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = secrets();
    assert!(secrets.len() >= 40);
    for name in ["leaks.har", "leaks.jsonl"] {
        let input = root().join("testdata/secrets").join(name);
        let (r, out) = extract(&input, dir.path(), &[]);
        let es = entries(&out);
        assert_eq!(es.len() as u64, non_ok(&r));
        let raw = fs::read_to_string(&out).unwrap();
        let mut text = String::new();
        strings(&serde_json::from_str(&raw).unwrap(), &mut text);
        // Bodies in base64 are read decoded too.
        let mut decoded = String::new();
        for e in &es {
            let c = &e.response.content;
            if c.encoding.as_deref() == Some("base64") {
                use base64::Engine;
                let b = base64::engine::general_purpose::STANDARD
                    .decode(c.text.as_deref().unwrap())
                    .unwrap();
                decoded.push_str(&String::from_utf8(b).unwrap());
            }
        }
        let mut leaks = Vec::new();
        for (kind, secret) in &secrets {
            for p in pieces(secret) {
                if raw.contains(&p) || text.contains(&p) || decoded.contains(&p) {
                    leaks.push(format!("{kind}: {p:?}"));
                    break;
                }
            }
        }
        assert!(leaks.is_empty(), "{name}: leaked:\n{}", leaks.join("\n"));
        // Credential headers keep their name, with a marker as the value.
        let auth = es
            .iter()
            .flat_map(|e| &e.request.headers)
            .find(|h| h.name.eq_ignore_ascii_case("authorization"))
            .expect("an Authorization header");
        assert!(auth.value.starts_with("[redacted"), "{}", auth.value);
    }
}

#[test]
fn unsafe_show_secrets_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = root().join("testdata/secrets/leaks.har");
    let (_, out) = extract(&input, dir.path(), &["--unsafe-show-secrets"]);
    let raw = fs::read_to_string(&out).unwrap();
    assert!(raw.contains("sk_live_J59PJOMKE57FOIU94C0d1Lnq"));
    assert!(raw.contains("NOT sanitized"));
}

#[test]
fn jobs_do_not_change_the_extract() {
    for input in [
        root().join("testdata/sample.jsonl"),
        root().join("testdata/secrets/leaks.har"),
    ] {
        let mut outs = Vec::new();
        for j in ["1", "2"] {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("x.har");
            let o = Command::new(env!("CARGO_BIN_EXE_tape-audit"))
                .env("TAPE_AUDIT_HAR_BATCH", "3")
                .args(["--no-progress", "-j", j, "--format", "json"])
                .arg(&input)
                .arg("--extract-har")
                .arg(&out)
                .output()
                .unwrap();
            assert!(o.status.code().is_some_and(|c| c <= 1));
            outs.push(fs::read(&out).unwrap());
        }
        assert!(
            outs[0] == outs[1],
            "{}: -j 1 and -j 2 differ",
            input.display()
        );
    }
}

#[test]
fn extract_to_stdout_carries_only_the_har() {
    let input = root().join("testdata/sample.har");
    let o = run(&[input.to_str().unwrap(), "--extract-har", "-"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let h: har::Har = serde_json::from_slice(&o.stdout).unwrap();
    assert!(matches!(h.log, har::Spec::V1_2(_)));
    for clash in [
        vec!["--show", "all"],
        vec!["--csv", "-"],
        vec!["--timeline-csv", "-"],
        vec!["--format", "json"],
    ] {
        let mut a = vec![input.to_str().unwrap(), "--extract-har", "-"];
        a.extend(clash.iter());
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{clash:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--extract-har -"),
            "{clash:?}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_device_exits_2_naming_the_path() {
    let input = root().join("testdata/sample.har");
    let o = run(&[
        input.to_str().unwrap(),
        "--extract-har",
        "/dev/full",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("/dev/full"), "{err}");
}

#[test]
fn an_input_is_not_overwritten_by_the_extract() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.har");
    fs::copy(root().join("testdata/sample.har"), &input).unwrap();
    let o = run(&[
        input.to_str().unwrap(),
        "--extract-har",
        input.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--extract-har"));
}
