//! `--extract-har OUT.har`: the notable records of a run (every class but
//! `ok`, after filters) written as a HAR 1.2 document, in input order, to
//! hand to someone who needs the failing traffic and nothing else.
//!
//! - A HAR entry is copied with its HAR 1.2 structure (members outside the
//!   format, `_custom` fields and `pageref`, are left out: the `pages` are
//!   not copied). A JSON-lines record (or a value of a JSON document)
//!   becomes an entry built from what the record holds: method, URL,
//!   status, time, duration, request id (as an `X-Request-Id` header),
//!   credential (as an `Authorization` header) and body.
//! - Each entry is built on the worker that classified it (into
//!   [`crate::row::Row::har_entry`]) and written by the row writer in input
//!   order, one at a time: the document is never held in memory.
//! - Sanitized as every other output is, unless `--unsafe-show-secrets`:
//!   credential headers and cookie values become `[redacted:FINGERPRINT]`
//!   markers, sensitive query parameters and URL userinfo are removed,
//!   request and response bodies pass the report's redaction (base64
//!   bodies are decoded, redacted and encoded again, or dropped when they
//!   are not UTF-8), and the bodies no finding needs (a record without a
//!   response) are dropped, the entry's comment saying so.
//!
//! Entries are built with the `har` crate's HAR 1.2 types. Where those
//! types require a member that a capture or a log line cannot supply, it is
//! filled as the HAR specification says for an unknown value: `-1` for
//! sizes and timings, empty lists for headers, cookies and query strings,
//! an empty string for an unknown text (`httpVersion`, `statusText`, a
//! missing `startedDateTime`), `0` for a status when there was no response.

use std::borrow::Cow;

use base64::Engine;
use har::v1_2::{
    Cache, Content, Cookies, Creator, Entries, Headers, Log, PostData, QueryString, Request,
    Response, Timings,
};
use serde_json::{Map, Value};

use crate::classify::{Class, Verdict};
use crate::exchange::{format_time, Exchange, Locator};
use crate::input::Work;
use crate::outputs::Output;
use crate::redact::{self, Redact};
use crate::row::Row;

/// Header names whose value is a credential (besides any name that
/// [`redact::sensitive_name`] matches): the value is replaced by a marker.
pub const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "x-csrf-token",
    "x-xsrf-token",
    "x-amz-security-token",
    "x-goog-api-key",
    "x-access-token",
    "x-session-token",
    "x-refresh-token",
    "www-authenticate",
    "proxy-authenticate",
];

/// Whether a header carries a credential.
pub fn credential_header(name: &str) -> bool {
    let n = name.trim();
    CREDENTIAL_HEADERS.iter().any(|h| n.eq_ignore_ascii_case(h)) || redact::sensitive_name(n)
}

/// The raw text of a HAR entry in a work unit, by its locator.
pub fn raw_entry(work: &Work, loc: Locator) -> Option<&str> {
    let Work::Entries { batch, .. } = work else {
        return None;
    };
    let i = usize::try_from(loc.index.checked_sub(batch.first_index)?).ok()?;
    let &(a, b) = batch.ranges.get(i)?;
    std::str::from_utf8(batch.data.get(a..b)?).ok()
}

/// The HAR entry (one line of JSON) for a notable record: `raw` is the
/// record's HAR entry when it came from a HAR input.
pub fn entry(
    raw: Option<&str>,
    ex: &Exchange<'_>,
    v: &Verdict<'_>,
    row: &Row,
    mode: Redact,
) -> String {
    let mut notes: Vec<&str> = Vec::new();
    let mut e = raw
        .and_then(|r| copied(r, ex))
        .unwrap_or_else(|| built(ex, row, raw.is_some(), &mut notes));
    let keep_body = v.class.is_error() || v.class == Class::ErrorOnSuccess;
    if mode == Redact::On {
        sanitize(&mut e, ex, keep_body, &mut notes);
    }
    let mut comment = format!("tape-audit: class {}", row.class);
    if !row.violation.is_empty() {
        comment.push_str(&format!(", violation {}", row.violation));
    }
    if !row.error_code.is_empty() {
        comment.push_str(&format!(", error_code {}", row.error_code));
    }
    comment.push_str(&format!(
        "; from {} {}",
        redact::text(&row.source, mode),
        row.locator
    ));
    for n in notes {
        comment.push_str("; ");
        comment.push_str(n);
    }
    e.comment = Some(comment);
    e.pageref = None;
    serde_json::to_string(&e).unwrap_or_default()
}

