//! The JSON report: exactly one object, schema `tape-audit/report/v1`.

use super::Report;

/// Writes the report as pretty-printed JSON followed by a newline.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
