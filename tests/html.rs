//! The HTML report (`--format html`, `--html PATH`): one self-contained
//! page. Structure and safety are checked on the text; rendering, the
//! numbers in the DOM and the absence of network requests with headless
//! Chromium (`.ci/deps` installs it). Without Chromium the browser tests
//! print a notice and pass, except under `CI`, where they fail.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tape-audit"));
    c.current_dir(root()).arg("--no-progress");
    c
}

fn run(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn html_of(args: &[&str]) -> String {
    let mut a = args.to_vec();
    a.extend(["--format", "html"]);
    String::from_utf8(run(&a).stdout).expect("UTF-8")
}

const CSP: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">";

/// The real tags of a page (text and attribute values are escaped, so
/// every `<` starts a tag), with quoted attribute values blanked.
fn tags(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let t = &rest[i..];
        let end = t.find('>').expect("a closed tag");
        let mut tag = String::new();
        let mut quote = None;
        for c in t[..=end].chars() {
            match (quote, c) {
                (None, '"' | '\'') => {
                    quote = Some(c);
                    tag.push(c);
                }
                (Some(q), c) if c == q => {
                    quote = None;
                    tag.push(c);
                }
                (Some(_), _) => {}
                (None, c) => tag.push(c),
            }
        }
        out.push(tag.to_ascii_lowercase());
        rest = &t[end + 1..];
    }
    out
}

/// Checks what every page must hold: the CSP, no script, no fetched
/// resource, no link out of the page, no external reference at all.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "a document");
    assert!(html.contains(CSP), "the CSP meta tag");
    assert_eq!(html.matches("<style>").count(), 1, "one style element");
    assert_eq!(html.matches("</style>").count(), 1, "one style element");
    for tag in tags(html) {
        assert!(!tag.starts_with("<script"), "no script: {tag}");
        for name in [
            "<iframe", "<object", "<embed", "<link", "<img", "<base", "<form",
        ] {
            assert!(!tag.starts_with(name), "no {name}: {tag}");
        }
        for attr in [" src=", " href=", " srcset=", " action=", " on"] {
            if let Some(i) = tag.find(attr) {
                assert!(
                    attr == " href=" && tag[i..].starts_with(" href=\"\""),
                    "attribute {attr} in {tag}"
                );
            }
        }
    }
    // href is allowed only as a fragment link: the blanked check above let
    // through any quoted href, so look at the values too.
    for (i, _) in html.match_indices(" href=\"") {
        assert!(html[i + 7..].starts_with('#'), "href other than #");
    }
    // External references can only sit in markup or in the style sheet
    // (text from traffic, such as a URL in a message, is escaped text).
    let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    let mut markup = style.to_string();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').expect("a closed tag");
        markup.push_str(&rest[i..=i + end]);
        rest = &rest[i + end + 1..];
    }
    let without_ns = markup.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for bad in [
        "http://",
        "https://",
        "url(",
        "@import",
        "//cdn",
        "@font-face",
    ] {
        assert!(!without_ns.contains(bad), "external reference {bad}");
    }
}

/// A log whose codes, request ids and paths are markup.
fn hostile_log(dir: &Path) -> PathBuf {
    let codes = [
        "<img src=x onerror=alert(1)>",
        "</style><script>alert(1)</script>",
        "\"'><svg onload=alert(1)>",
        "&lt;b&gt;entity",
        "javascript:alert(1)",
    ];
    let path = dir.join("hostile.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for (i, code) in codes.iter().cycle().take(40).enumerate() {
        let body = serde_json::json!({
            "status_code": 404,
            "error_code": code,
            "error_message": "<script>alert('m')</script>",
        })
        .to_string();
        let line = serde_json::json!({
            "time": format!("2024-06-11T10:{:02}:00Z", i),
            "method": "GET",
            "url": format!("https://api.tapeapp.com/v1/</style><script>x/{i}?q=<img src=y>"),
            "status": if i % 7 == 0 { 200 } else { 404 },
            "request_id": format!("<img src=z onerror=alert({i})>"),
            "response_body": body,
        });
        writeln!(f, "{line}").unwrap();
    }
    path
}

