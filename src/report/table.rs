//! The terminal summary: what a person reads in ten seconds. Every string
//! that came from traffic is escaped before it is printed.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use super::{count, responses_phrase, CodeRow, Place, Report};
use crate::classify::Class;
use crate::sanitize::terminal;

/// Inputs listed one per line before the rest are counted.
const MAX_INPUTS: usize = 12;

/// Inputs left out of a walk listed one per line; more are counted.
const MAX_LEFT_OUT: usize = 3;

/// How many locators are listed per problem.
const SHOWN: usize = 3;

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Colour on or off.
    pub fn new(color: bool) -> Style {
        Style { color }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn head(&self, s: &str) -> String {
        self.paint("1", s)
    }

    fn bad(&self, s: &str) -> String {
        self.paint("31", s)
    }

    fn warn(&self, s: &str) -> String {
        self.paint("33", s)
    }

    fn good(&self, s: &str) -> String {
        self.paint("32", s)
    }

    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// `s` padded with spaces to `width` terminal columns, counted by display
/// width (before any colour is added, so escapes never count).
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    if w >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - w))
    }
}

/// `s` cut to at most `width` terminal columns, ending in `…` when cut.
fn fit(s: &str, width: usize) -> String {
    if UnicodeWidthStr::width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// The width of a column: its widest cell, within `min..=max`.
fn column<'a>(cells: impl Iterator<Item = &'a str>, min: usize, max: usize) -> usize {
    cells
        .map(UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
        .clamp(min, max)
}

fn places(p: &[Place]) -> String {
    let shown: Vec<String> = p
        .iter()
        .take(SHOWN)
        .map(|p| terminal(&p.to_string()).into_owned())
        .collect();
    shown.join(", ")
}

fn code_of(r: &CodeRow) -> String {
    r.error_code
        .as_deref()
        .map_or_else(|| "-".to_string(), |c| terminal(c).into_owned())
}

/// Eight levels of a sparkline.
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Widest sparkline drawn; longer timelines are folded into this many columns.
const SPARK_WIDTH: usize = 60;

/// Error responses over time as one line of block characters.
fn sparkline(counts: &[u64]) -> String {
    if counts.is_empty() {
        return String::new();
    }
    let per = counts.len().div_ceil(SPARK_WIDTH);
    let cols: Vec<u64> = counts.chunks(per).map(|c| c.iter().sum()).collect();
    let max = cols.iter().copied().max().unwrap_or(0).max(1);
    cols.iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                SPARKS[((n * 7).div_ceil(max)) as usize]
            }
        })
        .collect()
}

