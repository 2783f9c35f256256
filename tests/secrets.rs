//! The secrets corpus (`testdata/secrets/`, made by its `make.py`): 47
//! kinds of fake credentials, each in every position a record can hold it,
//! in a HAR, a flat JSON-lines log and a log of every other JSON-lines shape
//! (`shapes/`). Every output mode is run on them, and not one secret, nor
//! any 12-character piece of one, may appear in any of them.

#[path = "common/secrets.rs"]
mod corpus_secrets;
use corpus_secrets::{pieces, secrets, Finder};
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
    let mut c = Command::new(env!("CARGO_BIN_EXE_tape-audit"));
    // `merge` takes no --no-progress (it reads no traffic).
    if args.first() != Some(&"merge") {
        c.arg("--no-progress");
    }
    c.args(args).output().unwrap()
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
    for fmt in ["table", "json", "markdown", "partial", "html"] {
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
    let finder = Finder::new(secrets());
    assert!(
        finder.secrets.len() >= 40,
        "the corpus holds {} kinds",
        finder.secrets.len()
    );
    let mut leaks = Vec::new();
    for (mode, text) in outputs(inputs) {
        for (i, at, len) in finder.find(&text) {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            let to = (at + len + 40).min(text.len());
            let to = (to..=text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap();
            leaks.push(format!(
                "{} in {mode}: …{}…",
                finder.secrets[i].0,
                &text[from..to]
            ));
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
fn no_secret_of_the_corpus_reaches_any_output_of_any_log_shape() {
    check(&[&corpus("shapes")]);
}

/// The shapes' files are read as the shape they are written in, and their
/// base64 and gzip bodies are read: else the positions test nothing.
#[test]
fn the_corpus_exercises_every_shape_and_body_encoding() {
    let want = fs::read_to_string(corpus("shapes/SHAPES.tsv")).unwrap();
    let want: Vec<(&str, &str)> = want
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_once('\t').unwrap())
        .collect();
    assert!(want.len() >= 12, "{} shapes", want.len());
    // Kinds that a pattern can find are in the body positions; the
    // opaque ones (layer 1 only) only in the record's own headers.
    let anywhere = secrets()
        .iter()
        .filter(|(k, _)| !k.contains("layer 1 only"))
        .count() as u64;
    let mut files: Vec<(String, String)> = want
        .iter()
        .map(|(f, s)| (format!("shapes/{f}"), s.to_string()))
        .collect();
    files.push(("leaks.jsonl".into(), "flat".into()));
    for (file, shape) in files {
        let o = run(&[&corpus(&file), "--format", "json"]);
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["inputs"][0]["shape"], shape.as_str(), "{file}");
        let count = |code: &str| -> u64 {
            r["codes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["error_code"] == code)
                .map(|c| c["count"].as_u64().unwrap())
                .sum()
        };
        // An audit event's body is its responseStatus: no base64 body.
        let bodies = if shape == "k8s_audit" { 0 } else { anywhere };
        assert_eq!(count("base64_body_read"), bodies, "{file}: base64 bodies");
        assert_eq!(count("gzip_body_read"), bodies, "{file}: gzip bodies");
        // Every line is accounted for: one skipped line per kind found anywhere.
        assert_eq!(r["totals"]["skipped"].as_u64(), Some(anywhere), "{file}");
    }
    let o = run(&[&corpus("leaks.har"), "--format", "json"]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds = secrets().len() as u64;
    for code in ["base64_body_read", "gzip_body_read"] {
        let n: u64 = r["codes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["error_code"] == code)
            .map(|c| c["count"].as_u64().unwrap())
            .sum();
        assert_eq!(n, kinds, "HAR {code}");
    }
}

/// A cookie or API-key value that no pattern knows, echoed in the error
/// message, is redacted because the record carried it (layer 1), in the
/// rows and in the aggregate; without the header it would be shown.
#[test]
fn the_records_own_cookie_and_api_key_are_redacted_where_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let opaque = "q7w2e9r4t1y8u3i6o5p0";
    let key = "5f1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c";
    let lines = [
        serde_json::json!({"time": "2024-06-11T10:00:00Z", "method": "GET", "url": "/v1/a", "status": 401,
            "headers": {"Cookie": format!("theme=dark; sid={opaque}")},
            "response_body": serde_json::json!({"error_code": format!("expired_{opaque}"), "error_message": format!("session {opaque} has expired")}).to_string()}),
        serde_json::json!({"time": "2024-06-11T10:01:00Z", "method": "GET", "url": "/v1/b", "status": 403,
            "headers": {"Authorization": "Bearer abc", "X-Api-Key": key}, "request_id": key,
            "response_body": serde_json::json!({"error_code": "forbidden", "error_message": format!("the key {key} may not")}).to_string()}),
        // The same texts without the headers: no layer knows them.
        serde_json::json!({"time": "2024-06-11T10:02:00Z", "method": "GET", "url": "/v1/c", "status": 401,
            "response_body": serde_json::json!({"error_code": "unauthorized", "error_message": format!("session {opaque} has expired")}).to_string()}),
    ];
    let p = dir.path().join("own.jsonl");
    fs::write(
        &p,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let p = p.to_str().unwrap();
    let csv = String::from_utf8(run(&[p, "--csv", "-"]).stdout).unwrap();
    let mut rows = csv.lines().skip(1);
    let (a, b, c) = (
        rows.next().unwrap(),
        rows.next().unwrap(),
        rows.next().unwrap(),
    );
    assert!(
        !a.contains(opaque) && a.contains("session [redacted:"),
        "{a}"
    );
    assert!(!b.contains(key) && b.contains("the key [redacted:"), "{b}");
    // `theme=dark` is not a secret: `dark` stays readable elsewhere.
    assert!(
        c.contains(opaque),
        "no layer but the record's own knows it: {c}"
    );
    let json = String::from_utf8(run(&[p, "--format", "json"]).stdout).unwrap();
    // Body excerpts are the record's text, like its CSV row: record c's
    // excerpt keeps the value no layer but another record's knows.
    fn drop_excerpts(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("excerpt");
                m.values_mut().for_each(drop_excerpts);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(drop_excerpts),
            _ => {}
        }
    }
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    drop_excerpts(&mut v);
    let json = v.to_string();
    assert!(!json.contains(opaque), "the aggregate's code keys: {json}");
    assert!(!json.contains(key), "the aggregate's request ids: {json}");
    assert!(json.contains("\"expired_[redacted:"), "{json}");
}

/// A HAR lists cookies in `request.cookies` and `response.cookies` too, and
/// an exporter may leave the `Cookie` header out (HttpOnly cookies, or a
/// sanitizer that removed only the header): their values are the record's
/// own secrets all the same.
#[test]
fn a_har_entrys_cookie_lists_are_its_own_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let sid = "k3v9x2m7q4w8r1t6y5u0";
    let fresh = "n8b3v6c1x4z7l2k5j9h0";
    let entry = |url: &str, message: String, with_lists: bool| {
        let (req_cookies, resp_cookies) = if with_lists {
            (
                serde_json::json!([{"name": "theme", "value": "dark"}, {"name": "sid", "value": sid, "httpOnly": true}]),
                serde_json::json!([{"name": "refresh", "value": fresh, "path": "/"}]),
            )
        } else {
            (serde_json::json!([]), serde_json::json!([]))
        };
        let body =
            serde_json::json!({"error_code": "unauthorized", "error_message": message}).to_string();
        serde_json::json!({
            "startedDateTime": "2024-06-11T10:00:00.000Z", "time": 5,
            "request": {"method": "GET", "url": url, "headers": [], "cookies": req_cookies},
            "response": {"status": 401, "headers": [{"name": "Content-Type", "value": "application/json"}],
                "cookies": resp_cookies, "content": {"mimeType": "application/json", "text": body}}
        })
    };
    let har = serde_json::json!({"log": {"version": "1.2", "entries": [
        entry("https://api.tape.example/v1/a", format!("session {sid} expired; use {fresh}; theme dark"), true),
        // The same text in an entry that lists no cookies: no layer knows them.
        entry("https://api.tape.example/v1/b", format!("session {sid} expired; use {fresh}; theme dark"), false),
    ]}});
    let p = dir.path().join("cookies.har");
    fs::write(&p, har.to_string()).unwrap();
    let p = p.to_str().unwrap();
    let csv = String::from_utf8(run(&[p, "--csv", "-"]).stdout).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        !rows[0].contains(sid) && !rows[0].contains(fresh),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains("session [redacted:"), "{}", rows[0]);
    // `theme=dark` is not a secret: the word stays readable.
    assert!(rows[0].contains("theme dark"), "{}", rows[0]);
    assert!(
        rows[1].contains(sid) && rows[1].contains(fresh),
        "only the entry's own lists make these secrets: {}",
        rows[1]
    );
    let show = run(&[p, "--show", "all"]);
    let shown = String::from_utf8_lossy(&show.stdout);
    let first = shown.lines().find(|l| l.contains("/v1/a"));
    assert!(
        first.is_some_and(|l| !l.contains(sid) && !l.contains(fresh)),
        "{shown}"
    );
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

mod property {
    use proptest::prelude::*;
    use tape_audit::redact::{text, Redact};

    /// Secrets of each kind, generated: (text that carries it, the part
    /// that must not survive).
    fn secret() -> impl Strategy<Value = (String, String)> {
        let whole = |re: &'static str| re.prop_map(|s: String| (s.clone(), s));
        prop_oneof![
            whole("sk_live_[A-Za-z0-9]{24}"),
            whole("rk_test_[A-Za-z0-9]{20,30}"),
            whole("ghp_[A-Za-z0-9]{36}"),
            whole("github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"),
            whole("glpat-[A-Za-z0-9_-]{20}"),
            whole("xox[bp]-[0-9]{10,12}-[0-9]{10,13}-[A-Za-z0-9]{24}"),
            whole("AKIA[A-Z2-7]{16}"),
            whole("AIza[0-9A-Za-z_-]{35}"),
            whole("sk-proj-[A-Za-z0-9_-]{40,60}"),
            whole("SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}"),
            whole("npm_[A-Za-z0-9]{36}"),
            whole("dop_v1_[a-f0-9]{64}"),
            whole("shpat_[a-f0-9]{32}"),
            whole("hvs\\.[A-Za-z0-9_-]{30,90}"),
            whole("eyJhbGciOiJIUzI1NiJ9\\.eyJ[A-Za-z0-9_-]{10,40}\\.[A-Za-z0-9_-]{43}"),
            // Random mixed-case tokens: base64 of 24 to 48 random bytes.
            proptest::collection::vec(any::<u8>(), 24..48).prop_filter_map("mixed case", |b| {
                use base64::Engine;
                let s = base64::engine::general_purpose::STANDARD_NO_PAD.encode(b);
                // Random, not a degenerate shrink like `AAAA...A0`: most
                // characters differ.
                let distinct = s.bytes().collect::<std::collections::BTreeSet<u8>>().len();
                let mixed = distinct * 3 >= s.len() * 2
                    && s.bytes().any(|c| c.is_ascii_uppercase())
                    && s.bytes().any(|c| c.is_ascii_lowercase())
                    && s.bytes().filter(|c| c.is_ascii_digit()).count() >= 3;
                mixed.then(|| (s.clone(), s))
            }),
            "[A-Za-z0-9!#%]{12,24}".prop_map(|p| (format!("password={p}"), p)),
            "[A-Za-z0-9]{12,24}".prop_map(|p| (format!("postgres://app:{p}@db.internal/x"), p)),
            "[A-Za-z0-9]{16,32}".prop_map(|p| (format!("sessionToken: \"{p}\""), p)),
            "[A-Za-z0-9._~+/-]{16,40}".prop_map(|p| (format!("Authorization: Bearer {p}"), p)),
        ]
    }

    fn filler() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(" ".to_string()),
            Just(": ".to_string()),
            Just(", ".to_string()),
            Just("\n".to_string()),
            Just("\"".to_string()),
            Just("(".to_string()),
            Just(") ".to_string()),
            Just(" bad_key_".to_string()),
            "[a-z ]{0,12}".prop_map(|s| format!(" {s} ")),
        ]
    }

    fn config() -> ProptestConfig {
        let mut c = ProptestConfig {
            cases: 1024,
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        // Fixed unless asked otherwise, so that CI is repeatable; run with
        // PROPTEST_RNG_SEED and PROPTEST_CASES to search further.
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            c.rng_seed = proptest::test_runner::RngSeed::Fixed(20261201);
        }
        if let Some(n) = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            c.cases = n;
        }
        c
    }

    proptest! {
        #![proptest_config(config())]

        /// Embedded anywhere in text, a secret of any kind never survives
        /// redaction, in whole or as a 12-character piece, and redacting
        /// again changes nothing.
        #[test]
        fn secrets_never_survive(parts in proptest::collection::vec((filler(), secret()), 1..4), tail in filler()) {
            let mut text_in = String::new();
            for (f, (t, _)) in &parts {
                text_in.push_str(f);
                text_in.push_str(t);
            }
            text_in.push_str(&tail);
            let out = text(&text_in, Redact::On).into_owned();
            for (_, (_, secret)) in &parts {
                for piece in super::pieces(secret) {
                    prop_assert!(!out.contains(&piece), "{piece:?} of {secret:?} survived in {out:?} (from {text_in:?})");
                }
            }
            prop_assert_eq!(text(&out, Redact::On).into_owned(), out.clone());
        }
    }
}

