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
pub mod error;
pub mod exchange;
pub mod filter;
pub mod input;
pub mod jsonscan;
pub mod partial;
pub mod pipeline;
pub mod rawjson;
pub mod redact;
pub mod report;
pub mod row;
pub mod sanitize;

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use aggregate::Settings;
use catalog::Catalog;
use classify::Class;
use cli::{CatalogFormat, Cli, ColorWhen, Command, FailOn, OutputFormat, ReportArgs, ShowClass};
use error::{Error, Exit};
use filter::Filter;
use input::{ReadOptions, Source};
use report::{Report, ReportOptions};
use row::Row;

/// Runs the command line; returns the exit code. Diagnostics go to stderr,
/// prefixed `tape-audit:`; the report alone goes to stdout.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match &cli.command {
        Some(Command::Catalog { spec, format }) => {
            let cat = load_catalog(spec)?;
            print_catalog(&cat, *format)?;
            Ok(Exit::Ok)
        }
        Some(Command::Merge { parts, report }) => merge(parts, report),
        None => audit(&cli),
    }
}

/// `tape-audit merge PART...`.
fn merge(parts: &[String], args: &ReportArgs) -> anyhow::Result<Exit> {
    let cat = load_catalog(&args.spec)?;
    let merged = partial::merge(partial::load(parts)?)?;
    let id = partial::CatalogId::of(&cat);
    if merged.catalog.fingerprint != id.fingerprint {
        return Err(Error::Usage(format!(
            "the partials were made with another catalog ({}) than this one ({}): pass the same --spec",
            merged.catalog.source, id.source
        ))
        .into());
    }
    let options = merged.options.clone();
    let mut exit = Exit::Ok;
    let audit = merged.into_audit();
    for e in audit.errors() {
        eprintln!("tape-audit: {}", sanitize::terminal(&e));
        exit = Exit::Error;
    }
    if let Some(p) = &args.timeline_csv {
        report::csv::write_timeline(&audit.summary, create(p)?)
            .map_err(|e| anyhow::anyhow!("{p}: {e}"))?;
    }
    finish(&audit, &cat, args, options, false, exit)
}

