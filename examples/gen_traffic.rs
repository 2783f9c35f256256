//! Deterministic generator of realistic Tape API traffic, for benchmarks and
//! soak tests. No network, no randomness beyond the seed: the same arguments
//! give the same bytes.
//!
//! ```text
//! cargo run --release --example gen_traffic -- --format jsonl|har --size-mib N --seed S [--profile P] [--out PATH]
//! ```
//!
//! Writes JSON lines (about 1 KiB per record, `response_body` a JSON-encoded
//! string) or one HAR 1.2 document (a few KiB per entry), streaming, until the
//! output reaches `--size-mib` MiB (the last record or entry is finished and
//! the HAR document closed). About 30% of API responses are errors, mostly
//! documented envelopes, plus undocumented codes, documented codes under the
//! wrong status, both spellings of the 429 code and malformed bodies.
//!
//! `--profile` picks the size mix of the JSON lines (`default` is the above):
//! `access` writes short access-log lines of 200 to 400 bytes with no
//! bodies at all; `bodies` writes body-heavy records of 2 to 8 KiB (success
//! bodies sized to fill the record, error records carrying a `stack` trace).
//! The HAR format has the default profile only.
//!
//! `--cardinality paths|codes|clients|span|all --records N` writes N compact
//! JSON lines (about 250 bytes each) with one unbounded dimension instead:
//! every path unique but not id-like (`/search/<words>`), every
//! `error_code` unique, every request a distinct `Authorization`,
//! timestamps spread over 10 years, or all of these at once (the stress
//! cardinality cases of `bench/stress`).
//!
//! `--format jsonl --records N` (instead of `--size-mib`) writes exactly N
//! records of the profile, their timestamps spread over one day as with
//! `--size-mib` (the `baseline` case of `bench/stress`).
//!
//! Nothing but the traffic goes to stdout. A summary line goes to stderr:
//! `gen_traffic: records=N bytes=B` (`records` counts JSON lines or HAR
//! entries, i.e. what `tape-audit` reports as `totals.records`).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

const MIB: u64 = 1 << 20;

// ---------------------------------------------------------------------------
// PRNG: splitmix64.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    /// True with probability `permille`/1000.
    fn chance(&mut self, permille: u64) -> bool {
        self.below(1000) < permille
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// Picks by weight: `items` are (weight, value).
    fn weighted<T: Copy>(&mut self, items: &[(u32, T)]) -> T {
        let total: u64 = items.iter().map(|i| i.0 as u64).sum();
        let mut r = self.below(total);
        for &(w, v) in items {
            if r < w as u64 {
                return v;
            }
            r -= w as u64;
        }
        items[items.len() - 1].1
    }
}

// ---------------------------------------------------------------------------
// Arguments.

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Jsonl,
    Har,
}

/// The size mix of the JSON lines (`--profile`).
#[derive(Clone, Copy, PartialEq)]
enum Profile {
    /// About 1 KiB a record, bodies of tens of bytes to 40 KiB.
    Default,
    /// Access-log lines of 200 to 400 bytes, no bodies.
    Access,
    /// Records of 2 to 8 KiB, mostly body.
    Bodies,
}

struct Args {
    format: Format,
    profile: Profile,
    size: u64,
    seed: u64,
    out: Option<String>,
    /// `--cardinality CASE --records N`.
    cardinality: Option<(Case, u64)>,
    /// `--format jsonl --records N`: that many records instead of `size` bytes.
    records: Option<u64>,
}

/// The unbounded dimension of a `--cardinality` case.
#[derive(Clone, Copy, PartialEq)]
enum Case {
    Paths,
    Codes,
    Clients,
    Span,
    All,
}

const USAGE: &str = "usage: gen_traffic --format jsonl|har --size-mib N --seed S [--profile default|access|bodies] [--out PATH]\n       gen_traffic --format jsonl --records N --seed S [--profile default|access|bodies] [--out PATH]\n       gen_traffic --cardinality paths|codes|clients|span|all --records N [--seed S] [--out PATH]";

fn parse_args() -> Result<Args, String> {
    let mut format = None;
    let mut profile = Profile::Default;
    let mut size = None;
    let mut seed = 1u64;
    let mut out = None;
    let mut case = None;
    let mut records = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        if key == "-h" || key == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let mut val = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{key} needs a value"))
        };
        match key.as_str() {
            "--format" => {
                format = Some(match val()?.as_str() {
                    "jsonl" => Format::Jsonl,
                    "har" => Format::Har,
                    f => return Err(format!("unknown format `{f}` (jsonl or har)")),
                })
            }
            "--profile" => {
                profile = match val()?.as_str() {
                    "default" => Profile::Default,
                    "access" => Profile::Access,
                    "bodies" => Profile::Bodies,
                    p => return Err(format!("unknown profile `{p}` (default, access or bodies)")),
                }
            }
            "--size-mib" => {
                let v = val()?;
                let mib: f64 = v
                    .parse()
                    .ok()
                    .filter(|m: &f64| m.is_finite() && *m > 0.0)
                    .ok_or_else(|| format!("--size-mib: `{v}` is not a positive number"))?;
                size = Some((mib * MIB as f64) as u64);
            }
            "--seed" => {
                let v = val()?;
                seed = v
                    .parse()
                    .map_err(|_| format!("--seed: `{v}` is not an unsigned integer"))?
            }
            "--out" | "-o" => out = Some(val()?),
            "--cardinality" => {
                case = Some(match val()?.as_str() {
                    "paths" => Case::Paths,
                    "codes" => Case::Codes,
                    "clients" => Case::Clients,
                    "span" => Case::Span,
                    "all" => Case::All,
                    c => {
                        return Err(format!(
                            "unknown case `{c}` (paths, codes, clients, span or all)"
                        ))
                    }
                })
            }
            "--records" => {
                let v = val()?;
                records = Some(
                    v.parse::<u64>()
                        .map_err(|_| format!("--records: `{v}` is not an unsigned integer"))?,
                );
            }
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    if let Some(case) = case {
        if profile != Profile::Default {
            return Err("--profile does not apply to --cardinality".into());
        }
        return Ok(Args {
            format: Format::Jsonl,
            profile,
            size: 0,
            seed,
            out,
            cardinality: Some((case, records.ok_or("--cardinality needs --records")?)),
            records: None,
        });
    }
    let format = format.ok_or("--format is required")?;
    if format == Format::Har && profile != Profile::Default {
        return Err("--profile access|bodies applies to --format jsonl only".into());
    }
    if let Some(n) = records {
        if format != Format::Jsonl {
            return Err("--records applies to --format jsonl (or --cardinality) only".into());
        }
        if size.is_some() {
            return Err("give --size-mib or --records, not both".into());
        }
        return Ok(Args {
            format,
            profile,
            size: 0,
            seed,
            out,
            cardinality: None,
            records: Some(n),
        });
    }
    Ok(Args {
        format,
        profile,
        size: size.ok_or("--size-mib (or --records) is required")?.max(1),
        seed,
        out,
        cardinality: None,
        records: None,
    })
}