/// Text from runs on unsafe partials and baselines: must hold no secret.
fn leaked(texts: &[(String, String)]) -> Vec<String> {
    let finder = Finder::new(secrets());
    let mut out = Vec::new();
    for (mode, text) in texts {
        for (i, _, _) in finder.find(text) {
            out.push(format!("{} in {mode}", finder.secrets[i].0));
        }
    }
    out
}

#[test]
fn unsafe_partials_and_baselines_are_redacted_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus("leaks.jsonl");
    let part = run(&[&input, "--unsafe-show-secrets", "--format", "partial"]);
    let p = dir.path().join("unsafe.partial.json");
    fs::write(&p, &part.stdout).unwrap();
    let report = run(&[&input, "--unsafe-show-secrets", "--format", "json"]);
    let b = dir.path().join("unsafe.report.json");
    fs::write(&b, &report.stdout).unwrap();
    // The unsafe files do hold secrets (else this test proves nothing).
    assert!(!leaked(&[(
        "partial".into(),
        String::from_utf8_lossy(&part.stdout).into_owned()
    )])
    .is_empty());
    assert!(!leaked(&[(
        "report".into(),
        String::from_utf8_lossy(&report.stdout).into_owned()
    )])
    .is_empty());
    let mut texts = Vec::new();
    for fmt in ["table", "json", "markdown", "partial"] {
        let m = run(&[
            "merge",
            p.to_str().unwrap(),
            "--format",
            fmt,
            "--top",
            "1000",
        ]);
        assert_eq!(
            m.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&m.stderr)
        );
        let err = String::from_utf8_lossy(&m.stderr).into_owned();
        assert!(err.contains("made with --unsafe-show-secrets"), "{err}");
        texts.push((
            format!("merge --format {fmt}"),
            String::from_utf8_lossy(&m.stdout).into_owned(),
        ));
        texts.push((format!("merge --format {fmt} stderr"), err));
    }
    for fmt in ["table", "json", "markdown"] {
        let o = run(&[
            &input,
            "--baseline",
            b.to_str().unwrap(),
            "--format",
            fmt,
            "--top",
            "1000",
        ]);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(err.contains("the baseline holds secrets"), "{err}");
        texts.push((
            format!("--baseline --format {fmt}"),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        ));
    }
    let leaks = leaked(&texts);
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    // The merged totals are the safe run's.
    let safe: serde_json::Value =
        serde_json::from_slice(&run(&[&input, "--format", "json"]).stdout).unwrap();
    let merged: serde_json::Value =
        serde_json::from_slice(&run(&["merge", p.to_str().unwrap(), "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(safe["totals"], merged["totals"]);
    assert_eq!(safe["classes"], merged["classes"]);
}
