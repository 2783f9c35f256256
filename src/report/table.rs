//! The terminal summary: what a person reads in ten seconds. Every string
//! that came from traffic is escaped before it is printed.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use super::{count, responses_phrase, CodeRow, Place, Report};
use crate::classify::Class;
use crate::sanitize::terminal;

/// Inputs listed one per line before the rest are counted.
const MAX_INPUTS: usize = 12;

/// Narrowest width lines are cut at.
const MIN_WIDTH: usize = 40;

/// Longest request id shown in full; longer ones are cut.
const REQUEST_ID_MAX: usize = 16;

/// Inputs left out of a walk listed one per line; more are counted.
const MAX_LEFT_OUT: usize = 3;

/// How many locators are listed per problem.
const SHOWN: usize = 3;

/// ANSI styling, or none, and the width lines are cut at.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
    /// Terminal columns; `None`: lines are not cut.
    width: Option<usize>,
}

impl Style {
    /// Colour on or off, lines not cut.
    pub fn new(color: bool) -> Style {
        Style { color, width: None }
    }

    /// Lines cut at `width` columns (`None`: not cut).
    pub fn with_width(self, width: Option<usize>) -> Style {
        Style {
            width: width.map(|w| w.max(MIN_WIDTH)),
            ..self
        }
    }

    /// `text` cut to what is left of the line after `used` columns.
    fn tail(&self, used: usize, text: &str) -> String {
        match self.width {
            Some(w) => fit(text, w.saturating_sub(used).max(12)),
            None => text.to_string(),
        }
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

/// The first locators of a finding, each input's path written once (and
/// not at all when it is `known`: the only input, or the section's),
/// request ids short: `entry 4 [req-4], entry 9; b.har line 3`.
fn places(p: &[Place], known: Option<&str>) -> String {
    let mut out = String::new();
    let mut last: Option<&str> = known;
    for x in p.iter().take(SHOWN) {
        if !out.is_empty() {
            out.push_str(if last == Some(x.file.as_str()) {
                ", "
            } else {
                "; "
            });
        }
        if last != Some(x.file.as_str()) {
            out.push_str(&terminal(&x.file));
            out.push(' ');
            last = Some(&x.file);
        }
        out.push_str(&format!("{} {}", x.kind, x.index));
        if let Some(r) = &x.request_id {
            out.push_str(&format!(" [{}]", fit(&terminal(r), REQUEST_ID_MAX)));
        }
    }
    if p.len() > SHOWN {
        out.push_str(", …");
    }
    out
}

/// Writes `head` (perhaps coloured) and then `examples`, dimmed and cut
/// to the terminal's width.
fn example_line(out: &mut dyn Write, st: &Style, head: &str, examples: &str) -> io::Result<()> {
    let used = UnicodeWidthStr::width(strip_ansi(head).as_str());
    if examples.is_empty() {
        return writeln!(out, "{}", head.trim_end());
    }
    let tail = st.tail(used, examples);
    writeln!(out, "{}{}", head, st.dim(&tail))
}

/// `s` without the colour escapes [`Style`] adds.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The one input every listed locator of a section is in, if there is one.
fn section_file<'a>(lists: impl IntoIterator<Item = &'a [Place]>) -> Option<&'a str> {
    let mut file: Option<&str> = None;
    for l in lists {
        for x in l.iter().take(SHOWN) {
            match file {
                None => file = Some(&x.file),
                Some(f) if f == x.file => {}
                Some(_) => return None,
            }
        }
    }
    file
}

/// A section's heading; with several inputs, the one its examples are in.
fn heading(st: &Style, r: &Report, title: &str, file: Option<&str>) -> String {
    match file {
        Some(f) if r.inputs.len() > 1 => {
            let used = UnicodeWidthStr::width(title);
            let note = st.tail(used, &format!("  (examples in {})", terminal(f)));
            format!("{}{}", st.head(title), st.dim(&note))
        }
        _ => st.head(title),
    }
}

fn code_of(r: &CodeRow) -> String {
    r.error_code
        .as_deref()
        .map_or_else(|| "-".to_string(), |c| terminal(c).into_owned())
}