/// The audit itself.
fn audit(cli: &Cli) -> anyhow::Result<Exit> {
    let args = &cli.report;
    let cat = load_catalog(&args.spec)?;
    if cli.csv.as_deref() == Some("-") && args.timeline_csv.as_deref() == Some("-") {
        return Err(Error::Usage(
            "--csv and --timeline-csv cannot both write to standard output".into(),
        )
        .into());
    }
    if cli.unsafe_show_secrets {
        eprintln!("tape-audit: warning: --unsafe-show-secrets: tokens, cookies and keys from the traffic will appear in the output");
    }
    let mut inputs = cli.inputs.clone();
    if inputs.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "no input given (pass HAR or JSON-lines files, directories, or - for standard input)".into(),
            )
            .into());
        }
        inputs.push("-".into());
    }
    let (mut sources, walk_errors, walk_warnings) = input::expand(&inputs);
    for w in &walk_warnings {
        eprintln!("tape-audit: warning: {}", sanitize::terminal(w));
    }
    // Inputs are read in name order, whatever order they were given in, so
    // that partials of any split of them merge into this very report.
    sources.sort_by_key(Source::name);
    if let Some((k, n)) = cli.shard {
        sources.retain(|s| partial::in_shard(&s.name(), k, n));
    }
    let mut exit = Exit::Ok;
    for e in &walk_errors {
        eprintln!("tape-audit: {}", sanitize::terminal(&e.to_string()));
        exit = Exit::Error;
    }
    let read = ReadOptions {
        format: cli.input_format.forced(),
        fields: cli.fields.clone(),
        max_record: cli.max_record_mib as usize * (1 << 20),
        zstd_window_mib: cli.zstd_window_mib,
    };
    let mut filter = Filter {
        since: cli.since,
        until: cli.until,
        statuses: cli.status.clone(),
        codes: cli.code.clone(),
        classes: cli.class.clone(),
        hosts: cli.host.clone(),
        path_prefix: cli.path_prefix.clone(),
        endpoint: cli.endpoint.clone(),
        ..Filter::default()
    };
    let first_ms = if filter.needs_capture_day() {
        sources.iter().find_map(|s| pipeline::first_time(s, &read))
    } else {
        None
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    filter.resolve(first_ms, now_ms)?;

    // Per-record outputs, fed in input order by the pipeline.
    let mut csv_out = match &cli.csv {
        Some(p) => {
            Some(report::csv::RowWriter::new(create(p)?).map_err(|e| anyhow::anyhow!("{p}: {e}"))?)
        }
        None => None,
    };
    // Open the exports now, so a bad path fails before the work.
    let timeline_out = args.timeline_csv.as_deref().map(create).transpose()?;
    let show: Option<Vec<ShowClass>> = (!cli.show.is_empty()).then(|| cli.show.clone());
    let write_failed: Arc<Mutex<Option<String>>> = Arc::default();
    let stdout_shown = std::io::stdout();
    let mut sink = {
        let write_failed = write_failed.clone();
        let show = show.clone();
        move |rows: Vec<Row>| {
            if write_failed.lock().map(|f| f.is_some()).unwrap_or(true) {
                return;
            }
            let res: std::io::Result<()> = (|| {
                if let Some(w) = csv_out.as_mut() {
                    w.write(&rows).map_err(std::io::Error::other)?;
                }
                if let Some(classes) = &show {
                    let mut out = stdout_shown.lock();
                    for r in rows.iter().filter(|r| shows(classes, r.class)) {
                        writeln!(out, "{}", show_line(r))?;
                    }
                }
                Ok(())
            })();
            if let Err(e) = res {
                if let Ok(mut f) = write_failed.lock() {
                    *f = Some(error::io_message(&e));
                }
            }
        }
    };

    let settings = Settings {
        samples: usize::from(cli.samples),
        bucket_ms: cli.bucket,
        redact: !cli.unsafe_show_secrets,
    };
    let jobs = cli
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let job = pipeline::Job {
        catalog: &cat,
        read: &read,
        filter: &filter,
        settings,
        jobs,
        rows: cli.csv.is_some() || show.is_some(),
    };
    let progress = progress_bar(&sources, cli.no_progress);
    let audit = pipeline::run(&sources, &job, &progress, &mut sink);
    progress.finish_and_clear();
    drop(sink);
    if let Some(msg) = write_failed.lock().ok().and_then(|f| f.clone()) {
        if msg.contains("Broken pipe") {
            return Ok(exit);
        }
        return Err(anyhow::anyhow!("writing rows: {msg}"));
    }
    for e in audit.errors() {
        eprintln!("tape-audit: {}", sanitize::terminal(&e));
        exit = Exit::Error;
    }
    let partial_options = partial::Options {
        settings,
        filters: filter.describe(),
        input_format: read.format.map(|f| f.name().to_string()),
        fields: cli
            .fields
            .iter()
            .map(|(f, p)| format!("{f:?}={p}"))
            .collect(),
        max_record_mib: cli.max_record_mib,
    };
    if let (Some(w), Some(p)) = (timeline_out, &args.timeline_csv) {
        report::csv::write_timeline(&audit.summary, w).map_err(|e| anyhow::anyhow!("{p}: {e}"))?;
    }
    let stdout_taken = cli.csv.as_deref() == Some("-") || show.is_some();
    finish(&audit, &cat, args, partial_options, stdout_taken, exit)
}

/// Builds the report of an audit (or a merge), writes it, and decides the exit code.
fn finish(
    audit: &pipeline::Audit,
    cat: &Catalog,
    args: &ReportArgs,
    options: partial::Options,
    stdout_taken: bool,
    mut exit: Exit,
) -> anyhow::Result<Exit> {
    let baseline = args
        .baseline
        .as_deref()
        .map(report::baseline::Baseline::load)
        .transpose()?;
    let mut report = Report::build(
        audit,
        cat,
        &ReportOptions {
            filters: options.filters.clone(),
            top: args.top,
            max_skipped_share: 0.5,
        },
    );
    report.baseline = baseline.map(|b| b.compare(&report, args.baseline_threshold / 100.0));
    for i in report.inputs.iter() {
        if let Some(w) = &i.warning {
            eprintln!("tape-audit: warning: {}: {w}", sanitize::terminal(&i.path));
        }
    }
    let single_input_said_it = report.inputs.len() == 1 && report.inputs[0].warning.is_some();
    for w in &report.warnings {
        // After an error line, or the same warning about the only input, it
        // would only repeat.
        if exit != Exit::Error && !single_input_said_it {
            eprintln!("tape-audit: warning: {w}");
        }
        if !args.allow_empty {
            exit = Exit::Error;
        }
    }
    let stdout_taken = stdout_taken || args.timeline_csv.as_deref() == Some("-");
    if !stdout_taken {
        let stdout = std::io::stdout();
        let color = match args.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let mut out = std::io::BufWriter::new(stdout.lock());
        match args.format {
            OutputFormat::Table => report::table::write(
                &report,
                args.top,
                report::table::Style::new(color),
                &mut out,
            )?,
            OutputFormat::Json => report::json::write(&report, &mut out)?,
            OutputFormat::Markdown => report::markdown::write(&report, args.top, &mut out)?,
            OutputFormat::Partial => {
                let p = partial::Partial::of(audit, cat, options);
                serde_json::to_writer(&mut out, &p)?;
                out.write_all(b"\n")?;
            }
        }
        out.flush()?;
    }
    if fails(&report, &args.fail_on) {
        exit = exit.merge(Exit::Findings);
    }
    Ok(exit)
}