#[test]
fn html_is_self_contained_and_escapes_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let log = hostile_log(dir.path());
    let html = html_of(&[log.to_str().unwrap()]);
    assert_self_contained(&html);
    for raw in [
        "<img",
        "<svg onload",
        "</style><script",
        "<script",
        "onerror=alert(1)>",
    ] {
        assert!(!html.contains(raw), "raw {raw:?} in the page");
    }
    // The codes are there, escaped.
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&#39;&gt;&lt;svg onload=alert(1)&gt;"));
    assert!(
        html.contains("&amp;lt;b&amp;gt;entity"),
        "entities are not decoded"
    );
    // Only one svg element (the chart) and it is ours.
    assert_eq!(html.matches("<svg ").count(), 1);
}

#[test]
fn html_flag_writes_the_page_beside_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("r.html");
    let out = run(&[
        "testdata/incident/during.jsonl",
        "--html",
        page.to_str().unwrap(),
        "--color",
        "never",
    ]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("tape-audit "), "the table on stdout");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("id=\"total-records\">240<"));
    // `--html -` and another stdout taker conflict.
    let out = bin()
        .args([
            "testdata/incident/during.jsonl",
            "--html",
            "-",
            "--csv",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // The same file for two outputs is refused.
    let out = bin()
        .args([
            "testdata/incident/during.jsonl",
            "--html",
            page.to_str().unwrap(),
            "--timeline-csv",
            page.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--html"));
}

#[test]
fn html_of_a_huge_log_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    // 50k records over ~4 days at 1 s buckets (far more buckets than drawn),
    // 3,000 distinct undocumented codes, 2,000 endpoints.
    let t0 = 1_718_100_000i64;
    for i in 0..50_000i64 {
        let status = [200, 404, 409, 500, 429][(i % 5) as usize];
        let code = format!("weird_code_{}", i % 3000);
        let word: String = (0..3)
            .map(|k| (b'a' + ((i / 7 + k * 5) % 26) as u8 % 26) as char)
            .collect();
        let t = chrono::DateTime::from_timestamp(t0 + i * 7 + (i % 3), 0).unwrap();
        let line = serde_json::json!({
            "time": t.to_rfc3339(),
            "method": "GET",
            "url": format!("https://api.tapeapp.com/v1/{word}/{}", i % 77),
            "status": status,
            "request_id": format!("req-{i}"),
            "response_body": serde_json::json!({"status_code": status, "error_code": code}).to_string(),
        });
        writeln!(f, "{line}").unwrap();
    }
    drop(f);
    let html = html_of(&[path.to_str().unwrap(), "--bucket", "1s"]);
    assert_self_contained(&html);
    let kb = html.len() / 1024;
    eprintln!("HTML of 50k records: {kb} KiB");
    assert!(kb < 600, "{kb} KiB");
    assert!(html.contains("more rows"), "long lists are cut");
    assert!(html.contains("merged to keep the chart under 1500 points"));
    let md = String::from_utf8(
        run(&[
            path.to_str().unwrap(),
            "--bucket",
            "1s",
            "--format",
            "markdown",
        ])
        .stdout,
    )
    .unwrap();
    let bars = md
        .lines()
        .find(|l| l.trim_start().starts_with("bar ["))
        .expect("a Mermaid bar series");
    assert!(bars.matches(',').count() < 101, "at most ~100 bars");
    eprintln!("Markdown of 50k records: {} KiB", md.len() / 1024);
}

#[test]
fn markdown_has_a_mermaid_timeline() {
    let out = run(&["testdata/incident/during.jsonl", "--format", "markdown"]);
    let md = String::from_utf8(out.stdout).unwrap();
    let start = md.find("```mermaid\n").expect("a chart");
    let block = &md[start..];
    let block = &block[..block[3..].find("```").unwrap() + 6];
    assert!(block.contains("\nxychart-beta\n"), "{block}");
    // A numeric time axis (its ticks cannot overlap), from the first bucket.
    let bars = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("bar [")?.strip_suffix(']'))
        .expect("a bar series");
    let n = bars.split(", ").count();
    assert!(bars.starts_with("1, 0, 0, 0, 1"), "{block}");
    assert!(
        block.contains(&format!(
            "x-axis \"minutes after 2024-06-11 10:00 UTC\" 0 --> {}",
            n - 1
        )),
        "{block}"
    );
    // Whole-number ticks: the axis goes to at least 8.
    let peak: u64 = bars
        .split(", ")
        .map(|v| v.parse::<u64>().unwrap())
        .max()
        .unwrap();
    assert!(
        block.contains(&format!("y-axis \"errors\" 0 --> {}", peak.max(8))),
        "{block}"
    );
    assert!(
        md.contains("| bucket start | responses | errors |"),
        "the table stays"
    );
}

/// A log with `n` distinct error codes on `n` distinct endpoints, each
/// with its own request id and message, over `n` minutes.
fn high_cardinality_log(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("wide.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let word = |mut i: usize| {
        let mut w = String::new();
        for _ in 0..4 {
            w.push((b'a' + (i % 26) as u8) as char);
            i /= 26;
        }
        w
    };
    for i in 0..n {
        let status = [404, 409, 422, 500][i % 4];
        let t = chrono::DateTime::from_timestamp(1_718_100_000 + 60 * i as i64, 0).unwrap();
        let line = serde_json::json!({
            "time": t.to_rfc3339(),
            "method": "GET",
            "url": format!("https://api.tapeapp.com/v1/{}/items", word(i)),
            "status": status,
            "request_id": format!("req-{i}"),
            "response_body": serde_json::json!({
                "status_code": status,
                "error_code": format!("odd_code_{}", word(i)),
                "error_message": format!("something went wrong with {}", word(i)),
            }).to_string(),
        });
        writeln!(f, "{line}").unwrap();
    }
    path
}

#[test]
fn reports_of_high_cardinality_stay_small() {
    let dir = tempfile::tempdir().unwrap();
    let log = high_cardinality_log(dir.path(), 5_000);
    let log = log.to_str().unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&run(&[log, "--format", "json"]).stdout).unwrap();
    // The JSON report lists the --max-codes (200) most frequent codes and
    // says exactly what it left out; the 5,000 paths differ in one position
    // only, so the adaptive templates make them one endpoint.
    assert_eq!(json["codes"].as_array().unwrap().len(), 200);
    assert_eq!(json["codes_fold"]["distinct"], 5_000);
    assert_eq!(json["codes_fold"]["others"], 4_800);
    assert_eq!(json["codes_fold"]["responses"], 4_800);
    let eps = json["endpoints"].as_array().unwrap();
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0]["endpoint"], "/v1/{*}/items");
    assert_eq!(eps[0]["errors"], 5_000);
    let md = String::from_utf8(run(&[log, "--format", "markdown"]).stdout).unwrap();
    let html = html_of(&[log]);
    assert_self_contained(&html);
    eprintln!(
        "5,000 codes and endpoints: Markdown {} KiB, HTML {} KiB",
        md.len() / 1024,
        html.len() / 1024
    );
    assert!(md.len() < 100 * 1024, "Markdown {} KiB", md.len() / 1024);
    assert!(html.len() < 300 * 1024, "HTML {} KiB", html.len() / 1024);
    assert!(
        md.contains("more rows, the least frequent, (all in the JSON report)"),
        "the code list is cut"
    );
    assert!(md.contains("merged into"), "the timeline table is merged");
    let rows = md
        .lines()
        .skip_while(|l| !l.starts_with("| bucket start |"))
        .skip(2)
        .take_while(|l| l.starts_with("| "))
        .count();
    assert!((100..=201).contains(&rows), "{rows} timeline rows");
    assert!(html.contains("more rows"), "the HTML lists are cut");
}

