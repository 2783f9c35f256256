//! The report as one self-contained HTML page: no script, no network
//! requests of any kind (a Content-Security-Policy forbids them), light and
//! dark by `prefers-color-scheme`, printable. Charts are inline SVG.
//!
//! Every string from traffic goes through [`esc`] (control, bidi and
//! invisible characters escaped as for the terminal, then `& < > " '` as
//! entities) and appears only in text or in quoted attributes: never in a
//! style, a script or a URL. Lists are capped and the timeline is coarsened
//! to [`MAX_POINTS`], so the page of a huge log stays a few hundred KB.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{BucketRow, CodeRow, Place, Report};
use crate::classify::Class;
use crate::sanitize::terminal;

/// The page's Content-Security-Policy: nothing may be fetched; inline
/// styles and `data:` images only.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// Most points the timeline chart draws; adjacent buckets are merged above.
pub const MAX_POINTS: usize = 1500;

/// Most rows of any list; the rest are counted ("and N more").
const MAX_ROWS: usize = 100;

/// Locators shown per row.
const SHOWN: usize = 3;

/// Timeline groups up to which each bar gets a hover title.
const MAX_TITLED: usize = 300;

/// Error classes, stacked in the timeline from the bottom up.
const STACKED: [Class; 5] = [
    Class::Documented,
    Class::StatusMismatch,
    Class::UndocumentedCode,
    Class::EnvelopeViolation,
    Class::BodyMissing,
];

