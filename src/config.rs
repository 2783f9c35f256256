//! The configuration stage: the parsed command line ([`Cli`]) turned once
//! into a [`Config`]: the catalog and baseline loaded, the inputs listed,
//! the filters, read options and report settings built, every conflict
//! between flags rejected as a usage error, and every output opened, all
//! before any input is read. [`crate::run`] then only carries it out.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::aggregate::Settings;
use crate::catalog::Catalog;
use crate::cli::{CatalogFormat, Cli, ColorWhen, Command, FailOn, OutputFormat, ReportArgs};
use crate::error::Error;
use crate::filter::Filter;
use crate::input::{self, ReadOptions, Source};
use crate::outputs::{Control, Outputs, Plan, Target};
use crate::report::baseline::Baseline;

/// Everything a run needs, validated.
pub struct Config {
    /// What to do.
    pub task: Task,
    /// The catalog to audit against.
    pub catalog: Catalog,
    /// How to report and when to fail.
    pub report: ReportConfig,
    /// Every output, opened.
    pub outputs: Outputs,
    /// Flags shared with the pipeline and the signal handler.
    pub control: Arc<Control>,
}

/// What a run does.
pub enum Task {
    /// `tape-audit catalog`.
    Catalog(CatalogFormat),
    /// `tape-audit merge PART...`.
    Merge(Vec<String>),
    /// The audit.
    Audit(Box<AuditConfig>),
    /// `completions`, `man`, `version`.
    Meta(crate::meta::Meta),
    /// No input could be opened: these errors, then these hints, and stop.
    Unopened {
        /// One per input, `path: cause`.
        errors: Vec<String>,
        /// `did you mean the subcommand ...` lines.
        hints: Vec<String>,
    },
}

/// The audit's own settings.
pub struct AuditConfig {
    /// Inputs, in the order read (by name).
    pub sources: Vec<Source>,
    /// Problems met while listing the inputs (an unreadable directory).
    pub list_errors: Vec<String>,
    /// Warnings about the input list (a file given twice, read once).
    pub list_warnings: Vec<String>,
    /// Notes about the input list (an output left out of a walked directory).
    pub list_notes: Vec<String>,
    /// How to read them.
    pub read: ReadOptions,
    /// Which records count (time bounds resolved by the run).
    pub filter: Filter,
    /// Which hosts count.
    pub rule: crate::scope::Rule,
    /// What summaries hold.
    pub settings: Settings,
    /// Worker threads.
    pub jobs: usize,
    /// Show a progress bar on a terminal.
    pub progress: bool,
    /// Written into partials.
    pub fields: Vec<String>,
    /// `--max-record-mib`, written into partials.
    pub max_record_mib: u32,
    /// `--unsafe-show-secrets` was given.
    pub unsafe_show_secrets: bool,
}

/// How the report is written and judged.
pub struct ReportConfig {
    /// Its format.
    pub format: OutputFormat,
    /// Rows per list in the table and Markdown.
    pub top: usize,
    /// `--max-codes`, `--max-endpoints`, `--max-clients`.
    pub max_codes: usize,
    /// `--max-endpoints`.
    pub max_endpoints: usize,
    /// `--max-hosts`.
    pub max_hosts: usize,
    /// `--max-clients`.
    pub max_clients: usize,
    /// `--collapse`.
    pub collapse: u64,
    /// Colour on the terminal.
    pub color: bool,
    /// Columns the terminal table fits in: `COLUMNS`, else the width of
    /// the terminal on standard output; `None` (lines not cut) otherwise.
    pub width: Option<usize>,
    /// `--baseline`, loaded.
    pub baseline: Option<Baseline>,
    /// `--baseline-threshold`, as a fraction.
    pub baseline_threshold: f64,
    /// `--fail-on` conditions.
    pub fail_on: Vec<FailOn>,
    /// `--allow-empty`.
    pub allow_empty: bool,
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

impl Config {
    /// Builds and validates the configuration, and opens the outputs.
    pub fn from_cli(cli: Cli) -> Result<Config, anyhow::Error> {
        let control = Arc::new(Control::default());
        match cli.command {
            Some(Command::Catalog { spec, format }) => {
                let catalog = load_catalog(&spec)?;
                let outputs = Outputs::open(&Plan::default(), &control)?;
                Ok(Config {
                    task: Task::Catalog(format),
                    catalog,
                    report: ReportConfig::plain(),
                    outputs,
                    control,
                })
            }
            Some(Command::Merge { parts, report }) => {
                let plan = plan(None, &[], None, &report)?;
                check_format(&report, &plan)?;
                let rc = ReportConfig::from_args(&report, plan.stdout_taken())?;
                let catalog = load_catalog(&report.spec)?;
                control
                    .stop_on_closed_pipe
                    .store(rc.fail_on.is_empty(), Ordering::Relaxed);
                let outputs = Outputs::open(&plan, &control)?;
                Ok(Config {
                    task: Task::Merge(parts),
                    catalog,
                    report: rc,
                    outputs,
                    control,
                })
            }
            Some(Command::Completions { shell }) => {
                meta(crate::meta::Meta::Completions(shell), control)
            }
            Some(Command::Man) => meta(crate::meta::Meta::Man, control),
            Some(Command::Version) => meta(crate::meta::Meta::Version, control),
            None => Config::audit(cli, control),
        }
    }

