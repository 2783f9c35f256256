//! Errors a user can meet, each naming the file and where in it, and the
//! process exit codes.

use std::path::Path;

/// An error that stops reading a file or a spec.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or opening a path failed.
    #[error("{path}: {}", io_message(cause))]
    Io {
        /// The path, as shown (`input::display_path`).
        path: String,
        /// The cause, shown without Rust debug noise. Not a `source()`:
        /// the message already holds it, and error chains would repeat it.
        cause: std::io::Error,
    },
    /// A catalog file is malformed.
    #[error("{path}{}: {msg}", if *line > 0 { format!(":{line}") } else { String::new() })]
    Spec {
        /// The catalog file.
        path: String,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// An input is malformed past the point where records can be read.
    #[error("{path}: {msg} at byte {offset}")]
    Input {
        /// The input file.
        path: String,
        /// Byte offset in the (decompressed) stream.
        offset: u64,
        /// What is wrong.
        msg: String,
    },
    /// A command-line value is wrong.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// An I/O error on a path, worded for a person.
    pub fn io(path: &Path, e: std::io::Error) -> Error {
        Error::Io {
            path: crate::input::display_path(path),
            cause: e,
        }
    }

    /// The I/O error behind this one, if any.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match self {
            Error::Io { cause, .. } => Some(cause),
            _ => None,
        }
    }
}

/// The text of an I/O error without the `(os error N)` suffix.
pub fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// The audit ran and nothing asked for failure.
    Ok = 0,
    /// A `--fail-on` condition held.
    Findings = 1,
    /// Usage, I/O or input errors.
    Error = 2,
    /// Stopped by SIGINT (Ctrl-C); no output was written.
    Interrupted = 130,
    /// Stopped by SIGTERM; no output was written.
    Terminated = 143,
}

impl Exit {
    /// The worse of two outcomes: an error outranks findings.
    pub fn merge(self, other: Exit) -> Exit {
        self.max(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_merge() {
        assert_eq!(Exit::Ok.merge(Exit::Findings), Exit::Findings);
        assert_eq!(Exit::Error.merge(Exit::Findings), Exit::Error);
        assert_eq!(Exit::Ok.merge(Exit::Ok), Exit::Ok);
    }

    #[test]
    fn io_errors_read_like_sentences() {
        let e = std::io::Error::from_raw_os_error(2);
        let err = Error::io(Path::new("x.har"), e);
        assert_eq!(err.to_string(), "x.har: No such file or directory");
    }
}