/// Escapes text for HTML text and quoted attribute values.
pub fn esc(s: &str) -> String {
    let t = terminal(s);
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `12345` as `12,345`.
fn num(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(a: u64, b: u64) -> String {
    if b == 0 {
        return "0%".into();
    }
    let p = 100.0 * a as f64 / b as f64;
    if p > 0.0 && p < 0.1 {
        "&lt;0.1%".into()
    } else {
        format!("{p:.1}%")
    }
}

fn more(out: &mut String, total: usize, shown: usize, what: &str) {
    if total > shown {
        let _ = write!(
            out,
            "<p class=\"more\">and {} more {what} (all in <code>--format json</code>)</p>",
            num((total - shown) as u64)
        );
    }
}

fn places(p: &[Place]) -> String {
    if p.is_empty() {
        return String::new();
    }
    let mut s = String::from("<div class=\"ex\">");
    for (i, p) in p.iter().take(SHOWN).enumerate() {
        if i > 0 {
            s.push_str("<br>");
        }
        let _ = write!(s, "<code>{} {} {}</code>", esc(&p.file), p.kind, p.index);
        if let Some(r) = &p.request_id {
            let _ = write!(
                s,
                " <span class=\"rid\">request <code>{}</code></span>",
                esc(r)
            );
        }
    }
    if p.len() > SHOWN {
        let _ = write!(
            s,
            "<br><span class=\"dim\">+{} more</span>",
            p.len() - SHOWN
        );
    }
    s.push_str("</div>");
    s
}

/// `2024-06-11T10:15:00.000Z` as `2024-06-11 10:15:00`.
fn short_time(t: &str) -> String {
    esc(&t
        .replace('T', " ")
        .trim_end_matches('Z')
        .replace(".000", ""))
}

fn parse_ms(t: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(t.trim())
        .ok()
        .map(|d| d.timestamp_millis())
}

const STYLE: &str = r#"
:root{--bg:#fff;--fg:#1f2328;--dim:#656d76;--line:#d0d7de;--card:#f6f8fa;--warn-bg:#fff8c5;--warn:#7d4e00;--err-bg:#ffebe9;--err:#a40e26;--grid:#e6e9ed;--gap:#eef0f2;--win:#0969da;--rate:#1f2328;
--ok:#59a14f;--no_response:#a0a0a0;--error_on_success:#d4a72c;--body_missing:#9c755f;--envelope_violation:#b07aa1;--documented:#4e79a7;--status_mismatch:#f28e2b;--undocumented_code:#e15759}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--dim:#9198a1;--line:#3d444d;--card:#161b22;--warn-bg:#3b2e00;--warn:#f2cc60;--err-bg:#3d1214;--err:#ff9492;--grid:#262c34;--gap:#1c2128;--win:#58a6ff;--rate:#e6edf3;
--ok:#6cc05f;--no_response:#8b949e;--error_on_success:#e3b341;--body_missing:#b8917a;--envelope_violation:#c792ea;--documented:#6c9bd2;--status_mismatch:#f9a24a;--undocumented_code:#ff6b6e}}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0 auto;max-width:1200px;padding:16px 20px 40px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}h3{font-size:15px;margin:18px 0 6px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
.dim,.more{color:var(--dim)}.more{font-style:italic;margin:4px 0}
.lead{font-size:15px;margin:4px 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}.card span{color:var(--dim);font-size:12px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dl.meta dt{color:var(--dim)}dl.meta dd{margin:0;overflow-wrap:anywhere}
.alert{border-radius:6px;padding:8px 12px;margin:8px 0;border:1px solid}
.alert.warn{background:var(--warn-bg);color:var(--warn);border-color:var(--warn)}.alert.err{background:var(--err-bg);color:var(--err);border-color:var(--err)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--dim);font-weight:600;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
.bar{display:flex;height:22px;border-radius:4px;overflow:hidden;border:1px solid var(--line);margin:8px 0}
.bar span{display:block;height:100%}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:6px 0;padding:0;list-style:none}
.legend li{white-space:nowrap}.ex{min-width:22em}.ex code{overflow-wrap:anywhere}.rid{white-space:nowrap}td.c code{white-space:nowrap}td.desc{min-width:16em}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.k-ok{background:var(--ok);fill:var(--ok)}.k-no_response{background:var(--no_response);fill:var(--no_response)}.k-error_on_success{background:var(--error_on_success);fill:var(--error_on_success)}.k-body_missing{background:var(--body_missing);fill:var(--body_missing)}.k-envelope_violation{background:var(--envelope_violation);fill:var(--envelope_violation)}.k-documented{background:var(--documented);fill:var(--documented)}.k-status_mismatch{background:var(--status_mismatch);fill:var(--status_mismatch)}.k-undocumented_code{background:var(--undocumented_code);fill:var(--undocumented_code)}
.pill{display:inline-block;padding:0 6px;border-radius:9px;font-size:12px;color:#fff;white-space:nowrap}
.pill.k-error_on_success,.pill.k-status_mismatch,.pill.k-no_response{color:#111}
.chart{overflow-x:auto}.chart svg{display:block;width:100%;min-width:640px;height:auto}
svg text{fill:var(--fg);font:12px system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
svg .axis{stroke:var(--dim);stroke-width:1}svg .grid{stroke:var(--grid);stroke-width:1}
svg .gap{fill:var(--gap)}svg .win{fill:var(--win);fill-opacity:.10;stroke:var(--win);stroke-opacity:.6;stroke-dasharray:4 3}
svg .rate{fill:none;stroke:var(--rate);stroke-width:1.6;stroke-linejoin:round}svg .halo{fill:none;stroke:var(--bg);stroke-width:4.5;stroke-linejoin:round;stroke-opacity:.85}svg .peak{fill:var(--fg)}
svg .hit{fill:transparent}svg .hit:hover{fill:var(--fg);fill-opacity:.08}
svg .sub{fill:var(--dim)}
.sw.line{height:2px;vertical-align:3px;background:var(--rate)}.sw.gapk{background:var(--gap);border:1px solid var(--line)}.sw.wink{background:var(--win);opacity:.35}
details{margin:8px 0}summary{cursor:pointer;color:var(--dim)}
footer{margin-top:32px;color:var(--dim);font-size:12px}
@media (max-width:600px){body{padding:10px}.card{min-width:calc(50% - 5px)}th,td{padding:3px 5px}.legend li{white-space:normal}.scroll>table{min-width:600px}svg text{font-size:18px}.ex{min-width:16em}}
@media print{body{max-width:none;padding:0;font-size:11px}.chart svg{min-width:0}details{display:block}details>*{display:block}section{break-inside:avoid-page}h2{break-after:avoid}.scroll,.chart{overflow:visible}tr{break-inside:avoid}}
"#;

/// Writes the report as one HTML page.
pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"generator\" content=\"tape-audit {}\">\n\
         <title>tape-audit report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(r.version)
    );
    header(&mut h, r);
    classes(&mut h, r);
    timeline(&mut h, r);
    violations(&mut h, r);
    codes(&mut h, r);
    findings(&mut h, r);
    hosts(&mut h, r);
    endpoints(&mut h, r);
    baseline(&mut h, r);
    coverage(&mut h, r);
    skipped(&mut h, r);
    let _ = write!(
        h,
        "<footer>tape-audit {} &middot; schema {} &middot; this page loads nothing and runs no script</footer>\n</body>\n</html>\n",
        esc(r.version),
        esc(r.schema)
    );
    out.write_all(h.as_bytes())
}

fn header(h: &mut String, r: &Report) {
    let t = &r.totals;
    h.push_str("<header>\n<h1>tape-audit report</h1>\n");
    for w in r.warnings.iter().take(MAX_ROWS) {
        let _ = writeln!(
            h,
            "<div class=\"alert warn\" role=\"alert\"><b>Warning:</b> {}</div>",
            esc(w)
        );
    }
    for e in r.errors.iter().take(MAX_ROWS) {
        let _ = writeln!(
            h,
            "<div class=\"alert err\" role=\"alert\"><b>Error:</b> {}</div>",
            esc(e)
        );
    }
    more(h, r.errors.len(), MAX_ROWS, "errors");
    let _ = writeln!(
        h,
        "<p class=\"lead\">{} records read: {} responses, {} with an error status ({}).</p>",
        num(t.records),
        num(t.responses),
        num(t.error_responses),
        pct(t.error_responses, t.responses)
    );
    h.push_str("<div class=\"cards\">");
    for (id, label, n) in [
        ("records", "records", t.records),
        ("responses", "responses", t.responses),
        ("error_responses", "error responses", t.error_responses),
        ("skipped", "skipped", t.skipped),
        ("excluded", "excluded", t.excluded),
    ] {
        let _ = write!(
            h,
            "<div class=\"card\"><b id=\"total-{id}\">{}</b><span>{label}</span></div>",
            num(n)
        );
    }
    h.push_str("</div>\n<dl class=\"meta\">");
    if let Some(span) = &r.time_span {
        let _ = write!(
            h,
            "<dt>Time span</dt><dd>{} to {} UTC</dd>",
            short_time(&span.first),
            short_time(&span.last)
        );
    }
    let _ = write!(
        h,
        "<dt>Catalog</dt><dd><code>{}</code> ({} documented codes)</dd>",
        esc(&r.catalog.source),
        num(r.catalog.entries as u64)
    );
    let filters = if r.filters.in_force.is_empty() {
        "none".to_string()
    } else {
        let f: Vec<String> = r.filters.in_force.iter().map(|f| esc(f)).collect();
        format!(
            "{} ({} records left out)",
            f.join("; "),
            num(r.filters.excluded)
        )
    };
    let _ = write!(h, "<dt>Filters</dt><dd>{filters}</dd>");
    if let Some(sc) = &r.scope {
        let line = sc.line();
        let line = line.strip_prefix("scope: ").unwrap_or(&line);
        let _ = write!(h, "<dt>Scope</dt><dd id=\"scope\">{}</dd>", esc(line));
    }
    if let Some(g) = &r.gate {
        let held: Vec<String> = g
            .conditions
            .iter()
            .map(|c| {
                format!(
                    "{} {} ({} {})",
                    if c.held { "&#10007;" } else { "&#10003;" },
                    esc(&c.name),
                    num(c.count),
                    esc(c.unit)
                )
            })
            .collect();
        let _ = write!(
            h,
            "<dt>--fail-on</dt><dd>{}: {}</dd>",
            if g.failed { "<b>failed</b>" } else { "passed" },
            held.join(", ")
        );
    }
    h.push_str("</dl>\n");
    let _ = write!(
        h,
        "<div class=\"scroll\"><table><thead><tr><th>input</th><th>format</th><th class=\"n\">records</th><th class=\"n\">responses</th><th class=\"n\">skipped</th><th class=\"n\">excluded</th><th>note</th></tr></thead><tbody>"
    );
    for i in r.inputs.iter().take(MAX_ROWS) {
        let mut fmt: Vec<String> = [i.format, i.compression]
            .iter()
            .flatten()
            .map(|s| esc(s))
            .collect();
        if let Some(s) = &i.shape {
            fmt.push(format!("shape {}", esc(s)));
        }
        let note: Vec<String> = [&i.error, &i.note, &i.warning]
            .iter()
            .filter_map(|x| x.as_deref())
            .map(esc)
            .collect();
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&i.path),
            if fmt.is_empty() { "unread".to_string() } else { fmt.join(", ") },
            num(i.records),
            num(i.responses),
            num(i.skipped),
            num(i.excluded),
            note.join("; ")
        );
    }
    h.push_str("</tbody></table></div>\n");
    more(h, r.inputs.len(), MAX_ROWS, "inputs");
    h.push_str("</header>\n");
}

fn classes(h: &mut String, r: &Report) {
    // Every response has one class: the classes add up to the responses.
    let total = r.totals.responses;
    h.push_str("<section id=\"classes\">\n<h2>Classes</h2>\n");
    let _ = write!(
        h,
        "<div class=\"bar\" role=\"img\" aria-label=\"responses by class\">"
    );
    for (name, n) in &r.classes.0 {
        if *n > 0 && total > 0 {
            let w = 100.0 * *n as f64 / total as f64;
            let _ = write!(
                h,
                "<span class=\"k-{0}\" style=\"width:{w:.3}%\" title=\"{0}: {1}\"></span>",
                esc(name),
                num(*n)
            );
        }
    }
    h.push_str("</div>\n<ul class=\"legend\">");
    for (name, n) in &r.classes.0 {
        let _ = write!(
            h,
            "<li{3}><span class=\"sw k-{0}\"></span>{0} <b id=\"class-{0}\">{1}</b> <span class=\"dim\">{2}</span></li>",
            esc(name),
            num(*n),
            pct(*n, total),
            if *n == 0 { " class=\"dim\"" } else { "" }
        );
    }
    h.push_str("</ul>\n</section>\n");
}

/// A round step at or above `x`: 1, 2, 5 times a power of ten.
fn nice(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    let f = x / p;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * p
}

/// Time-axis steps in ms.
const STEPS: [i64; 22] = [
    1_000,
    2_000,
    5_000,
    10_000,
    15_000,
    30_000,
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    172_800_000,
    604_800_000,
    2_592_000_000,
    31_536_000_000,
];

fn clock(ms: i64, fmt: &str) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format(fmt).to_string())
        .unwrap_or_default()
}