    fn audit(cli: Cli, control: Arc<Control>) -> Result<Config, anyhow::Error> {
        let args = &cli.report;
        let mut plan = plan(
            cli.csv.as_deref(),
            &cli.show,
            cli.extract_har.as_deref(),
            args,
        )?;
        plan.show_secrets = cli.unsafe_show_secrets;
        check_format(args, &plan)?;
        let report = ReportConfig::from_args(args, plan.stdout_taken())?;
        let catalog = load_catalog(&args.spec)?;

        let mut inputs = cli.inputs.clone();
        if inputs.is_empty() {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                return Err(usage(
                    "no input given (pass HAR or JSON-lines files, directories, or - for standard input)",
                )
                .into());
            }
            inputs.push("-".into());
        }
        let globs = input::Globs::new(&cli.globs).map_err(usage)?;
        let expanded = input::expand_inputs(&inputs, &globs);
        let (mut sources, list_warnings) = (expanded.sources, expanded.warnings);
        let list_errors: Vec<String> = expanded.errors.iter().map(ToString::to_string).collect();
        let mut list_notes = check_paths(&mut sources, &plan)?;
        if !globs.is_empty() && !sources.iter().any(|s| matches!(s, Source::Walked(_))) {
            list_notes.push("--glob: no file of the walked directories matches".to_string());
        }
        if let Some(task) = unopened(&sources, &list_errors) {
            return Ok(Config {
                task,
                catalog,
                report,
                outputs: Outputs::open(&Plan::default(), &control)?,
                control,
            });
        }
        // A mistyped subcommand among inputs that open (`catlog x.har`).
        for s in &sources {
            if let Source::File(p) = s {
                if !p.exists() {
                    if let Some(name) = p.to_str().and_then(crate::meta::subcommand_hint) {
                        list_notes.push(format!(
                            "{}: did you mean the subcommand `{name}`? (a subcommand comes before the inputs)",
                            s.name()
                        ));
                    }
                }
            }
        }
        // Inputs are read in name order, whatever order they were given in, so
        // that partials of any split of them merge into this very report.
        sources.sort_by_key(Source::name);
        if let Some((k, n)) = cli.shard {
            sources.retain(|s| crate::partial::in_shard(&s.name(), k, n));
        }
        let read = ReadOptions {
            format: cli.input_format.forced(),
            fields: cli.fields.clone(),
            max_record: crate::input::max_record_bytes(cli.max_record_mib),
            zstd_window_mib: cli.zstd_window_mib,
        };
        let filter = Filter {
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
        let rule =
            crate::scope::Rule::of(cli.all_hosts, &cli.api, catalog.hosts()).map_err(usage)?;
        let settings = Settings {
            samples: usize::from(cli.samples),
            bucket_ms: cli.bucket,
            redact: !cli.unsafe_show_secrets,
            max_buckets: cli.max_buckets,
        };
        let jobs = cli
            .jobs
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        // A closed pipe may end the run early only when nothing depends on
        // reading to the end: no gate, and no file output left incomplete.
        control.stop_on_closed_pipe.store(
            report.fail_on.is_empty() && plan.files().is_empty(),
            Ordering::Relaxed,
        );
        let outputs = Outputs::open(&plan, &control)?;
        Ok(Config {
            task: Task::Audit(Box::new(AuditConfig {
                sources,
                list_errors,
                list_warnings,
                list_notes,
                read,
                filter,
                rule,
                settings,
                jobs,
                progress: !cli.no_progress,
                fields: cli
                    .fields
                    .iter()
                    .map(|(f, p)| format!("{f:?}={p}"))
                    .collect(),
                max_record_mib: cli.max_record_mib,
                unsafe_show_secrets: cli.unsafe_show_secrets,
            })),
            catalog,
            report,
            outputs,
            control,
        })
    }
}

/// A task that only prints to standard output.
fn meta(what: crate::meta::Meta, control: Arc<Control>) -> Result<Config, anyhow::Error> {
    let outputs = Outputs::open(&Plan::default(), &control)?;
    Ok(Config {
        task: Task::Meta(what),
        catalog: Catalog::builtin(),
        report: ReportConfig::plain(),
        outputs,
        control,
    })
}

/// When every input is a named file and none can be opened (a typo, or a
/// mistyped subcommand taken for a file), the run stops before any report.
fn unopened(sources: &[Source], list_errors: &[String]) -> Option<Task> {
    if sources.is_empty() || !list_errors.is_empty() {
        return None;
    }
    let mut errors = Vec::new();
    let mut hints = Vec::new();
    for s in sources {
        let Source::File(p) = s else { return None };
        let failed = match std::fs::metadata(p) {
            Err(e) => Some(e),
            Ok(m) if m.is_file() => std::fs::File::open(p).err(),
            Ok(_) => None,
        };
        let e = failed?;
        errors.push(Error::io(p, e).to_string());
        if let Some(name) = p.to_str().and_then(crate::meta::subcommand_hint) {
            hints.push(format!("did you mean the subcommand `{name}`?"));
        }
    }
    Some(Task::Unopened { errors, hints })
}

impl ReportConfig {
    fn plain() -> ReportConfig {
        ReportConfig {
            format: OutputFormat::Table,
            top: 10,
            max_codes: crate::report::DEFAULT_MAX_CODES,
            max_endpoints: crate::report::DEFAULT_MAX_ENDPOINTS,
            max_hosts: crate::report::DEFAULT_MAX_HOSTS,
            max_clients: crate::report::DEFAULT_MAX_CLIENTS,
            collapse: crate::report::DEFAULT_COLLAPSE,
            color: false,
            width: None,
            baseline: None,
            baseline_threshold: 0.5,
            fail_on: Vec::new(),
            allow_empty: false,
        }
    }

