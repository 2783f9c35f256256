//! CSV exports for dashboards: one row per notable record, and a timeline
//! of counts per bucket. Cells that a spreadsheet would run as a formula
//! are neutralised, because every value comes from untrusted traffic.

use std::borrow::Cow;
use std::io::Write;

use crate::aggregate::{split_timeline_key, Summary};
use crate::exchange::format_time;
use crate::row::{Row, COLUMNS};

/// Makes a cell safe for a spreadsheet and a terminal: control, bidi and
/// invisible characters are escaped (`\u{1b}`), always, since no dashboard
/// needs a raw ESC; and a cell whose first visible character would start a
/// formula (`=`, `+`, `-`, `@` or their full-width forms, after any spaces,
/// tabs, line breaks, no-break or ideographic spaces, zero-width characters
/// or a BOM) is prefixed with `'`.
pub fn guard(cell: &str) -> Cow<'_, str> {
    let first_visible = cell
        .chars()
        .find(|&c| !(c.is_whitespace() || crate::sanitize::is_unsafe(c)));
    let formula = matches!(
        first_visible,
        Some('=' | '+' | '-' | '@' | '\u{ff1d}' | '\u{ff0b}' | '\u{ff0d}' | '\u{ff20}')
    );
    let escaped = crate::sanitize::terminal(cell);
    if formula {
        Cow::Owned(format!("'{escaped}"))
    } else {
        escaped
    }
}

/// Writes record rows as CSV, header first.
pub struct RowWriter<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> RowWriter<W> {
    /// Starts a CSV stream with its header row.
    pub fn new(out: W) -> csv::Result<RowWriter<W>> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(COLUMNS)?;
        Ok(RowWriter { w })
    }

    /// Writes rows.
    pub fn write(&mut self, rows: &[Row]) -> csv::Result<()> {
        for r in rows {
            let status = r.status.to_string();
            let cells: [&str; COLUMNS.len()] = [
                &r.source,
                &r.locator,
                &r.timestamp,
                &r.method,
                &r.host,
                &r.path,
                &r.endpoint,
                &status,
                &r.error_code,
                r.class,
                r.violation,
                &r.suggestion,
                &r.documented_status,
                &r.error_message,
                &r.body_excerpt,
                &r.request_id,
                &r.duration_ms,
                &r.client,
            ];
            self.w
                .write_record(cells.iter().map(|c| guard(c).into_owned()))?;
        }
        Ok(())
    }

    /// The writer underneath.
    pub fn get_ref(&self) -> &W {
        self.w.get_ref()
    }

    /// Flushes what is buffered and returns the writer underneath.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.w.into_inner().map_err(|e| {
            let kind = e.error().kind();
            std::io::Error::new(kind, e.error().to_string())
        })
    }
}

/// The timeline CSV's columns.
pub const TIMELINE_COLUMNS: [&str; 7] = [
    "bucket_start",
    "bucket_seconds",
    "status",
    "error_code",
    "class",
    "count",
    "bucket_responses",
];

/// Writes one row per bucket and (status, error_code, class) with its count,
/// and one row with an empty key for buckets where every response was `ok`.
pub fn write_timeline(s: &Summary, out: impl Write) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(TIMELINE_COLUMNS)?;
    let secs = format!("{}", s.timeline_ms as f64 / 1000.0);
    for (&start, b) in &s.timeline {
        let t = format_time(start);
        let total = b.responses.to_string();
        if b.by_key.is_empty() {
            w.write_record([t.as_str(), &secs, "", "", "", "0", &total])?;
        }
        for (k, n) in &b.by_key {
            let Some((status, class, code)) = split_timeline_key(k) else {
                continue;
            };
            w.write_record([
                t.as_str(),
                &secs,
                &status.to_string(),
                &guard(code),
                class.name(),
                &n.to_string(),
                &total,
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard("+1"), "'+1");
        assert_eq!(guard("-2"), "'-2");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("\t=x"), "'\\t=x");
        for lead in [
            " ", "\t", "\u{a0}", "\u{3000}", "\n", "\u{200b}", "\u{feff}", " \t ",
        ] {
            for op in [
                "=", "+", "-", "@", "\u{ff1d}", "\u{ff0b}", "\u{ff0d}", "\u{ff20}",
            ] {
                let c = format!("{lead}{op}1+1");
                assert!(guard(&c).starts_with('\''), "{c:?} -> {:?}", guard(&c));
            }
        }
        // Control characters never reach a cell raw.
        assert_eq!(guard("a\x1b]0;x\x07b"), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(guard("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(guard("not_found"), "not_found");
        assert_eq!(guard(""), "");
    }
}