fn timeline(h: &mut String, r: &Report) {
    let tl = &r.timeline;
    h.push_str("<section id=\"timeline\">\n");
    let _ = writeln!(
        h,
        "<h2>Timeline <span class=\"dim\">({} s buckets)</span></h2>",
        tl.bucket_seconds
    );
    if let Some(note) = &tl.note {
        let _ = writeln!(h, "<p class=\"dim\">Note: {}.</p>", esc(note));
    }
    let (g, width) = tl.merged(MAX_POINTS);
    if g.is_empty() {
        h.push_str("<p class=\"dim\">No timestamps in the traffic.</p>\n</section>\n");
        return;
    }
    let t0 = g[0].start_ms;
    let t1 = g[g.len() - 1].start_ms + width;
    // Geometry (viewBox units; the SVG scales to the page width).
    let (w, ht) = (1000.0, 340.0);
    let (l, rgt, top, bot) = (56.0, 62.0, 30.0, 46.0);
    let pw = w - l - rgt;
    let ph = ht - top - bot;
    let x = |ms: i64| l + pw * (ms - t0) as f64 / (t1 - t0) as f64;
    let max_err = g.iter().map(|x| x.errors).max().unwrap_or(0);
    let ystep = nice(max_err as f64 / 5.0).max(1.0);
    let ymax = (max_err as f64 / ystep).ceil().max(1.0) * ystep;
    let y = |n: f64| top + ph - ph * n / ymax;
    let rates: Vec<Option<f64>> = g
        .iter()
        .map(|x| (x.responses > 0).then(|| x.errors as f64 / x.responses as f64))
        .collect();
    let max_rate = rates.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
    let rstep = nice(max_rate * 100.0 / 4.0).clamp(1.0, 25.0);
    let rmax = ((max_rate * 100.0 / rstep).ceil().max(1.0) * rstep).min(100.0);
    let yr = |p: f64| top + ph - ph * (p * 100.0) / rmax;

    let merged = width as f64 / 1000.0;
    let _ = writeln!(
        h,
        "<p class=\"dim\">Error responses per {} stacked by class (left axis); error rate, errors over responses, as a line (right axis). Times in UTC.</p>",
        if (merged - tl.bucket_seconds).abs() < 1e-9 {
            format!("{} s bucket", tl.bucket_seconds)
        } else {
            format!(
                "{} s (buckets of {} s merged to keep the chart under {} points)",
                merged, tl.bucket_seconds, MAX_POINTS
            )
        }
    );
    let _ = write!(
        h,
        "<div class=\"chart\"><svg viewBox=\"0 0 {w} {ht}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Error responses per bucket by class, and error rate\">"
    );
    // Gaps: groups without any response.
    let mut i = 0;
    while i < g.len() {
        if g[i].responses == 0 {
            let j = (i..g.len())
                .find(|&j| g[j].responses > 0)
                .unwrap_or(g.len());
            let end = g.get(j).map_or(t1, |x| x.start_ms);
            let _ = write!(
                h,
                "<rect class=\"gap\" x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{ph}\"><title>no traffic {} to {}</title></rect>",
                x(g[i].start_ms),
                (x(end) - x(g[i].start_ms)).max(0.5),
                clock(g[i].start_ms, "%H:%M:%S"),
                clock(end, "%H:%M:%S")
            );
            i = j;
        } else {
            i += 1;
        }
    }
    // The incident window from --since/--until.
    let since = r
        .filters
        .in_force
        .iter()
        .find_map(|f| f.strip_prefix("since ").and_then(parse_ms));
    let until = r
        .filters
        .in_force
        .iter()
        .find_map(|f| f.strip_prefix("until ").and_then(parse_ms));
    if since.is_some() || until.is_some() {
        let a = since.unwrap_or(t0).clamp(t0, t1);
        let b = until.unwrap_or(t1).clamp(t0, t1);
        if b > a {
            let _ = write!(
                h,
                "<rect class=\"win\" x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\"></rect>",
                x(a),
                top - 4.0,
                x(b) - x(a),
                ph + 4.0
            );
        }
    }
    // Grid and count axis.
    let mut v = 0.0;
    while v <= ymax + 1e-9 {
        let yy = y(v);
        let _ = write!(
            h,
            "<line class=\"grid\" x1=\"{l}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"></line><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            l + pw,
            l - 6.0,
            yy + 4.0,
            num(v as u64)
        );
        v += ystep;
    }
    let _ = write!(
        h,
        "<text class=\"sub\" x=\"{l}\" y=\"{}\" text-anchor=\"start\">errors</text>",
        top - 12.0
    );
    // Rate axis on the right.
    let mut p = 0.0;
    while p <= rmax + 1e-9 {
        let yy = yr(p / 100.0);
        let _ = write!(
            h,
            "<text x=\"{}\" y=\"{:.1}\">{}%</text>",
            l + pw + 6.0,
            yy + 4.0,
            p
        );
        p += rstep;
    }
    let _ = write!(
        h,
        "<text class=\"sub\" x=\"{}\" y=\"{}\" text-anchor=\"end\">error rate</text>",
        l + pw,
        top - 12.0
    );
    // Bars: one path per class.
    let bw = (pw * width as f64 / (t1 - t0) as f64).max(0.2);
    let gapw = if bw > 4.0 { (bw * 0.15).min(2.0) } else { 0.0 };
    for (j, class) in STACKED.iter().enumerate() {
        let mut d = String::new();
        for grp in &g {
            let n = grp.by_class[*class as usize];
            if n == 0 {
                continue;
            }
            let below: u64 = STACKED[..j].iter().map(|&c| grp.by_class[c as usize]).sum();
            let y0 = y(below as f64);
            let y1 = y((below + n) as f64);
            let _ = write!(
                d,
                "M{:.1} {:.1}h{:.1}V{:.1}h{:.1}z",
                x(grp.start_ms) + gapw / 2.0,
                y0,
                bw - gapw,
                y1,
                -(bw - gapw)
            );
        }
        if !d.is_empty() {
            let _ = write!(h, "<path class=\"k-{}\" d=\"{d}\"></path>", class.name());
        }
    }
    // Rate line, broken at gaps.
    let mut d = String::new();
    let mut pen = false;
    for (grp, rate) in g.iter().zip(&rates) {
        match rate {
            Some(rt) => {
                let _ = write!(
                    d,
                    "{}{:.1} {:.1}",
                    if pen { "L" } else { "M" },
                    x(grp.start_ms) + bw / 2.0,
                    yr(*rt)
                );
                pen = true;
            }
            None => pen = false,
        }
    }
    if !d.is_empty() {
        // A halo in the page colour keeps the line readable over the bars.
        let _ = write!(
            h,
            "<path class=\"halo\" d=\"{d}\"></path><path class=\"rate\" d=\"{d}\"></path>"
        );
    }
    // Axes.
    let _ = write!(
        h,
        "<line class=\"axis\" x1=\"{l}\" x2=\"{l}\" y1=\"{top}\" y2=\"{0}\"></line><line class=\"axis\" x1=\"{1}\" x2=\"{1}\" y1=\"{top}\" y2=\"{0}\"></line><line class=\"axis\" x1=\"{l}\" x2=\"{1}\" y1=\"{0}\" y2=\"{0}\"></line>",
        top + ph,
        l + pw
    );
    // Time ticks: a round step giving at most eight labels.
    let span = t1 - t0;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 8)
        .unwrap_or(STEPS[STEPS.len() - 1]);
    let multi_day = clock(t0, "%Y-%m-%d") != clock(t1 - 1, "%Y-%m-%d");
    let fmt = if step >= 86_400_000 {
        "%m-%d"
    } else if multi_day {
        "%m-%d %H:%M"
    } else if step < 60_000 {
        "%H:%M:%S"
    } else {
        "%H:%M"
    };
    let mut tick = t0.div_euclid(step) * step;
    if tick < t0 {
        tick += step;
    }
    while tick <= t1 {
        let xx = x(tick);
        let _ = write!(
            h,
            "<line class=\"axis\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{0}\" y2=\"{1}\"></line><text x=\"{xx:.1}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
            top + ph,
            top + ph + 5.0,
            top + ph + 19.0,
            clock(tick, fmt)
        );
        tick += step;
    }
    let _ = write!(
        h,
        "<text class=\"sub\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">UTC, {}{}</text>",
        l + pw / 2.0,
        ht - 6.0,
        clock(t0, "%Y-%m-%d"),
        if multi_day {
            format!(" to {}", clock(t1 - 1, "%Y-%m-%d"))
        } else {
            String::new()
        }
    );
    // The peak bucket.
    if let Some(pk) = &tl.peak {
        if pk.start_ms >= t0 && pk.start_ms < t1 {
            let i = ((pk.start_ms - t0) / width) as usize;
            let stacked = g.get(i).map_or(pk.errors, |x| x.errors);
            let px = x(g.get(i).map_or(pk.start_ms, |x| x.start_ms)) + bw / 2.0;
            let py = y(stacked as f64) - 4.0;
            let label = format!(
                "peak {} errors at {}",
                num(pk.errors),
                clock(
                    pk.start_ms,
                    if step < 60_000 { "%H:%M:%S" } else { "%H:%M" }
                )
            );
            let anchor = if px > l + pw * 0.8 {
                "end"
            } else if px < l + pw * 0.2 {
                "start"
            } else {
                "middle"
            };
            let _ = write!(
                h,
                "<path class=\"peak\" d=\"M{px:.1} {py:.1}l-5 -8h10z\"></path><text id=\"peak\" x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-weight=\"600\">{label}</text>",
                (py - 12.0).max(12.0)
            );
        }
    }
    // Hover titles, when there are few enough groups.
    if g.len() <= MAX_TITLED {
        for grp in &g {
            let mut t = format!(
                "{}: {} errors of {} responses",
                clock(grp.start_ms, "%Y-%m-%d %H:%M:%S"),
                num(grp.errors),
                num(grp.responses)
            );
            for c in STACKED {
                let n = grp.by_class[c as usize];
                if n > 0 {
                    let _ = write!(t, ", {} {}", c.name(), num(n));
                }
            }
            let _ = write!(
                h,
                "<rect class=\"hit\" x=\"{:.1}\" y=\"{top}\" width=\"{bw:.1}\" height=\"{ph}\"><title>{t}</title></rect>",
                x(grp.start_ms)
            );
        }
    }
    h.push_str("</svg></div>\n<ul class=\"legend\">");
    for c in STACKED {
        let _ = write!(h, "<li><span class=\"sw k-{0}\"></span>{0}</li>", c.name());
    }
    h.push_str("<li><span class=\"sw line\"></span>error rate</li><li><span class=\"sw gapk\"></span>no traffic</li>");
    if since.is_some() || until.is_some() {
        let f: Vec<String> = r
            .filters
            .in_force
            .iter()
            .filter(|f| f.starts_with("since ") || f.starts_with("until "))
            .map(|f| esc(f))
            .collect();
        let _ = write!(
            h,
            "<li><span class=\"sw wink\"></span>incident window ({})</li>",
            f.join(", ")
        );
    }
    h.push_str("</ul>\n");
    if let Some(p) = &tl.peak {
        let _ = writeln!(
            h,
            "<p>Peak: <b>{}</b> error responses in the {} s bucket starting {} UTC.{}</p>",
            num(p.errors),
            tl.bucket_seconds,
            short_time(&p.start),
            if tl.untimed > 0 {
                format!(" {} responses had no timestamp.", num(tl.untimed))
            } else {
                String::new()
            }
        );
    }
    // The numbers, for reading without the chart.
    let busy: Vec<&BucketRow> = tl.buckets.iter().filter(|b| b.responses > 0).collect();
    let _ = write!(
        h,
        "<details><summary>Timeline as a table ({} buckets with traffic)</summary><table><thead><tr><th>bucket start (UTC)</th><th class=\"n\">responses</th><th class=\"n\">errors</th><th class=\"n\">error rate</th></tr></thead><tbody>",
        num(busy.len() as u64)
    );
    for b in busy.iter().take(MAX_ROWS * 2) {
        let _ = write!(
            h,
            "<tr><td class=\"t\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            short_time(&b.start),
            num(b.responses),
            num(b.errors),
            pct(b.errors, b.responses)
        );
    }
    h.push_str("</tbody></table>");
    more(h, busy.len(), MAX_ROWS * 2, "buckets");
    h.push_str("</details>\n</section>\n");
}