/// A HAR entry read into the HAR 1.2 types, after the members they require
/// are filled and those of the wrong type dropped; `None` when it does not
/// fit even then (it is then built from the exchange).
fn copied(raw: &str, ex: &Exchange<'_>) -> Option<Entries> {
    let mut v: Value = serde_json::from_str(raw).ok()?;
    let m = v.as_object_mut()?;
    fix_entry(m, ex);
    serde_json::from_value(v).ok()
}

/// An entry built from a parsed record (a log line, or a HAR entry that
/// does not fit the HAR 1.2 types).
fn built(ex: &Exchange<'_>, row: &Row, from_har: bool, notes: &mut Vec<&str>) -> Entries {
    if from_har {
        notes.push("rebuilt from the fields tape-audit reads: the entry does not fit HAR 1.2");
    }
    let url = match ex.url.as_deref() {
        Some(u) if crate::exchange::split_url(u).0.is_some() => u.to_string(),
        Some(u) => match ex.host_and_path().0 {
            // A log line's path and host: the scheme it does not record is
            // taken to be https.
            Some(h) => format!("https://{h}{}", if u.starts_with('/') { "" } else { "/" }) + u,
            None => u.to_string(),
        },
        None => match ex.host_and_path().0 {
            Some(h) => format!("https://{h}/"),
            None => String::new(),
        },
    };
    let mut req_headers = Vec::new();
    if let Some(id) = ex.request_id.as_deref() {
        req_headers.push(header("X-Request-Id", id));
    }
    if let Some(c) = ex.credential.as_deref() {
        req_headers.push(header("Authorization", c));
    }
    let mut resp_headers = Vec::new();
    if let Some(ct) = ex.content_type.as_deref() {
        resp_headers.push(header("Content-Type", ct));
    }
    let body = ex.body.text().map(Cow::into_owned);
    let duration = ex.duration_ms.filter(|d| d.is_finite() && *d >= 0.0);
    Entries {
        pageref: None,
        started_date_time: ex.time_ms.map(format_time).unwrap_or_default(),
        time: duration.unwrap_or(-1.0),
        request: Request {
            method: row.method.clone(),
            query_string: query_pairs(&url),
            url,
            http_version: String::new(),
            cookies: Vec::new(),
            headers: req_headers,
            post_data: None,
            headers_size: -1,
            body_size: -1,
            comment: None,
        },
        response: Response {
            status: i64::from(ex.status.unwrap_or(0)),
            status_text: String::new(),
            http_version: String::new(),
            cookies: Vec::new(),
            headers: resp_headers,
            content: Content {
                size: body.as_ref().map_or(-1, |b| b.len() as i64),
                compression: None,
                mime_type: Some(ex.content_type.as_deref().unwrap_or("").to_string()),
                text: body,
                encoding: None,
                comment: None,
            },
            redirect_url: Some(String::new()),
            headers_size: -1,
            body_size: -1,
            comment: None,
        },
        cache: Cache::default(),
        timings: Timings {
            blocked: Some(-1.0),
            dns: Some(-1.0),
            connect: Some(-1.0),
            send: if duration.is_some() { 0.0 } else { -1.0 },
            wait: duration.unwrap_or(-1.0),
            receive: if duration.is_some() { 0.0 } else { -1.0 },
            ssl: Some(-1.0),
            comment: None,
        },
        server_ip_address: None,
        connection: None,
        comment: None,
    }
}

fn header(name: &str, value: &str) -> Headers {
    Headers {
        name: name.to_string(),
        value: value.to_string(),
        comment: None,
    }
}

/// The query string of a URL as HAR `queryString` pairs (not decoded).
fn query_pairs(url: &str) -> Vec<QueryString> {
    let Some((_, q)) = url.split_once('?') else {
        return Vec::new();
    };
    let q = q.split('#').next().unwrap_or("");
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            QueryString {
                name: k.to_string(),
                value: v.to_string(),
                comment: None,
            }
        })
        .collect()
}

