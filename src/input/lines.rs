//! JSON lines cut into blocks of whole lines for the workers, with lines
//! longer than the record limit passed over as they are read.
//!
//! The limit counts a line's bytes without its `\n` (a `\r` before the
//! `\n` counts; a UTF-8 byte-order mark at the start of the input is removed
//! first): a line of exactly the limit is read, one byte more is passed over
//! (`too_large`). A line longer than the limit that holds only whitespace
//! is a blank line, not a record. Memory stays within the limit plus two
//! blocks, however long a line is.

use std::io::{self, Read};

use super::fillbuf::FillBuf;

/// What the chunker hands out, in input order.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// Whole lines (the last one may end with the input instead of `\n`).
    Lines {
        /// The number of the first line (1-based).
        first_line: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// A line longer than the limit, passed over unread.
    TooLong {
        /// Its number.
        line: u64,
        /// Its length in bytes, without the `\n`.
        len: u64,
    },
}

/// Where the chunker is in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing read yet: a UTF-8 byte-order mark may come first.
    Start,
    /// Cutting lines: `buf` starts at the start of line `line`.
    Lines,
    /// Passing over line `line`, longer than the limit: `len` bytes so far,
    /// and whether they were all whitespace. `buf` holds only bytes after
    /// those.
    Skipping { len: u64, blank: bool },
    /// The input has ended.
    Done,
}

/// Cuts a stream into blocks of whole lines of about `block` bytes.
pub struct LineChunker {
    /// Bytes read at a time (the size of a block, give or take a line).
    block: usize,
    /// The longest line read, in bytes without its `\n`.
    limit: usize,
    state: State,
    /// The bytes not handed out yet.
    buf: FillBuf,
    /// The number of the line at `buf[0]` (or being passed over).
    line: u64,
    /// In `buf`: where the line being cut starts, how many whole lines come
    /// before it, and how far line ends were looked for.
    line_start: usize,
    whole: u64,
    scanned: usize,
    /// The most bytes `buf` held (for tests of the memory bound).
    peak: usize,
}

impl LineChunker {
    /// A chunker at the start of a stream.
    pub fn new(block: usize, limit: usize) -> LineChunker {
        let block = block.max(1);
        LineChunker {
            block,
            limit,
            state: State::Start,
            buf: FillBuf::new(block * 2),
            line: 1,
            line_start: 0,
            whole: 0,
            scanned: 0,
            peak: 0,
        }
    }

    /// The number of the next line not handed out.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Reads `r` to its end, handing out pieces to `out`. A read error ends
    /// the reading: the lines before it have been handed out.
    pub fn run(&mut self, r: &mut dyn Read, out: &mut dyn FnMut(Piece)) -> io::Result<()> {
        while self.state != State::Done {
            let n = self.buf.read_more(r, self.block)?;
            self.peak = self.peak.max(self.buf.len());
            if self.state == State::Start && self.buf.len() > 0 {
                if self.buf.data().starts_with(b"\xEF\xBB\xBF") {
                    self.buf.consume(3);
                }
                self.state = State::Lines;
            }
            // A read short of the block met the end of the input.
            self.cut(n < self.block, out);
        }
        Ok(())
    }