/// Writes the terminal summary.
pub fn write(r: &Report, top: usize, st: Style, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    for w in &r.warnings {
        writeln!(out, "{}", st.bad(&format!("WARNING: {w}")))?;
    }
    writeln!(
        out,
        "{} {}, {}: {}, {} skipped",
        st.head("tape-audit"),
        count(r.inputs.len() as u64, "input", "inputs"),
        count(t.records, "record", "records"),
        responses_phrase(r, ("error", "errors")),
        t.skipped
    )?;
    if let Some(span) = &r.time_span {
        writeln!(out, "time span  {} .. {}", span.first, span.last)?;
    }
    // Inputs left out (a note and no format: not traffic) are listed when
    // few, else counted per reason in one line each.
    let left_out = |i: &&super::InputRow| i.note.is_some() && i.format.is_none();
    let n_left = r.inputs.iter().filter(left_out).count();
    let listed: Vec<&super::InputRow> = if n_left > MAX_LEFT_OUT {
        r.inputs.iter().filter(|i| !left_out(i)).collect()
    } else {
        r.inputs.iter().collect()
    };
    for i in listed.iter().take(MAX_INPUTS) {
        // A note beside a format says something about how it was read.
        if let (Some(note), None) = (&i.note, i.format) {
            writeln!(out, "  {}  left out: {}", terminal(&i.path), terminal(note))?;
            continue;
        }
        let mut what = vec![i.format.unwrap_or("unread").to_string()];
        if let Some(c) = i.compression {
            what.push(c.to_string());
        }
        if let Some(s) = &i.shape {
            what.push(format!("shape {}", terminal(s)));
        }
        writeln!(
            out,
            "  {}  [{}]  {}, {} skipped{}",
            terminal(&i.path),
            what.join(", "),
            count(i.records, "record", "records"),
            i.skipped,
            if i.error.is_some() {
                st.bad("  (stopped early, see the error on stderr)")
            } else {
                String::new()
            }
        )?;
        if let Some(note) = &i.note {
            writeln!(out, "    note: {}", terminal(note))?;
        }
    }
    if listed.len() > MAX_INPUTS {
        writeln!(
            out,
            "  ... and {} (all listed in --format json)",
            count(
                (listed.len() - MAX_INPUTS) as u64,
                "more input",
                "more inputs"
            )
        )?;
    }
    if n_left > MAX_LEFT_OUT {
        for (note, n) in super::left_out_reasons(r) {
            writeln!(
                out,
                "  {} left out: {} (listed in --format json; -g/--glob chooses the files)",
                count(n, "file", "files"),
                terminal(&note)
            )?;
        }
    }
    if !r.filters.in_force.is_empty() {
        writeln!(
            out,
            "filters    {}  ({} excluded)",
            terminal(&r.filters.in_force.join("; ")),
            count(r.filters.excluded, "record", "records")
        )?;
    }
    if let Some(sc) = &r.scope {
        let line = sc.line();
        let line = line.strip_prefix("scope: ").unwrap_or(&line);
        writeln!(out, "scope      {}", terminal(line))?;
    }
    writeln!(
        out,
        "catalog    {} ({} documented codes)",
        terminal(&r.catalog.source),
        r.catalog.entries
    )?;

    writeln!(out, "\n{}", st.head("Classes"))?;
    for (name, n) in &r.classes.0 {
        let line = format!("  {name:<20} {n:>9}");
        let painted = match Class::from_name(name) {
            Some(_) if *n == 0 => st.dim(&line),
            Some(Class::Documented | Class::Ok) => line,
            Some(Class::BodyMissing | Class::NoResponse) => st.warn(&line),
            _ => st.bad(&line),
        };
        writeln!(out, "{painted}")?;
    }

    let documented: Vec<&CodeRow> = r.rows_of(Class::Documented).collect();
    if !documented.is_empty() {
        writeln!(out, "\n{}", st.head("Documented errors seen"))?;
        for row in documented {
            let mut desc = row.description.clone().unwrap_or_default();
            if desc.chars().count() > 70 {
                desc = desc.chars().take(69).collect::<String>() + "…";
            }
            let alias = row
                .alias_of
                .as_ref()
                .map(|a| format!(" (alias of {a})"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {} {} {:>7}  {}{}",
                row.status,
                pad(&code_of(row), 24),
                row.count,
                terminal(&desc),
                terminal(&alias)
            )?;
        }
    }
    for sp in &r.spellings {
        if sp.seen.0.iter().any(|(_, n)| *n > 0) {
            let parts: Vec<String> = sp.seen.0.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
            writeln!(
                out,
                "  {} spellings in traffic: {}",
                sp.status,
                parts.join(", ")
            )?;
        }
    }

    let undocumented: Vec<&CodeRow> = r.rows_of(Class::UndocumentedCode).collect();
    if !undocumented.is_empty() {
        writeln!(out, "\n{}", st.head("Undocumented codes"))?;
        for row in undocumented {
            let hint = row
                .suggestion
                .as_ref()
                .map(|s| format!("  did you mean `{s}`?"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {} {} {:>7}{}  {}",
                row.status,
                st.bad(&pad(&code_of(row), 24)),
                row.count,
                hint,
                st.dim(&places(&row.examples))
            )?;
        }
    }
    let mismatched: Vec<&CodeRow> = r.rows_of(Class::StatusMismatch).collect();
    if !mismatched.is_empty() {
        writeln!(
            out,
            "\n{}",
            st.head("Documented codes under the wrong status")
        )?;
        for row in mismatched {
            let doc: Vec<String> = row.documented_statuses.iter().map(u16::to_string).collect();
            writeln!(
                out,
                "  {} {} {:>7}  documented under {}  {}",
                row.status,
                st.bad(&pad(&code_of(row), 24)),
                row.count,
                doc.join("/"),
                st.dim(&places(&row.examples))
            )?;
        }
    }
    let eos: Vec<&CodeRow> = r.rows_of(Class::ErrorOnSuccess).collect();
    if !eos.is_empty() {
        writeln!(out, "\n{}", st.head("Error envelopes on success statuses"))?;
        for row in eos {
            writeln!(
                out,
                "  {} {} {:>7}  {}",
                row.status,
                pad(&code_of(row), 24),
                row.count,
                st.dim(&places(&row.examples))
            )?;
        }
    }
    if !r.violation_examples.0.is_empty() {
        writeln!(out, "\n{}", st.head("Envelope violations"))?;
        for (kind, ex) in &r.violation_examples.0 {
            let n = r
                .violations
                .0
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0, |(_, n)| *n);
            writeln!(out, "  {:<26} {:>9}  {}", kind, n, st.dim(&places(ex)))?;
        }
    }
    if !r.undocumented_statuses.is_empty() {
        writeln!(
            out,
            "\n{}",
            st.head("Error statuses the catalog never mentions")
        )?;
        for row in &r.undocumented_statuses {
            writeln!(
                out,
                "  {:<26} {:>9}  {}",
                row.status,
                row.count,
                st.dim(&places(&row.examples))
            )?;
        }
    }
    let f = &r.findings;
    if f.body_status_code_mismatch.count + f.json_body_with_non_json_content_type.count > 0 {
        writeln!(out, "\n{}", st.head("Other findings"))?;
        for (what, x) in [
            (
                "body status_code differs from HTTP status",
                &f.body_status_code_mismatch,
            ),
            (
                "JSON error body with non-JSON Content-Type",
                &f.json_body_with_non_json_content_type,
            ),
        ] {
            if x.count > 0 {
                writeln!(
                    out,
                    "  {:<44} {:>7}  {}",
                    what,
                    x.count,
                    st.dim(&places(&x.examples))
                )?;
            }
        }
    }
    if !r.hosts.is_empty() {
        writeln!(out, "\n{}", st.head("Hosts"))?;
        let names: Vec<String> = r
            .hosts
            .iter()
            .take(top)
            .map(|h| terminal(&h.host).into_owned())
            .collect();
        let width = column(names.iter().map(String::as_str), 4, 48);
        writeln!(
            out,
            "  {} {:>9} {:>9} {:>9}",
            pad("host", width),
            "responses",
            "errors",
            "envelopes"
        )?;
        for (h, name) in r.hosts.iter().zip(&names) {
            let line = format!(
                "  {} {:>9} {:>9} {:>9}",
                pad(&fit(name, width), width),
                h.responses,
                h.errors,
                h.envelopes
            );
            if h.in_scope {
                writeln!(out, "{line}")?;
            } else {
                writeln!(out, "{}", st.dim(&format!("{line}  excluded")))?;
            }
        }
        if r.hosts.len() > top {
            let rest = &r.hosts[top..];
            writeln!(
                out,
                "  ... and {} with {} (all listed in --format json)",
                count(rest.len() as u64, "more host", "more hosts"),
                count(
                    rest.iter().map(|h| h.responses).sum(),
                    "response",
                    "responses"
                )
            )?;
        }
    }
    if !r.endpoints.is_empty() {
        writeln!(out, "\n{}", st.head("Endpoints with the most errors"))?;
        let by_host = r.endpoints_by_host();
        let labels: Vec<String> = r
            .endpoints
            .iter()
            .take(top)
            .map(|e| terminal(&e.label(by_host)).into_owned())
            .collect();
        let width = column(labels.iter().map(String::as_str), 36, 60);
        for (e, label) in r.endpoints.iter().zip(&labels) {
            let classes: Vec<String> = e
                .classes
                .0
                .iter()
                .filter(|(c, _)| Class::from_name(c).is_some_and(Class::is_error))
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            writeln!(
                out,
                "  {} {:>7} of {:>7}  {}",
                pad(&fit(label, width), width),
                e.errors,
                e.responses,
                st.dim(&classes.join(", "))
            )?;
        }
    }
    let tl = &r.timeline;
    if let Some(peak) = &tl.peak {
        let counts: Vec<u64> = tl.buckets.iter().map(|b| b.errors).collect();
        writeln!(
            out,
            "\n{}",
            st.head(&format!(
                "Error responses over time ({}s buckets)",
                tl.bucket_seconds
            ))
        )?;
        writeln!(out, "  {}", sparkline(&counts))?;
        let (first, last) = (
            &tl.buckets[0].start,
            &tl.buckets[tl.buckets.len() - 1].start,
        );
        writeln!(out, "  {first} .. {last}")?;
        writeln!(
            out,
            "  peak: {} in the bucket starting {}",
            count(peak.errors, "error", "errors"),
            peak.start
        )?;
    }
    if !r.coverage.seen.is_empty() || r.totals.error_responses > 0 {
        writeln!(
            out,
            "\n{} {} of {} documented codes seen; never seen: {}",
            st.head("Coverage"),
            r.coverage.seen.len(),
            r.coverage.seen.len() + r.coverage.never_seen.len(),
            if r.coverage.never_seen.is_empty() {
                "none".to_string()
            } else {
                r.coverage.never_seen.join(", ")
            }
        )?;
    }
    if let Some(d) = &r.baseline {
        writeln!(
            out,
            "\n{}",
            st.head(&format!("Compared with {}", terminal(&d.path)))
        )?;
        if d.new.is_empty() && d.gone.is_empty() && d.changed.is_empty() {
            writeln!(out, "  no change above {:.0}%", d.threshold * 100.0)?;
        }
        for (what, list) in [("new", &d.new), ("gone", &d.gone), ("changed", &d.changed)] {
            for c in list {
                let line = format!(
                    "  {what:<8} {:<10} {:<44} {:>7} -> {:<7} ({:.2}% -> {:.2}% of responses)",
                    c.kind,
                    terminal(&c.key),
                    c.before,
                    c.after,
                    c.before_share * 100.0,
                    c.after_share * 100.0
                );
                writeln!(
                    out,
                    "{}",
                    if what == "gone" {
                        st.good(&line)
                    } else {
                        st.bad(&line)
                    }
                )?;
            }
        }
    }
    if !r.skipped.is_empty() {
        writeln!(out, "\n{}", st.head("Skipped records"))?;
        for row in &r.skipped {
            let first = row.first_text();
            writeln!(
                out,
                "  {} {:>9}  {}",
                pad(&terminal(&row.reason), 26),
                row.count,
                st.dim(&terminal(&first))
            )?;
        }
    }
    if r.errors.is_empty()
        && r.warnings.is_empty()
        && t.error_responses == r.class(Class::Documented)
        && t.responses > r.class(Class::NoResponse)
    {
        writeln!(
            out,
            "\n{}",
            st.good("Every error response is a documented error.")
        )?;
    }
    Ok(())
}