/// The HTML writer's whole page on a fixed input, under a snapshot: the
/// README's incident example (window and baseline). Only the tool's
/// version and the baseline's temporary path are normalized.
#[test]
fn html_snapshot_of_the_incident() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.json");
    let out = run(&["testdata/incident/before.jsonl", "--format", "json"]);
    std::fs::write(&before, out.stdout).unwrap();
    let html = html_of(&[
        "testdata/incident/during.jsonl",
        "--since",
        "10:15",
        "--until",
        "10:40",
        "--baseline",
        before.to_str().unwrap(),
    ]);
    let version = env!("CARGO_PKG_VERSION");
    let normal = html
        .replace(&format!("tape-audit {version}"), "tape-audit [version]")
        .replace(before.to_str().unwrap(), "[baseline]");
    insta::assert_snapshot!("html_incident", normal);
}

// ---- HTML validation with the Nu HTML checker (vnu.jar, from npm by
// .ci/node-tools into target/ci-node; run with Java).

/// The checker's jar, or `None` with a notice; under `CI` a missing jar or
/// Java fails.
fn vnu() -> Option<PathBuf> {
    let jar = root().join("target/ci-node/node_modules/vnu-jar/build/dist/vnu.jar");
    let java = Command::new("java").arg("-version").output().is_ok();
    if jar.exists() && java {
        return Some(jar);
    }
    let what = if java { "the Nu HTML checker" } else { "java" };
    if std::env::var_os("CI").is_some() {
        panic!("CI is set and {what} is missing: run .ci/deps first");
    }
    eprintln!("NOTICE: {what} not found; HTML validation skipped (run .ci/deps)");
    None
}

