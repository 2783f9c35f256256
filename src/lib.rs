//! tape-audit: audits recorded HTTP traffic against the Tape API's documented
//! error contract.
//!
//! Data flows input → classify → aggregate → report:
//! [`input`] reads HAR and JSON-lines inputs into [`exchange::Exchange`]s,
//! [`classify`] gives each one class against the [`catalog`],
//! [`filter`] keeps what the user asked for,
//! [`aggregate`] sums them into a mergeable [`aggregate::Summary`],
//! and [`report`] writes it. [`pipeline`] wires the threads.

pub mod aggregate;
pub mod catalog;
pub mod classify;
pub mod cli;
pub mod config;
pub mod error;
pub mod exchange;
pub mod extract;
pub mod filter;
pub mod input;
pub mod jsonscan;
pub mod meta;
pub mod outputs;
pub mod partial;
pub mod pipeline;
pub mod rawjson;
pub mod redact;
pub mod report;
pub mod row;
pub mod sanitize;
pub mod scope;
pub mod spill;

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use catalog::Catalog;
use cli::{CatalogFormat, OutputFormat};
use config::{AuditConfig, Config, ReportConfig, Task};
use error::Exit;
use input::Source;
use outputs::{Control, Outputs};
use report::{Report, ReportOptions};

/// Carries out a validated configuration; returns the exit code.
/// Diagnostics go to stderr, prefixed `tape-audit:`; the report alone goes
/// to stdout. An error returned here is a failed write or a failure to
/// start, and exits 2.
pub fn run(config: Config) -> anyhow::Result<Exit> {
    let Config {
        task,
        catalog,
        report,
        mut outputs,
        control,
    } = config;
    outputs::handle_signals(&control);
    match task {
        Task::Catalog(format) => {
            if let Some(out) = outputs.report.as_mut() {
                print_catalog(&catalog, format, out)?;
            }
            outputs.finish()?;
            Ok(Exit::Ok)
        }
        Task::Merge(parts) => merge(&parts, &catalog, &report, outputs),
        Task::Meta(what) => {
            if let Some(out) = outputs.report.as_mut() {
                meta::write(what, out)?;
            }
            outputs.finish()?;
            Ok(Exit::Ok)
        }
        Task::Unopened { errors, hints } => {
            for e in &errors {
                eprintln!("tape-audit: {}", sanitize::terminal(e));
            }
            for h in &hints {
                eprintln!("tape-audit: hint: {}", sanitize::terminal(h));
            }
            Ok(Exit::Error)
        }
        Task::Audit(a) => audit(&a, &catalog, &report, outputs, &control),
    }
}

/// `tape-audit merge PART...`.
fn merge(
    parts: &[String],
    cat: &Catalog,
    rc: &ReportConfig,
    outputs: Outputs,
) -> anyhow::Result<Exit> {
    let mut loaded = partial::load(parts)?;
    for (name, p) in &mut loaded {
        if !p.options.settings.redact {
            // `merge` has no --unsafe-show-secrets: what it prints is safe.
            eprintln!(
                "tape-audit: warning: {}: made with --unsafe-show-secrets: its secrets are redacted before merging",
                sanitize::terminal(name)
            );
            let rule = p.options.scope.clone().unwrap_or(scope::Rule::All);
            let split = scope::Split::of(
                std::mem::take(&mut p.summary),
                std::mem::take(&mut p.pending),
                &rule,
            )
            .redacted();
            p.options.settings = split.main.settings;
            p.summary = split.main;
            p.pending = split.pending;
        }
    }
    let merged = partial::merge(loaded)?;
    let id = partial::CatalogId::of(cat);
    if merged.catalog.fingerprint != id.fingerprint {
        return Err(error::Error::Usage(format!(
            "the partials were made with another catalog ({}) than this one ({}): pass the same --spec",
            merged.catalog.source, id.source
        ))
        .into());
    }
    let options = merged.options.clone();
    let rule = options.scope.clone().unwrap_or(scope::Rule::All);
    let audit = merged.into_audit();
    conclude(audit, &rule, cat, rc, options, outputs, Exit::Ok)
}

