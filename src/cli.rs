//! The command line: clap definitions, turned into a [`crate::config::Config`]
//! by the configuration stage. No I/O here.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::classify::Class;
use crate::filter::{StatusPat, TimeSpec};
use crate::input::jsonl::Field;
use crate::input::Format;

/// Audit recorded HTTP traffic (HAR captures, JSON-lines logs) against the
/// Tape API's documented error contract.
///
/// Every response gets one class: ok, error_on_success, no_response,
/// body_missing, envelope_violation, documented, status_mismatch or
/// undocumented_code. Inputs may be files, directories, or - for standard
/// input; gzip and zstd are decompressed on the fly.
#[derive(Debug, Parser)]
#[command(
    name = "tape-audit",
    version,
    args_conflicts_with_subcommands = true,
    after_help = SHORT_EXAMPLES,
    after_long_help = LONG_EXAMPLES
)]
pub struct Cli {
    /// Print the catalog instead of auditing.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// HAR files, JSON-lines logs, directories, or - for standard input.
    #[arg(value_name = "INPUT", help_heading = INPUTS)]
    pub inputs: Vec<std::ffi::OsString>,

    /// Read only the files of a walked directory that match (ripgrep's
    /// globs: `*.har`, `logs/**/*.jsonl*`; `!GLOB` excludes, and the last
    /// glob that matches decides). Repeatable. Files named on the command
    /// line are always read.
    #[arg(short = 'g', long = "glob", value_name = "GLOB", allow_hyphen_values = true, help_heading = INPUTS)]
    pub globs: Vec<String>,

    /// Audit only the inputs in shard K of N (a stable hash of each path),
    /// for N workers that each take one shard; merge their partials after.
    #[arg(long, value_name = "K/N", value_parser = crate::partial::parse_shard, help_heading = FILTERS)]
    pub shard: Option<(u32, u32)>,

    /// Input format; detected from content by default.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto, help_heading = INPUTS)]
    pub input_format: InputFormat,

    /// Where a JSON-lines field lives, as NAME=PATH with NAME one of status,
    /// body, time, method, url and PATH a dotted path (`response.status`).
    #[arg(long = "field", value_name = "NAME=PATH", value_parser = parse_field, help_heading = INPUTS)]
    pub fields: Vec<(Field, String)>,

