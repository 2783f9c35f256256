//! The `tape-audit` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tape_audit::cli::Cli::parse();
    match tape_audit::run(cli) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(err) => {
            // A closed pipe (`tape-audit x.har | head`) is not an error.
            if err
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!(
                "tape-audit: {}",
                tape_audit::sanitize::terminal(&format!("{err:#}"))
            );
            ExitCode::from(tape_audit::error::Exit::Error as u8)
        }
    }
}