fn violations(h: &mut String, r: &Report) {
    h.push_str("<section id=\"violations\">\n<h2>Envelope violations</h2>\n");
    let any: Vec<&(String, u64)> = r.violations.0.iter().filter(|(_, n)| *n > 0).collect();
    if any.is_empty() {
        h.push_str("<p>No envelope violations.</p>\n</section>\n");
        return;
    }
    let max = any.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    h.push_str("<div class=\"scroll\"><table><thead><tr><th>violation</th><th class=\"n\">count</th><th></th><th>examples</th></tr></thead><tbody>");
    for (kind, n) in any {
        let ex = r
            .violation_examples
            .0
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, p)| places(p))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\" id=\"violation-{0}\">{}</td><td style=\"width:22%\"><div class=\"bar\" style=\"height:10px;margin:4px 0\"><span class=\"k-envelope_violation\" style=\"width:{:.2}%\"></span></div></td><td>{ex}</td></tr>",
            esc(kind),
            num(*n),
            100.0 * *n as f64 / max as f64
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn code_cell(r: &CodeRow) -> String {
    r.error_code.as_deref().map_or_else(
        || "<span class=\"dim\">-</span>".into(),
        |c| format!("<code>{}</code>", esc(c)),
    )
}

fn seen(r: &CodeRow) -> String {
    match (&r.first_seen, &r.last_seen) {
        (Some(a), Some(b)) if a == b => short_time(a),
        (Some(a), Some(b)) => format!("{}<br>{}", short_time(a), short_time(b)),
        (Some(a), None) => short_time(a),
        _ => String::new(),
    }
}