/// The audit itself.
fn audit(
    a: &AuditConfig,
    cat: &Catalog,
    rc: &ReportConfig,
    mut outputs: Outputs,
    control: &Arc<Control>,
) -> anyhow::Result<Exit> {
    if a.unsafe_show_secrets {
        eprintln!("tape-audit: warning: --unsafe-show-secrets: tokens, cookies and keys from the traffic will appear in the output");
    }
    let mut exit = Exit::Ok;
    for e in &a.list_errors {
        eprintln!("tape-audit: {}", sanitize::terminal(e));
        exit = Exit::Error;
    }
    for w in &a.list_warnings {
        eprintln!("tape-audit: warning: {}", sanitize::terminal(w));
    }
    for n in &a.list_notes {
        eprintln!("tape-audit: note: {}", sanitize::terminal(n));
    }
    let mut filter = a.filter.clone();
    let first_ms = if filter.needs_capture_day() {
        a.sources
            .iter()
            .find_map(|s| pipeline::first_time(s, &a.read))
    } else {
        None
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    filter.resolve(first_ms, now_ms)?;

    let rows = &mut outputs.rows;
    let wanted = rows.wanted();
    // Per-record output is written while reading, so it needs the default
    // scope before the run: a first pass decides it (see `scope`).
    let mut decided: Option<scope::Scope> = None;
    let mut rule = a.rule.clone();
    if wanted && matches!(rule, scope::Rule::Default(_)) {
        if a.sources.iter().all(Source::can_reread) {
            let job = job_of(a, cat, &filter, &rule, false);
            let progress = progress_bar(&a.sources, !a.progress);
            let mut first = pipeline::run(&a.sources, &job, &progress, control, None)?;
            progress.finish_and_clear();
            if control.stopped() {
                return stopped(control, &first, outputs);
            }
            let sc = first.finish(&rule).clone();
            rule = scope::Rule::Decided(sc.hosts.clone());
            decided = Some(sc);
        } else {
            rule = scope::Rule::All;
            decided = Some(scope::Scope {
                hosts: Vec::new(),
                reason: "standard input is read once, and --show, --csv and --extract-har need the scope before reading: every host is audited; pass --api HOST to scope".to_string(),
                excluded_records: 0,
                excluded_hosts: 0,
            });
        }
    }
    let job = job_of(a, cat, &filter, &rule, outputs.rows.extracts());
    let progress = progress_bar(&a.sources, !a.progress);
    let rows = &mut outputs.rows;
    let mut write_rows = |r: &[row::Row]| rows.write(r);
    let sink: Option<&mut pipeline::RowSink<'_>> =
        if wanted { Some(&mut write_rows) } else { None };
    let audit = pipeline::run(&a.sources, &job, &progress, control, sink);
    progress.finish_and_clear();
    let mut audit = audit?;
    if control.stopped() {
        return stopped(control, &audit, outputs);
    }
    let partial_options = partial::Options {
        settings: a.settings,
        filters: filter.describe(),
        input_format: a.read.format.map(|f| f.name().to_string()),
        fields: a.fields.clone(),
        max_record_mib: a.max_record_mib,
        scope: Some(a.rule.clone()),
    };
    if let Some(sc) = decided {
        // The first pass decided it; this pass only applied it.
        audit.finish(&rule);
        audit.scope = Some(sc);
    }
    conclude(audit, &a.rule, cat, rc, partial_options, outputs, exit)
}

/// The pipeline's job for one pass over the inputs of `a`.
fn job_of<'a>(
    a: &'a AuditConfig,
    catalog: &'a Catalog,
    filter: &'a filter::Filter,
    rule: &'a scope::Rule,
    extract: bool,
) -> pipeline::Job<'a> {
    pipeline::Job {
        catalog,
        read: &a.read,
        filter,
        rule,
        settings: a.settings,
        jobs: a.jobs,
        extract,
    }
}

/// A run whose reader was told to stop ends here: a signal, a failed
/// write, or a closed pipe that may end the run.
fn stopped(control: &Control, audit: &pipeline::Audit, outputs: Outputs) -> anyhow::Result<Exit> {
    if let Some(sig) = control.signal() {
        // Dropping the outputs removes their temporary files.
        drop(outputs);
        eprintln!("tape-audit: interrupted; no output was written");
        return Ok(if sig == 15 {
            Exit::Terminated
        } else {
            Exit::Interrupted
        });
    }
    if control.failed.load(std::sync::atomic::Ordering::Relaxed) {
        // Nothing of a run cut short is renamed into place; the error names
        // the output that failed.
        return Err(match outputs.abandon() {
            Some(e) => e.into(),
            None => anyhow::anyhow!("a write failed"),
        });
    }
    // Standard output's reader went away, and nothing depends on reading
    // to the end: stop quietly, unless an input error came first.
    let _ = outputs.finish();
    let mut exit = Exit::Ok;
    for e in audit.errors() {
        eprintln!("tape-audit: {}", sanitize::terminal(&e));
        exit = Exit::Error;
    }
    Ok(exit)
}