    /// Worker threads (default: the number of CPUs).
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Largest record read, in MiB (a longer log line or HAR entry is skipped).
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096), help_heading = INPUTS)]
    pub max_record_mib: u32,

    /// Largest zstd window accepted, in MiB (a frame that needs more is an
    /// error for its input).
    #[arg(long, value_name = "MIB", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=2048), help_heading = INPUTS)]
    pub zstd_window_mib: u32,

    /// Write one CSV row per notable record (every response that is not ok)
    /// to PATH (- for standard output, which then carries only the CSV).
    #[arg(long, value_name = "PATH", help_heading = REPORTS)]
    pub csv: Option<String>,

    /// Write the notable records (every response that is not ok, after
    /// filters) as a HAR 1.2 document to PATH (- for standard output, which
    /// then carries only the HAR), sanitized unless --unsafe-show-secrets.
    #[arg(long, value_name = "PATH", help_heading = "Exports")]
    pub extract_har: Option<String>,

    /// Timeline bucket width: 10s, 1m, 5m, 1h ...
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = crate::filter::parse_duration_ms, help_heading = REPORTS)]
    pub bucket: i64,

    /// Most timeline buckets: a longer span coarsens the bucket by whole
    /// multiples (1m, 5m, 15m, 30m, 1h, 2h, 6h, 12h, 1d, then doubling, times
    /// --bucket), and the report says so.
    #[arg(long, value_name = "N", default_value_t = crate::aggregate::MAX_BUCKETS, value_parser = clap::value_parser!(u32).range(2..=i64::from(crate::aggregate::MAX_BUCKETS_LIMIT)), help_heading = REPORTS)]
    pub max_buckets: u32,

    /// List the records of these classes (comma-separated, or `all` for
    /// every class but ok), one per line, instead of the report.
    #[arg(long, value_name = "CLASS", value_delimiter = ',', value_parser = show_parser(), ignore_case = true, help_heading = REPORTS)]
    pub show: Vec<ShowClass>,

    /// First locators kept per code, violation and finding.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000), help_heading = REPORTS)]
    pub samples: u16,

    /// Only records at or after this time: RFC 3339 (2024-06-11T10:20:00Z),
    /// HH:MM[:SS] on the capture's own date (UTC), relative to now (-2h),
    /// or epoch seconds written @1718100000.
    #[arg(long, value_name = "TIME", value_parser = TimeSpec::parse, allow_hyphen_values = true, help_heading = FILTERS)]
    pub since: Option<TimeSpec>,

    /// Only records before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = TimeSpec::parse, allow_hyphen_values = true, help_heading = FILTERS)]
    pub until: Option<TimeSpec>,

    /// Only these statuses: 404, 5xx ... (comma-separated or repeated).
    #[arg(long, value_name = "STATUS", value_delimiter = ',', value_parser = StatusPat::parse, help_heading = FILTERS)]
    pub status: Vec<StatusPat>,

    /// Only these error codes.
    #[arg(
        long,
        value_name = "CODE",
        value_delimiter = ',',
        help_heading = FILTERS
    )]
    pub code: Vec<String>,

    /// Only these classes.
    #[arg(long, value_name = "CLASS", value_delimiter = ',', value_parser = class_parser(), ignore_case = true, help_heading = FILTERS)]
    pub class: Vec<Class>,

    /// Only requests to these hosts.
    #[arg(
        long,
        value_name = "HOST",
        value_delimiter = ',',
        help_heading = FILTERS
    )]
    pub host: Vec<String>,

    /// Audit only the API on these hosts (exact, or `*.example.com` for any
    /// host under example.com; comma-separated): other hosts' records are
    /// counted as excluded. By default, when the inputs hold several hosts,
    /// the catalog's API hosts and every host that sent an error envelope.
    #[arg(long, value_name = "HOST", value_delimiter = ',', conflicts_with = "all_hosts", help_heading = FILTERS)]
    pub api: Vec<String>,

    /// Audit every host's records, with no host scope.
    #[arg(long, help_heading = FILTERS)]
    pub all_hosts: bool,

    /// Only paths starting with this prefix.
    #[arg(long, value_name = "PREFIX", help_heading = FILTERS)]
    pub path_prefix: Option<String>,

    /// Only endpoints matching this glob (`/v1/record/*`; `*` also matches `/`).
    #[arg(long, value_name = "GLOB", help_heading = FILTERS)]
    pub endpoint: Option<String>,

    /// What to report and how.
    #[command(flatten)]
    pub report: ReportArgs,

    /// Show tokens, cookies and keys from the traffic in reports (off by default).
    #[arg(long, help_heading = REPORTS)]
    pub unsafe_show_secrets: bool,
}

/// `--help` headings, one per task.
const INPUTS: &str = "Inputs";
/// Which records count.
const FILTERS: &str = "Scope and filters";
/// What is written, and where.
const REPORTS: &str = "Reports and exports";
/// Exit codes for CI.
const GATE: &str = "CI gate";

/// The end of `-h`.
const SHORT_EXAMPLES: &str = "\
Examples:
  tape-audit capture.har
  tape-audit --fail-on findings logs/
  tape-audit completions bash

Run `tape-audit --help` for every option and more examples.";

/// The end of `--help`.
const LONG_EXAMPLES: &str = "\
Examples:
  Audit a HAR capture and a directory of JSON-lines logs:
      tape-audit capture.har logs/

  Read compressed logs from standard input:
      zcat access.log.gz | tape-audit -

  Only the last two hours, only 5xx, as Markdown for an incident:
      tape-audit --since -2h --status 5xx --format markdown logs/ > incident.md

  List every undocumented code and envelope violation, one per line:
      tape-audit --show undocumented-code,envelope-violation logs/

  Gate CI on findings, and on anything new since the last release:
      tape-audit --fail-on findings,new --baseline last.json logs/

  Split a large audit over 4 workers, then merge:
      tape-audit --shard 1/4 --format partial logs/ > part1.json
      tape-audit merge part*.json

  Install completions and the man page:
      tape-audit completions bash > ~/.local/share/bash-completion/completions/tape-audit
      tape-audit man > ~/.local/share/man/man1/tape-audit.1

Class names may be written with _ or - (undocumented_code, undocumented-code).
Exit codes: 0 ok, 1 a --fail-on condition held, 2 usage, input or I/O error.";