fn code_table(
    h: &mut String,
    rows: &[&CodeRow],
    note: &dyn Fn(&CodeRow) -> String,
    note_head: &str,
) {
    let head = if note_head.is_empty() {
        String::new()
    } else {
        format!("<th>{note_head}</th>")
    };
    let _ = write!(
        h,
        "<div class=\"scroll\"><table><thead><tr><th class=\"n\">status</th><th>error_code</th><th>class</th><th class=\"n\">count</th><th>first / last seen (UTC)</th>{head}<th>examples</th></tr></thead><tbody>"
    );
    for row in rows.iter().take(MAX_ROWS) {
        let note = if note_head.is_empty() {
            String::new()
        } else {
            format!("<td class=\"desc\">{}</td>", note(row))
        };
        let _ = write!(
            h,
            "<tr><td class=\"n\">{0}</td><td class=\"c\">{1}</td><td><span class=\"pill k-{2}\">{2}</span></td><td class=\"n\">{3}</td><td class=\"t\">{4}</td>{5}<td>{6}</td></tr>",
            row.status,
            code_cell(row),
            esc(row.class),
            num(row.count),
            seen(row),
            note,
            places(&row.examples)
        );
    }
    h.push_str("</tbody></table></div>\n");
    more(h, rows.len(), MAX_ROWS, "rows");
}

