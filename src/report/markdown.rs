//! The whole report as Markdown that pastes cleanly into a postmortem or an
//! issue: tables for classes, codes, violations, endpoints and the timeline.

use std::io::{self, Write};

use super::{Place, Report};
use crate::sanitize::terminal;

/// Most rows of the timeline table; adjacent buckets are merged above, so
/// that the table still covers the whole span.
const MAX_TIMELINE_ROWS: usize = 200;

/// Most bars in the timeline's Mermaid chart; adjacent buckets are merged above.
const MAX_CHART_BARS: usize = 100;

/// Most rows of any other list (codes, statuses, changes, skip reasons,
/// inputs, errors); the rest are counted. Endpoints follow `--top`.
const MAX_ROWS: usize = 100;

/// A bucket width as words for a heading: `60-second`, `5-minute`,
/// `2.5-hour`, `204.8-day` (the largest unit that leaves at least 2 of it;
/// exact widths keep their digits).
fn width_words(ms: i64) -> String {
    let secs = ms as f64 / 1000.0;
    let (n, unit) = if secs < 120.0 || (ms % 60_000 != 0 && secs < 7200.0) {
        (secs, "second")
    } else if secs < 7200.0 {
        (secs / 60.0, "minute")
    } else if secs < 172_800.0 {
        (secs / 3600.0, "hour")
    } else {
        (secs / 86_400.0, "day")
    };
    let n = format!("{n:.1}");
    format!("{}-{unit}", n.strip_suffix(".0").unwrap_or(&n))
}

/// The x-axis unit of a chart spanning `span_ms`: (name, ms).
fn axis_unit(span_ms: i64) -> (&'static str, f64) {
    const MIN: i64 = 60_000;
    if span_ms <= 5 * MIN {
        ("seconds", 1e3)
    } else if span_ms <= 5 * 60 * MIN {
        ("minutes", 6e4)
    } else if span_ms <= 5 * 24 * 60 * MIN {
        ("hours", 3.6e6)
    } else {
        ("days", 8.64e7)
    }
}

fn clock(ms: i64, fmt: &str) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format(fmt).to_string())
        .unwrap_or_default()
}

/// A number for a Mermaid axis: at most three decimals, no trailing zeros.
fn axis_num(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The timeline as a Mermaid `xychart-beta` block: errors per bucket as
/// bars, at most [`MAX_CHART_BARS`] (adjacent buckets merged). The x axis
/// is numeric (minutes, hours ... after the first bucket, whose time the
/// axis title gives), so its ticks never overlap however many bars there
/// are; the y axis goes to at least 8, so that its ticks are whole numbers.
/// Only numbers and times: nothing from traffic.
fn mermaid(tl: &super::Timeline) -> Option<String> {
    let (bars, width) = tl.merged(MAX_CHART_BARS);
    let first = bars.first()?.start_ms;
    let n = bars.len();
    let x_axis = if n == 1 {
        format!("x-axis [\"{}\"]", clock(first, "%H:%M"))
    } else {
        let (unit, ms) = axis_unit(n as i64 * width);
        let since = clock(first, "%Y-%m-%d %H:%M");
        let since = since.strip_suffix(" 00:00").unwrap_or(&since);
        format!(
            "x-axis \"{unit} after {since} UTC\" 0 --> {}",
            axis_num((n - 1) as f64 * width as f64 / ms)
        )
    };
    let values: Vec<String> = bars.iter().map(|b| b.errors.to_string()).collect();
    let max = bars.iter().map(|b| b.errors).max().unwrap_or(0).max(8);
    Some(format!(
        "```mermaid\n---\nconfig:\n  xyChart:\n    width: 900\n    height: 360\n  themeVariables:\n    xyChart:\n      plotColorPalette: \"#e15759\"\n---\nxychart-beta\n    title \"Error responses per {} bucket\"\n    {x_axis}\n    y-axis \"errors\" 0 --> {max}\n    bar [{}]\n```\n",
        width_words(width),
        values.join(", ")
    ))
}

/// `and 2,900 more rows (all in the JSON report).` after a cut list.
fn more(out: &mut dyn Write, total: usize, shown: usize, what: &str) -> io::Result<()> {
    if total > shown {
        writeln!(
            out,
            "\n… and {} more {what} (all in the JSON report).",
            total - shown
        )?;
    }
    Ok(())
}

/// Escapes text from traffic for a Markdown table cell. Plain words,
/// numbers and paths stay plain; anything else (links, images, URLs, HTML,
/// entities) goes into a code span, where a Markdown renderer shows it as
/// it is: no link, no image, no autolink, no entity decoding.
pub fn cell(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_alphanumeric() || " .,-/{}#=+'\"()!_*%".contains(c))
        && !s.to_ascii_lowercase().contains("www");
    if s.is_empty() || plain {
        let escaped = s
            .replace('\\', "\\\\")
            .replace('*', "\\*")
            .replace('_', "\\_");
        return terminal(&escaped).into_owned();
    }
    code(s)
}