    /// Cuts what `buf` holds after a read (`eof`: the last one).
    fn cut(&mut self, eof: bool, out: &mut dyn FnMut(Piece)) {
        loop {
            match self.state {
                State::Start => {
                    if eof {
                        self.state = State::Done;
                    }
                    return;
                }
                State::Done => return,
                State::Skipping { len, blank } => {
                    let end = memchr::memchr(b'\n', self.buf.data());
                    let part = &self.buf.data()[..end.unwrap_or(self.buf.len())];
                    let len = len + part.len() as u64;
                    let blank = blank && is_blank(part);
                    match end {
                        Some(i) => {
                            self.too_long(len, blank, out);
                            self.buf.consume(i + 1);
                            self.state = State::Lines;
                        }
                        None if eof => {
                            self.too_long(len, blank, out);
                            self.buf.clear();
                            self.state = State::Done;
                            return;
                        }
                        None => {
                            self.buf.clear();
                            self.state = State::Skipping { len, blank };
                            return;
                        }
                    }
                }
                State::Lines => {
                    if self.buf.len() - self.line_start <= self.limit {
                        // No line here can be longer than the limit: the
                        // line ends are counted in one pass.
                        let region = &self.buf.data()[self.scanned..];
                        if let Some(last) = memchr::memrchr(b'\n', region) {
                            self.whole += memchr::memchr_iter(b'\n', region).count() as u64;
                            self.line_start = self.scanned + last + 1;
                        }
                        self.scanned = self.buf.len();
                    }
                    while let Some(k) = memchr::memchr(b'\n', &self.buf.data()[self.scanned..]) {
                        let nl = self.scanned + k;
                        let len = nl - self.line_start;
                        if len > self.limit {
                            // A whole line too long (a limit below the block
                            // size): the lines before it go out, it does not.
                            let blank = is_blank(&self.buf.data()[self.line_start..nl]);
                            self.hand_out(self.line_start, nl + 1, out);
                            self.too_long(len as u64, blank, out);
                            continue;
                        }
                        self.whole += 1;
                        self.line_start = nl + 1;
                        self.scanned = nl + 1;
                    }
                    self.scanned = self.buf.len();
                    let part = self.buf.len() - self.line_start;
                    if part > self.limit {
                        // However the line ends, it is too long: pass over it
                        // from here, without keeping it.
                        let blank = is_blank(&self.buf.data()[self.line_start..]);
                        self.hand_out(self.line_start, self.buf.len(), out);
                        if self.buf.capacity() > 4 * self.block {
                            // It grew to the limit: no need to keep that.
                            self.buf.reset(2 * self.block);
                        }
                        self.state = State::Skipping {
                            len: part as u64,
                            blank,
                        };
                        if eof {
                            continue;
                        }
                        return;
                    }
                    if eof {
                        // The last line, without a `\n`, goes with the rest.
                        if part > 0 {
                            self.whole += 1;
                        }
                        let n = self.buf.len();
                        self.hand_out(n, n, out);
                        self.state = State::Done;
                        return;
                    }
                    if self.whole > 0 {
                        self.hand_out(self.line_start, self.line_start, out);
                    }
                    return;
                }
            }
        }
    }

    /// Hands out `buf[..end]` (the whole lines counted so far) and drops
    /// `buf[..resume]`; the rest starts a fresh buffer.
    fn hand_out(&mut self, end: usize, resume: usize, out: &mut dyn FnMut(Piece)) {
        let whole = std::mem::take(&mut self.whole);
        if whole > 0 {
            // The next block gets its full size at once, so that reading
            // into it does not grow it step by step.
            let rest = self.buf.len() - resume;
            let data = self
                .buf
                .split_front(end, resume, self.block + rest.max(self.block));
            out(Piece::Lines {
                first_line: self.line,
                data,
            });
            self.line += whole;
        } else {
            self.buf.consume(resume);
        }
        self.line_start = 0;
        self.scanned = 0;
    }

    /// Line `self.line`, of `len` bytes, was too long: hands it out unless it
    /// was blank, and moves on to the next line.
    fn too_long(&mut self, len: u64, blank: bool, out: &mut dyn FnMut(Piece)) {
        if !blank {
            out(Piece::TooLong {
                line: self.line,
                len,
            });
        }
        self.line += 1;
    }
}

