//! The whole report as Markdown that pastes cleanly into a postmortem or an
//! issue: tables for classes, codes, violations, endpoints and the timeline.

use std::io::{self, Write};

use super::{Place, Report};
use crate::sanitize::terminal;

/// Most timeline rows written; the JSON report has them all.
const MAX_TIMELINE_ROWS: usize = 500;

/// Most bars in the timeline's Mermaid chart; adjacent buckets are merged above.
const MAX_CHART_BARS: usize = 100;

/// The timeline as a Mermaid `xychart-beta` block: errors per bucket as
/// bars, at most [`MAX_CHART_BARS`] (adjacent buckets merged), x labels as
/// HH:MM (UTC). Only numbers and times: nothing from traffic.
fn mermaid(tl: &super::Timeline) -> Option<String> {
    let (first, last) = (tl.buckets.first()?, tl.buckets.last()?);
    let b = ((tl.bucket_seconds * 1000.0).round() as i64).max(1);
    let slots = (last.start_ms - first.start_ms) / b + 1;
    let k = (slots as usize).div_ceil(MAX_CHART_BARS).max(1) as i64;
    let width = b * k;
    let n = ((last.start_ms - first.start_ms) / width + 1) as usize;
    let mut bars = vec![0u64; n];
    for row in &tl.buckets {
        if let Some(x) = bars.get_mut(((row.start_ms - first.start_ms) / width) as usize) {
            *x += row.errors;
        }
    }
    let hhmm = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default()
    };
    let labels: Vec<String> = (0..n)
        .map(|i| format!("\"{}\"", hhmm(first.start_ms + i as i64 * width)))
        .collect();
    let values: Vec<String> = bars.iter().map(u64::to_string).collect();
    let max = bars.iter().copied().max().unwrap_or(0).max(1);
    let secs = width as f64 / 1000.0;
    Some(format!(
        "```mermaid\nxychart-beta\n    title \"Error responses per {secs}-second bucket (UTC)\"\n    x-axis [{}]\n    y-axis \"errors\" 0 --> {max}\n    bar [{}]\n```\n",
        labels.join(", "),
        values.join(", ")
    ))
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
    for i in &r.inputs {
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
    for row in r.codes.iter().filter(|c| c.class != "ok") {
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
        for s in &r.undocumented_statuses {
            writeln!(
                out,
                "| {} | {} | {} |",
                s.status,
                s.count,
                places(&s.examples, 3)
            )?;
        }
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
        if r.hosts.len() > top {
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
    }
    let tl = &r.timeline;
    let busy: Vec<_> = tl.buckets.iter().filter(|b| b.responses > 0).collect();
    if !busy.is_empty() {
        writeln!(
            out,
            "\n## Timeline ({}-second buckets)\n",
            tl.bucket_seconds
        )?;
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
        writeln!(
            out,
            "| bucket start | responses | errors |\n| --- | ---: | ---: |"
        )?;
        for b in busy.iter().take(MAX_TIMELINE_ROWS) {
            writeln!(out, "| {} | {} | {} |", b.start, b.responses, b.errors)?;
        }
        if busy.len() > MAX_TIMELINE_ROWS {
            writeln!(
                out,
                "\n({} more buckets in the JSON report.)",
                busy.len() - MAX_TIMELINE_ROWS
            )?;
        }
    }
    writeln!(out, "\n## Catalog coverage\n")?;
    let list = |v: &[String]| v.iter().map(|s| code(s)).collect::<Vec<_>>().join(", ");
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
        for (what, list) in [("new", &d.new), ("gone", &d.gone), ("changed", &d.changed)] {
            for c in list {
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
    }
    if !r.skipped.is_empty() {
        writeln!(
            out,
            "\n## Skipped records\n\n| reason | count | first |\n| --- | ---: | --- |"
        )?;
        for s in &r.skipped {
            let first = s.first_text();
            writeln!(
                out,
                "| {} | {} | {} |",
                code(&s.reason),
                s.count,
                cell(&first)
            )?;
        }
    }
    if !r.errors.is_empty() {
        writeln!(out, "\n## Errors\n")?;
        for e in &r.errors {
            writeln!(out, "- {}", cell(e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