/// Text in a code span, safe inside a table: the fence is longer than any
/// run of backticks inside, pipes are escaped (GitHub splits table cells
/// before it reads code spans), and control, bidi and invisible characters
/// are escaped.
fn code(s: &str) -> String {
    let t = terminal(s).replace('|', "\\|");
    let longest = t.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if t.starts_with('`') || t.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{t}{pad}{fence}")
}

fn places(p: &[Place], n: usize) -> String {
    p.iter()
        .take(n)
        .map(|p| cell(&p.to_string()))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Writes the report as Markdown.
pub fn write(r: &Report, top: usize, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    writeln!(out, "# tape-audit report\n")?;
    for w in &r.warnings {
        writeln!(out, "> **Warning:** {}\n", cell(w))?;
    }
    writeln!(
        out,
        "{} read: {}, {} skipped, {} excluded by filters.\n",
        super::count(t.records, "record", "records"),
        super::responses_phrase(r, ("with an error status", "with an error status")),
        t.skipped,
        r.filters.excluded
    )?;
    if let Some(span) = &r.time_span {
        writeln!(out, "Time span: {} to {} (UTC).\n", span.first, span.last)?;
    }
    if let Some(sc) = &r.scope {
        let line = sc.line();
        let line = line.strip_prefix("scope: ").unwrap_or(&line);
        writeln!(out, "Scope: {}.\n", cell(line))?;
    }
    if !r.filters.in_force.is_empty() {
        writeln!(out, "Filters: {}.\n", cell(&r.filters.in_force.join("; ")))?;
    }
    writeln!(
        out,
        "Catalog: {} ({} documented codes).\n",
        cell(&r.catalog.source),
        r.catalog.entries
    )?;
    writeln!(
        out,
        "| input | format | records | responses | skipped |\n| --- | --- | ---: | ---: | ---: |"
    )?;
    for i in r.inputs.iter().take(MAX_ROWS) {
        let fmt = [i.format, i.compression]
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let fmt = match &i.shape {
            Some(s) => format!("{fmt}, shape {s}"),
            None => fmt,
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&i.path),
            cell(&fmt),
            i.records,
            i.responses,
            i.skipped
        )?;
    }
    more(out, r.inputs.len(), MAX_ROWS, "inputs")?;

    writeln!(out, "\n## Classes\n\n| class | responses |\n| --- | ---: |")?;
    for (name, n) in &r.classes.0 {
        writeln!(out, "| {} | {n} |", code(name))?;
    }

    writeln!(out, "\n## Error codes\n")?;
    writeln!(
        out,
        "| status | error_code | class | count | first seen | last seen | note | examples |"
    )?;
    writeln!(out, "| ---: | --- | --- | ---: | --- | --- | --- | --- |")?;
    let errors: Vec<&super::CodeRow> = r.codes.iter().filter(|c| c.class != "ok").collect();
    // Over the cap, the most frequent rows, kept in the model's order.
    let mut by_count: Vec<usize> = (0..errors.len()).collect();
    by_count.sort_by_key(|&i| std::cmp::Reverse(errors[i].count));
    let mut keep = vec![false; errors.len()];
    for &i in by_count.iter().take(MAX_ROWS) {
        keep[i] = true;
    }
    for row in errors
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(r, _)| r)
    {
        let note = if let Some(s) = &row.suggestion {
            format!("did you mean {}?", code(s))
        } else if row.class == "status_mismatch" {
            let st: Vec<String> = row.documented_statuses.iter().map(u16::to_string).collect();
            format!("documented under {}", st.join("/"))
        } else if let Some(a) = &row.alias_of {
            format!("alias of {}", code(a))
        } else {
            String::new()
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.status,
            row.error_code.as_deref().map_or_else(|| "-".into(), code),
            code(row.class),
            row.count,
            row.first_seen.as_deref().unwrap_or(""),
            row.last_seen.as_deref().unwrap_or(""),
            note,
            places(&row.examples, 3)
        )?;
    }
    more(out, errors.len(), MAX_ROWS, "rows, the least frequent,")?;
    if let Some(f) = &r.codes_fold {
        writeln!(out, "\n{}.", cell(&f.statement))?;
    }
    for sp in &r.spellings {
        if sp.seen.0.iter().any(|(_, n)| *n > 0) {
            let parts: Vec<String> = sp
                .seen
                .0
                .iter()
                .map(|(c, n)| format!("{} ×{n}", code(c)))
                .collect();
            writeln!(
                out,
                "\nSpellings of the {} code in traffic: {}.",
                sp.status,
                parts.join(", ")
            )?;
        }
    }

    if !r.violation_examples.0.is_empty() {
        writeln!(
            out,
            "\n## Envelope violations\n\n| violation | count | examples |\n| --- | ---: | --- |"
        )?;
        for (kind, ex) in &r.violation_examples.0 {
            writeln!(
                out,
                "| {} | {} | {} |",
                code(kind),
                r.violations.get(kind),
                places(ex, 3)
            )?;
        }
    }
    if !r.undocumented_statuses.is_empty() {
        writeln!(out, "\n## Error statuses the catalog never mentions\n\n| status | count | examples |\n| ---: | ---: | --- |")?;
        for s in r.undocumented_statuses.iter().take(MAX_ROWS) {
            writeln!(
                out,
                "| {} | {} | {} |",
                s.status,
                s.count,
                places(&s.examples, 3)
            )?;
        }
        more(out, r.undocumented_statuses.len(), MAX_ROWS, "statuses")?;
    }
    if !r.hosts.is_empty() {
        writeln!(out, "\n## Hosts\n\n| host | responses | errors | error envelopes | audited |\n| --- | ---: | ---: | ---: | --- |")?;
        for h in r.hosts.iter().take(top) {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&h.host),
                h.responses,
                h.errors,
                h.envelopes,
                if h.in_scope { "yes" } else { "no (excluded)" }
            )?;
        }
        if let Some(f) = &r.hosts_fold {
            writeln!(out, "\n{}.", cell(&f.statement))?;
        } else if r.hosts.len() > top {
            writeln!(
                out,
                "\n{} more (all listed in the JSON report).",
                super::count((r.hosts.len() - top) as u64, "host", "hosts")
            )?;
        }
    }
    if !r.endpoints.is_empty() {
        let by_host = r.endpoints_by_host();
        writeln!(out, "\n## Endpoints with the most errors\n\n| endpoint | responses | errors | classes |\n| --- | ---: | ---: | --- |")?;
        for e in r.endpoints.iter().take(top) {
            let classes: Vec<String> = e
                .classes
                .0
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(&e.label(by_host)),
                e.responses,
                e.errors,
                cell(&classes.join(", "))
            )?;
        }
        if let Some(f) = &r.endpoints_fold {
            writeln!(out, "\n{}.", cell(&f.statement))?;
        }
    }
    let tl = &r.timeline;
    if tl.buckets.iter().any(|b| b.responses > 0) {
        writeln!(
            out,
            "\n## Timeline ({}-second buckets)\n",
            tl.bucket_seconds
        )?;
        if let Some(note) = &tl.note {
            writeln!(out, "Note: {note}.\n")?;
        }
        if let Some(p) = &tl.peak {
            writeln!(
                out,
                "Peak: {} error responses in the bucket starting {}.\n",
                p.errors, p.start
            )?;
        }
        if let Some(chart) = mermaid(tl) {
            writeln!(out, "{chart}")?;
        }
        // Buckets with traffic; over the cap, merged so that the rows still
        // cover the whole span.
        let busy = tl.buckets.iter().filter(|b| b.responses > 0).count();
        let merged;
        let rows: Vec<(i64, u64, u64)> = if busy > MAX_TIMELINE_ROWS {
            let (m, width) = tl.merged(MAX_TIMELINE_ROWS);
            merged = width;
            m.iter()
                .map(|b| (b.start_ms, b.responses, b.errors))
                .collect()
        } else {
            merged = 0;
            tl.buckets
                .iter()
                .map(|b| (b.start_ms, b.responses, b.errors))
                .collect()
        };
        if merged > 0 {
            writeln!(
                out,
                "{busy} buckets with traffic, merged into {} buckets for this table (each bucket is in the JSON report).\n",
                width_words(merged)
            )?;
        }
        writeln!(
            out,
            "| bucket start | responses | errors |\n| --- | ---: | ---: |"
        )?;
        for (start, responses, errors) in rows.into_iter().filter(|r| r.1 > 0) {
            writeln!(
                out,
                "| {} | {responses} | {errors} |",
                crate::exchange::format_time(start)
            )?;
        }
    }
    writeln!(out, "\n## Catalog coverage\n")?;
    let list = |v: &[String]| {
        let mut l = v
            .iter()
            .take(MAX_ROWS * 2)
            .map(|s| code(s))
            .collect::<Vec<_>>()
            .join(", ");
        if v.len() > MAX_ROWS * 2 {
            l.push_str(&format!(" and {} more", v.len() - MAX_ROWS * 2));
        }
        l
    };
    writeln!(
        out,
        "- Seen: {}",
        if r.coverage.seen.is_empty() {
            "none".into()
        } else {
            list(&r.coverage.seen)
        }
    )?;
    writeln!(
        out,
        "- Never seen: {}",
        if r.coverage.never_seen.is_empty() {
            "none".into()
        } else {
            list(&r.coverage.never_seen)
        }
    )?;
    if let Some(d) = &r.baseline {
        writeln!(out, "\n## Compared with {}\n", cell(&d.path))?;
        writeln!(
            out,
            "| change | kind | key | before | after |\n| --- | --- | --- | ---: | ---: |"
        )?;
        let mut cut = 0;
        for (what, list) in [("new", &d.new), ("gone", &d.gone), ("changed", &d.changed)] {
            cut += list.len().saturating_sub(MAX_ROWS);
            for c in list.iter().take(MAX_ROWS) {
                writeln!(
                    out,
                    "| {what} | {} | {} | {} | {} |",
                    c.kind,
                    cell(&c.key),
                    c.before,
                    c.after
                )?;
            }
        }
        if d.new.is_empty() && d.gone.is_empty() && d.changed.is_empty() {
            writeln!(out, "| none | | | | |")?;
        }
        more(out, cut, 0, "changes")?;
    }
    if !r.skipped.is_empty() {
        writeln!(
            out,
            "\n## Skipped records\n\n| reason | count | first |\n| --- | ---: | --- |"
        )?;
        for s in r.skipped.iter().take(MAX_ROWS) {
            let first = s.first_text();
            writeln!(
                out,
                "| {} | {} | {} |",
                code(&s.reason),
                s.count,
                cell(&first)
            )?;
        }
        more(out, r.skipped.len(), MAX_ROWS, "reasons")?;
    }
    if !r.errors.is_empty() {
        writeln!(out, "\n## Errors\n")?;
        for e in r.errors.iter().take(MAX_ROWS) {
            writeln!(out, "- {}", cell(e))?;
        }
        more(out, r.errors.len(), MAX_ROWS, "errors")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_widths_in_words() {
        assert_eq!(width_words(60_000), "60-second");
        assert_eq!(width_words(1_500), "1.5-second");
        assert_eq!(width_words(300_000), "5-minute");
        assert_eq!(width_words(9_000_000), "2.5-hour");
        assert_eq!(width_words(17_692_200_000), "204.8-day");
    }

    #[test]
    fn cells_cannot_break_tables() {
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(cell("<script>"), "`<script>`");
        assert_eq!(cell("x\ny"), "`x\\ny`");
        assert_eq!(code("a`b|c"), "``a`b\\|c``");
        assert_eq!(cell("testdata/a.jsonl line 20"), "testdata/a.jsonl line 20");
        for hostile in [
            "![](https://t.example/p.png)",
            "[x](https://evil.example)",
            "https://evil.example/a",
            "www.evil.example",
            "&#x202E;",
        ] {
            let c = cell(hostile);
            assert!(c.starts_with('`') && c.ends_with('`'), "{c}");
        }
    }
}