// ---- Filling what the HAR 1.2 types require -----------------------------

fn fix_entry(e: &mut Map<String, Value>, ex: &Exchange<'_>) {
    str_or(e, "startedDateTime", "");
    f64_or(e, "time", -1.0);
    fix_request(obj_or(e, "request"));
    fix_response(obj_or(e, "response"), ex);
    let cache = obj_or(e, "cache");
    for k in ["beforeRequest", "afterRequest"] {
        match cache.get_mut(k) {
            Some(Value::Object(c)) => {
                opt_str(c, "expires");
                str_or(c, "lastAccess", "");
                str_or(c, "eTag", "");
                i64_or(c, "hitCount", 0);
                opt_str(c, "comment");
            }
            Some(_) => {
                cache.remove(k);
            }
            None => {}
        }
    }
    let t = obj_or(e, "timings");
    for k in ["send", "wait", "receive"] {
        f64_or(t, k, -1.0);
    }
    for k in ["blocked", "dns", "connect", "ssl"] {
        opt_f64(t, k);
    }
    opt_str(t, "comment");
    opt_str(e, "serverIPAddress");
    opt_str(e, "connection");
    e.remove("pageref");
    e.remove("comment");
}

fn fix_request(r: &mut Map<String, Value>) {
    for k in ["method", "url", "httpVersion"] {
        str_or(r, k, "");
    }
    list(r, "cookies", fix_cookie);
    list(r, "headers", fix_pair);
    list(r, "queryString", fix_pair);
    match r.get_mut("postData") {
        Some(Value::Object(p)) => {
            str_or(p, "mimeType", "");
            opt_str(p, "text");
            if p.get("params").is_some_and(|v| !v.is_null()) {
                list(p, "params", |q| {
                    str_or(q, "name", "");
                    for k in ["value", "fileName", "contentType", "comment"] {
                        opt_str(q, k);
                    }
                });
            }
            opt_str(p, "comment");
        }
        Some(_) => {
            r.remove("postData");
        }
        None => {}
    }
    i64_or(r, "headersSize", -1);
    i64_or(r, "bodySize", -1);
    opt_str(r, "comment");
}

fn fix_response(r: &mut Map<String, Value>, ex: &Exchange<'_>) {
    // The status as tape-audit read it (`"500"`, `-1` and the like included).
    r.insert("status".into(), Value::from(ex.status.unwrap_or(0)));
    str_or(r, "statusText", "");
    str_or(r, "httpVersion", "");
    list(r, "cookies", fix_cookie);
    list(r, "headers", fix_pair);
    let c = obj_or(r, "content");
    i64_or(c, "size", -1);
    opt_i64(c, "compression");
    for k in ["mimeType", "text", "encoding", "comment"] {
        opt_str(c, k);
    }
    opt_str(r, "redirectURL");
    i64_or(r, "headersSize", -1);
    i64_or(r, "bodySize", -1);
    opt_str(r, "comment");
}

fn fix_pair(p: &mut Map<String, Value>) {
    str_or(p, "name", "");
    str_or(p, "value", "");
    opt_str(p, "comment");
}

fn fix_cookie(c: &mut Map<String, Value>) {
    fix_pair(c);
    for k in ["path", "domain", "expires"] {
        opt_str(c, k);
    }
    for k in ["httpOnly", "secure"] {
        if c.get(k).is_some_and(|v| !v.is_boolean() && !v.is_null()) {
            c.remove(k);
        }
    }
}

fn obj_or<'m>(m: &'m mut Map<String, Value>, k: &str) -> &'m mut Map<String, Value> {
    let v = m
        .entry(k.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut().expect("just made an object")
}

fn list(m: &mut Map<String, Value>, k: &str, fix: impl Fn(&mut Map<String, Value>)) {
    let v = m.entry(k.to_string()).or_insert(Value::Null);
    let items = match v.take() {
        Value::Array(items) => items,
        _ => Vec::new(),
    };
    *v = Value::Array(
        items
            .into_iter()
            .filter_map(|mut i| {
                fix(i.as_object_mut()?);
                Some(i)
            })
            .collect(),
    );
}