    fn from_args(args: &ReportArgs, stdout_taken: bool) -> Result<ReportConfig, Error> {
        if args.fail_on.contains(&FailOn::New) && args.baseline.is_none() {
            return Err(usage(
                "--fail-on new compares with an earlier report: give it with --baseline OLD.json",
            ));
        }
        if !(args.baseline_threshold.is_finite() && args.baseline_threshold >= 0.0) {
            return Err(usage(
                "--baseline-threshold must be a percentage of 0 or more",
            ));
        }
        let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
        let format = args.format.unwrap_or(OutputFormat::Table);
        let color = !stdout_taken
            && match args.color {
                ColorWhen::Always => true,
                ColorWhen::Never => false,
                ColorWhen::Auto => {
                    std::io::IsTerminal::is_terminal(&std::io::stdout())
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0)
            .or_else(|| {
                (!stdout_taken && std::io::IsTerminal::is_terminal(&std::io::stdout()))
                    .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
                    .flatten()
            });
        Ok(ReportConfig {
            format,
            top: args.top,
            max_codes: args.max_codes,
            max_endpoints: args.max_endpoints,
            max_hosts: args.max_hosts,
            max_clients: args.max_clients,
            collapse: args.collapse,
            color,
            width,
            baseline,
            baseline_threshold: args.baseline_threshold / 100.0,
            fail_on: args.fail_on.clone(),
            allow_empty: args.allow_empty,
        })
    }
}

/// The outputs the flags ask for; two that would share standard output,
/// or a file, are a usage error.
fn plan(
    csv: Option<&str>,
    show: &[crate::cli::ShowClass],
    extract: Option<&str>,
    args: &ReportArgs,
) -> Result<Plan, Error> {
    let plan = Plan {
        csv: csv.map(|s| Target::parse(s.as_ref())),
        timeline: args
            .timeline_csv
            .as_deref()
            .map(|s| Target::parse(s.as_ref())),
        html: args.html.as_deref().map(|s| Target::parse(s.as_ref())),
        show: show.to_vec(),
        extract: extract.map(|s| Target::parse(s.as_ref())),
        show_secrets: false,
    };
    let on_stdout: Vec<&str> = [
        (plan.csv == Some(Target::Stdout), "--csv -"),
        (plan.timeline == Some(Target::Stdout), "--timeline-csv -"),
        (plan.html == Some(Target::Stdout), "--html -"),
        (!plan.show.is_empty(), "--show"),
        (plan.extract == Some(Target::Stdout), "--extract-har -"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, f)| *f)
    .collect();
    if on_stdout.len() > 1 {
        return Err(usage(format!(
            "{} would all write to standard output: send all but one to a file",
            on_stdout.join(" and ")
        )));
    }
    let files = plan.files();
    for (i, (fa, a)) in files.iter().enumerate() {
        for (fb, b) in &files[i + 1..] {
            if same_target(a, b) {
                return Err(usage(format!(
                    "{fa} and {fb} both write to {}: give each its own file",
                    a.display()
                )));
            }
        }
    }
    Ok(plan)
}

/// `--format` says what goes to standard output; when something else
/// takes it, an explicit `--format` would be silently dropped.
fn check_format(args: &ReportArgs, plan: &Plan) -> Result<(), Error> {
    if let Some(f) = args.format {
        if plan.stdout_taken() {
            let taker = if !plan.show.is_empty() {
                "--show"
            } else if plan.csv == Some(Target::Stdout) {
                "--csv -"
            } else if plan.html == Some(Target::Stdout) {
                "--html -"
            } else if plan.extract == Some(Target::Stdout) {
                "--extract-har -"
            } else {
                "--timeline-csv -"
            };
            let name = clap::ValueEnum::to_possible_value(&f)
                .map(|v| v.get_name().to_string())
                .unwrap_or_default();
            return Err(usage(format!(
                "--format {name}: standard output carries {taker} instead of the report; \
                 send {taker} to a file, or leave out --format"
            )));
        }
    }
    Ok(())
}

/// An output that is also an input named on the command line is a usage
/// error (it would destroy the input); one reached by walking a directory
/// is left out of the inputs, with a note.
fn check_paths(sources: &mut Vec<Source>, plan: &Plan) -> Result<Vec<String>, Error> {
    let mut notes = Vec::new();
    let files = plan.files();
    if files.is_empty() {
        return Ok(notes);
    }
    let mut err = None;
    sources.retain(|s| {
        let Some(p) = s.path() else { return true };
        let Some((flag, _)) = files.iter().find(|(_, out)| same_file(p, out)) else {
            return true;
        };
        match s {
            Source::Walked(_) => {
                notes.push(format!(
                    "{}: left out of the inputs: it is the {flag} output of this run",
                    p.display()
                ));
            }
            _ => {
                err.get_or_insert_with(|| {
                    usage(format!(
                        "{}: is both an input and the {flag} output: writing it would destroy the input",
                        p.display()
                    ))
                });
            }
        }
        false
    });
    match err {
        Some(e) => Err(e),
        None => Ok(notes),
    }
}

/// Whether two paths name one existing file (same device and inode).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
        false
    }
    #[cfg(not(unix))]
    {
        normalise(a) == normalise(b)
    }
}

/// Whether two output paths would be one file, existing or not.
fn same_target(a: &Path, b: &Path) -> bool {
    same_file(a, b) || normalise(a) == normalise(b)
}

/// The path with its directory made canonical (the file itself may not exist yet).
fn normalise(p: &Path) -> PathBuf {
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    match p.file_name() {
        Some(n) => dir.join(n),
        None => dir,
    }
}

/// The embedded catalog, or the `--spec` files.
pub fn load_catalog(spec: &[PathBuf]) -> Result<Catalog, Error> {
    if spec.is_empty() {
        Ok(Catalog::builtin())
    } else {
        Catalog::from_files(spec)
    }
}
