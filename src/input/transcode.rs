//! UTF-16 and UTF-32 inputs (found by their byte-order mark) turned into
//! UTF-8 as they are read. Windows PowerShell 5 writes UTF-16LE when output
//! is redirected (`> log.jsonl`), so such logs are common.

use std::io::{self, Read};

/// A Unicode encoding other than UTF-8, named by a byte-order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-16, little-endian (`FF FE`).
    Utf16Le,
    /// UTF-16, big-endian (`FE FF`).
    Utf16Be,
    /// UTF-32, little-endian (`FF FE 00 00`).
    Utf32Le,
    /// UTF-32, big-endian (`00 00 FE FF`).
    Utf32Be,
}

impl Encoding {
    /// The encoding whose byte-order mark starts `head` (which should hold
    /// at least 4 bytes when the input has them).
    pub fn from_bom(head: &[u8]) -> Option<Encoding> {
        if head.starts_with(&[0xFF, 0xFE, 0, 0]) {
            Some(Encoding::Utf32Le)
        } else if head.starts_with(&[0, 0, 0xFE, 0xFF]) {
            Some(Encoding::Utf32Be)
        } else if head.starts_with(&[0xFF, 0xFE]) {
            Some(Encoding::Utf16Le)
        } else if head.starts_with(&[0xFE, 0xFF]) {
            Some(Encoding::Utf16Be)
        } else {
            None
        }
    }

    /// The encoding's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Utf32Le => "UTF-32LE",
            Encoding::Utf32Be => "UTF-32BE",
        }
    }

    fn bom_len(self) -> usize {
        match self {
            Encoding::Utf16Le | Encoding::Utf16Be => 2,
            Encoding::Utf32Le | Encoding::Utf32Be => 4,
        }
    }
}

/// Bytes read from the inner reader at a time.
const CHUNK: usize = 64 << 10;

/// Reads `inner` (which starts with the byte-order mark of `enc`) as UTF-8,
/// without the mark. Unpaired surrogates and invalid code units become
/// U+FFFD, as a record's invalid UTF-8 would be reported.
pub struct ToUtf8<R> {
    inner: R,
    enc: Encoding,
    utf16: Option<encoding_rs::Decoder>,
    /// Undecoded input (a partial code unit).
    pending: Vec<u8>,
    /// Decoded output not yet handed out.
    out: Vec<u8>,
    out_pos: usize,
    /// Byte-order mark bytes still to drop.
    bom_left: usize,
    eof: bool,
}

impl<R: Read> ToUtf8<R> {
    /// Wraps a reader positioned at the byte-order mark.
    pub fn new(inner: R, enc: Encoding) -> ToUtf8<R> {
        let utf16 = match enc {
            Encoding::Utf16Le => Some(encoding_rs::UTF_16LE.new_decoder_without_bom_handling()),
            Encoding::Utf16Be => Some(encoding_rs::UTF_16BE.new_decoder_without_bom_handling()),
            _ => None,
        };
        ToUtf8 {
            inner,
            enc,
            utf16,
            pending: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            bom_left: enc.bom_len(),
            eof: false,
        }
    }

    /// Decodes the next chunk into `out`; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() {
            if self.eof {
                return Ok(false);
            }
            let old = self.pending.len();
            let n = (&mut self.inner)
                .take(CHUNK as u64)
                .read_to_end(&mut self.pending)?;
            self.pending.truncate(old + n);
            let last = n == 0;
            self.eof = last;
            let drop = self.bom_left.min(self.pending.len());
            self.pending.drain(..drop);
            self.bom_left -= drop;
            self.decode(last);
        }
        Ok(true)
    }

    fn decode(&mut self, last: bool) {
        if let Some(dec) = self.utf16.as_mut() {
            let cap = dec
                .max_utf8_buffer_length(self.pending.len())
                .unwrap_or(self.pending.len() * 3 + 16);
            self.out.resize(cap, 0);
            let (_, read, written, _) = dec.decode_to_utf8(&self.pending, &mut self.out, last);
            self.out.truncate(written);
            self.pending.drain(..read);
            return;
        }
        let whole = self.pending.len() / 4 * 4;
        let mut buf = [0u8; 4];
        for unit in self.pending[..whole].chunks_exact(4) {
            let u = [unit[0], unit[1], unit[2], unit[3]];
            let cp = match self.enc {
                Encoding::Utf32Be => u32::from_be_bytes(u),
                _ => u32::from_le_bytes(u),
            };
            let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
            self.out
                .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        self.pending.drain(..whole);
        if last && !self.pending.is_empty() {
            self.pending.clear();
            self.out
                .extend_from_slice(char::REPLACEMENT_CHARACTER.encode_utf8(&mut buf).as_bytes());
        }
    }
}

impl<R: Read> Read for ToUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos >= self.out.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf8(bytes: &[u8]) -> String {
        let enc = Encoding::from_bom(bytes).unwrap();
        let mut s = String::new();
        ToUtf8::new(bytes, enc).read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn all_four() {
        let text = "{\"status\":404,\"b\":\"é😀\"}\n";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(utf8(&le), text);
        assert_eq!(utf8(&be), text);
        let mut le32 = vec![0xFF, 0xFE, 0, 0];
        let mut be32 = vec![0, 0, 0xFE, 0xFF];
        for c in text.chars() {
            le32.extend_from_slice(&(c as u32).to_le_bytes());
            be32.extend_from_slice(&(c as u32).to_be_bytes());
        }
        assert_eq!(utf8(&le32), text);
        assert_eq!(utf8(&be32), text);
        // A lone surrogate and a cut code unit become U+FFFD.
        assert_eq!(utf8(&[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00]), "\u{FFFD}A");
        assert_eq!(utf8(&[0xFF, 0xFE, 0x41, 0x00, 0x42]), "A\u{FFFD}");
        assert_eq!(utf8(&[0xFF, 0xFE, 0, 0, 0x41, 0, 0, 0, 0x42]), "A\u{FFFD}");
    }
}