fn str_or(m: &mut Map<String, Value>, k: &str, default: &str) {
    let v = match m.get(k) {
        Some(Value::String(_)) => return,
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => default.to_string(),
    };
    m.insert(k.to_string(), Value::String(v));
}

fn opt_str(m: &mut Map<String, Value>, k: &str) {
    if m.get(k).is_some_and(|v| !v.is_string() && !v.is_null()) {
        m.remove(k);
    }
}

fn f64_or(m: &mut Map<String, Value>, k: &str, default: f64) {
    if m.get(k).is_none_or(|v| v.as_f64().is_none()) {
        m.insert(k.to_string(), Value::from(default));
    }
}

fn opt_f64(m: &mut Map<String, Value>, k: &str) {
    if m.get(k)
        .is_some_and(|v| v.as_f64().is_none() && !v.is_null())
    {
        m.remove(k);
    }
}

fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && f.abs() < 9e15)
            .map(|f| f.round() as i64)
    })
}

fn i64_or(m: &mut Map<String, Value>, k: &str, default: i64) {
    let n = m.get(k).and_then(as_int).unwrap_or(default);
    m.insert(k.to_string(), Value::from(n));
}

fn opt_i64(m: &mut Map<String, Value>, k: &str) {
    match m.get(k).map(|v| (v.is_null(), as_int(v))) {
        Some((false, Some(n))) => {
            m.insert(k.to_string(), Value::from(n));
        }
        Some((false, None)) => {
            m.remove(k);
        }
        _ => {}
    }
}

// ---- Sanitizing ---------------------------------------------------------

/// The secrets an entry carries itself, whose every echo in its text is
/// redacted: the record's credential and sensitive query values (as for
/// every output), credential header values (with and without a scheme),
/// cookie values and sensitive form fields.
fn own_secrets(e: &Entries, ex: &Exchange<'_>) -> Vec<String> {
    let mut own = crate::row::own_secrets(ex);
    let mut push = |s: &str, min: usize| {
        let s = s.trim();
        if s.len() >= min && !own.iter().any(|o| o == s) {
            own.push(s.to_string());
        }
    };
    let heads = e.request.headers.iter().chain(&e.response.headers);
    for h in heads.filter(|h| credential_header(&h.name)) {
        push(&h.value, 4);
        if let Some((_, rest)) = h.value.trim().split_once(' ') {
            push(rest, 4);
        }
        if h.name.to_ascii_lowercase().contains("cookie") {
            for pair in h.value.split(';') {
                if let Some((_, v)) = pair.split_once('=') {
                    push(v, 8);
                }
            }
        }
    }
    for c in e.request.cookies.iter().chain(&e.response.cookies) {
        push(&c.value, 8);
    }
    for q in e.request.query_string.iter() {
        if redact::sensitive_name(&q.name) {
            push(&q.value, 4);
        }
    }
    if let Some(params) = e.request.post_data.as_ref().and_then(|p| p.params.as_ref()) {
        for p in params.iter().filter(|p| redact::sensitive_name(&p.name)) {
            push(p.value.as_deref().unwrap_or(""), 4);
        }
    }
    for u in [
        &e.request.url,
        e.response.redirect_url.as_deref().unwrap_or(""),
    ] {
        if let Some(pw) = userinfo(u)
            .and_then(|ui| ui.split_once(':'))
            .map(|(_, p)| p)
        {
            push(pw, 4);
        }
    }
    own
}

/// The userinfo of a URL (`user:password` in `https://user:password@host/`).
fn userinfo(url: &str) -> Option<&str> {
    let (scheme_end, _) = scheme(url)?;
    let after = &url[scheme_end..];
    let host = crate::exchange::split_url(url).0?;
    let at = host_start(after, host)?;
    (at > 0).then(|| &after[..at - 1])
}

/// Where `scheme://` ends, if the URL starts with one.
fn scheme(url: &str) -> Option<(usize, ())> {
    let b = url.as_bytes();
    let i = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))?;
    (i > 0 && b[0].is_ascii_alphabetic() && b[i..].starts_with(b"://")).then_some((i + 3, ()))
}