fn codes(h: &mut String, r: &Report) {
    h.push_str("<section id=\"codes\">\n<h2>Error codes</h2>\n");
    let mut all: Vec<&CodeRow> = r.codes.iter().filter(|c| c.class != "ok").collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then(a.status.cmp(&b.status)));
    if all.is_empty() {
        h.push_str("<p>No error responses.</p>\n</section>\n");
        return;
    }
    let of = |c: Class| -> Vec<&CodeRow> {
        all.iter()
            .copied()
            .filter(|x| x.class == c.name())
            .collect()
    };
    let und = of(Class::UndocumentedCode);
    let _ = writeln!(
        h,
        "<h3>Undocumented codes <span class=\"dim\">({})</span></h3>",
        und.len()
    );
    if und.is_empty() {
        h.push_str("<p>None: every error code in the traffic is in the catalog.</p>\n");
    } else {
        code_table(
            h,
            &und,
            &|row| {
                row.suggestion
                    .as_deref()
                    .map(|s| format!("did you mean <code>{}</code>?", esc(s)))
                    .unwrap_or_default()
            },
            "suggestion",
        );
    }
    let mis = of(Class::StatusMismatch);
    let _ = writeln!(
        h,
        "<h3>Status mismatches <span class=\"dim\">({})</span></h3>",
        mis.len()
    );
    if mis.is_empty() {
        h.push_str(
            "<p>None: every documented code came with a status it is documented under.</p>\n",
        );
    } else {
        code_table(
            h,
            &mis,
            &|row| {
                let st: Vec<String> = row.documented_statuses.iter().map(u16::to_string).collect();
                format!("documented under {}", st.join(", "))
            },
            "documented",
        );
    }
    let doc = of(Class::Documented);
    let _ = writeln!(
        h,
        "<h3>Documented codes <span class=\"dim\">({})</span></h3>",
        doc.len()
    );
    if doc.is_empty() {
        h.push_str("<p>None.</p>\n");
    } else {
        code_table(
            h,
            &doc,
            &|row| {
                let mut s = row.description.as_deref().map(esc).unwrap_or_default();
                if let Some(a) = &row.alias_of {
                    s = format!("alias of <code>{}</code>. {s}", esc(a));
                }
                s
            },
            "description",
        );
    }
    let other: Vec<&CodeRow> = all
        .iter()
        .copied()
        .filter(|x| {
            ![
                Class::UndocumentedCode,
                Class::StatusMismatch,
                Class::Documented,
            ]
            .iter()
            .any(|c| c.name() == x.class)
        })
        .collect();
    if !other.is_empty() {
        let _ = writeln!(
            h,
            "<h3>Other classes <span class=\"dim\">({})</span></h3>",
            other.len()
        );
        code_table(h, &other, &|_| String::new(), "");
    }
    if !r.undocumented_statuses.is_empty() {
        h.push_str("<h3>Error statuses the catalog never mentions</h3><div class=\"scroll\"><table><thead><tr><th class=\"n\">status</th><th class=\"n\">count</th><th>examples</th></tr></thead><tbody>");
        for s in r.undocumented_statuses.iter().take(MAX_ROWS) {
            let _ = write!(
                h,
                "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                s.status,
                num(s.count),
                places(&s.examples)
            );
        }
        h.push_str("</tbody></table></div>\n");
        more(h, r.undocumented_statuses.len(), MAX_ROWS, "statuses");
    }
    let spell: Vec<String> = r
        .spellings
        .iter()
        .filter(|sp| sp.seen.0.iter().any(|(_, n)| *n > 0))
        .take(MAX_ROWS)
        .map(|sp| {
            let parts: Vec<String> = sp
                .seen
                .0
                .iter()
                .map(|(c, n)| format!("<code>{}</code> &times;{}", esc(c), num(*n)))
                .collect();
            format!("<li>{}: {}</li>", sp.status, parts.join(", "))
        })
        .collect();
    if !spell.is_empty() {
        let _ = writeln!(
            h,
            "<h3>Spellings in traffic</h3><ul>{}</ul>",
            spell.join("")
        );
    }
    // The same rows in order of first appearance, for reading an incident.
    let mut by_time = all.clone();
    by_time.retain(|x| x.first_seen.is_some());
    by_time.sort_by(|a, b| a.first_seen.cmp(&b.first_seen));
    if !by_time.is_empty() {
        h.push_str("<details><summary>Every error code in order of first appearance</summary>");
        code_table(h, &by_time, &|_| String::new(), "");
        h.push_str("</details>\n");
    }
    if let Some(f) = &r.codes_fold {
        let _ = write!(h, "<p class=\"more\">{}.</p>", esc(&f.statement));
    }
    h.push_str("</section>\n");
}