/// Eight levels of a sparkline.
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Widest sparkline drawn when the terminal's width is not known.
const SPARK_WIDTH: usize = 60;

/// A timeline folded into at most `width` columns: per column, its error
/// responses and whether any record fell in it.
struct Spark {
    /// Buckets per column.
    per: usize,
    /// Per column: errors, and responses of any kind.
    cols: Vec<(u64, u64)>,
}

impl Spark {
    fn new(buckets: &[super::BucketRow], width: usize) -> Spark {
        let per = buckets.len().div_ceil(width.max(1)).max(1);
        let cols = buckets
            .chunks(per)
            .map(|c| {
                c.iter()
                    .fold((0, 0), |(e, n), b| (e + b.errors, n + b.responses))
            })
            .collect();
        Spark { per, cols }
    }

    /// The most errors in one column.
    fn max(&self) -> u64 {
        self.cols.iter().map(|c| c.0).max().unwrap_or(0)
    }

    /// Block characters scaled to the busiest column; a column with
    /// records but no error is blank, one with no record at all (a gap in
    /// time) is `·`.
    fn line(&self) -> String {
        let max = self.max().max(1);
        self.cols
            .iter()
            .map(|&(n, all)| match (n, all) {
                (0, 0) => '·',
                (0, _) => ' ',
                _ => SPARKS[((n * 7).div_ceil(max)) as usize],
            })
            .collect()
    }
}

/// `90s`, `5m`, `26m 50s`, `2h`, `1d 6h`: a span of seconds in words.
fn span_words(secs: f64) -> String {
    if secs < 1.0 {
        return format!("{}ms", (secs * 1000.0).round());
    }
    let s = secs.round() as u64;
    let (d, h, m, sec) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60);
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m"), (sec, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .take(2)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    parts.join(" ")
}

/// Writes the terminal summary.
pub fn write(r: &Report, top: usize, st: Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(width) = st.width else {
        return write_lines(r, top, st, out);
    };
    // Every line fits the terminal: the sections cut their long parts
    // where it reads best, and any line still too wide is cut here.
    let mut buf = Vec::new();
    write_lines(r, top, st, &mut buf)?;
    for line in String::from_utf8_lossy(&buf).split_inclusive('\n') {
        let (text, nl) = match line.strip_suffix('\n') {
            Some(t) => (t, "\n"),
            None => (line, ""),
        };
        write!(out, "{}{nl}", cut_line(text, width))?;
    }
    Ok(())
}