/// Where the host starts in the URL past its scheme: at 0, or past the
/// `@` that ends the userinfo (as [`crate::exchange::split_url`] reads it:
/// an `@` before the first `/`, `?` or `#`, or after a `user:password`
/// whose colon comes first and is not a port).
fn host_start(after: &str, host: &str) -> Option<usize> {
    let plain = after.find(['/', '?', '#']).unwrap_or(after.len());
    let mut from = 0;
    let mut bare = None;
    while let Some(i) = after[from..].find(host) {
        let at = from + i;
        let end = at + host.len();
        let ends = after[end..].is_empty() || after[end..].starts_with(['/', '?', '#', ':']);
        if ends && at == 0 {
            bare = Some(0);
        } else if ends && after.as_bytes()[at - 1] == b'@' {
            let ui = &after[..at - 1];
            let colon_first = ui.find(':').is_some_and(|c| {
                let port = ui[c + 1..]
                    .split(['/', '?', '#'])
                    .next()
                    .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                c < plain && !port
            });
            if (at - 1 < plain || colon_first) && !ui.contains(char::is_whitespace) {
                return Some(at);
            }
        }
        from = at + 1;
    }
    bare
}

/// A URL with its userinfo removed, sensitive query values replaced by
/// markers, and the rest redacted.
fn url(u: &str, own: &[&str]) -> String {
    let mut s = u.to_string();
    if let (Some((scheme_end, ())), Some(host)) = (scheme(u), crate::exchange::split_url(u).0) {
        let after = &u[scheme_end..];
        if let Some(at) = host_start(after, host).filter(|&a| a > 0) {
            s = format!("{}{}", &u[..scheme_end], &after[at..]);
        }
    }
    if let Some(q) = s.find('?') {
        let (head, rest) = s.split_at(q + 1);
        let (query, frag) = match rest.find('#') {
            Some(h) => rest.split_at(h),
            None => (rest, ""),
        };
        let query: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, v)) if redact::sensitive_name(k) && !v.is_empty() => {
                    format!("{k}={}", redact::marker(v))
                }
                _ => p.to_string(),
            })
            .collect();
        s = format!("{head}{}{frag}", query.join("&"));
    }
    red(&s, own)
}

fn red(s: &str, own: &[&str]) -> String {
    redact::text_with(s, Redact::On, own).into_owned()
}

fn red_opt(s: &mut Option<String>, own: &[&str]) {
    if let Some(t) = s.as_mut() {
        *t = red(t, own);
    }
}

fn red_pair(name: &str, value: &mut String, own: &[&str]) {
    if credential_header(name) {
        if !value.is_empty() {
            *value = redact::marker(value);
        }
    } else {
        *value = red(value, own);
    }
}

fn sanitize(e: &mut Entries, ex: &Exchange<'_>, keep_body: bool, notes: &mut Vec<&str>) {
    let own = own_secrets(e, ex);
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    let own = own.as_slice();
    let req = &mut e.request;
    req.method = red(&req.method, own);
    req.url = url(&req.url, own);
    req.http_version = red(&req.http_version, own);
    red_opt(&mut req.comment, own);
    headers(&mut req.headers, own);
    cookies(&mut req.cookies, own);
    for q in req.query_string.iter_mut() {
        q.name = red(&q.name, own);
        if redact::sensitive_name(&q.name) && !q.value.is_empty() {
            q.value = redact::marker(&q.value);
        } else {
            q.value = red(&q.value, own);
        }
        red_opt(&mut q.comment, own);
    }
    if let Some(p) = req.post_data.as_mut() {
        sanitize_post(p, own);
    }
    let resp = &mut e.response;
    resp.status_text = red(&resp.status_text, own);
    resp.http_version = red(&resp.http_version, own);
    if let Some(r) = resp.redirect_url.as_mut() {
        *r = url(r, own);
    }
    red_opt(&mut resp.comment, own);
    headers(&mut resp.headers, own);
    cookies(&mut resp.cookies, own);
    let c = &mut resp.content;
    red_opt(&mut c.mime_type, own);
    red_opt(&mut c.comment, own);
    if c.text.is_some() {
        let base64 = c
            .encoding
            .as_deref()
            .is_some_and(|enc| enc.eq_ignore_ascii_case("base64"));
        if !keep_body {
            c.text = None;
            c.encoding = None;
            notes.push("response body dropped: the finding does not need it");
        } else if base64 {
            let text = c.text.as_deref().unwrap_or("");
            match crate::input::har::decode_base64_bytes(text).map(String::from_utf8) {
                Some(Ok(t)) => {
                    let t = red(&t, own);
                    c.text = Some(base64::engine::general_purpose::STANDARD.encode(t));
                }
                _ => {
                    c.text = None;
                    c.encoding = None;
                    notes.push("base64 response body dropped: it is not UTF-8 text, so it cannot be redacted");
                }
            }
        } else {
            red_opt(&mut c.text, own);
        }
    }
    red_opt(&mut c.encoding, own);
    for c in [&mut e.cache.before_request, &mut e.cache.after_request]
        .into_iter()
        .flatten()
    {
        c.e_tag = red(&c.e_tag, own);
        c.last_access = red(&c.last_access, own);
        red_opt(&mut c.expires, own);
        red_opt(&mut c.comment, own);
    }
    e.started_date_time = red(&e.started_date_time, own);
    red_opt(&mut e.server_ip_address, own);
    red_opt(&mut e.connection, own);
    red_opt(&mut e.timings.comment, own);
}

