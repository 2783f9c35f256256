//! JSON documents: a stream of values (concatenated objects, a
//! pretty-printed object), where an array's items are values each, cut out
//! one at a time like HAR entries, in bounded memory, whatever the size.
//! Each value is checked to be JSON as it is cut out: a broken one stops
//! the reading with its byte offset, the values before it counted.

use std::io::Read;

use super::har::{Found, Hold, Pending, Res, ScanError, Scanner, Skip, BATCH_BYTES};

impl<R: Read> Scanner<R> {
    /// Reads a stream of JSON values, numbering them from 1, calling `out`
    /// for each batch and for each value larger than the limit. A value
    /// that starts with `[` at the top level is an array of values.
    /// Returns how many values were found.
    pub fn values(&mut self, out: &mut dyn FnMut(Found)) -> Res<u64> {
        let mut index = 1u64;
        let mut pending = Pending::new(index);
        let r = self.values_into(&mut index, &mut pending, out);
        self.flush(&mut pending, out);
        r.map(|()| index - 1)
    }

    fn values_into(
        &mut self,
        index: &mut u64,
        pending: &mut Pending,
        out: &mut dyn FnMut(Found),
    ) -> Res<()> {
        self.skip_ws()?;
        if self.peek()? == Some(0xEF) {
            self.expect_bytes(b"\xEF\xBB\xBF")?;
        }
        loop {
            self.skip_ws()?;
            match self.peek()? {
                None => return Ok(()),
                Some(b'[') => {
                    self.pos += 1;
                    self.skip_ws()?;
                    if self.peek()? == Some(b']') {
                        self.pos += 1;
                        continue;
                    }
                    loop {
                        self.skip_ws()?;
                        self.value(index, pending, out)?;
                        self.skip_ws()?;
                        match self.next_byte()? {
                            Some(b',') => continue,
                            Some(b']') => break,
                            Some(c) => return Err(self.unexpected(c, "',' or ']' after a value")),
                            None => return Err(self.truncated()),
                        }
                    }
                }
                Some(_) => self.value(index, pending, out)?,
            }
        }
    }

    /// Cuts out the value at `pos` as value number `index`.
    fn value(
        &mut self,
        index: &mut u64,
        pending: &mut Pending,
        out: &mut dyn FnMut(Found),
    ) -> Res<()> {
        let start = self.pos;
        if pending.ranges.is_empty() {
            *pending = Pending::new(*index);
            pending.start = start;
            self.w.keep_from(start);
        }
        let cut = |s: &Self, mut e: ScanError| {
            if s.w.eof() && s.pos >= s.w.end() {
                e.cut_entry = Some(*index);
            }
            e
        };
        match self.skip_value(Hold::Keep(start.saturating_add(self.limit))) {
            Ok(Skip::End(end)) => {
                let text = self.w.slice(start, end);
                let at = match crate::jsonscan::value(text, 0) {
                    Ok(e) if e == text.len() => None,
                    Ok(e) => Some(e),
                    Err(crate::jsonscan::Invalid(at)) => Some(at),
                };
                if let Some(at) = at {
                    return Err(ScanError {
                        offset: start + at as u64,
                        msg: format!("invalid JSON in value {index}"),
                        cut_entry: None,
                        source: None,
                    });
                }
                pending.ranges.push((start, end));
                if end - pending.start >= BATCH_BYTES || pending.ranges.len() >= self.batch {
                    self.flush(pending, out);
                }
            }
            Ok(_) => {
                // Larger than the limit: passed over from its start, without
                // keeping it.
                self.flush(pending, out);
                self.pos = start;
                self.w.keep_from(start);
                let end = match self.skip_value(Hold::Drop) {
                    Ok(Skip::End(e) | Skip::Passed(e)) => e,
                    Ok(Skip::Over) => self.pos,
                    Err(e) => return Err(cut(self, e)),
                };
                self.w.shrink();
                out(Found::TooLarge {
                    index: *index,
                    detail: format!(
                        "value of {} bytes, over the {} limit",
                        end - start,
                        super::limit_text(self.limit)
                    ),
                });
            }
            Err(e) => return Err(cut(self, e)),
        }
        *index += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values of `doc` (as text, `!N` for one too large) and the error.
    fn values(doc: &[u8], limit: u64) -> (Vec<(u64, String)>, Result<u64, String>) {
        let mut s = Scanner::with_limit(doc, limit);
        s.batch = 2;
        let mut got = Vec::new();
        let r = s.values(&mut |f| match f {
            Found::Records(b) => {
                for (i, &(a, z)) in b.ranges.iter().enumerate() {
                    let t = String::from_utf8_lossy(&b.data[a..z]).into_owned();
                    got.push((b.first_index + i as u64, t));
                }
            }
            Found::TooLarge { index, detail } => got.push((index, format!("!{detail}"))),
        });
        (got, r.map_err(|e| e.to_string()))
    }

    #[test]
    fn arrays_and_concatenated_values() {
        let (got, r) = values(
            b"\xEF\xBB\xBF[{\"a\":1}, {\"b\":[2]}] {\"c\":3}\n[] [4,\"x\"]",
            1000,
        );
        assert_eq!(r.unwrap(), 5);
        let texts: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(
            texts,
            ["{\"a\":1}", "{\"b\":[2]}", "{\"c\":3}", "4", "\"x\""]
        );
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_broken_value_stops_with_its_offset() {
        let doc = b"{\"a\":1}\n{\"b\":tru}\n{\"c\":3}";
        let (got, r) = values(doc, 1000);
        assert_eq!(got.len(), 1);
        let e = r.unwrap_err();
        assert!(e.starts_with("invalid JSON in value 2 at byte 13"), "{e}");
        let (got, r) = values(b"[{\"a\":1},,{}]", 1000);
        assert_eq!(got.len(), 1);
        assert!(r.unwrap_err().contains("at byte 9"));
        let (got, r) = values(b"[{\"a\":1} {}]", 1000);
        assert_eq!(got.len(), 1);
        assert!(r.unwrap_err().contains("',' or ']'"));
    }

    #[test]
    fn a_value_larger_than_the_limit_is_passed_over() {
        let big = format!("{{\"t\":\"{}\"}}", "x".repeat(5000));
        let doc = format!("[{{\"a\":1}},{big},{{\"b\":2}}]");
        let (got, r) = values(doc.as_bytes(), 100);
        assert_eq!(r.unwrap(), 3);
        assert_eq!(got[0], (1, "{\"a\":1}".to_string()));
        assert_eq!(got[1].0, 2);
        assert_eq!(got[1].1, "!value of 5008 bytes, over the 100-byte limit");
        assert_eq!(got[2], (3, "{\"b\":2}".to_string()));
    }

    #[test]
    fn a_cut_value_is_named() {
        let mut s = Scanner::new(&b"[{\"a\":1},{\"b\":"[..]);
        let e = s.values(&mut |_| {}).unwrap_err();
        assert_eq!(e.cut_entry, Some(2));
    }
}
