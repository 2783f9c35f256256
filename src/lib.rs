//! tape-audit: audits recorded HTTP traffic against the Tape API's documented
//! error contract.
//!
//! Data flows input → classify → aggregate → report:
//! [`input`] reads HAR and JSON-lines inputs into [`exchange::Exchange`]s,
//! [`classify`] gives each one class against the [`catalog`],
//! [`aggregate`] sums them into a mergeable [`aggregate::Summary`],
//! and [`report`] writes it. [`pipeline`] wires the threads.

pub mod aggregate;
pub mod catalog;
pub mod classify;
pub mod cli;
pub mod error;
pub mod exchange;
pub mod input;
pub mod pipeline;
pub mod rawjson;
pub mod report;
pub mod sanitize;

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use catalog::Catalog;
use classify::Class;
use cli::{CatalogFormat, Cli, ColorWhen, Command, FailOn, OutputFormat};
use error::{Error, Exit};
use input::{ReadOptions, Source};
use report::Report;

/// Runs the command line; returns the exit code. Diagnostics go to stderr,
/// prefixed `tape-audit:`; the report alone goes to stdout.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    if let Some(Command::Catalog { spec, format }) = &cli.command {
        let cat = load_catalog(spec)?;
        print_catalog(&cat, *format)?;
        return Ok(Exit::Ok);
    }
    let cat = load_catalog(&cli.spec)?;
    let mut args = cli.inputs.clone();
    if args.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "no input given (pass HAR or JSON-lines files, directories, or - for standard input)".into(),
            )
            .into());
        }
        args.push("-".into());
    }
    let (sources, walk_errors) = input::expand(&args);
    let mut exit = Exit::Ok;
    for e in &walk_errors {
        eprintln!("tape-audit: {e}");
        exit = Exit::Error;
    }
    let opts = ReadOptions {
        format: cli.input_format.forced(),
        fields: cli.fields.clone(),
        max_record: cli.max_record_mib as usize * (1 << 20),
    };
    let jobs = cli
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let progress = progress_bar(&sources, cli.no_progress);
    let audit = pipeline::run(&sources, &opts, &cat, jobs, &progress);
    progress.finish_and_clear();
    for e in audit.errors() {
        eprintln!("tape-audit: {}", sanitize::terminal(&e));
        exit = Exit::Error;
    }
    let report = Report::build(&audit, &cat);
    let stdout = std::io::stdout();
    let color = match cli.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cli.format {
        OutputFormat::Table => {
            report::table::write(&report, report::table::Style::new(color), &mut out)?
        }
        OutputFormat::Json => report::json::write(&report, &mut out)?,
    }
    out.flush()?;
    if fails(&report, &cli.fail_on) {
        exit = exit.merge(Exit::Findings);
    }
    Ok(exit)
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
        match s {
            Source::File(p) => match std::fs::metadata(p) {
                Ok(m) if m.is_file() => total = total.map(|t| t + m.len()),
                _ => total = None,
            },
            Source::Stdin => total = None,
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
            ProgressStyle::with_template("{spinner} {bytes} read, {bytes_per_sec}, {elapsed}  {msg}")
                .expect("a valid template"),
        ),
    };
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}