/// `line` cut to `width` visible columns (colour escapes kept, not
/// counted), ending in `…` when cut.
fn cut_line(line: &str, width: usize) -> String {
    if UnicodeWidthStr::width(strip_ansi(line).as_str()) <= width {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut used = 0;
    let mut painted = false;
    let mut it = line.chars();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            let mut esc = String::from(c);
            for d in it.by_ref() {
                esc.push(d);
                if d == 'm' {
                    break;
                }
            }
            painted = esc != "\x1b[0m";
            out.push_str(&esc);
            continue;
        }
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw + 1 > width {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    if painted {
        out.push_str("\x1b[0m");
    }
    out
}

fn write_lines(r: &Report, top: usize, st: Style, out: &mut dyn Write) -> io::Result<()> {
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
            let desc = row.description.clone().unwrap_or_default();
            let alias = row
                .alias_of
                .as_ref()
                .map(|a| format!("(alias of {a}) "))
                .unwrap_or_default();
            let head = format!(
                "  {} {} {:>7}  ",
                row.status,
                pad(&code_of(row), 24),
                row.count
            );
            // The alias first: it is cut last.
            let text = terminal(&format!("{alias}{desc}")).into_owned();
            let used = UnicodeWidthStr::width(head.as_str());
            let text = match st.width {
                Some(_) => st.tail(used, &text),
                None => fit(&text, 90),
            };
            writeln!(out, "{head}{text}")?;
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

    // One input: the paths are in the header already.
    let only = (r.inputs.len() == 1).then(|| r.inputs[0].path.as_str());
    let undocumented: Vec<&CodeRow> = r.rows_of(Class::UndocumentedCode).collect();
    if !undocumented.is_empty() {
        let file = only.or(section_file(undocumented.iter().map(|r| &r.examples[..])));
        writeln!(out, "\n{}", heading(&st, r, "Undocumented codes", file))?;
        for row in undocumented {
            let hint = row
                .suggestion
                .as_ref()
                .map(|s| format!("  did you mean `{}`?", terminal(s)))
                .unwrap_or_default();
            let head = format!(
                "  {} {} {:>7}{}  ",
                row.status,
                st.bad(&pad(&code_of(row), 24)),
                row.count,
                hint
            );
            example_line(out, &st, &head, &places(&row.examples, file))?;
        }
    }
    let mismatched: Vec<&CodeRow> = r.rows_of(Class::StatusMismatch).collect();
    if !mismatched.is_empty() {
        let file = only.or(section_file(mismatched.iter().map(|r| &r.examples[..])));
        let title = "Documented codes under the wrong status";
        writeln!(out, "\n{}", heading(&st, r, title, file))?;
        for row in mismatched {
            let doc: Vec<String> = row.documented_statuses.iter().map(u16::to_string).collect();
            let head = format!(
                "  {} {} {:>7}  documented under {}  ",
                row.status,
                st.bad(&pad(&code_of(row), 24)),
                row.count,
                doc.join("/"),
            );
            example_line(out, &st, &head, &places(&row.examples, file))?;
        }
    }
    let eos: Vec<&CodeRow> = r.rows_of(Class::ErrorOnSuccess).collect();
    if !eos.is_empty() {
        let file = only.or(section_file(eos.iter().map(|r| &r.examples[..])));
        let title = "Error envelopes on success statuses";
        writeln!(out, "\n{}", heading(&st, r, title, file))?;
        for row in eos {
            let head = format!(
                "  {} {} {:>7}  ",
                row.status,
                pad(&code_of(row), 24),
                row.count
            );
            example_line(out, &st, &head, &places(&row.examples, file))?;
        }
    }
    if let Some(f) = &r.codes_fold {
        writeln!(out, "\n  {}", st.warn(&terminal(&f.statement)))?;
    }
    if !r.violation_examples.0.is_empty() {
        let file = only.or(section_file(
            r.violation_examples.0.iter().map(|(_, e)| &e[..]),
        ));
        writeln!(out, "\n{}", heading(&st, r, "Envelope violations", file))?;
        for (kind, ex) in &r.violation_examples.0 {
            let n = r
                .violations
                .0
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0, |(_, n)| *n);
            let head = format!("  {kind:<26} {n:>9}  ");
            example_line(out, &st, &head, &places(ex, file))?;
        }
    }
    if !r.undocumented_statuses.is_empty() {
        let file = only.or(section_file(
            r.undocumented_statuses.iter().map(|r| &r.examples[..]),
        ));
        let title = "Error statuses the catalog never mentions";
        writeln!(out, "\n{}", heading(&st, r, title, file))?;
        for row in &r.undocumented_statuses {
            let head = format!("  {:<26} {:>9}  ", row.status, row.count);
            example_line(out, &st, &head, &places(&row.examples, file))?;
        }
    }
    let f = &r.findings;
    if f.body_status_code_mismatch.count + f.json_body_with_non_json_content_type.count > 0 {
        let lists = [
            &f.body_status_code_mismatch.examples[..],
            &f.json_body_with_non_json_content_type.examples[..],
        ];
        let file = only.or(section_file(lists));
        writeln!(out, "\n{}", heading(&st, r, "Other findings", file))?;
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
                let head = format!("  {:<44} {:>7}  ", what, x.count);
                example_line(out, &st, &head, &places(&x.examples, file))?;
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
        let rest = r.hosts.get(top..).unwrap_or_default();
        let folded = r
            .hosts_fold
            .as_ref()
            .map_or((0, 0), |f| (f.others, f.responses));
        if !rest.is_empty() || folded.0 > 0 {
            writeln!(
                out,
                "  ... and {} with {} ({} in --format json)",
                count(rest.len() as u64 + folded.0, "more host", "more hosts"),
                count(
                    rest.iter().map(|h| h.responses).sum::<u64>() + folded.1,
                    "response",
                    "responses"
                ),
                if folded.0 > 0 {
                    "the --max-hosts with the most responses listed"
                } else {
                    "all listed"
                }
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
            let head = format!(
                "  {} {:>7} of {:>7}  ",
                pad(&fit(label, width), width),
                e.errors,
                e.responses
            );
            example_line(out, &st, &head, &classes.join(", "))?;
        }
        if let Some(f) = &r.endpoints_fold {
            writeln!(out, "  {}", st.warn(&terminal(&f.statement)))?;
        }
    }
    let tl = &r.timeline;
    if let Some(peak) = &tl.peak {
        let width = st
            .width
            .map_or(SPARK_WIDTH, |w| w.saturating_sub(4).max(10));
        let spark = Spark::new(&tl.buckets, width);
        writeln!(
            out,
            "\n{}",
            st.head(&format!(
                "Error responses over time ({} buckets)",
                span_words(tl.bucket_seconds)
            ))
        )?;
        if let Some(note) = &tl.note {
            writeln!(out, "  {}", st.dim(note))?;
        }
        writeln!(out, "  {}", spark.line())?;
        let (first, last) = (
            &tl.buckets[0].start,
            &tl.buckets[tl.buckets.len() - 1].start,
        );
        writeln!(out, "  {first} .. {last}")?;
        let gaps = if spark.cols.iter().any(|c| c.1 == 0) {
            "; · no records"
        } else {
            ""
        };
        writeln!(
            out,
            "  {}",
            st.dim(&format!(
                "1 column = {}; █ = {} in a column{gaps}",
                span_words(tl.bucket_seconds * spark.per as f64),
                count(spark.max(), "error", "errors")
            ))
        )?;
        let tied: Vec<&super::BucketRow> = tl
            .buckets
            .iter()
            .filter(|b| b.errors == peak.errors)
            .collect();
        if tied.len() > 1 {
            writeln!(
                out,
                "  peak: {} in each of {} buckets, the first starting {}, the last {}",
                count(peak.errors, "error", "errors"),
                tied.len(),
                tied[0].start,
                tied[tied.len() - 1].start
            )?;
        } else {
            writeln!(
                out,
                "  peak: {} in the bucket starting {}",
                count(peak.errors, "error", "errors"),
                peak.start
            )?;
        }
    }
    if !r.coverage.seen.is_empty() || r.totals.error_responses > 0 {
        let head = format!(
            "{} {} of {} documented codes seen; never seen: ",
            st.head("Coverage"),
            r.coverage.seen.len(),
            r.coverage.seen.len() + r.coverage.never_seen.len(),
        );
        let never = if r.coverage.never_seen.is_empty() {
            "none".to_string()
        } else {
            terminal(&r.coverage.never_seen.join(", ")).into_owned()
        };
        let used = UnicodeWidthStr::width(strip_ansi(&head).as_str());
        writeln!(out, "\n{head}{}", st.tail(used, &never))?;
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
            let head = format!("  {} {:>9}  ", pad(&terminal(&row.reason), 26), row.count);
            example_line(out, &st, &head, &terminal(&first))?;
        }
    }
    // Errors and warnings are at the top, which a long report scrolls off.
    if !r.errors.is_empty() || !r.warnings.is_empty() {
        let mut parts: Vec<String> = r.errors.iter().map(|e| terminal(e).into_owned()).collect();
        parts.extend(
            r.warnings
                .iter()
                .map(|w| format!("warning: {}", terminal(w))),
        );
        let head = match r.errors.len() {
            0 => "\nWarnings (see the top): ".to_string(),
            n => format!("\n{} (see stderr): ", count(n as u64, "error", "errors")),
        };
        let used = UnicodeWidthStr::width(head.trim_start());
        writeln!(
            out,
            "{}",
            st.bad(&format!("{head}{}", st.tail(used, &parts.join("; "))))
        )?;
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