fn findings(h: &mut String, r: &Report) {
    let f = &r.findings;
    let rows = [
        (
            "body_status_code_mismatch",
            "envelope <code>status_code</code> differs from the HTTP status",
            &f.body_status_code_mismatch,
        ),
        (
            "json_body_with_non_json_content_type",
            "JSON error body with a non-JSON Content-Type",
            &f.json_body_with_non_json_content_type,
        ),
    ];
    h.push_str("<section id=\"findings\">\n<h2>Other findings</h2>\n<div class=\"scroll\"><table><thead><tr><th>finding</th><th class=\"n\">count</th><th>examples</th></tr></thead><tbody>");
    for (id, what, x) in rows {
        let _ = write!(
            h,
            "<tr><td>{what}</td><td class=\"n\" id=\"finding-{id}\">{}</td><td>{}</td></tr>",
            num(x.count),
            places(&x.examples)
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn hosts(h: &mut String, r: &Report) {
    if r.hosts.is_empty() {
        return;
    }
    h.push_str("<section id=\"hosts\">\n<h2>Hosts</h2>\n<div class=\"scroll\"><table><thead><tr><th>host</th><th class=\"n\">responses</th><th class=\"n\">errors</th><th class=\"n\">error envelopes</th><th>audited</th></tr></thead><tbody>");
    for x in r.hosts.iter().take(MAX_ROWS) {
        let _ = write!(
            h,
            "<tr{}><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            if x.in_scope { "" } else { " class=\"dim\"" },
            esc(&x.host),
            num(x.responses),
            num(x.errors),
            num(x.envelopes),
            if x.in_scope { "yes" } else { "no (excluded)" }
        );
    }
    h.push_str("</tbody></table></div>\n");
    more(h, r.hosts.len(), MAX_ROWS, "hosts");
    if let Some(f) = &r.hosts_fold {
        let _ = write!(h, "<p class=\"more\">{}.</p>", esc(&f.statement));
    }
    h.push_str("</section>\n");
}

fn endpoints(h: &mut String, r: &Report) {
    h.push_str("<section id=\"endpoints\">\n<h2>Endpoints with errors</h2>\n");
    if r.endpoints.is_empty() {
        h.push_str("<p>No endpoint answered with an error.</p>\n</section>\n");
        return;
    }
    h.push_str("<div class=\"scroll\"><table><thead><tr><th>endpoint</th><th class=\"n\">responses</th><th class=\"n\">errors</th><th class=\"n\">rate</th><th>classes</th></tr></thead><tbody>");
    let by_host = r.endpoints_by_host();
    for e in r.endpoints.iter().take(MAX_ROWS) {
        let total = e.responses;
        let mut bar = String::from(
            "<div class=\"bar\" style=\"height:8px;margin:3px 0 4px;max-width:260px\">",
        );
        let mut legend = Vec::new();
        for (c, n) in &e.classes.0 {
            if total > 0 {
                let _ = write!(
                    bar,
                    "<span class=\"k-{}\" style=\"width:{:.2}%\"></span>",
                    esc(c),
                    100.0 * *n as f64 / total as f64
                );
            }
            legend.push(format!(
                "<span class=\"sw k-{0}\"></span>{0} {1}",
                esc(c),
                num(*n)
            ));
        }
        bar.push_str("</div>");
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{bar}<span class=\"dim\">{}</span></td></tr>",
            esc(&e.label(by_host)),
            num(e.responses),
            num(e.errors),
            pct(e.errors, e.responses),
            legend.join(" &nbsp;")
        );
    }
    h.push_str("</tbody></table></div>\n");
    more(h, r.endpoints.len(), MAX_ROWS, "endpoints");
    if let Some(f) = &r.endpoints_fold {
        let _ = write!(h, "<p class=\"more\">{}.</p>", esc(&f.statement));
    }
    h.push_str("</section>\n");
}

fn baseline(h: &mut String, r: &Report) {
    let Some(d) = &r.baseline else { return };
    let _ = writeln!(
        h,
        "<section id=\"baseline\">\n<h2>Compared with <code>{}</code></h2>\n<p class=\"dim\">{} new, {} gone, {} changed (share of responses moved by more than {:.0}%).</p>",
        esc(&d.path),
        d.new.len(),
        d.gone.len(),
        d.changed.len(),
        d.threshold * 100.0
    );
    for (what, list) in [("New", &d.new), ("Gone", &d.gone), ("Changed", &d.changed)] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(
            h,
            "<h3>{what} <span class=\"dim\">({})</span></h3><div class=\"scroll\"><table><thead><tr><th>kind</th><th>key</th><th class=\"n\">before</th><th class=\"n\">after</th><th class=\"n\">share before</th><th class=\"n\">share after</th></tr></thead><tbody>",
            list.len()
        );
        for c in list.iter().take(MAX_ROWS) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}%</td><td class=\"n\">{:.2}%</td></tr>",
                esc(c.kind),
                esc(&c.key),
                num(c.before),
                num(c.after),
                c.before_share * 100.0,
                c.after_share * 100.0
            );
        }
        h.push_str("</tbody></table></div>\n");
        more(h, list.len(), MAX_ROWS, "changes");
    }
    if d.new.is_empty() && d.gone.is_empty() && d.changed.is_empty() {
        h.push_str("<p>No differences.</p>\n");
    }
    h.push_str("</section>\n");
}