fn shows(classes: &[ShowClass], class: &str) -> bool {
    classes.iter().any(|c| match c {
        ShowClass::All => true,
        ShowClass::One(c) => c.name() == class,
    })
}

/// One `--show` line: locator, time, method, endpoint, status, code, message.
fn show_line(r: &Row) -> String {
    let code = if r.error_code.is_empty() {
        "-"
    } else {
        &r.error_code
    };
    let what = if r.violation.is_empty() {
        r.class.to_string()
    } else {
        format!("{} ({})", r.class, r.violation)
    };
    let line = format!(
        "{} {}  {}  {} {}  {} {}  {}  {}",
        r.source,
        r.locator,
        if r.timestamp.is_empty() {
            "-"
        } else {
            &r.timestamp
        },
        if r.method.is_empty() { "-" } else { &r.method },
        if r.endpoint.is_empty() {
            "-"
        } else {
            &r.endpoint
        },
        r.status,
        code,
        what,
        r.error_message
    );
    sanitize::terminal(line.trim_end()).into_owned()
}

/// Opens an export target; `-` is standard output.
fn create(path: &str) -> Result<Box<dyn Write + Send>, Error> {
    if path == "-" {
        return Ok(Box::new(std::io::stdout()));
    }
    let f = std::fs::File::create(path).map_err(|e| Error::io(std::path::Path::new(path), e))?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}

/// Whether any `--fail-on` condition holds.
pub fn fails(r: &Report, on: &[FailOn]) -> bool {
    on.iter().any(|f| match f {
        FailOn::Violations => r.class(Class::EnvelopeViolation) > 0,
        FailOn::Undocumented => r.class(Class::UndocumentedCode) > 0,
        FailOn::Mismatch => r.class(Class::StatusMismatch) > 0,
        FailOn::ErrorOnSuccess => r.class(Class::ErrorOnSuccess) > 0,
        FailOn::UndocumentedStatus => !r.undocumented_statuses.is_empty(),
        FailOn::Findings => fails(
            r,
            &[
                FailOn::Violations,
                FailOn::Undocumented,
                FailOn::Mismatch,
                FailOn::ErrorOnSuccess,
            ],
        ),
        FailOn::AnyError => r.totals.error_responses > 0,
        FailOn::Skipped => r.totals.skipped > 0,
        FailOn::New => r.baseline.as_ref().is_some_and(|d| !d.new.is_empty()),
    })
}

fn load_catalog(spec: &[std::path::PathBuf]) -> Result<Catalog, Error> {
    if spec.is_empty() {
        Ok(Catalog::builtin())
    } else {
        Catalog::from_files(spec)
    }
}

fn print_catalog(cat: &Catalog, format: CatalogFormat) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match format {
        CatalogFormat::Json => writeln!(out, "{}", cat.to_json())?,
        CatalogFormat::Table => {
            writeln!(out, "# {}", cat.source())?;
            writeln!(out, "{:<6} {:<24} description", "status", "error_code")?;
            for e in cat.entries() {
                let mut desc = e.description.clone();
                if let Some(a) = &e.alias_of {
                    desc = format!("(alias of {a}) {desc}");
                }
                if let Some(n) = &e.note {
                    desc = format!("{desc} [{n}]");
                }
                writeln!(out, "{:<6} {:<24} {}", e.status, e.error_code, desc)?;
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
