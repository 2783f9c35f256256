//! `--show`: one line per notable record, in input order, beginning with a
//! locator an editor or a person can jump to: `FILE:LINE:` for logs (the
//! `grep -n` and compiler convention) and `FILE#entry=N:` for HAR entries
//! (`jq '.log.entries[N]' FILE` opens it).

use crate::row::Row;
use crate::sanitize;

/// `FILE:LINE:`, `FILE#entry=N:` or `FILE#value=N:`.
pub fn locator(r: &Row) -> String {
    match r.locator.split_once(' ') {
        Some(("line", n)) => format!("{}:{n}:", r.source),
        Some((kind, n)) => format!("{}#{kind}={n}:", r.source),
        None => format!("{}:", r.source),
    }
}

/// One `--show` line: locator, time, method, the real path (and its
/// endpoint template when they differ), status, code, class (and
/// violation), request id, message (or, without one, the body's
/// excerpt); escaped for the terminal.
pub fn line(r: &Row) -> String {
    fn or_dash(s: &str) -> &str {
        if s.is_empty() {
            "-"
        } else {
            s
        }
    }
    let what = if r.violation.is_empty() {
        r.class.to_string()
    } else {
        format!("{} ({})", r.class, r.violation)
    };
    let path = if r.endpoint.is_empty() || r.endpoint == r.path {
        or_dash(&r.path).to_string()
    } else {
        format!("{} ({})", or_dash(&r.path), r.endpoint)
    };
    let id = if r.request_id.is_empty() {
        String::new()
    } else {
        format!("  [{}]", r.request_id)
    };
    // The message says it; without one, the start of the body.
    let said = if !r.error_message.is_empty() {
        r.error_message.clone()
    } else if !r.body_excerpt.is_empty() {
        format!("body: {}", r.body_excerpt)
    } else {
        String::new()
    };
    let line = format!(
        "{} {}  {} {}  {} {}  {}{}  {}",
        locator(r),
        or_dash(&r.timestamp),
        or_dash(&r.method),
        path,
        r.status,
        or_dash(&r.error_code),
        what,
        id,
        said
    );
    sanitize::terminal(line.trim_end()).into_owned()
}