fn coverage(h: &mut String, r: &Report) {
    let c = &r.coverage;
    let total = c.seen.len() + c.never_seen.len();
    let _ = writeln!(
        h,
        "<section id=\"coverage\">\n<h2>Catalog coverage</h2>\n<p><b id=\"coverage-seen\">{}</b> of {} documented codes occurred ({}).</p>\n<div class=\"bar\" style=\"max-width:420px\"><span class=\"k-documented\" style=\"width:{:.2}%\"></span></div>",
        c.seen.len(),
        total,
        pct(c.seen.len() as u64, total as u64),
        if total == 0 { 0.0 } else { 100.0 * c.seen.len() as f64 / total as f64 }
    );
    for (what, list) in [("Seen", &c.seen), ("Never seen", &c.never_seen)] {
        let items: Vec<String> = list
            .iter()
            .take(MAX_ROWS * 2)
            .map(|s| format!("<code>{}</code>", esc(s)))
            .collect();
        let _ = write!(
            h,
            "<p><b>{what}</b> ({}): {}</p>",
            list.len(),
            if items.is_empty() {
                "none".to_string()
            } else {
                items.join(", ")
            }
        );
        more(h, list.len(), MAX_ROWS * 2, "codes");
    }
    h.push_str("</section>\n");
}

fn skipped(h: &mut String, r: &Report) {
    if r.skipped.is_empty() {
        return;
    }
    h.push_str("<section id=\"skipped\">\n<h2>Skipped records</h2>\n<div class=\"scroll\"><table><thead><tr><th>reason</th><th class=\"n\">count</th><th>first</th></tr></thead><tbody>");
    for s in r.skipped.iter().take(MAX_ROWS) {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            esc(&s.reason),
            num(s.count),
            esc(&s.first_text())
        );
    }
    h.push_str("</tbody></table></div>\n");
    more(h, r.skipped.len(), MAX_ROWS, "reasons");
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<img src=x onerror='a'>&\""),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;"
        );
        assert_eq!(esc("a\u{202e}b"), "a\\u{202e}b");
    }

    #[test]
    fn numbers_and_steps() {
        assert_eq!(num(0), "0");
        assert_eq!(num(1234567), "1,234,567");
        assert_eq!(num(100), "100");
        assert_eq!(nice(3.2), 5.0);
        assert_eq!(nice(0.4), 0.5);
        assert_eq!(nice(11.0), 20.0);
    }
}