fn headers(hs: &mut [Headers], own: &[&str]) {
    for h in hs.iter_mut() {
        h.name = red(&h.name, own);
        red_pair(&h.name.clone(), &mut h.value, own);
        red_opt(&mut h.comment, own);
    }
}

fn cookies(cs: &mut [Cookies], own: &[&str]) {
    for c in cs.iter_mut() {
        c.name = red(&c.name, own);
        if !c.value.is_empty() {
            c.value = redact::marker(&c.value);
        }
        red_opt(&mut c.path, own);
        red_opt(&mut c.domain, own);
        red_opt(&mut c.expires, own);
        red_opt(&mut c.comment, own);
    }
}

fn sanitize_post(p: &mut PostData, own: &[&str]) {
    p.mime_type = red(&p.mime_type, own);
    red_opt(&mut p.text, own);
    red_opt(&mut p.comment, own);
    for q in p.params.iter_mut().flatten() {
        q.name = red(&q.name, own);
        match q.value.as_mut() {
            Some(v) if redact::sensitive_name(&q.name) && !v.is_empty() => {
                *v = redact::marker(v);
            }
            Some(v) => *v = red(v, own),
            None => {}
        }
        red_opt(&mut q.file_name, own);
        red_opt(&mut q.content_type, own);
        red_opt(&mut q.comment, own);
    }
}

// ---- The document -------------------------------------------------------

/// `--extract-har`: the document, written entry by entry as rows arrive.
pub struct HarWriter {
    out: Output,
    entries: u64,
    redact: bool,
}

const ENTRIES: &str = "\"entries\":[";

/// The document around its entries: what comes before the first entry and
/// what follows the last, from the `har` types' own serialization.
fn frame(comment: Option<String>) -> (String, String) {
    let doc = har::Har {
        log: har::Spec::V1_2(Log {
            creator: Creator {
                name: "tape-audit".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                comment: None,
            },
            browser: None,
            pages: None,
            entries: Vec::new(),
            comment,
        }),
    };
    let s = serde_json::to_string(&doc).unwrap_or_default();
    let at = s.find(ENTRIES).map_or(0, |i| i + ENTRIES.len());
    (s[..at].to_string(), s[at..].to_string())
}

impl HarWriter {
    /// Starts the document on `out`; `redact` says whether entries are
    /// sanitized (for `log.comment`).
    pub fn new(mut out: Output, redact: bool) -> HarWriter {
        use std::io::Write;
        let (head, _) = frame(None);
        // Errors are kept by the output and returned by `finish`.
        let _ = out.write_all(head.as_bytes());
        HarWriter {
            out,
            entries: 0,
            redact,
        }
    }

    /// The output's name.
    pub fn name(&self) -> &str {
        self.out.name()
    }