// ---------------------------------------------------------------------------
// Small writers.

/// Appends `s` as a JSON string literal (quotes included).
fn js(buf: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *buf, s).expect("writing to a Vec cannot fail");
}

fn num(buf: &mut Vec<u8>, n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut n = n;
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Appends `tenths / 10` with one decimal.
fn dec1(buf: &mut Vec<u8>, tenths: u64) {
    num(buf, tenths / 10);
    buf.push(b'.');
    buf.push(b'0' + (tenths % 10) as u8);
}

fn hex(out: &mut String, rng: &mut Rng, n: usize) {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut r = 0u64;
    for i in 0..n {
        if i % 16 == 0 {
            r = rng.next();
        }
        out.push(H[(r & 15) as usize] as char);
        r >>= 4;
    }
}

fn alnum(out: &mut String, rng: &mut Rng, n: usize) {
    const A: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for _ in 0..n {
        out.push(A[rng.below(62) as usize] as char);
    }
}

fn base64(out: &mut String, data: &[u8]) {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
}

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// RFC 3339 UTC with milliseconds, e.g. `2024-06-11T09:00:05.123Z`.
fn rfc3339(out: &mut String, ms: i64) {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, mo, d) = civil(days);
    let _ = write!(
        out,
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    );
}

// ---------------------------------------------------------------------------
// Vocabulary.

const WORDS: &[&str] = &[
    "alpha",
    "launch",
    "review",
    "invoice",
    "customer",
    "onboarding",
    "sprint",
    "design",
    "budget",
    "contract",
    "renewal",
    "pipeline",
    "lead",
    "campaign",
    "roadmap",
    "feedback",
    "support",
    "ticket",
    "release",
    "migration",
    "audit",
    "report",
    "quarterly",
    "vendor",
    "hiring",
    "candidate",
    "interview",
    "offer",
    "project",
    "milestone",
    "task",
    "meeting",
];
const NAMES: &[&str] = &[
    "Anna Schmidt",
    "Jonas Weber",
    "Mia Fischer",
    "Lukas Meyer",
    "Lea Wagner",
    "Paul Becker",
    "Emma Hoffmann",
    "Noah Koch",
    "Sofia Richter",
    "Elias Klein",
    "Ida Wolf",
    "Ben Neumann",
];
const CATEGORIES: &[(&str, &str)] = &[
    ("Open", "blue"),
    ("In progress", "yellow"),
    ("Blocked", "red"),
    ("Done", "green"),
    ("Archived", "gray"),
];
const FIELDS: &[(&str, &str, &str)] = &[
    ("title", "Title", "single_text"),
    ("status", "Status", "single_category"),
    ("due_date", "Due date", "date"),
    ("amount", "Amount", "number"),
    ("owner", "Owner", "user"),
    ("notes", "Notes", "text"),
    ("email", "Email", "email"),
    ("priority", "Priority", "single_category"),
];
const USER_AGENTS: &[&str] = &[
    "python-requests/2.31.0",
    "tape-sync/3.4.1 (+https://example.com/tape-sync) python-httpx/0.27.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Zapier-Integration/1.0 node-fetch/3.3.2",
    "n8n/1.42.1 axios/1.6.8",
];
const HOSTS: &[&str] = &["worker-1", "worker-2", "worker-3", "cron-7f9c", "web-5d2a"];
const LOREM: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod \
tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud \
exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. ";

// ---------------------------------------------------------------------------
// One generated exchange, shared by both output formats.

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A Tape API request.
    Api,
    /// Third-party or static traffic captured by a browser (HAR only).
    Other,
    /// No response at all (HAR status 0 with `_error`).
    Failed,
}

struct Ex {
    kind: Kind,
    method: &'static str,
    url: String,
    path_end: usize, // url[..path_end] has no query string
    query: Vec<(&'static str, String)>,
    status: u16,
    mime: &'static str,
    has_body: bool,
    body: String,
    base64: bool,
    rate_limited: bool,
    req_body: Option<String>,
    net_error: &'static str,
}

impl Ex {
    fn new() -> Ex {
        Ex {
            kind: Kind::Api,
            method: "GET",
            url: String::with_capacity(128),
            path_end: 0,
            query: Vec::new(),
            status: 200,
            mime: "application/json",
            has_body: true,
            body: String::with_capacity(64 << 10),
            base64: false,
            rate_limited: false,
            req_body: None,
            net_error: "",
        }
    }