fn is_blank(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of `input`, lines as text.
    fn pieces(input: &[u8], block: usize, limit: usize) -> Vec<(u64, String)> {
        let mut c = LineChunker::new(block, limit);
        let mut got = Vec::new();
        c.run(&mut &input[..], &mut |p| match p {
            Piece::Lines { first_line, data } => {
                got.push((first_line, String::from_utf8(data).unwrap()))
            }
            Piece::TooLong { line, len } => got.push((line, format!("too long: {len}"))),
        })
        .unwrap();
        got
    }

    /// Every line with its number, lines too long marked, whatever the
    /// block size.
    fn lines(input: &[u8], block: usize, limit: usize) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        for (first, text) in pieces(input, block, limit) {
            if text.starts_with("too long") {
                out.push((first, text));
                continue;
            }
            let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
            for (i, l) in text.split('\n').enumerate() {
                out.push((first + i as u64, l.to_string()));
            }
        }
        out
    }

    #[test]
    fn the_limit_is_exact() {
        let input = b"aaaa\nbbbbb\ncccc\n";
        for block in [1, 2, 3, 5, 7, 64] {
            assert_eq!(
                lines(input, block, 4),
                [
                    (1, "aaaa".to_string()),
                    (2, "too long: 5".to_string()),
                    (3, "cccc".to_string())
                ],
                "block {block}"
            );
        }
        // The last line, without a newline, the same.
        assert_eq!(
            lines(b"aaaa\nbbbbb", 3, 4),
            [(1, "aaaa".to_string()), (2, "too long: 5".to_string())]
        );
        assert_eq!(lines(b"aaaa", 3, 4), [(1, "aaaa".to_string())]);
        // A `\r` counts; the `\n` does not.
        assert_eq!(lines(b"aaa\r\n", 2, 4), [(1, "aaa\r".to_string())]);
        assert_eq!(lines(b"aaaa\r\n", 2, 4), [(1, "too long: 5".to_string())]);
    }

    #[test]
    fn long_blank_lines_are_blank() {
        assert_eq!(
            lines(b"a\n        \nb\n", 3, 4),
            [(1, "a".to_string()), (3, "b".to_string())]
        );
        assert_eq!(lines(b"a\n        ", 3, 4), [(1, "a".to_string())]);
    }

    #[test]
    fn a_bom_is_not_part_of_the_first_line() {
        assert_eq!(
            lines(b"\xEF\xBB\xBFaaaa\nb\n", 64, 4),
            [(1, "aaaa".to_string()), (2, "b".to_string())]
        );
    }

    #[test]
    fn blocks_hold_whole_lines_and_numbers_run_on() {
        let input: String = (1..=50).map(|i| format!("line {i}\n")).collect();
        for block in [1, 4, 10, 33, 1000] {
            let got = pieces(input.as_bytes(), block, 100);
            let mut next = 1;
            for (first, text) in &got {
                assert_eq!(*first, next);
                assert!(text.ends_with('\n'));
                next += text.matches('\n').count() as u64;
            }
            assert_eq!(next, 51);
            let joined: String = got.into_iter().map(|p| p.1).collect();
            assert_eq!(joined, input);
        }
    }

    /// Reads into spare buffers full of other bytes, in short reads (as
    /// from a pipe): only bytes of the input are handed out.
    #[test]
    fn stale_bytes_in_reused_buffers_never_come_out() {
        /// At most 7 bytes per read.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(7);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let input: String = (1..=300).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        for block in [16, 50, 333] {
            for _ in 0..8 {
                super::super::give_spare(vec![b'Z'; 4 * block]);
            }
            let mut c = LineChunker::new(block, 40);
            let mut joined = Vec::new();
            let mut r = Trickle(input.as_bytes());
            c.run(&mut r, &mut |p| match p {
                Piece::Lines { data, .. } => joined.extend_from_slice(&data),
                Piece::TooLong { line, .. } => panic!("line {line} is not too long"),
            })
            .unwrap();
            assert_eq!(String::from_utf8(joined).unwrap(), input, "block {block}");
        }
    }

    #[test]
    fn a_long_line_is_never_held_whole() {
        /// Endless `x`s: a line that never ends within what is read.
        struct Xs(u64);
        impl Read for Xs {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0 as usize);
                buf[..n].fill(b'x');
                self.0 -= n as u64;
                Ok(n)
            }
        }
        let mut c = LineChunker::new(1000, 5000);
        let mut seen = Vec::new();
        let mut r = io::Read::chain(&b"{}\n"[..], Xs(1 << 22)).chain(&b"\n{}"[..]);
        c.run(&mut r, &mut |p| {
            seen.push(match &p {
                Piece::Lines { first_line, data } => (*first_line, data.len() as u64),
                Piece::TooLong { line, len } => (*line, *len),
            })
        })
        .unwrap();
        assert_eq!(seen, [(1, 3), (2, 1 << 22), (3, 2)]);
        assert!(c.peak <= 5000 + 2 * 1000, "{}", c.peak);
    }
}