    /// Writes the entries of a batch of rows, in order.
    pub fn write(&mut self, rows: &[Row]) {
        use std::io::Write;
        for e in rows.iter().filter_map(|r| r.har_entry.as_deref()) {
            let sep: &[u8] = if self.entries == 0 { b"\n" } else { b",\n" };
            let _ = self.out.write_all(sep);
            let _ = self.out.write_all(e.as_bytes());
            self.entries += 1;
        }
    }

    /// The output, with the document left unended (a run that stopped early).
    pub fn into_output(self) -> Output {
        self.out
    }

    /// Ends the document; the output is then finished by the caller.
    pub fn finish(mut self) -> Output {
        use std::io::Write;
        let (_, tail) = frame(Some(self.comment()));
        let _ = self.out.write_all(b"\n");
        let _ = self.out.write_all(tail.as_bytes());
        let _ = self.out.write_all(b"\n");
        self.out
    }

    fn comment(&self) -> String {
        let kept = format!(
            "tape-audit extract: {} notable record(s) (every class but ok, after the run's filters), in input order; each entry's comment gives its class, violation, error_code and where it came from",
            self.entries
        );
        let scrubbed = if self.redact {
            "sanitized: credential headers (Authorization, Cookie, Set-Cookie, API keys, tokens) and cookie values replaced by [redacted:FINGERPRINT] markers, URL userinfo removed, sensitive query parameters, form fields, request bodies and response bodies redacted (base64 bodies decoded, redacted and encoded again, or dropped when not UTF-8), response bodies no finding needs dropped; members outside HAR 1.2 (_custom fields, pages) left out; values a record did not hold are filled as HAR says for unknown ones (-1 sizes and timings, empty lists and strings)"
        } else {
            "NOT sanitized (--unsafe-show-secrets): tokens, cookies and keys from the traffic are in this file; members outside HAR 1.2 (_custom fields, pages) left out; values a record did not hold are filled as HAR says for unknown ones (-1 sizes and timings, empty lists and strings)"
        };
        format!("{kept}; {scrubbed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_userinfo_and_sensitive_query_values() {
        let u = url(
            "https://bob:hunter2hunter2@api.example.com:8443/v1/x?access_token=abcdef123456&page=2#f",
            &[],
        );
        assert!(!u.contains("bob") && !u.contains("hunter2"), "{u}");
        assert!(!u.contains("abcdef123456"), "{u}");
        assert!(
            u.starts_with("https://api.example.com:8443/v1/x?access_token=[redacted"),
            "{u}"
        );
        assert!(u.ends_with("&page=2#f"), "{u}");
        assert_eq!(
            url("https://api.example.com/v1/x", &[]),
            "https://api.example.com/v1/x"
        );
        assert_eq!(userinfo("https://a:b@h.example/x"), Some("a:b"));
        assert_eq!(userinfo("https://h.example:80/x"), None);
    }

    #[test]
    fn the_frame_is_a_har_document() {
        let (head, tail) = frame(Some("c".into()));
        let doc = format!("{head}{tail}");
        assert!(head.ends_with(ENTRIES), "{head}");
        let h: har::Har = serde_json::from_str(&doc).unwrap();
        let har::Spec::V1_2(log) = h.log else {
            panic!("not 1.2")
        };
        assert_eq!(log.creator.name, "tape-audit");
        assert_eq!(log.comment.as_deref(), Some("c"));
    }

    #[test]
    fn odd_members_are_filled_or_dropped() {
        let ex = Exchange {
            status: Some(500),
            ..Exchange::default()
        };
        let e = copied(
            r#"{"request":{"method":"GET","url":"/x","headers":[{"name":"A","value":1},7],"postData":"x"},
               "response":{"status":"500","content":{"size":1.5,"text":null}},"time":"slow","timings":[] ,"_x":1}"#,
            &ex,
        )
        .unwrap();
        assert_eq!(e.response.status, 500);
        assert_eq!(e.request.headers.len(), 1);
        assert_eq!(e.request.headers[0].value, "1");
        assert_eq!(e.time, -1.0);
        assert_eq!(e.timings.wait, -1.0);
        assert_eq!(e.response.content.size, 2);
    }
}