/// Validates pages; fails on any error or warning, with the checker's words.
fn validate(jar: &Path, pages: &[PathBuf]) {
    let out = Command::new("java")
        .arg("-jar")
        .arg(jar)
        .args(["--Werror", "--also-check-css", "--format", "gnu"])
        .args(pages)
        .output()
        .expect("java runs");
    let msgs = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && msgs.trim().is_empty(),
        "the HTML checker found problems:\n{msgs}"
    );
}

/// Records whose text is every kind of hostile string: markup, comment and
/// CDATA openers, control and bidi characters, NUL, a lone surrogate,
/// invalid UTF-8, a huge code; and a file name made of markup.
fn crafted_log(dir: &Path) -> PathBuf {
    let texts = [
        "<!-- x --!> <![CDATA[ ]]> </svg></title><title>",
        "a\u{0}b\u{7}c\u{1b}]0;title\u{7}\u{202e}evil\u{2066}",
        "\u{feff}=1+1\r\n<p>",
        "&#x3C;script&#x3E; &lt;b&gt; &amp; &",
        "x\u{85}\u{2028}\u{2029}\u{e0041}\u{fff9}",
    ];
    let path = dir.join("<b>&\"crafted'.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for (i, t) in texts.iter().enumerate() {
        let body = serde_json::json!({"status_code": 400, "error_code": t, "error_message": t})
            .to_string();
        let line = serde_json::json!({
            "time": format!("2024-06-11T10:0{i}:00Z"),
            "method": "POST",
            "url": format!("https://api.tapeapp.com/v1/{}/{i}", t.replace('/', "%2F")),
            "status": 400,
            "request_id": t,
            "response_body": body,
        });
        writeln!(f, "{line}").unwrap();
    }
    // A lone surrogate, invalid UTF-8 and a 100 KB code.
    f.write_all(b"{\"time\":\"2024-06-11T10:06:00Z\",\"status\":500,\"url\":\"/v1/\\ud800\",\"response_body\":\"{\\\"error_code\\\":\\\"\\\\ud800x\\\"}\"}\n").unwrap();
    f.write_all(b"{\"time\":\"2024-06-11T10:07:00Z\",\"status\":500,\"url\":\"/v1/\xff\xfe\",\"response_body\":\"{\\\"error_code\\\":\\\"bad\xc3\\\"}\"}\n").unwrap();
    let long = "<".repeat(100_000);
    writeln!(
        f,
        "{}",
        serde_json::json!({"time": "2024-06-11T10:08:00Z", "status": 409, "url": "/v1/x",
            "response_body": serde_json::json!({"error_code": long}).to_string()})
    )
    .unwrap();
    // And an unreadable line, for the skip excerpt.
    f.write_all(b"{\"status\": 500, \"message\": \"</td></tr></table><table>\n")
        .unwrap();
    path
}

