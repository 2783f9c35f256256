//! Output about the tool itself, made from the clap definitions: shell
//! completions, the man page, and `tape-audit version` for bug reports.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    /// A completion script for this shell.
    Completions(Shell),
    /// The man page, as roff.
    Man,
    /// Version, commit, target and features.
    Version,
}

/// The git commit the binary was built from (`unknown` without git).
pub const GIT_COMMIT: &str = env!("TAPE_AUDIT_GIT_COMMIT");
/// The target triple the binary was built for.
pub const TARGET: &str = env!("TAPE_AUDIT_TARGET");
/// Cargo features enabled at build time (`none` when there are none).
pub const FEATURES: &str = env!("TAPE_AUDIT_FEATURES");
/// The cargo profile (`debug` or `release`).
pub const PROFILE: &str = env!("TAPE_AUDIT_PROFILE");

/// Writes it to `out`.
pub fn write(what: Meta, out: &mut dyn Write) -> io::Result<()> {
    match what {
        Meta::Completions(shell) => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "tape-audit", out);
        }
        Meta::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            out.write_all(&buf)?;
        }
        Meta::Version => {
            writeln!(out, "tape-audit {}", env!("CARGO_PKG_VERSION"))?;
            writeln!(out, "commit:   {GIT_COMMIT}")?;
            writeln!(out, "target:   {TARGET}")?;
            writeln!(out, "profile:  {PROFILE}")?;
            writeln!(out, "features: {FEATURES}")?;
            writeln!(out, "rustc:    {}", env!("TAPE_AUDIT_RUSTC"))?;
        }
    }
    out.flush()
}

/// The names of the subcommands, for hints about arguments that look like
/// a mistyped one.
pub fn subcommand_names() -> Vec<String> {
    let cmd = Cli::command();
    let mut names: Vec<String> = cmd
        .get_subcommands()
        .flat_map(|c| {
            std::iter::once(c.get_name().to_string()).chain(c.get_all_aliases().map(String::from))
        })
        .collect();
    if !names.iter().any(|n| n == "help") {
        names.push("help".to_string());
    }
    names
}

/// The subcommand an input argument that could not be opened probably
/// meant: one or two edits away from its name (a plain word, not a path).
pub fn subcommand_hint(arg: &str) -> Option<String> {
    if arg.is_empty() || arg.contains(['/', '\\', '.']) || arg.len() > 30 {
        return None;
    }
    let lower = arg.to_ascii_lowercase();
    subcommand_names()
        .into_iter()
        .map(|n| (strsim::damerau_levenshtein(&lower, &n), n))
        .filter(|(d, n)| *d <= 2 && *d < n.len().min(lower.len()).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        assert_eq!(subcommand_hint("catlog").as_deref(), Some("catalog"));
        assert_eq!(
            subcommand_hint("completion").as_deref(),
            Some("completions")
        );
        assert_eq!(subcommand_hint("merg").as_deref(), Some("merge"));
        assert_eq!(subcommand_hint("access.log"), None);
        assert_eq!(subcommand_hint("traffic"), None);
        assert_eq!(subcommand_hint("bash"), None);
    }
}
