//! The host scope through the binary: the default scope of a browser
//! capture, `--all-hosts`, `--api`, catalogs that declare hosts, per-record
//! output, and partials split so that a host's envelope comes late.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const MIXED: &str = "testdata/browser-mixed.har";
const API: &str = "api.tapeapp.com";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
    let o = run(&a);
    assert!(
        o.status.code().is_some_and(|c| c < 2),
        "{a:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("a JSON report")
}

fn har() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(MIXED)).unwrap()).unwrap()
}

fn host_of(entry: &Value) -> String {
    let url = entry["request"]["url"].as_str().unwrap();
    url.split('/').nth(2).unwrap().to_ascii_lowercase()
}

/// A HAR of the given entries, written to `dir/name`.
fn write_har(dir: &Path, name: &str, entries: Vec<Value>) -> String {
    let mut doc = har();
    doc["log"]["entries"] = Value::Array(entries);
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(&doc).unwrap()).unwrap();
    p.display().to_string()
}

fn entries() -> Vec<Value> {
    har()["log"]["entries"].as_array().unwrap().clone()
}

fn classes(r: &Value) -> BTreeMap<String, u64> {
    r["classes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

#[test]
fn default_scope_of_a_browser_capture_is_the_api_host() {
    let all = entries();
    let others: Vec<&Value> = all.iter().filter(|e| host_of(e) != API).collect();
    let other_hosts: std::collections::BTreeSet<String> =
        others.iter().map(|e| host_of(e)).collect();
    assert!(
        others.len() > 10 && other_hosts.len() > 5,
        "a mixed capture"
    );

    let r = json(&[MIXED]);
    assert_eq!(r["scope"]["hosts"], serde_json::json!([API]));
    assert_eq!(r["scope"]["excluded_records"], others.len() as u64);
    assert_eq!(r["scope"]["excluded_hosts"], other_hosts.len() as u64);
    assert_eq!(r["totals"]["records"], all.len() as u64);
    assert_eq!(r["totals"]["excluded"], others.len() as u64);
    assert_eq!(r["filters"]["excluded"], 0, "the scope is not a filter");

    // The report is the report of the API's entries alone.
    let dir = tempfile::tempdir().unwrap();
    let api_only: Vec<Value> = all.iter().filter(|e| host_of(e) == API).cloned().collect();
    let api_har = write_har(dir.path(), "api.har", api_only.clone());
    let alone = json(&[&api_har]);
    assert_eq!(classes(&r), classes(&alone));
    let counts = |r: &Value| -> Vec<(Value, Value, Value, Value)> {
        r["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["status"].clone(),
                    c["class"].clone(),
                    c["error_code"].clone(),
                    c["count"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(counts(&r), counts(&alone));
    assert_eq!(r["violations"], alone["violations"]);
    assert_eq!(
        r["undocumented_statuses"].as_array().map(Vec::len),
        alone["undocumented_statuses"].as_array().map(Vec::len)
    );
    // One host audited: endpoints are shown without it, but keyed by it.
    for e in r["endpoints"].as_array().unwrap() {
        assert_eq!(e["host"], API);
        assert!(e["endpoint"].as_str().unwrap().starts_with("/v1/"));
    }

    // Every host is listed, with what it sent, and whether it was audited.
    let hosts = r["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), other_hosts.len() + 1);
    for h in hosts {
        let name = h["host"].as_str().unwrap();
        let n = all.iter().filter(|e| host_of(e) == name).count() as u64;
        assert_eq!(h["responses"], n, "{name}");
        assert_eq!(h["in_scope"], name == API, "{name}");
    }

    // The table says so, in its header.
    let o = run(&[MIXED, "--color", "never"]);
    let text = String::from_utf8_lossy(&o.stdout);
    let want = format!(
        "{} records from {} other hosts excluded",
        others.len(),
        other_hosts.len()
    );
    let scope_line = text
        .lines()
        .find(|l| l.starts_with("scope "))
        .expect("a scope line");
    assert!(
        scope_line.contains(API) && scope_line.contains(&want),
        "{scope_line}"
    );
    assert!(
        scope_line.contains("catalog's API hosts"),
        "why: {scope_line}"
    );
    assert!(text.contains("\nHosts\n"), "{text}");
    let md = String::from_utf8_lossy(&run(&[MIXED, "--format", "markdown"]).stdout).into_owned();
    assert!(md.contains("## Hosts") && md.contains(&want), "{md}");
    let html = String::from_utf8_lossy(&run(&[MIXED, "--format", "html"]).stdout).into_owned();
    assert!(html.contains("<section id=\"hosts\">") && html.contains(&want));
}

#[test]
fn all_hosts_counts_every_host_as_if_each_were_audited_alone() {
    let all = entries();
    let r = json(&[MIXED, "--all-hosts"]);
    assert_eq!(r["totals"]["responses"], all.len() as u64);
    assert_eq!(r["totals"]["excluded"], 0);
    assert_eq!(r["scope"]["excluded_records"], 0);
    // Today's counts: a capture of one host is never scoped, so the
    // classes of each host audited on its own add up to --all-hosts.
    let dir = tempfile::tempdir().unwrap();
    let mut by_host: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for e in &all {
        by_host.entry(host_of(e)).or_default().push(e.clone());
    }
    let mut sum: BTreeMap<String, u64> = BTreeMap::new();
    for (i, (host, list)) in by_host.into_iter().enumerate() {
        let p = write_har(dir.path(), &format!("{i}.har"), list);
        let one = json(&[&p, "--allow-empty"]);
        assert_eq!(one["scope"]["reason"], "the inputs hold one host", "{host}");
        for (k, n) in classes(&one) {
            *sum.entry(k).or_default() += n;
        }
    }
    assert_eq!(classes(&r), sum);
    // Endpoints are keyed by host, and shown with it, when several hosts
    // are audited.
    let o = run(&[MIXED, "--all-hosts", "--color", "never"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("requestgenerator.com/api/status/{id}"),
        "{text}"
    );
    assert!(text.contains("api.tapeapp.com/v1/record/{id}"), "{text}");
}

#[test]
fn api_picks_hosts_exactly_or_by_suffix() {
    let all = entries();
    let n = |h: &str| all.iter().filter(|e| host_of(e) == h).count() as u64;
    let r = json(&[MIXED, "--api", "petstore.swagger.io"]);
    assert_eq!(r["totals"]["responses"], n("petstore.swagger.io"));
    assert_eq!(r["scope"]["reason"], "--api");
    assert_eq!(
        r["scope"]["excluded_records"],
        all.len() as u64 - n("petstore.swagger.io")
    );
    let suffix = json(&[MIXED, "--api", "*.TAPEAPP.com"]);
    let default = json(&[MIXED]);
    assert_eq!(classes(&suffix), classes(&default));
    assert_eq!(suffix["totals"], default["totals"]);
    let two = json(&[MIXED, "--api", "petstore.swagger.io,api.tapeapp.com"]);
    assert_eq!(
        two["totals"]["responses"],
        n("petstore.swagger.io") + n(API)
    );
    // Shown with the host: two hosts are audited.
    let eps = two["endpoints"].as_array().unwrap();
    assert!(eps.iter().any(|e| e["host"] == "petstore.swagger.io"));

    for bad in ["https://api.tapeapp.com/", "api.*.com", ""] {
        let o = run(&[MIXED, "--api", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--api"), "{bad:?}: {err}");
    }
    let o = run(&[MIXED, "--api", API, "--all-hosts"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn nothing_is_left_out_when_no_host_is_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let list: Vec<Value> = entries()
        .into_iter()
        .filter(|e| host_of(e) != API)
        .collect();
    let n = list.len() as u64;
    let p = write_har(dir.path(), "third-party.har", list);
    let r = json(&[&p]);
    assert_eq!(r["totals"]["responses"], n);
    assert_eq!(r["scope"]["excluded_records"], 0);
    assert_eq!(r["scope"]["hosts"], serde_json::json!([]));
    let why = r["scope"]["reason"].as_str().unwrap();
    assert!(
        why.contains("none of the") && why.contains("error envelope"),
        "{why}"
    );
}

#[test]
fn a_catalog_declares_its_hosts_and_envelope_hosts_join() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("petstore.toml");
    std::fs::write(
        &spec,
        "hosts = [\"petstore.swagger.io\"]\n[[errors]]\nstatus = 404\nerror_code = \"not_found\"\n",
    )
    .unwrap();
    let spec = spec.display().to_string();
    let r = json(&[MIXED, "--spec", &spec]);
    // The catalog's host, plus the Tape API, which sent error envelopes.
    assert_eq!(
        r["scope"]["hosts"],
        serde_json::json!([API, "petstore.swagger.io"])
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "hosts = [\"https://x/\"]\n[[errors]]\nstatus = 404\nerror_code = \"a\"\n",
    )
    .unwrap();
    let o = run(&[MIXED, "--spec", &bad.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("hosts"));
}

#[test]
fn per_record_output_follows_the_default_scope() {
    let all = entries();
    let notable = |r: &Value| {
        r["totals"]["responses"].as_u64().unwrap() - r["classes"]["ok"].as_u64().unwrap()
    };
    // The entries a --show listing names.
    let shown = |args: &[&str]| -> Vec<usize> {
        let o = run(args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                let at = l.find("#entry=").expect("a HAR locator") + 7;
                let n: String = l[at..].chars().take_while(char::is_ascii_digit).collect();
                n.parse().unwrap()
            })
            .collect()
    };
    let scoped = shown(&[MIXED, "--show", "all"]);
    assert_eq!(scoped.len() as u64, notable(&json(&[MIXED])));
    assert!(
        scoped.iter().all(|&i| host_of(&all[i]) == API),
        "{scoped:?}"
    );
    let every = shown(&[MIXED, "--show", "all", "--all-hosts"]);
    assert_eq!(every.len() as u64, notable(&json(&[MIXED, "--all-hosts"])));
    assert!(every.iter().any(|&i| host_of(&all[i]) != API));
    // Standard input cannot be read twice: every host, and the report says why.
    let data = std::fs::read(root().join(MIXED)).unwrap();
    let o = Command::cargo_bin("tape-audit")
        .unwrap()
        .current_dir(root())
        .args(["-", "--csv", "/dev/null", "--format", "json"])
        .write_stdin(data)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["scope"]["excluded_records"], 0);
    assert!(r["scope"]["reason"]
        .as_str()
        .unwrap()
        .contains("standard input"));
}

#[test]
fn partials_decide_the_scope_when_merged() {
    // A partner host sends a 500 in one input and its first envelope in
    // the other: the partial of the first input cannot know it is in
    // scope; the merge must.
    let dir = tempfile::tempdir().unwrap();
    let mut all = entries();
    let partner = |status: u64, text: &str| {
        let mut e = all[4].clone();
        e["request"]["url"] = Value::from("https://partner.example/v2/items/9");
        e["response"]["status"] = Value::from(status);
        e["response"]["content"]["text"] = Value::from(text);
        e["response"]["content"]["mimeType"] = Value::from("application/json");
        e
    };
    let late_500 = partner(500, "upstream failed");
    let late_env = partner(404, r#"{"error_code":"not_found","error_message":"no"}"#);
    all.insert(3, late_500);
    let (a, b) = all.split_at(20);
    let mut b = b.to_vec();
    b.push(late_env);
    let a = write_har(dir.path(), "a.har", a.to_vec());
    let b = write_har(dir.path(), "b.har", b);
    let direct = json(&[&a, &b]);
    assert_eq!(
        direct["scope"]["hosts"],
        serde_json::json!([API, "partner.example"])
    );
    let partner_row = direct["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == "partner.example")
        .unwrap()
        .clone();
    assert_eq!(partner_row["responses"], 2);
    assert_eq!(partner_row["in_scope"], true);
    let jobs = json(&[&a, &b, "-j", "3"]);
    assert_eq!(jobs, direct);
    let mut parts = Vec::new();
    for (i, f) in [&a, &b].iter().enumerate() {
        let o = run(&[f, "--format", "partial"]);
        assert!(o.status.success());
        let p = dir.path().join(format!("p{i}.json"));
        std::fs::write(&p, &o.stdout).unwrap();
        parts.push(p.display().to_string());
    }
    let merged = json(&["merge", &parts[1], &parts[0]]);
    for k in ["totals", "classes", "codes", "hosts", "scope", "endpoints"] {
        assert_eq!(merged[k], direct[k], "{k}");
    }
    // A partial of another scope does not merge.
    let o = run(&[&a, "--format", "partial", "--all-hosts"]);
    let p = dir.path().join("all.json");
    std::fs::write(&p, &o.stdout).unwrap();
    let o = run(&["merge", &parts[0], &p.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("host scope"));
}

fn run_capped(args: &[&str]) -> Output {
    Command::cargo_bin("tape-audit")
        .expect("binary built")
        .current_dir(root())
        .env("TAPE_AUDIT_MAX_PENDING_HOSTS", "4")
        .args(args)
        .output()
        .expect("runs")
}

fn json_capped(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let o = run_capped(&a);
    assert!(
        o.status.code().is_some_and(|c| c < 2),
        "{a:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("a JSON report")
}

/// JSON lines of one API envelope and one 404 page per tenant host.
fn tenant_log(dir: &Path, name: &str, tenants: std::ops::Range<u32>) -> String {
    let mut text = String::from(
        r#"{"status":404,"url":"https://api.tapeapp.com/v1/record/1","body":"{\"error_code\":\"not_found\",\"error_message\":\"no\"}"}"#,
    );
    text.push('\n');
    for t in tenants {
        text.push_str(&format!(
            r#"{{"status":404,"url":"https://t{t}.example.com/page","body":"<html>"}}"#
        ));
        text.push('\n');
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn too_many_pending_hosts_audit_every_host_whatever_the_split() {
    let dir = tempfile::tempdir().unwrap();
    // Under the cap (4 hosts besides the API's): the tenants are left out.
    let few = tenant_log(dir.path(), "few.jsonl", 0..4);
    let r = json_capped(&[&few]);
    assert_eq!(r["scope"]["hosts"], serde_json::json!([API]));
    assert_eq!(r["scope"]["excluded_records"], 4);
    // Each input under the cap, the two together over it.
    let a = tenant_log(dir.path(), "a.jsonl", 0..3);
    let b = tenant_log(dir.path(), "b.jsonl", 3..6);
    for one in [&a, &b] {
        assert_eq!(json_capped(&[one])["scope"]["excluded_records"], 3);
    }
    let direct = json_capped(&[&a, &b]);
    assert_eq!(direct["scope"]["hosts"], serde_json::json!([]));
    assert_eq!(direct["scope"]["excluded_records"], 0);
    let reason = direct["scope"]["reason"].as_str().unwrap();
    assert!(reason.contains("more than 4 hosts"), "{reason}");
    assert_eq!(direct["totals"]["responses"], 8);
    assert_eq!(direct["hosts"].as_array().unwrap().len(), 7);
    let table = String::from_utf8(run_capped(&[&a, &b, "--color", "never"]).stdout).unwrap();
    assert!(table.contains("every host audited"), "{table}");
    for j in ["1", "2", "3"] {
        assert_eq!(json_capped(&[&a, &b, "-j", j]), direct, "-j {j}");
    }
    // Partials, each under the cap, merged in either order; and a partial
    // that already went over it (a and b together) merged with one under it.
    let mut parts = Vec::new();
    for (i, files) in [vec![&a], vec![&b], vec![&a, &b]].iter().enumerate() {
        let mut args: Vec<&str> = files.iter().map(|s| s.as_str()).collect();
        args.extend(["--format", "partial"]);
        let o = run_capped(&args);
        assert!(o.status.success());
        let p = dir.path().join(format!("p{i}.json"));
        std::fs::write(&p, &o.stdout).unwrap();
        parts.push(p.display().to_string());
    }
    for (x, y) in [(0, 1), (1, 0)] {
        let merged = json_capped(&["merge", &parts[x], &parts[y]]);
        for k in ["totals", "classes", "codes", "hosts", "scope", "endpoints"] {
            assert_eq!(merged[k], direct[k], "{k}");
        }
    }
    let c = tenant_log(dir.path(), "c.jsonl", 6..7);
    let o = run_capped(&[&c, "--format", "partial"]);
    let pc = dir.path().join("pc.json");
    std::fs::write(&pc, &o.stdout).unwrap();
    let all3 = json_capped(&[&a, &b, &c]);
    let merged = json_capped(&["merge", &pc.display().to_string(), &parts[2]]);
    for k in ["totals", "hosts", "scope"] {
        assert_eq!(merged[k], all3[k], "{k}");
    }
    // The rows path (a first pass decides the scope) agrees.
    let csv =
        String::from_utf8(run_capped(&[&a, &b, "--csv", "-", "--status", "4xx"]).stdout).unwrap();
    assert_eq!(csv.lines().count() - 1, 8, "{csv}");
    // The host list folds past --max-hosts, with exact totals.
    let folded = json_capped(&[&a, &b, "--max-hosts", "2"]);
    assert_eq!(folded["hosts"].as_array().unwrap().len(), 2);
    assert_eq!(folded["hosts"][0]["host"], API);
    assert_eq!(folded["hosts_fold"]["distinct"], 7);
    assert_eq!(folded["hosts_fold"]["others"], 5);
    assert_eq!(folded["hosts_fold"]["responses"], 5);
}