#[test]
fn html_validates_on_every_kind_of_input() {
    let Some(jar) = vnu() else { return };
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.json");
    std::fs::write(
        &before,
        run(&["testdata/incident/before.jsonl", "--format", "json"]).stdout,
    )
    .unwrap();
    let hostile = hostile_log(dir.path());
    let crafted = crafted_log(dir.path());
    let wide = high_cardinality_log(dir.path(), 2_000);
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let b = before.to_str().unwrap();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "incident",
            vec![
                "testdata/incident/during.jsonl",
                "--since",
                "10:15",
                "--until",
                "10:40",
                "--baseline",
                b,
            ],
        ),
        (
            "mixed",
            vec![
                "testdata/incident/during.jsonl",
                "testdata/sample.jsonl",
                "testdata/sample.har",
                "testdata/k8s-audit.jsonl",
            ],
        ),
        ("hostile", vec![hostile.to_str().unwrap()]),
        ("crafted", vec![crafted.to_str().unwrap(), "--baseline", b]),
        ("wide", vec![wide.to_str().unwrap(), "--bucket", "1s"]),
        ("empty", vec![empty.to_str().unwrap(), "--allow-empty"]),
        ("secrets log", vec!["testdata/secrets/leaks.jsonl"]),
        (
            "secrets har",
            vec!["testdata/secrets/leaks.har", "testdata/secrets.har"],
        ),
        (
            "gate",
            vec!["testdata/sample.jsonl", "--fail-on", "undocumented"],
        ),
    ];
    let mut pages = Vec::new();
    for (name, args) in cases {
        let page = dir.path().join(format!("{}.html", name.replace(' ', "-")));
        let mut a = args.clone();
        a.extend(["--html", page.to_str().unwrap()]);
        let out = bin().args(&a).output().unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 2),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let html = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_self_contained(&html);
        pages.push(page);
    }
    validate(&jar, &pages);
}

#[test]
fn the_validator_finds_errors() {
    // The check above is worth something only if the checker complains.
    let Some(jar) = vnu() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html lang=\"en\"><head><title>x</title></head><body><p><div></p></span></body></html>",
    )
    .unwrap();
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--Werror", "--format", "gnu"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error"));
}

// ---- With a browser.

/// Chromium, or `None` with a notice; under `CI` a missing browser fails.
fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/chromium");
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI is set and /usr/bin/chromium is missing: run .ci/deps first");
    }
    eprintln!("NOTICE: /usr/bin/chromium not found; browser test skipped (run .ci/deps)");
    None
}

fn browser(chrome: &Path, extra: &[&str], page: &Path) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut c = Command::new(chrome);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(format!("file://{}", page.display()));
    let out = c.output().expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn dump_dom(chrome: &Path, extra: &[&str], page: &Path) -> String {
    let mut a = vec!["--dump-dom"];
    a.extend(extra);
    String::from_utf8(browser(chrome, &a, page).stdout).unwrap()
}