/// Options shared by the audit and `merge`: the report and its gates.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Output format of the report [default: table].
    #[arg(long, value_enum, help_heading = REPORTS)]
    pub format: Option<OutputFormat>,
    /// Catalog to audit against: a Markdown page with a status and an
    /// error_code column, or a JSON or TOML catalog. Repeat to merge.
    /// Default: the embedded Tape errors page.
    #[arg(long, value_name = "FILE", help_heading = INPUTS)]
    pub spec: Vec<PathBuf>,
    /// Exit 1 when the audit finds any of these (comma-separated or repeated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "WHAT", help_heading = GATE)]
    pub fail_on: Vec<FailOn>,
    /// When to colour the terminal report.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN", help_heading = REPORTS)]
    pub color: ColorWhen,
    /// Write counts per time bucket and (status, error_code, class) as CSV.
    #[arg(long, value_name = "PATH", help_heading = REPORTS)]
    pub timeline_csv: Option<String>,
    /// Also write the report as one self-contained HTML page to PATH, so
    /// that one run can print the table and keep the page.
    #[arg(long, value_name = "PATH", help_heading = "Exports")]
    pub html: Option<String>,
    /// Endpoints listed in the table and Markdown reports.
    #[arg(long, value_name = "N", default_value_t = 10, help_heading = REPORTS)]
    pub top: usize,
    /// Most (status, error_code, class) rows a report lists, the most
    /// frequent; the report counts the rest in one line.
    #[arg(long, value_name = "N", default_value_t = crate::report::DEFAULT_MAX_CODES, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(1..), |n| n as usize), help_heading = REPORTS)]
    pub max_codes: usize,
    /// Most endpoints with errors the JSON and HTML reports list (the table
    /// and Markdown show --top of them); the rest are counted in one line.
    #[arg(long, value_name = "N", default_value_t = crate::report::DEFAULT_MAX_ENDPOINTS, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(1..), |n| n as usize), help_heading = REPORTS)]
    pub max_endpoints: usize,
    /// Most hosts the JSON and HTML reports list, those with the most
    /// responses (the table and Markdown show --top of them); the rest are
    /// counted in one line.
    #[arg(long, value_name = "N", default_value_t = crate::report::DEFAULT_MAX_HOSTS, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(1..), |n| n as usize), help_heading = REPORTS)]
    pub max_hosts: usize,
    /// Most clients (credential fingerprints) listed per code, the most
    /// frequent; their number is always given.
    #[arg(long, value_name = "N", default_value_t = crate::report::DEFAULT_MAX_CLIENTS, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(1..), |n| n as usize), help_heading = REPORTS)]
    pub max_clients: usize,
    /// A path position holding at least N distinct values among endpoints
    /// alike elsewhere becomes {*} in the endpoint list (`/search/{*}`);
    /// 0 never. The CSV and samples keep the raw path.
    #[arg(long, value_name = "N", default_value_t = crate::report::DEFAULT_COLLAPSE, help_heading = REPORTS)]
    pub collapse: u64,
    /// Compare with an earlier `--format json` report: new, gone and
    /// changed codes, endpoints and violations.
    #[arg(long, value_name = "OLD.json", help_heading = GATE)]
    pub baseline: Option<PathBuf>,
    /// Change in share of responses, in percent, above which a key counts as changed.
    #[arg(
        long,
        value_name = "PERCENT",
        default_value_t = 50.0,
        help_heading = GATE
    )]
    pub baseline_threshold: f64,
    /// Do not fail when no records were read or most were skipped.
    #[arg(long, help_heading = GATE)]
    pub allow_empty: bool,
}

/// A class to list with `--show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowClass {
    /// Every class but ok.
    All,
    /// One class.
    One(Class),
}

/// A class by name, written with `_` or `-` (`undocumented_code`,
/// `undocumented-code`), in any case.
pub fn parse_class(s: &str) -> Result<Class, String> {
    let norm = s.trim().to_ascii_lowercase().replace('-', "_");
    Class::from_name(&norm).ok_or_else(|| {
        let names: Vec<&str> = Class::ALL.iter().map(|c| c.name()).collect();
        format!("unknown class `{s}` (one of {})", names.join(", "))
    })
}

