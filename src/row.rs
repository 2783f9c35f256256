//! One row per notable record (every response that is not `ok`), for the
//! CSV export and `--show`: plain, redacted data in input order.

use serde::Serialize;

use crate::catalog::{Catalog, Lookup};
use crate::classify::{Class, Verdict};
use crate::exchange::{endpoint, format_time, Exchange, LocatorKind};
use crate::redact::{self, Redact};

/// Longest error message kept in a row, in characters.
pub const MESSAGE_MAX: usize = 200;

/// A notable record. Field order is the CSV column order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The input the record came from.
    pub source: String,
    /// `entry N`, `line N` or `value N`.
    pub locator: String,
    /// Request time, RFC 3339 UTC.
    pub timestamp: String,
    /// Request method.
    pub method: String,
    /// Host.
    pub host: String,
    /// Path, without the query string.
    pub path: String,
    /// Path template (`/v1/record/{id}`).
    pub endpoint: String,
    /// HTTP status (0: no response).
    pub status: u16,
    /// The `error_code`, when one could be read.
    pub error_code: String,
    /// The class.
    pub class: &'static str,
    /// The envelope rule broken.
    pub violation: &'static str,
    /// A documented code the undocumented one nearly matches.
    pub suggestion: String,
    /// The status(es) the code is documented under, where they differ from `status`.
    pub documented_status: String,
    /// The `error_message`, redacted and cut to `MESSAGE_MAX` characters.
    pub error_message: String,
    /// The start of the response body, redacted, whitespace folded, cut
    /// to `EXCERPT_MAX` characters.
    pub body_excerpt: String,
    /// Request id.
    pub request_id: String,
    /// Duration in milliseconds.
    pub duration_ms: String,
    /// Fingerprint of the credential the request carried.
    pub client: String,
    /// The record as a HAR entry (one line of JSON), for `--extract-har`;
    /// filled by the pipeline only when that output is open.
    #[serde(skip)]
    pub har_entry: Option<String>,
}

/// Longest body excerpt, in characters.
pub const EXCERPT_MAX: usize = 120;

/// How much of a body is looked at for its excerpt, in bytes (extended to
/// the end of the token it cuts, so that no secret is cut before it is
/// redacted).
const EXCERPT_SCAN: usize = 2048;

/// The start of a body as an excerpt: redacted first by `red` (which
/// knows the record's own secrets), then whitespace folded, then cut to
/// [`EXCERPT_MAX`] characters.
pub fn body_excerpt(body: &str, red: &dyn Fn(&str) -> String) -> String {
    let body = body.trim_start_matches('\u{feff}').trim();
    let head = if body.len() <= EXCERPT_SCAN {
        body
    } else {
        // Cut at a boundary no token crosses: a space, quote, comma or
        // brace at or after the scan length (within a few KiB), else the
        // last one before it.
        let b = body.as_bytes();
        let boundary = |c: &u8| {
            c.is_ascii_whitespace() || matches!(c, b'"' | b',' | b'{' | b'}' | b'[' | b']')
        };
        let end = b[EXCERPT_SCAN..]
            .iter()
            .take(4 * EXCERPT_SCAN)
            .position(boundary)
            .map(|i| EXCERPT_SCAN + i)
            .or_else(|| b[..EXCERPT_SCAN].iter().rposition(boundary))
            .unwrap_or(0);
        &body[..end]
    };
    let red = red(head);
    let folded = red.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(EXCERPT_MAX) {
        Some((i, _)) => format!("{}…", &folded[..i]),
        None => folded,
    }
}

/// The CSV header, in column order.
pub const COLUMNS: [&str; 18] = [
    "source",
    "locator",
    "timestamp",
    "method",
    "host",
    "path",
    "endpoint",
    "status",
    "error_code",
    "class",
    "violation",
    "suggestion",
    "documented_status",
    "error_message",
    "body_excerpt",
    "request_id",
    "duration_ms",
    "client",
];

impl Row {
    /// Builds the row of a classified record.
    pub fn build(
        source: &str,
        kind: LocatorKind,
        index: u64,
        ex: &Exchange<'_>,
        v: &Verdict<'_>,
        cat: &Catalog,
        mode: Redact,
    ) -> Row {
        let own = own_secrets(ex);
        let own: Vec<&str> = own.iter().map(String::as_str).collect();
        let red = |s: &str| redact::text_with(s, mode, &own).into_owned();
        let (host, path) = ex.host_and_path();
        let code = v.code.as_deref().unwrap_or("");
        let (mut suggestion, mut documented_status) = (String::new(), String::new());
        if !code.is_empty() {
            match cat.lookup(v.status, code) {
                Lookup::Documented(_) => {}
                Lookup::OtherStatus(st) => {
                    documented_status = st.iter().map(u16::to_string).collect::<Vec<_>>().join("/")
                }
                Lookup::Unknown(near) => suggestion = near.unwrap_or_default().to_string(),
            }
        }
        let mut message = red(v.message.as_deref().unwrap_or(""));
        if message.chars().count() > MESSAGE_MAX {
            message = message.chars().take(MESSAGE_MAX - 1).collect::<String>() + "…";
        }
        Row {
            source: source.to_string(),
            locator: format!("{} {index}", kind.word()),
            timestamp: ex.time_ms.map(format_time).unwrap_or_default(),
            method: method(ex.method.as_deref().unwrap_or("")),
            host: red(host.unwrap_or("")),
            path: red(path.unwrap_or("")),
            endpoint: red(&path.map(endpoint).unwrap_or_default()),
            status: v.status,
            error_code: red(code),
            class: v.class.name(),
            violation: v.violation.map_or("", |x| x.name()),
            suggestion,
            documented_status,
            error_message: message,
            body_excerpt: ex
                .body
                .text()
                .map(|b| body_excerpt(&b, &red))
                .unwrap_or_default(),
            request_id: red(ex.request_id.as_deref().unwrap_or("")),
            duration_ms: ex
                .duration_ms
                .map(|d| format!("{d:.3}"))
                .unwrap_or_default(),
            client: ex
                .credential
                .as_deref()
                .map(|c| match mode {
                    Redact::On => redact::client(c),
                    Redact::Off => c.to_string(),
                })
                .unwrap_or_default(),
            har_entry: None,
        }
    }

    /// Whether a record of this class gets a row.
    pub fn wanted(class: Class) -> bool {
        class != Class::Ok
    }
}

/// A request method as it is shown: an HTTP token (letters, digits and
/// `!#$%&'*+-.^_`|~`) of at most 20 characters, else `?`: a method field
/// is no place for text from the traffic.
pub fn method(m: &str) -> String {
    let ok = !m.is_empty()
        && m.len() <= 20
        && m.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if ok {
        m.to_string()
    } else if m.is_empty() {
        String::new()
    } else {
        "?".to_string()
    }
}

pub use crate::redact::own_secrets;
