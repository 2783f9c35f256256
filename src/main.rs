//! The `tape-audit` binary: parse arguments, build the configuration, run,
//! map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

use tape_audit::error::Exit;

fn main() -> ExitCode {
    let cli = tape_audit::cli::Cli::parse();
    let outcome = tape_audit::config::Config::from_cli(cli).and_then(tape_audit::run);
    match outcome {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(err) => {
            eprintln!(
                "tape-audit: {}",
                tape_audit::sanitize::terminal(&format!("{err:#}"))
            );
            ExitCode::from(Exit::Error as u8)
        }
    }
}