/// Builds the report of an audit (or a merge), writes it and every
/// whole-run export, closes the outputs, and decides the exit code.
fn conclude(
    mut audit: pipeline::Audit,
    rule: &scope::Rule,
    cat: &Catalog,
    rc: &ReportConfig,
    options: partial::Options,
    mut outputs: Outputs,
    mut exit: Exit,
) -> anyhow::Result<Exit> {
    // A partial keeps what is not decided yet, so that partials merge into
    // the report of one run over all their inputs.
    let partial = matches!(rc.format, OutputFormat::Partial)
        .then(|| partial::Partial::of(&audit, cat, options.clone()));
    if audit.scope.is_none() {
        audit.finish(rule);
    }
    let audit = &audit;
    for e in audit.errors() {
        eprintln!("tape-audit: {}", sanitize::terminal(&e));
        exit = Exit::Error;
    }
    let mut report = Report::build(
        audit,
        cat,
        &ReportOptions {
            filters: options.filters.clone(),
            top: rc.top,
            max_codes: rc.max_codes,
            max_endpoints: rc.max_endpoints,
            max_hosts: rc.max_hosts,
            max_clients: rc.max_clients,
            collapse: rc.collapse,
            max_skipped_share: 0.5,
        },
    );
    if let Some(e) = spill::take_error() {
        // A table read back incomplete: no report rather than a wrong one.
        return Err(anyhow::anyhow!(e));
    }
    report.baseline = rc
        .baseline
        .as_ref()
        .map(|b| b.compare(&report, rc.baseline_threshold));
    report.gate = report::gate::evaluate(&report, &rc.fail_on);
    let left_out = report::left_out_reasons(&report);
    if !left_out.is_empty() {
        // One line for every file of the walked directories left out, not
        // one per file.
        let n: u64 = left_out.iter().map(|(_, n)| n).sum();
        let why: Vec<String> = left_out.iter().map(|(r, n)| format!("{n} {r}")).collect();
        eprintln!(
            "tape-audit: note: {} of {} left out ({}); -g/--glob chooses the files, --format json lists them",
            n,
            report::count(report.inputs.len() as u64, "input", "inputs"),
            sanitize::terminal(&why.join(", "))
        );
    }
    for i in report.inputs.iter() {
        if let Some(w) = &i.warning {
            eprintln!(
                "tape-audit: warning: {}: {}",
                sanitize::terminal(&i.path),
                sanitize::terminal(w)
            );
        }
    }
    let single_input_said_it = report.inputs.len() == 1 && report.inputs[0].warning.is_some();
    for w in &report.warnings {
        // After an error line, or the same warning about the only input, it
        // would only repeat.
        if exit != Exit::Error && !single_input_said_it {
            eprintln!("tape-audit: warning: {}", sanitize::terminal(w));
        }
        if !rc.allow_empty {
            exit = Exit::Error;
        }
    }
    if let Some(w) = outputs.timeline.as_mut() {
        let name = w.name().to_string();
        report::csv::write_timeline(&audit.summary, w).map_err(|e| outputs::WriteError {
            name,
            error: outputs::csv_io(e),
        })?;
    }
    if let Some(out) = outputs.html.as_mut() {
        // Errors are kept by the output and returned by `finish`.
        let _ = report::html::write(&report, out);
    }
    if let Some(out) = outputs.report.as_mut() {
        // Errors are kept by the output and returned by `finish`.
        let _ = write_report(&report, rc, partial.as_ref(), out);
    }
    if let Some(e) = spill::take_error() {
        outputs.abandon();
        return Err(anyhow::anyhow!(e));
    }
    outputs.finish()?;
    if let Some(g) = &report.gate {
        if let Some(msg) = g.message() {
            eprintln!("tape-audit: {msg}");
        }
        if g.failed {
            exit = exit.merge(Exit::Findings);
        }
    }
    Ok(exit)
}

fn write_report(
    report: &Report,
    rc: &ReportConfig,
    partial: Option<&partial::Partial>,
    out: &mut outputs::Output,
) -> anyhow::Result<()> {
    match rc.format {
        OutputFormat::Table => {
            let style = report::table::Style::new(rc.color).with_width(rc.width);
            report::table::write(report, rc.top, style, out)?
        }
        OutputFormat::Json => report::json::write(report, out)?,
        OutputFormat::Markdown => report::markdown::write(report, rc.top, out)?,
        OutputFormat::Html => report::html::write(report, out)?,
        OutputFormat::Partial => {
            let p = partial.expect("a partial is built for --format partial");
            report::json::to_writer(&mut *out, p, false)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

fn print_catalog(
    cat: &Catalog,
    format: CatalogFormat,
    out: &mut impl Write,
) -> std::io::Result<()> {
    match format {
        CatalogFormat::Json => writeln!(out, "{}", cat.to_json())?,
        CatalogFormat::Table => {
            // Catalog text comes from --spec files: escaped like traffic.
            writeln!(out, "# {}", sanitize::terminal(cat.source()))?;
            writeln!(out, "{:<6} {:<24} description", "status", "error_code")?;
            for e in cat.entries() {
                let mut desc = e.description.clone();
                if let Some(a) = &e.alias_of {
                    desc = format!("(alias of {a}) {desc}");
                }
                if let Some(n) = &e.note {
                    desc = format!("{desc} [{n}]");
                }
                writeln!(
                    out,
                    "{:<6} {:<24} {}",
                    e.status,
                    sanitize::terminal(&e.error_code),
                    sanitize::terminal(&desc)
                )?;
            }
        }
    }
    out.flush()
}

fn progress_bar(sources: &[Source], disabled: bool) -> ProgressBar {
    if disabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let mut total = Some(0u64);
    for s in sources {
        match s.path().map(std::fs::metadata) {
            Some(Ok(m)) if m.is_file() => total = total.map(|t| t + m.len()),
            _ => total = None,
        }
    }
    let pb = match total {
        Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template(
                "{spinner} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}  {msg}",
            )
            .expect("a valid template"),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template(
                "{spinner} {bytes} read, {bytes_per_sec}, {elapsed}  {msg}",
            )
            .expect("a valid template"),
        ),
    };
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}