    fn path(&self) -> &str {
        let p = &self.url[..self.path_end];
        p.find("/v1/").map_or(p, |i| &p[i..])
    }
}

fn status_text(s: u16) -> &'static str {
    match s {
        0 => "",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

struct Gen {
    rng: Rng,
    har: bool,
    /// The size of success bodies, when the profile fixes it (`bodies`);
    /// else drawn from the default mix.
    body_target: Option<usize>,
    ex: Ex,
    scratch: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Endpoint {
    Record,
    App,
    RecordsOfApp,
    Filter,
    WorkspaceApps,
}

impl Gen {
    fn exchange(&mut self) {
        let ex = &mut self.ex;
        ex.url.clear();
        ex.query.clear();
        ex.body.clear();
        ex.has_body = true;
        ex.base64 = false;
        ex.rate_limited = false;
        ex.req_body = None;
        ex.net_error = "";
        ex.kind = if self.har {
            self.rng
                .weighted(&[(910, Kind::Api), (80, Kind::Other), (10, Kind::Failed)])
        } else {
            Kind::Api
        };
        if ex.kind == Kind::Other {
            self.other();
            return;
        }
        self.api_request();
        let ex = &mut self.ex;
        if ex.kind == Kind::Failed {
            ex.status = 0;
            ex.mime = "x-unknown";
            ex.has_body = false;
            ex.net_error = *self.rng.pick(&[
                "net::ERR_CONNECTION_RESET",
                "net::ERR_INTERNET_DISCONNECTED",
                "net::ERR_TIMED_OUT",
                "net::ERR_FAILED",
            ]);
            return;
        }
        if self.rng.chance(300) {
            self.error_response();
        } else {
            self.success_response();
        }
        // A few captures keep bodies base64-encoded.
        if self.har && self.ex.has_body && !self.ex.body.is_empty() && self.rng.chance(30) {
            let raw = std::mem::take(&mut self.ex.body);
            base64(&mut self.ex.body, raw.as_bytes());
            self.ex.base64 = true;
        }
        // Some JSON-lines records do not log the body at all; browsers
        // sometimes drop a body from a capture.
        if self.rng.chance(if self.har { 5 } else { 40 }) {
            self.ex.has_body = false;
        }
    }

    fn api_request(&mut self) {
        let r = &mut self.rng;
        let (ep, method) = r.weighted(&[
            (35, (Endpoint::Record, "GET")),
            (8, (Endpoint::Record, "PUT")),
            (4, (Endpoint::Record, "DELETE")),
            (10, (Endpoint::App, "GET")),
            (10, (Endpoint::RecordsOfApp, "GET")),
            (8, (Endpoint::RecordsOfApp, "POST")),
            (18, (Endpoint::Filter, "POST")),
            (7, (Endpoint::WorkspaceApps, "GET")),
        ]);
        let ex = &mut self.ex;
        ex.method = method;
        ex.url.push_str("https://api.tapeapp.com");
        let _ = match ep {
            Endpoint::Record => write!(ex.url, "/v1/record/{}", r.range(1, 9_999_999)),
            Endpoint::App => write!(ex.url, "/v1/app/{}", r.range(1, 99_999)),
            Endpoint::RecordsOfApp => write!(ex.url, "/v1/record/app/{}", r.range(1, 99_999)),
            Endpoint::Filter => write!(ex.url, "/v1/record/app/{}/filter", r.range(1, 99_999)),
            Endpoint::WorkspaceApps => write!(ex.url, "/v1/workspace/{}/apps", r.range(1, 9_999)),
        };
        ex.path_end = ex.url.len();
        if matches!(ep, Endpoint::RecordsOfApp | Endpoint::Filter) && method != "POST"
            || matches!(ep, Endpoint::Filter) && r.chance(400)
        {
            ex.query
                .push(("limit", r.pick(&["20", "50", "100"]).to_string()));
            if r.chance(500) {
                let mut c = String::new();
                alnum(&mut c, r, 24);
                ex.query.push(("cursor", c));
            }
            for (i, (k, v)) in ex.query.iter().enumerate() {
                ex.url.push(if i == 0 { '?' } else { '&' });
                ex.url.push_str(k);
                ex.url.push('=');
                ex.url.push_str(v);
            }
        }
        if matches!(method, "POST" | "PUT") {
            let mut b = String::from("{");
            if matches!(ep, Endpoint::Filter) {
                let _ = write!(
                    b,
                    "\"filters\":[{{\"field_id\":{},\"type\":\"text\",\"match_type\":\"contains\",\"values\":[\"{}\"]}}],\"limit\":50",
                    r.range(1, 999_999),
                    r.pick(WORDS)
                );
            } else {
                let _ = write!(
                    b,
                    "\"fields\":{{\"title\":\"{} {}\",\"status\":[{}],\"amount\":{}}}",
                    r.pick(WORDS),
                    r.pick(WORDS),
                    r.range(1, 5),
                    r.range(0, 100_000)
                );
            }
            b.push('}');
            ex.req_body = Some(b);
        }
    }

    fn success_response(&mut self) {
        let fixed = self.body_target;
        let r = &mut self.rng;
        let ex = &mut self.ex;
        ex.mime = "application/json";
        if ex.method == "DELETE" && r.chance(500) {
            ex.status = 204;
            ex.body.clear();
            ex.has_body = false;
            return;
        }
        ex.status = if ex.method == "POST" && !ex.url.contains("/filter") {
            201
        } else {
            200
        };
        // Rarely, an error envelope under a success status.
        if r.chance(3) {
            let path = ex.path().to_string();
            let _ = write!(ex.body, "{{\"status_code\":{},\"endpoint\":", ex.status);
            json_str(&mut ex.body, &path);
            ex.body.push_str(
                ",\"error_code\":\"validation_error\",\"error_message\":\"Validation failed.\"}",
            );
            return;
        }
        // Mostly small bodies, a long tail up to tens of KiB.
        let target = match fixed {
            Some(t) => t,
            None => {
                let t = r.weighted(&[
                    (560, (20, 120)),
                    (350, (200, 800)),
                    (82, (1000, 3000)),
                    (8, (8000, 40000)),
                ]);
                r.range(t.0, t.1) as usize
            }
        };
        let path = ex.url[..ex.path_end].to_string();
        let b = &mut ex.body;
        if path.contains("/filter") || path.contains("/record/app/") && ex.method == "GET" {
            let _ = write!(b, "{{\"total\":{},\"records\":[", r.range(0, 5000));
            let mut first = true;
            while b.len() < target {
                if !first {
                    b.push(',');
                }
                first = false;
                let id = r.range(1, 9_999_999);
                record(b, r, id, 1);
            }
            let _ = write!(b, "],\"cursor\":\"");
            alnum(b, r, 24);
            b.push_str("\"}");
        } else if path.contains("/workspace/") {
            b.push_str("{\"apps\":[");
            let mut first = true;
            while b.len() < target {
                if !first {
                    b.push(',');
                }
                first = false;
                let _ = write!(
                    b,
                    "{{\"app_id\":{},\"name\":\"{} {}\",\"slug\":\"{}\",\"icon\":\"{}\"}}",
                    r.range(1, 99_999),
                    r.pick(WORDS),
                    r.pick(WORDS),
                    r.pick(WORDS),
                    r.pick(&["star", "folder", "rocket", "briefcase"])
                );
            }
            b.push_str("]}");
        } else if path.contains("/app/") {
            let _ = write!(
                b,
                "{{\"app_id\":{},\"workspace_id\":{},\"name\":\"{}\",\"record_name\":\"{}\",\"fields\":[",
                r.range(1, 99_999),
                r.range(1, 9_999),
                r.pick(WORDS),
                r.pick(WORDS)
            );
            let mut first = true;
            while b.len() < target {
                if !first {
                    b.push(',');
                }
                first = false;
                let (ext, label, ty) = r.pick(FIELDS);
                let _ = write!(
                    b,
                    "{{\"field_id\":{},\"external_id\":\"{ext}\",\"label\":\"{label}\",\"type\":\"{ty}\",\"config\":{{\"required\":{},\"description\":\"\"}}}}",
                    r.range(1, 999_999),
                    r.chance(300)
                );
            }
            b.push_str("]}");
        } else {
            let id = ex.url[..ex.path_end]
                .rsplit('/')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            let n = if target < 200 {
                0
            } else {
                1 + (target - 200) / 180
            };
            record(b, r, id, n as u64);
        }
    }

    fn error_response(&mut self) {
        let r = &mut self.rng;
        let ex = &mut self.ex;
        ex.mime = "application/json";
        let status: u16 = r.weighted(&[
            (24, 400),
            (10, 401),
            (10, 403),
            (22, 404),
            (6, 409),
            (12, 429),
            (11, 500),
            (3, 502),
            (2, 503),
        ]);
        ex.status = status;
        ex.rate_limited = status == 429;
        if matches!(status, 502 | 503) {
            // Gateways answer with their own pages, or nothing.
            if r.chance(700) {
                html_page(ex, status);
            } else {
                ex.mime = "text/plain";
            }
            return;
        }
        let (mut code, msg): (&str, String) = match status {
            400 => match r.below(10) {
                0..=1 => (
                    "invalid_json",
                    format!(
                        "Unexpected token }} in JSON at position {}",
                        r.range(1, 400)
                    ),
                ),
                2 => (
                    "invalid_request_url",
                    format!("Invalid request URL: {}", ex.path()),
                ),
                3 => ("invalid_request", "This request is not supported.".into()),
                4 => (
                    "field_type_mismatch",
                    format!(
                        "Field '{}' expects a value of another type.",
                        r.pick(FIELDS).0
                    ),
                ),
                _ => ("validation_error", "Validation failed.".into()),
            },
            401 => ("unauthorized", "The bearer token is not valid.".into()),
            403 => (
                "restricted_resource",
                format!(
                    "You are not allowed to access this resource ({}).",
                    ex.path()
                ),
            ),
            404 => {
                let id = ex.url[..ex.path_end]
                    .rsplit('/')
                    .find(|s| s.parse::<u64>().is_ok())
                    .unwrap_or("0")
                    .to_string();
                if ex.url.contains("/v1/record/") && r.chance(150) {
                    ("record_not_exists", format!("Record does not exist({id})!"))
                } else if ex.url.contains("/v1/record/") {
                    ("not_found", format!("Record does not exist({id})!"))
                } else {
                    ("not_found", format!("Resource does not exist({id})!"))
                }
            }
            409 => {
                if r.chance(150) {
                    (
                        "not_found",
                        "The referenced record does not exist anymore.".into(),
                    )
                } else {
                    (
                        "conflict_error",
                        "The record was changed by another request. Please retry.".into(),
                    )
                }
            }
            429 => (
                if r.chance(500) {
                    "too_many_requets"
                } else {
                    "too_many_requests"
                },
                "Rate limit exceeded. Slow down and try again.".into(),
            ),
            _ => (
                "internal_server_error",
                "An unexpected error occurred. Reach out to Tape support.".into(),
            ),
        };
        // Malformed bodies, about one error in ten.
        let malformed = r.weighted(&[
            (900, 0u8),
            (25, 1), // HTML error page
            (20, 2), // empty body
            (25, 3), // missing error_message
            (20, 4), // truncated JSON
            (10, 5), // numeric error_code
        ]);
        match malformed {
            1 => return html_page(ex, status),
            2 => {
                ex.mime = if r.chance(500) {
                    "application/json"
                } else {
                    "text/plain"
                };
                return;
            }
            _ => {}
        }
        let path = ex.path().to_string();
        // A code under the wrong status sometimes keeps its own status_code.
        let body_status = if status == 409 && code == "not_found" && r.chance(500) {
            404
        } else {
            status
        };
        // A few JSON error bodies are labelled as HTML by a proxy.
        if r.chance(15) {
            ex.mime = "text/html";
        }
        let b = &mut ex.body;
        let _ = write!(b, "{{\"status_code\":{body_status},\"endpoint\":");
        json_str(b, &path);
        b.push_str(",\"error_code\":");
        if malformed == 5 {
            let _ = write!(b, "{status}");
            code = "";
        } else {
            json_str(b, code);
        }
        if malformed != 3 {
            b.push_str(",\"error_message\":");
            json_str(b, &msg);
        }
        if code == "validation_error" {
            let (ext, _, ty) = r.pick(FIELDS);
            let _ = write!(
                b,
                ",\"message\":\"\\\"fields.{ext}\\\" must be a valid {ty} value\""
            );
        }
        b.push('}');
        if malformed == 4 {
            let cut = r.range(1, b.len() as u64 - 1) as usize;
            b.truncate(cut);
        }
    }

    fn other(&mut self) {
        let r = &mut self.rng;
        let ex = &mut self.ex;
        ex.method = "GET";
        let kind = r.below(5);
        let _ = match kind {
            0 => write!(
                ex.url,
                "https://cdn.jsdelivr.net/npm/chart.js@4.4.{}/dist/chart.umd.min.js",
                r.below(9)
            ),
            1 => write!(
                ex.url,
                "https://app.tapeapp.com/static/css/main.{:08x}.css",
                r.next() as u32
            ),
            2 => write!(
                ex.url,
                "https://images.tapeapp.com/avatars/{}.png",
                r.range(1, 99_999)
            ),
            3 => write!(
                ex.url,
                "https://fonts.gstatic.com/s/inter/v13/UcC73Fw{:06x}.woff2",
                r.next() as u32 & 0xFFFFFF
            ),
            _ => write!(
                ex.url,
                "https://www.google-analytics.com/g/collect?v=2&tid=G-{:08X}",
                r.next() as u32
            ),
        };
        ex.path_end = ex.url.find('?').unwrap_or(ex.url.len());
        ex.status = if r.chance(50) { 304 } else { 200 };
        match kind {
            0 | 1 => {
                ex.mime = if kind == 0 {
                    "application/javascript"
                } else {
                    "text/css"
                };
                let target = r.range(500, 6000) as usize;
                while ex.body.len() < target {
                    if kind == 0 {
                        let _ = writeln!(
                            ex.body,
                            "function {}_{}(t){{return t&&t.{}?\"{}\":null}};",
                            r.pick(WORDS),
                            r.below(999),
                            r.pick(WORDS),
                            r.pick(WORDS)
                        );
                    } else {
                        let _ = writeln!(
                            ex.body,
                            ".{}-{}{{margin:{}px;color:#{:06x}}}",
                            r.pick(WORDS),
                            r.below(99),
                            r.below(32),
                            r.next() as u32 & 0xFFFFFF
                        );
                    }
                }
            }
            2 | 3 => {
                ex.mime = if kind == 2 { "image/png" } else { "font/woff2" };
                let n = r.range(200, 3000) as usize;
                let bytes: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
                base64(&mut ex.body, &bytes);
                ex.base64 = true;
            }
            _ => {
                ex.status = 204;
                ex.mime = "text/plain";
                ex.has_body = false;
            }
        }
        if ex.status == 304 {
            ex.body.clear();
            ex.base64 = false;
        }
    }
}

/// Appends a JSON string literal to a `String`.
fn json_str(b: &mut String, s: &str) {
    b.push_str(&serde_json::to_string(s).expect("a string serializes"));
}

fn html_page(ex: &mut Ex, status: u16) {
    ex.mime = "text/html";
    let t = status_text(status);
    let _ = write!(
        ex.body,
        "<!DOCTYPE html>\n<html><head><title>{status} {t}</title></head>\n<body>\n<center><h1>{status} {t}</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n"
    );
}

/// A Tape record with `n` extra fields.
fn record(b: &mut String, r: &mut Rng, id: u64, n: u64) {
    let _ = write!(
        b,
        "{{\"record_id\":{id},\"app_id\":{},\"title\":\"{} {}\"",
        r.range(1, 99_999),
        r.pick(WORDS),
        r.pick(WORDS)
    );
    if n == 0 {
        b.push('}');
        return;
    }
    let _ = write!(b, ",\"created_on\":\"2024-0{}-{:02} 1{}:{:02}:00\",\"created_by\":{{\"user_id\":{},\"name\":\"{}\"}},\"fields\":[",
        r.range(1, 5), r.range(1, 28), r.below(10), r.below(60), r.range(1, 9_999), r.pick(NAMES));
    for i in 0..n {
        if i > 0 {
            b.push(',');
        }
        let (ext, label, ty) = r.pick(FIELDS);
        let _ = write!(b, "{{\"field_id\":{},\"external_id\":\"{ext}\",\"label\":\"{label}\",\"type\":\"{ty}\",\"values\":[", r.range(1, 999_999));
        match *ty {
            "single_category" => {
                let (text, color) = r.pick(CATEGORIES);
                let _ = write!(
                    b,
                    "{{\"value\":{{\"id\":{},\"text\":\"{text}\",\"color\":\"{color}\"}}}}",
                    r.range(1, 5)
                );
            }
            "date" => {
                let _ = write!(
                    b,
                    "{{\"start\":\"2024-{:02}-{:02}\",\"start_date\":\"2024-{:02}-{:02}\"}}",
                    r.range(1, 12),
                    r.range(1, 28),
                    r.range(1, 12),
                    r.range(1, 28)
                );
            }
            "number" => {
                let _ = write!(b, "{{\"value\":{}.{:02}}}", r.below(100_000), r.below(100));
            }
            "user" => {
                let _ = write!(
                    b,
                    "{{\"value\":{{\"user_id\":{},\"name\":\"{}\"}}}}",
                    r.range(1, 9_999),
                    r.pick(NAMES)
                );
            }
            "text" => {
                let len = r.range(20, 160) as usize;
                let start = r.below((LOREM.len() - len) as u64) as usize;
                let _ = write!(b, "{{\"value\":\"<p>{}</p>\"}}", &LOREM[start..start + len]);
            }
            "email" => {
                let _ = write!(
                    b,
                    "{{\"value\":\"{}.{}@example.com\",\"type\":\"work\"}}",
                    r.pick(WORDS),
                    r.below(1000)
                );
            }
            _ => {
                let _ = write!(b, "{{\"value\":\"{} {}\"}}", r.pick(WORDS), r.pick(WORDS));
            }
        }
        b.push_str("]}");
    }
    b.push_str("]}");
}

// ---------------------------------------------------------------------------
// Output formats.

/// Timestamps increasing through one day (2024-06-11 UTC): the share of the
/// day follows the share of the output written, plus jitter.
struct Clock {
    start: i64,
    last: i64,
    size: u64,
    written: u64,
}

impl Clock {
    fn new(size: u64) -> Clock {
        Clock {
            start: 1_718_064_000_000,
            last: 1_718_064_000_000,
            size,
            written: 0,
        }
    }
    fn tick(&mut self, r: &mut Rng) -> i64 {
        let day = 86_399_000u128;
        let at = (self.written.min(self.size) as u128 * day / self.size as u128) as i64;
        let t = (self.start + at + r.below(500) as i64).max(self.last);
        self.last = t;
        t
    }
}

fn jsonl_record(g: &mut Gen, clock: &mut Clock, buf: &mut Vec<u8>) {
    g.exchange();
    let t = clock.tick(&mut g.rng);
    let r = &mut g.rng;
    let ex = &g.ex;
    let mut s = String::with_capacity(64);
    buf.extend_from_slice(b"{\"time\":\"");
    rfc3339(&mut s, t);
    buf.extend_from_slice(s.as_bytes());
    let level = match ex.status {
        500.. => "error",
        400.. => "warning",
        _ => "info",
    };
    buf.extend_from_slice(b"\",\"level\":\"");
    buf.extend_from_slice(level.as_bytes());
    buf.extend_from_slice(b"\",\"logger\":\"tape_sync.http\",\"msg\":");
    s.clear();
    let _ = write!(s, "{} {} -> {}", ex.method, ex.path(), ex.status);
    js(buf, &s);
    buf.extend_from_slice(b",\"method\":\"");
    buf.extend_from_slice(ex.method.as_bytes());
    buf.extend_from_slice(b"\",\"url\":");
    js(buf, &ex.url);
    buf.extend_from_slice(b",\"status\":");
    num(buf, ex.status as u64);
    buf.extend_from_slice(b",\"duration_ms\":");
    dec1(
        buf,
        r.range(20, if ex.status == 500 { 300_000 } else { 9_000 }),
    );
    buf.extend_from_slice(b",\"request_id\":\"");
    s.clear();
    hex(&mut s, r, 32);
    buf.extend_from_slice(s.as_bytes());
    buf.extend_from_slice(b"\",\"host\":\"");
    buf.extend_from_slice(r.pick(HOSTS).as_bytes());
    buf.extend_from_slice(b"\",\"pid\":");
    num(buf, r.range(100, 65_000));
    buf.extend_from_slice(b",\"user_agent\":");
    let ua = *r.pick(USER_AGENTS);
    js(buf, ua);
    buf.extend_from_slice(b",\"response_headers\":{\"content-type\":");
    js(buf, ex.mime);
    buf.extend_from_slice(
        b",\"server\":\"nginx\",\"x-ratelimit-limit\":\"600\",\"x-ratelimit-remaining\":\"",
    );
    num(buf, if ex.rate_limited { 0 } else { r.range(1, 599) });
    buf.extend_from_slice(b"\"}");
    if let Some(req) = &ex.req_body {
        buf.extend_from_slice(b",\"request_body\":");
        js(buf, req);
    }
    if ex.has_body {
        buf.extend_from_slice(b",\"response_body\":");
        js(buf, &ex.body);
    }
    buf.extend_from_slice(b"}\n");
}

/// A `bodies` record: its size is drawn first (2 to 8 KiB), success bodies
/// are sized to fill it, and a record still short of it (an error, a body
/// left out) carries a `stack` trace that fills it.
fn bodies_record(g: &mut Gen, clock: &mut Clock, buf: &mut Vec<u8>) {
    // A stack frame can go past the size by one line (under 90 bytes).
    let size = g.rng.range(2048, 8100) as usize;
    // About 700 bytes of members besides the body; escaping a JSON body
    // as a string makes it about a fifth longer.
    g.body_target = Some((size.saturating_sub(700) * 3 / 4).max(100));
    jsonl_record(g, clock, buf);
    // `,"stack":""` and the closing `}\n` take 13 bytes.
    if buf.len() + 13 < size {
        buf.truncate(buf.len() - 2);
        let room = size - buf.len() - 13;
        let mut s = String::from("Traceback (most recent call last):\n");
        // Each line escapes its two quotes and its newline.
        let mut escapes = 1;
        while s.len() + escapes < room {
            let _ = writeln!(
                s,
                "  File \"/app/tape_sync/{}.py\", line {}, in {}_{}",
                g.rng.pick(WORDS),
                g.rng.range(10, 900),
                g.rng.pick(WORDS),
                g.rng.pick(WORDS)
            );
            escapes += 3;
        }
        buf.extend_from_slice(b",\"stack\":");
        js(buf, &s);
        buf.extend_from_slice(b"}\n");
    }
}

/// An `access` record: a short access-log line (200 to 400 bytes), no body.
fn access_record(g: &mut Gen, clock: &mut Clock, buf: &mut Vec<u8>) {
    g.exchange();
    let t = clock.tick(&mut g.rng);
    let r = &mut g.rng;
    let ex = &g.ex;
    let mut s = String::with_capacity(64);
    buf.extend_from_slice(b"{\"time\":\"");
    rfc3339(&mut s, t);
    buf.extend_from_slice(s.as_bytes());
    buf.extend_from_slice(b"\",\"remote_addr\":\"10.");
    for i in 0..3 {
        if i > 0 {
            buf.push(b'.');
        }
        num(buf, r.below(256));
    }
    buf.extend_from_slice(b"\",\"method\":\"");
    buf.extend_from_slice(ex.method.as_bytes());
    buf.extend_from_slice(b"\",\"url\":");
    js(buf, &ex.url);
    buf.extend_from_slice(b",\"status\":");
    num(buf, ex.status as u64);
    buf.extend_from_slice(b",\"bytes\":");
    num(buf, if ex.has_body { ex.body.len() as u64 } else { 0 });
    buf.extend_from_slice(b",\"duration_ms\":");
    dec1(
        buf,
        r.range(20, if ex.status == 500 { 300_000 } else { 9_000 }),
    );
    buf.extend_from_slice(b",\"request_id\":\"");
    s.clear();
    hex(&mut s, r, 16);
    buf.extend_from_slice(s.as_bytes());
    buf.extend_from_slice(b"\",\"user_agent\":");
    let ua = *r.pick(USER_AGENTS);
    js(buf, ua);
    buf.extend_from_slice(b"}\n");
}

fn har_header(buf: &mut Vec<u8>, pages: u64) {
    buf.extend_from_slice(b"{\"log\":{\n  \"version\":\"1.2\",\n  \"creator\":{\"name\":\"WebInspector\",\"version\":\"537.36\"},\n  \"browser\":{\"name\":\"Chrome\",\"version\":\"124.0.6367.91\"},\n  \"pages\":[");
    for p in 0..pages {
        if p > 0 {
            buf.push(b',');
        }
        let mut s = String::new();
        rfc3339(&mut s, 1_718_064_000_000 + p as i64 * 3_600_000);
        let _ = write!(
            buf,
            "\n    {{\"startedDateTime\":\"{s}\",\"id\":\"page_{}\",\"title\":\"https://app.tapeapp.com/workspace/{}\",\"pageTimings\":{{\"onContentLoad\":{}.5,\"onLoad\":{}.2}}}}",
            p + 1,
            p + 11,
            800 + p * 37 % 400,
            1500 + p * 53 % 900
        );
    }
    buf.extend_from_slice(b"\n  ],\n  \"entries\":[\n");
}

fn har_header_pair(buf: &mut Vec<u8>, first: &mut bool, name: &str, value: &str) {
    if !*first {
        buf.push(b',');
    }
    *first = false;
    buf.extend_from_slice(b"{\"name\":");
    js(buf, name);
    buf.extend_from_slice(b",\"value\":");
    js(buf, value);
    buf.push(b'}');
}

fn har_entry(g: &mut Gen, clock: &mut Clock, pages: u64, buf: &mut Vec<u8>) {
    g.exchange();
    let t = clock.tick(&mut g.rng);
    let r = &mut g.rng;
    let ex = &g.ex;
    let mut s = String::with_capacity(256);
    let failed = ex.kind == Kind::Failed;
    // Timings (ms, with -1 for phases that did not happen).
    let blocked = r.range(1, 40) as f64 / 10.0 + 0.5;
    let fresh = r.chance(150);
    let (dns, connect, ssl) = if fresh {
        let ssl = r.range(80, 600) as f64 / 10.0;
        (
            r.range(5, 300) as f64 / 10.0,
            ssl + r.range(50, 300) as f64 / 10.0,
            ssl,
        )
    } else {
        (-1.0, -1.0, -1.0)
    };
    let send = r.range(1, 9) as f64 / 10.0;
    let wait = if failed {
        0.0
    } else {
        r.range(200, 20_000) as f64 / 10.0
    };
    let receive = if failed {
        0.0
    } else {
        r.range(1, 400) as f64 / 10.0
    };
    let total = blocked + dns.max(0.0) + connect.max(0.0) + send + wait + receive;

    buf.extend_from_slice(
        b"    {\"_initiator\":{\"type\":\"script\"},\"_priority\":\"High\",\"_resourceType\":",
    );
    js(
        buf,
        if ex.kind == Kind::Other {
            "other"
        } else {
            "fetch"
        },
    );
    buf.extend_from_slice(b",\"cache\":{},\"connection\":\"");
    num(buf, r.range(10_000, 999_999));
    buf.extend_from_slice(b"\",\"pageref\":\"page_");
    num(buf, r.range(1, pages));
    buf.extend_from_slice(b"\",\"request\":{\"method\":\"");
    buf.extend_from_slice(ex.method.as_bytes());
    buf.extend_from_slice(b"\",\"url\":");
    js(buf, &ex.url);
    buf.extend_from_slice(b",\"httpVersion\":\"HTTP/1.1\",\"headers\":[");
    let mut first = true;
    let host = ex.url.split('/').nth(2).unwrap_or("");
    har_header_pair(buf, &mut first, "Host", host);
    har_header_pair(buf, &mut first, "Connection", "keep-alive");
    if ex.kind != Kind::Other {
        s.clear();
        s.push_str("Bearer user_");
        alnum(&mut s, r, 40);
        har_header_pair(buf, &mut first, "Authorization", &s);
        har_header_pair(
            buf,
            &mut first,
            "Accept",
            "application/json, text/plain, */*",
        );
        if ex.req_body.is_some() {
            har_header_pair(buf, &mut first, "Content-Type", "application/json");
        }
    } else {
        har_header_pair(buf, &mut first, "Accept", "*/*");
    }
    har_header_pair(buf, &mut first, "User-Agent", USER_AGENTS[2]);
    har_header_pair(buf, &mut first, "Origin", "https://app.tapeapp.com");
    har_header_pair(buf, &mut first, "Referer", "https://app.tapeapp.com/");
    har_header_pair(
        buf,
        &mut first,
        "Accept-Encoding",
        "gzip, deflate, br, zstd",
    );
    har_header_pair(
        buf,
        &mut first,
        "Accept-Language",
        "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
    );
    har_header_pair(
        buf,
        &mut first,
        "sec-ch-ua",
        "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"",
    );
    har_header_pair(buf, &mut first, "sec-ch-ua-mobile", "?0");
    har_header_pair(buf, &mut first, "sec-ch-ua-platform", "\"Linux\"");
    har_header_pair(buf, &mut first, "Sec-Fetch-Dest", "empty");
    har_header_pair(buf, &mut first, "Sec-Fetch-Mode", "cors");
    har_header_pair(buf, &mut first, "Sec-Fetch-Site", "same-site");
    let ga = format!(
        "GA1.2.{}.{}",
        r.range(100_000_000, 999_999_999),
        r.range(1_600_000_000, 1_718_000_000)
    );
    let mut sess = String::new();
    alnum(&mut sess, r, 32);
    s.clear();
    let _ = write!(s, "_ga={ga}; tape_session={sess}; tape_locale=de");
    har_header_pair(buf, &mut first, "Cookie", &s);
    buf.extend_from_slice(b"],\"queryString\":[");
    for (i, (k, v)) in ex.query.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"name\":");
        js(buf, k);
        buf.extend_from_slice(b",\"value\":");
        js(buf, v);
        buf.push(b'}');
    }
    buf.extend_from_slice(b"],\"cookies\":[{\"name\":\"_ga\",\"value\":");
    js(buf, &ga);
    buf.extend_from_slice(b",\"path\":\"/\",\"domain\":\".tapeapp.com\",\"expires\":\"2025-07-16T09:00:00.000Z\",\"httpOnly\":false,\"secure\":false},{\"name\":\"tape_session\",\"value\":");
    js(buf, &sess);
    buf.extend_from_slice(b",\"path\":\"/\",\"domain\":\".tapeapp.com\",\"expires\":null,\"httpOnly\":true,\"secure\":true}],\"headersSize\":-1,\"bodySize\":");
    match &ex.req_body {
        Some(b) => {
            num(buf, b.len() as u64);
            buf.extend_from_slice(b",\"postData\":{\"mimeType\":\"application/json\",\"text\":");
            js(buf, b);
            buf.push(b'}');
        }
        None => buf.push(b'0'),
    }
    buf.extend_from_slice(b"},\"response\":{\"status\":");
    num(buf, ex.status as u64);
    buf.extend_from_slice(b",\"statusText\":");
    js(buf, status_text(ex.status));
    if failed {
        buf.extend_from_slice(b",\"httpVersion\":\"\",\"headers\":[],\"cookies\":[],\"content\":{\"size\":0,\"mimeType\":\"x-unknown\"},\"redirectURL\":\"\",\"headersSize\":-1,\"bodySize\":-1,\"_transferSize\":0,\"_error\":");
        js(buf, ex.net_error);
    } else {
        buf.extend_from_slice(b",\"httpVersion\":\"HTTP/1.1\",\"headers\":[");
        let mut first = true;
        let ct = match ex.mime {
            "application/json" => "application/json; charset=utf-8",
            "text/html" => "text/html; charset=utf-8",
            m => m,
        };
        s.clear();
        rfc3339(&mut s, t);
        har_header_pair(buf, &mut first, "date", &s);
        if ex.status != 204 && ex.status != 304 {
            har_header_pair(buf, &mut first, "content-type", ct);
        }
        let body_len = if ex.base64 {
            ex.body.len() / 4 * 3
        } else {
            ex.body.len()
        };
        har_header_pair(buf, &mut first, "content-length", &body_len.to_string());
        har_header_pair(
            buf,
            &mut first,
            "server",
            if ex.kind == Kind::Api {
                "nginx"
            } else {
                "cloudflare"
            },
        );
        har_header_pair(
            buf,
            &mut first,
            "access-control-allow-origin",
            "https://app.tapeapp.com",
        );
        har_header_pair(buf, &mut first, "access-control-allow-credentials", "true");
        har_header_pair(buf, &mut first, "vary", "Origin, Accept-Encoding");
        if ex.kind == Kind::Api {
            har_header_pair(buf, &mut first, "cache-control", "no-store");
            har_header_pair(buf, &mut first, "x-ratelimit-limit", "600");
            let rem = if ex.rate_limited { 0 } else { r.range(1, 599) };
            har_header_pair(buf, &mut first, "x-ratelimit-remaining", &rem.to_string());
            if ex.rate_limited {
                har_header_pair(buf, &mut first, "retry-after", &r.range(1, 60).to_string());
            }
            s.clear();
            hex(&mut s, r, 32);
            har_header_pair(buf, &mut first, "x-request-id", &s);
        } else {
            har_header_pair(
                buf,
                &mut first,
                "cache-control",
                "public, max-age=31536000, immutable",
            );
            har_header_pair(buf, &mut first, "cf-cache-status", "HIT");
            har_header_pair(buf, &mut first, "age", &r.range(1, 90_000).to_string());
        }
        har_header_pair(
            buf,
            &mut first,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
        buf.extend_from_slice(b"],\"cookies\":[],\"content\":{\"size\":");
        num(buf, body_len as u64);
        buf.extend_from_slice(b",\"mimeType\":");
        js(buf, ex.mime);
        if ex.has_body {
            if ex.base64 {
                buf.extend_from_slice(b",\"encoding\":\"base64\"");
            }
            buf.extend_from_slice(b",\"text\":");
            js(buf, &ex.body);
        }
        buf.extend_from_slice(b"},\"redirectURL\":\"\",\"headersSize\":-1,\"bodySize\":");
        num(buf, body_len as u64);
        buf.extend_from_slice(b",\"_transferSize\":");
        num(buf, body_len as u64 + 420);
        buf.extend_from_slice(b",\"_error\":null");
    }
    buf.extend_from_slice(b"},\"serverIPAddress\":\"");
    let _ = write!(buf, "104.21.{}.{}", r.below(256), r.below(256));
    buf.extend_from_slice(b"\",\"startedDateTime\":\"");
    s.clear();
    rfc3339(&mut s, t);
    buf.extend_from_slice(s.as_bytes());
    let _ = write!(
        buf,
        "\",\"time\":{total:.3},\"timings\":{{\"blocked\":{blocked:.3},\"dns\":{dns:.3},\"ssl\":{ssl:.3},\"connect\":{connect:.3},\"send\":{send:.3},\"wait\":{wait:.3},\"receive\":{receive:.3},\"_blocked_queueing\":{:.3}}}}}",
        blocked / 2.0
    );
}

/// Counts bytes written through it.
struct Counted<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(b)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Words for `/search/<words>` paths (30 of them).
const SEARCH_WORDS: &[&str] = &[
    "red", "blue", "green", "shoes", "boots", "jacket", "summer", "winter", "sale", "kids",
    "women", "men", "leather", "wool", "cotton", "running", "hiking", "office", "garden", "lamp",
    "desk", "chair", "phone", "case", "cable", "report", "invoice", "travel", "coffee", "tea",
];

/// One record of a `--cardinality` case: record `i` of `n`.
fn cardinality_record(case: Case, i: u64, n: u64, r: &mut Rng, buf: &mut Vec<u8>) {
    let all = case == Case::All;
    let mut s = String::with_capacity(96);
    // 2024-06-11T09:00:00Z, one record every 10 ms; over 10 years when asked.
    let start = 1_718_096_400_000i64;
    let t = if all || case == Case::Span {
        let ten_years = 10 * 365 * 86_400_000i64;
        start + (i as i128 * ten_years as i128 / n.max(1) as i128) as i64
    } else {
        start + i as i64 * 10
    };
    buf.extend_from_slice(b"{\"time\":\"");
    rfc3339(&mut s, t);
    buf.extend_from_slice(s.as_bytes());
    buf.extend_from_slice(b"\",\"method\":\"GET\",\"url\":");
    s.clear();
    s.push_str("https://api.tapeapp.com");
    if all || case == Case::Paths {
        // Record i's number written in words (base 30): unique, no digits,
        // so no id heuristic takes it.
        s.push_str("/search/");
        let mut k = i;
        loop {
            s.push_str(SEARCH_WORDS[(k % 30) as usize]);
            k /= 30;
            if k == 0 {
                break;
            }
            s.push('-');
        }
    } else {
        let _ = write!(s, "/v1/record/{}", r.range(1, 9_999_999));
    }
    js(buf, &s);
    let error = all || case == Case::Codes || r.chance(300);
    buf.extend_from_slice(b",\"status\":");
    num(buf, if error { 404 } else { 200 });
    buf.extend_from_slice(b",\"headers\":{\"authorization\":\"Bearer ");
    s.clear();
    if all || case == Case::Clients {
        let _ = write!(s, "tk_{i:012}_");
        alnum(&mut s, r, 16);
    } else {
        let _ = write!(s, "tk_{:012}_AAAAAAAAAAAAAAAA", r.below(20));
    }
    buf.extend_from_slice(s.as_bytes());
    buf.extend_from_slice(b"\"},\"response_body\":");
    s.clear();
    if error {
        s.push_str("{\"error_code\":\"");
        if all || case == Case::Codes {
            let _ = write!(s, "record_{i}_not_found");
        } else {
            s.push_str("not_found");
        }
        s.push_str("\",\"error_message\":\"Not found.\"}");
    } else {
        s.push_str("{\"record_id\":1}");
    }
    js(buf, &s);
    buf.extend_from_slice(b"}\n");
}

fn generate(args: &Args, out: Box<dyn Write>) -> io::Result<(u64, u64)> {
    let mut w = Counted {
        inner: io::BufWriter::with_capacity(1 << 20, out),
        n: 0,
    };
    if let Some((case, n)) = args.cardinality {
        let mut r = Rng(args.seed ^ 0x5441_5045_4155_4449);
        let mut buf = Vec::with_capacity(512);
        for i in 0..n {
            buf.clear();
            cardinality_record(case, i, n, &mut r, &mut buf);
            w.write_all(&buf)?;
        }
        w.flush()?;
        return Ok((n, w.n));
    }
    let mut g = Gen {
        rng: Rng(args.seed ^ 0x5441_5045_4155_4449), // "TAPEAUDI"
        har: args.format == Format::Har,
        body_target: None,
        ex: Ex::new(),
        scratch: Vec::with_capacity(128 << 10),
    };
    let mut buf = std::mem::take(&mut g.scratch);
    let mut records = 0u64;
    match args.format {
        Format::Jsonl => {
            // The clock spreads the records over a day by bytes written, or
            // by records written under --records.
            let mut clock = Clock::new(args.records.unwrap_or(args.size).max(1));
            while match args.records {
                Some(n) => records < n,
                None => w.n < args.size,
            } {
                buf.clear();
                clock.written = if args.records.is_some() { records } else { w.n };
                match args.profile {
                    Profile::Default => jsonl_record(&mut g, &mut clock, &mut buf),
                    Profile::Access => access_record(&mut g, &mut clock, &mut buf),
                    Profile::Bodies => bodies_record(&mut g, &mut clock, &mut buf),
                }
                w.write_all(&buf)?;
                records += 1;
            }
        }
        Format::Har => {
            let mut clock = Clock::new(args.size);
            let pages = (args.size / (8 * MIB)).clamp(1, 24);
            buf.clear();
            har_header(&mut buf, pages);
            w.write_all(&buf)?;
            loop {
                buf.clear();
                if records > 0 {
                    buf.extend_from_slice(b",\n");
                }
                clock.written = w.n;
                har_entry(&mut g, &mut clock, pages, &mut buf);
                w.write_all(&buf)?;
                records += 1;
                if w.n >= args.size {
                    break;
                }
            }
            w.write_all(b"\n  ]\n}}\n")?;
        }
    }
    w.flush()?;
    Ok((records, w.n))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_traffic: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let out: Box<dyn Write> = match &args.out {
        None => Box::new(io::stdout().lock()),
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("gen_traffic: {p}: {e}");
                return ExitCode::from(1);
            }
        },
    };
    match generate(&args, out) {
        Ok((records, bytes)) => {
            eprintln!("gen_traffic: records={records} bytes={bytes}");
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_traffic: {e}");
            ExitCode::from(1)
        }
    }
}
