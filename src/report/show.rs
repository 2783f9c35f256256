//! `--show`: one line per notable record, in input order.

use crate::row::Row;
use crate::sanitize;

/// One `--show` line: source and locator, time, method, endpoint, status,
/// code, class (and violation), message; escaped for the terminal.
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
    let line = format!(
        "{} {}  {}  {} {}  {} {}  {}  {}",
        r.source,
        r.locator,
        or_dash(&r.timestamp),
        or_dash(&r.method),
        or_dash(&r.endpoint),
        r.status,
        or_dash(&r.error_code),
        what,
        r.error_message
    );
    sanitize::terminal(line.trim_end()).into_owned()
}
