//! A read window over a stream: the bytes read but not yet given up, named
//! by their offset in the stream. Readers that cut a stream into records
//! (the HAR and JSON-document scanners) think in stream offsets only; the
//! window owns the buffer, where it starts in the stream, and what must be
//! kept, and it hands out slices by stream range. Whatever reads more (and
//! so may move the buffer) goes through `fill`, so no index into the buffer
//! outlives a read.

use std::io::{self, Read};

use super::fillbuf::FillBuf;

/// A window over the stream `R`.
pub struct Window<R> {
    r: R,
    /// The bytes held.
    buf: FillBuf,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Bytes before this stream offset may be dropped.
    keep: u64,
    eof: bool,
    /// Bytes read at a time.
    read_size: usize,
    /// The read error met, if any (kind and message), for later messages.
    io_error: Option<(io::ErrorKind, String)>,
    /// The most bytes the buffer held at once (for tests of the memory
    /// bound).
    peak: usize,
}

impl<R: Read> Window<R> {
    /// A window at the start of `r`, reading `read_size` bytes at a time.
    pub fn new(r: R, read_size: usize) -> Window<R> {
        Window {
            r,
            buf: FillBuf::new(read_size * 2),
            base: 0,
            keep: 0,
            eof: false,
            read_size,
            io_error: None,
            peak: 0,
        }
    }

    /// Stream offset just past the last byte read.
    pub fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Whether the stream has ended (nothing more will be read).
    pub fn eof(&self) -> bool {
        self.eof
    }

    /// The byte at stream offset `at`, if it has been read (and is kept).
    pub fn byte(&self, at: u64) -> Option<u8> {
        let i = at.checked_sub(self.base)?;
        self.buf.data().get(usize::try_from(i).ok()?).copied()
    }

    /// The bytes read from stream offset `at` on (empty past the end).
    pub fn from(&self, at: u64) -> &[u8] {
        let held = self.buf.data();
        let i = at.saturating_sub(self.base).min(held.len() as u64) as usize;
        &held[i..]
    }

    /// The bytes of the stream range `a..b` (clamped to what is held).
    pub fn slice(&self, a: u64, b: u64) -> &[u8] {
        let held = self.buf.data();
        let len = held.len() as u64;
        let i = a.saturating_sub(self.base).min(len) as usize;
        let j = b.saturating_sub(self.base).clamp(i as u64, len) as usize;
        &held[i..j]
    }

    /// Drops the first `n` bytes held.
    fn drop_front(&mut self, n: usize) {
        self.buf.consume(n);
        self.base += n as u64;
    }

    /// Lets the window drop the bytes before stream offset `at` (never
    /// those it was told to keep before, once they are handed out).
    pub fn keep_from(&mut self, at: u64) {
        self.keep = at.max(self.base);
    }

    /// The read error met, if any.
    pub fn io_error(&self) -> Option<io::Error> {
        self.io_error
            .as_ref()
            .map(|(k, m)| io::Error::new(*k, m.clone()))
    }

    /// The most bytes held at once so far.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Reads more, first dropping the bytes before `keep` when they are at
    /// least half of the buffer. Returns false at the end of the stream; a
    /// read error ends it too (and is returned once).
    pub fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let drop = (self.keep - self.base) as usize;
        if drop > 0 && drop >= self.buf.len() / 2 {
            self.drop_front(drop);
        }
        let n = match self.buf.read_more(&mut self.r, self.read_size) {
            Ok(n) => n,
            Err(e) => {
                self.eof = true;
                self.io_error = Some((e.kind(), crate::error::io_message(&e)));
                return Err(e);
            }
        };
        self.peak = self.peak.max(self.buf.len());
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// Hands out the bytes from the window's start up to stream offset
    /// `upto` as one buffer, with the stream offset of its first byte; the
    /// bytes before `upto` are the window's no longer. Whichever side is
    /// smaller is copied: the bytes handed out into a fresh buffer (the
    /// window keeps its own, and drops them on a later `fill`), or the bytes
    /// that follow into the next buffer (the spare one of a finished work
    /// unit when there is one).
    pub fn take(&mut self, upto: u64) -> (u64, Vec<u8>) {
        let start = self.keep.min(upto).max(self.base);
        let from = (start - self.base) as usize;
        let cut = (upto.clamp(start, self.end()) - self.base) as usize;
        let rest = self.buf.len() - cut;
        if cut - from < rest {
            let mut data = super::block_buffer(cut - from);
            data.extend_from_slice(&self.buf.data()[from..cut]);
            self.keep = self.keep.max(self.base + cut as u64);
            return (start, data);
        }
        let data = self
            .buf
            .split_front(cut, cut, (self.read_size * 2).max(rest + self.read_size));
        let base = self.base;
        self.base += cut as u64;
        self.keep = self.keep.max(self.base);
        (base, data)
    }

    /// Gives back memory a large record made the buffer grow to, once it
    /// holds little again.
    pub fn shrink(&mut self) {
        let want = self.read_size * 2;
        if self.buf.capacity() > want * 2 {
            let drop = (self.keep - self.base) as usize;
            self.drop_front(drop);
            self.buf.shrink_to(want);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buffers reused from finished work units hold their old bytes: what
    /// the window hands out and shows is only the stream's.
    #[test]
    fn stale_bytes_in_reused_buffers_never_come_out() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        for size in [7, 64, 1000] {
            for _ in 0..8 {
                super::super::give_spare(vec![0xFF; 3 * size]);
            }
            let mut w = Window::new(&data[..], size);
            let mut got = Vec::new();
            let mut at = 0;
            while w.fill().unwrap() {
                assert_eq!(w.from(at), &data[at as usize..w.end() as usize]);
                // Take a part, leave the rest for the next buffer.
                let upto = at + (w.end() - at) * 2 / 3;
                let (base, part) = w.take(upto);
                got.extend_from_slice(&part[(at - base) as usize..]);
                at = upto;
                w.keep_from(at);
            }
            let end = w.end();
            let (base, part) = w.take(end);
            got.extend_from_slice(&part[(at - base) as usize..]);
            assert_eq!(got, data, "read size {size}");
        }
    }

    #[test]
    fn offsets_survive_fills_and_takes() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut w = Window::new(&data[..], 16);
        assert!(w.fill().unwrap());
        assert_eq!((w.end(), w.byte(3)), (16, Some(3)));
        w.keep_from(10);
        assert!(w.fill().unwrap());
        assert!(w.fill().unwrap());
        // Bytes before 10 may be gone; the rest is found by offset.
        assert_eq!(w.byte(10), Some(10));
        assert_eq!(w.slice(12, 15), &[12, 13, 14]);
        let (base, got) = w.take(20);
        assert_eq!(got[(15 - base) as usize], 15);
        assert_eq!(got.len() as u64, 20 - base);
        assert_eq!(w.from(20).first(), Some(&20));
        // Taken up to the end: the buffer itself goes.
        w.keep_from(20);
        let end = w.end();
        let (base, got) = w.take(end);
        // (bytes before the kept ones may come along)
        assert!(base <= 20);
        assert_eq!(
            (got.len() as u64, got[(20 - base) as usize]),
            (end - base, 20)
        );
        assert_eq!(w.byte(end - 1), None);
        while w.fill().unwrap() {
            w.keep_from(w.end());
        }
        assert!(w.eof());
        assert_eq!(w.end(), 100);
        assert!(w.peak() <= 48, "{}", w.peak());
    }
}