fn num(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn browser_dom_holds_the_json_numbers() {
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("r.html");
    let out = run(&[
        "testdata/incident/during.jsonl",
        "testdata/sample.jsonl",
        "testdata/sample.har",
        "--format",
        "json",
        "--html",
        page.to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dom = dump_dom(&chrome, &[], &page);
    assert!(dom.contains("tape-audit report"), "rendered");
    for k in [
        "records",
        "responses",
        "error_responses",
        "skipped",
        "excluded",
    ] {
        let n = json["totals"][k].as_u64().unwrap();
        let want = format!("id=\"total-{k}\">{}<", num(n));
        assert!(dom.contains(&want), "{want}");
    }
    for (class, n) in json["classes"].as_object().unwrap() {
        let want = format!("id=\"class-{class}\">{}<", num(n.as_u64().unwrap()));
        assert!(dom.contains(&want), "{want}");
    }
    let mut codes: Vec<&serde_json::Value> = json["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["class"] != "ok" && c["error_code"].is_string())
        .collect();
    codes.sort_by_key(|c| std::cmp::Reverse(c["count"].as_u64()));
    assert!(codes.len() >= 3);
    for c in codes.iter().take(5) {
        let row = format!(
            "<td class=\"n\">{}</td><td class=\"c\"><code>{}</code></td>",
            c["status"],
            c["error_code"].as_str().unwrap()
        );
        let at = dom.find(&row).unwrap_or_else(|| panic!("{row}"));
        let count = format!("<td class=\"n\">{}</td>", num(c["count"].as_u64().unwrap()));
        assert!(dom[at..].contains(&count), "{row} {count}");
    }
    let peak = json["timeline"]["peak"]["errors"].as_u64().unwrap();
    assert!(dom.contains(&format!("peak {} errors", num(peak))));
}

#[test]
fn browser_screenshots_of_the_incident() {
    let Some(chrome) = chromium() else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-screens");
    std::fs::create_dir_all(&dir).unwrap();
    let before = dir.join("before.json");
    let out = run(&["testdata/incident/before.jsonl", "--format", "json"]);
    std::fs::write(&before, out.stdout).unwrap();
    let page = dir.join("incident.html");
    run(&[
        "testdata/incident/during.jsonl",
        "--since",
        "10:15",
        "--until",
        "10:40",
        "--baseline",
        before.to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert!(
        html.contains("class=\"win\""),
        "the incident window is shaded"
    );
    assert!(html.contains("id=\"baseline\""), "the baseline section");
    for w in [1280, 390] {
        let png = dir.join(format!("incident-{w}.png"));
        let _ = std::fs::remove_file(&png);
        browser(
            &chrome,
            &[
                &format!("--window-size={w},2400"),
                &format!("--screenshot={}", png.display()),
            ],
            &page,
        );
        let bytes = std::fs::read(&png).expect("a screenshot");
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        assert!(bytes.len() > 20_000, "not blank: {} bytes", bytes.len());
        eprintln!("screenshot {} ({} bytes)", png.display(), bytes.len());
    }
}

#[test]
fn browser_renders_without_any_network() {
    let Some(chrome) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("r.html");
    let out = run(&[
        "testdata/incident/during.jsonl",
        "--format",
        "json",
        "--html",
        page.to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    let dom = dump_dom(
        &chrome,
        &[
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ],
        &page,
    );
    let records = json["totals"]["records"].as_u64().unwrap();
    let errors = json["totals"]["error_responses"].as_u64().unwrap();
    assert!(dom.contains(&format!("id=\"total-records\">{}<", num(records))));
    assert!(dom.contains(&format!("id=\"total-error_responses\">{}<", num(errors))));
    assert!(dom.contains("<svg"), "the chart rendered");
}

#[test]
fn timeline_gaps_stay_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gap.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for (t, status) in [
        ("10:00:05", 404),
        ("10:01:05", 200),
        ("11:30:05", 500),
        ("11:31:05", 404),
    ] {
        let line = serde_json::json!({
            "time": format!("2024-06-11T{t}Z"),
            "method": "GET",
            "url": "https://api.tapeapp.com/v1/record/1",
            "status": status,
            "response_body": serde_json::json!({"status_code": status, "error_code": "not_found"}).to_string(),
        });
        writeln!(f, "{line}").unwrap();
    }
    drop(f);
    let html = html_of(&[path.to_str().unwrap()]);
    assert_self_contained(&html);
    assert!(
        html.contains("<rect class=\"gap\""),
        "the hole is drawn as a gap"
    );
    assert!(html.contains("<title>no traffic 10:02:00 to 11:30:00</title>"));
    let rate = &html[html.find("<path class=\"rate\" d=\"").unwrap()..];
    let rate = &rate[..rate.find("\">").unwrap()];
    assert_eq!(
        rate.matches('M').count(),
        2,
        "the rate line breaks at the gap"
    );
}