fn parse_show(s: &str) -> Result<ShowClass, String> {
    if s.trim().eq_ignore_ascii_case("all") {
        Ok(ShowClass::All)
    } else {
        parse_class(s).map(ShowClass::One)
    }
}

fn class_values() -> impl Iterator<Item = clap::builder::PossibleValue> {
    Class::ALL
        .iter()
        .map(|c| clap::builder::PossibleValue::new(c.name()).alias(c.name().replace('_', "-")))
}

/// `--class`: a class name; the names are listed in `--help`, offered by
/// shell completion, and suggested for a typo.
fn class_parser() -> impl clap::builder::TypedValueParser<Value = Class> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(class_values())
        .map(|s| parse_class(&s).expect("a listed class"))
}

/// `--show`: a class name or `all`.
fn show_parser() -> impl clap::builder::TypedValueParser<Value = ShowClass> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(
        std::iter::once(clap::builder::PossibleValue::new("all")).chain(class_values()),
    )
    .map(|s| parse_show(&s).expect("a listed class"))
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the catalog in use (the embedded one, or --spec files).
    Catalog {
        /// Catalog files, as for the audit.
        #[arg(long, value_name = "FILE")]
        spec: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CatalogFormat::Table)]
        format: CatalogFormat,
    },
    /// Merge partial reports (`--format partial`) from files, directories or
    /// - (concatenated partials on standard input) and report on the whole.
    Merge {
        /// Partial reports.
        #[arg(value_name = "PART", required = true)]
        parts: Vec<String>,
        /// What to report and how.
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Print a shell completion script to standard output.
    Completions {
        /// The shell.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output.
    Man,
    /// Print the version, git commit, target and features, for bug reports.
    Version,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A summary for the terminal.
    Table,
    /// One JSON object (schema tape-audit/report/v1).
    Json,
    /// Markdown for a postmortem or an issue.
    Markdown,
    /// One self-contained HTML page (no script, no network requests).
    Html,
    /// The full aggregate state as JSON (tape-audit/partial/v2), for `merge`.
    Partial,
}

/// Catalog output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatalogFormat {
    /// Aligned text.
    Table,
    /// JSON that --spec reads back.
    Json,
}

/// What makes the run exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any envelope violation.
    #[value(
        alias = "envelope-violation",
        alias = "envelope_violation",
        alias = "violation"
    )]
    Violations,
    /// Any undocumented error code.
    #[value(alias = "undocumented-code", alias = "undocumented_code")]
    Undocumented,
    /// Any documented code sent under another status.
    #[value(alias = "status-mismatch", alias = "status_mismatch")]
    Mismatch,
    /// Any error envelope on a success status.
    #[value(alias = "error_on_success")]
    ErrorOnSuccess,
    /// Any error status the catalog never mentions.
    #[value(alias = "undocumented_status")]
    UndocumentedStatus,
    /// Any of violations, undocumented, mismatch, error-on-success.
    Findings,
    /// Any error response at all (status 400 or more).
    #[value(alias = "any_error")]
    AnyError,
    /// Any record that could not be read.
    Skipped,
    /// Anything new compared with --baseline.
    New,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Detect from content.
    Auto,
    /// A HAR document.
    Har,
    /// JSON lines.
    Jsonl,
    /// A JSON document or a stream of JSON values.
    Json,
}

impl InputFormat {
    /// The forced format, if any.
    pub fn forced(self) -> Option<Format> {
        match self {
            InputFormat::Auto => None,
            InputFormat::Har => Some(Format::Har),
            InputFormat::Jsonl => Some(Format::Jsonl),
            InputFormat::Json => Some(Format::JsonDoc),
        }
    }
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// When stdout is a terminal and NO_COLOR is unset or empty.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

fn parse_field(s: &str) -> Result<(Field, String), String> {
    let (name, path) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=PATH"))?;
    let field = Field::from_name(name.trim()).ok_or_else(|| {
        format!("unknown field `{name}` (expected status, body, time, method or url)")
    })?;
    let path = path.trim();
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(format!("`{path}` is not a dotted path"));
    }
    Ok((field, path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn fields() {
        assert_eq!(
            parse_field("status=a.b").unwrap(),
            (Field::Status, "a.b".into())
        );
        assert!(parse_field("nope=a").is_err());
        assert!(parse_field("status=a..b").is_err());
        assert!(parse_field("status").is_err());
    }
}
