//! The read buffer of the stream cutters (the line chunker and the window):
//! bytes read and not yet handed out, with room after them that is read
//! into without zeroing it first. The room holds bytes written before (the
//! length of the `Vec` is how much of it was ever written), which nothing
//! outside this type can see.

use std::io::{self, Read};

pub(crate) struct FillBuf {
    /// The bytes held are `buf[..filled]`; the rest is room for reads.
    buf: Vec<u8>,
    filled: usize,
}

impl FillBuf {
    /// An empty buffer of at least `capacity` bytes.
    pub fn new(capacity: usize) -> FillBuf {
        FillBuf {
            buf: Vec::with_capacity(capacity),
            filled: 0,
        }
    }

    /// The bytes held.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.buf[..self.filled]
    }

    /// How many bytes are held.
    #[inline]
    pub fn len(&self) -> usize {
        self.filled
    }

    /// The bytes the buffer can hold without growing.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Drops the first `n` bytes held.
    pub fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    /// Drops every byte held.
    pub fn clear(&mut self) {
        self.filled = 0;
    }

    /// Starts over in a spare buffer of at least `capacity` bytes, giving up
    /// the memory this one grew to.
    pub fn reset(&mut self, capacity: usize) {
        self.buf = super::spare_buffer(capacity);
        self.filled = 0;
    }

    /// Reads up to `size` more bytes, fewer only at the end of the input;
    /// returns how many.
    pub fn read_more(&mut self, r: &mut dyn Read, size: usize) -> io::Result<usize> {
        let (old, want) = (self.filled, self.filled + size);
        if self.buf.len() < want {
            // Zeroes only room never written before.
            self.buf.resize(want, 0);
        }
        let n = read_full(r, &mut self.buf[old..want])?;
        self.filled = old + n;
        Ok(n)
    }

    /// Hands out the bytes before `end` as a buffer of their own, and keeps
    /// those from `resume` on (`end <= resume`) at the start of a spare
    /// buffer of at least `capacity` bytes.
    pub fn split_front(&mut self, end: usize, resume: usize, capacity: usize) -> Vec<u8> {
        let rest = self.filled - resume;
        let mut next = super::spare_buffer(capacity.max(rest));
        if next.len() < rest {
            next.resize(rest, 0);
        }
        next[..rest].copy_from_slice(&self.buf[resume..self.filled]);
        let mut data = std::mem::replace(&mut self.buf, next);
        data.truncate(end);
        self.filled = rest;
        data
    }

    /// Gives back memory beyond what is held and `min` bytes.
    pub fn shrink_to(&mut self, min: usize) {
        self.buf.truncate(self.filled);
        self.buf.shrink_to(min.max(self.filled));
    }
}

/// Reads into all of `buf`, short of it only at the end of the input.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
