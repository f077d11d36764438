//! Just enough JSON for SLS, without serde: a string writer (web-tracking bodies), a
//! reader that pulls the string-valued members out of one flat object (error bodies), and
//! one that reads the logs of a web-tracking body back (logs handed back on failure).
//!
//! The reader accepts exactly the JSON grammar of RFC 8259 (plus a leading UTF-8 BOM).
//! Members whose values are not strings are checked for well-formedness and skipped,
//! nested containers included, down to [`MAX_DEPTH`] levels.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// How deeply containers may nest inside a skipped value before the reader gives up.
pub(crate) const MAX_DEPTH: usize = 64;

/// Append `s` to `out` as a quoted JSON string: exactly [`str_len`]`(s)` bytes.
///
/// Escapes `"`, `\` and the C0 control characters (short forms for `\b \f \n \r \t`,
/// `\u00XX` for the rest). Everything else, non-ASCII included, is written as is, which is
/// valid JSON for any UTF-8 reader.
pub(crate) fn write_str_bytes(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let Some(short) = escape(b) else { continue };
        out.extend_from_slice(&s.as_bytes()[start..i]);
        match short {
            Escape::Short(c) => out.extend_from_slice(&[b'\\', c]),
            Escape::Unicode => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}

/// Bytes [`write_str_bytes`] appends for `s`: quotes and escapes included.
pub(crate) fn str_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match escape(b) {
            None => 1,
            Some(Escape::Short(_)) => 2,
            Some(Escape::Unicode) => 6,
        })
        .sum::<usize>()
        + 2
}

/// How a byte of a string is written in JSON, if not as itself.
#[derive(Clone, Copy)]
enum Escape {
    /// A backslash and this character.
    Short(u8),
    /// `\u00XX`.
    Unicode,
}

fn escape(b: u8) -> Option<Escape> {
    Some(match b {
        b'"' => Escape::Short(b'"'),
        b'\\' => Escape::Short(b'\\'),
        b'\n' => Escape::Short(b'n'),
        b'\r' => Escape::Short(b'r'),
        b'\t' => Escape::Short(b't'),
        0x08 => Escape::Short(b'b'),
        0x0c => Escape::Short(b'f'),
        0x00..=0x1f => Escape::Unicode,
        _ => return None,
    })
}

/// Why a JSON text could not be read. Offsets are byte offsets into the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// The input is not UTF-8.
    NotUtf8,
    /// The top-level value is not an object.
    NotAnObject,
    /// The input ended inside a value.
    UnexpectedEnd,
    /// A byte that the grammar does not allow at this position.
    Unexpected {
        /// Offset of the byte.
        at: usize,
    },
    /// A malformed escape sequence inside a string.
    BadEscape {
        /// Offset of the backslash.
        at: usize,
    },
    /// Containers nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotUtf8 => f.write_str("JSON text is not UTF-8"),
            Self::NotAnObject => f.write_str("JSON text is not an object"),
            Self::UnexpectedEnd => f.write_str("JSON text ends early"),
            Self::Unexpected { at } => write!(f, "unexpected byte at offset {at}"),
            Self::BadEscape { at } => write!(f, "bad escape sequence at offset {at}"),
            Self::TooDeep => write!(f, "JSON nested deeper than {MAX_DEPTH} levels"),
        }
    }
}

/// The string-valued members of the JSON object `input`, in document order (duplicates
/// kept). Members with other values are validated and left out.
pub(crate) fn string_members(input: &[u8]) -> Result<Vec<(String, String)>, JsonError> {
    let text = core::str::from_utf8(input).map_err(|_| JsonError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = Reader {
        s: text,
        b: text.as_bytes(),
        pos: 0,
    };
    r.skip_ws();
    if r.peek() != Some(b'{') {
        return Err(match r.peek() {
            None => JsonError::UnexpectedEnd,
            Some(_) => JsonError::NotAnObject,
        });
    }
    r.pos += 1;
    let mut members = Vec::new();
    r.skip_ws();
    if r.peek() == Some(b'}') {
        r.pos += 1;
    } else {
        loop {
            r.skip_ws();
            let key = r.string()?;
            r.skip_ws();
            r.expect(b':')?;
            r.skip_ws();
            if r.peek() == Some(b'"') {
                let value = r.string()?;
                members.push((key, value));
            } else {
                r.skip_value(1)?;
            }
            r.skip_ws();
            match r.next()? {
                b',' => continue,
                b'}' => break,
                _ => return Err(JsonError::Unexpected { at: r.pos - 1 }),
            }
        }
    }
    r.skip_ws();
    match r.peek() {
        None => Ok(members),
        Some(_) => Err(JsonError::Unexpected { at: r.pos }),
    }
}

/// The logs of a web-tracking body (`{.., "__logs__": [{"k": "v", ..}, ..], ..}`): each
/// log's members in document order. Every member of a log must be a string; the other
/// members of the body are validated and skipped.
pub(crate) fn tracked_logs(input: &[u8]) -> Result<Vec<Vec<(String, String)>>, JsonError> {
    let text = core::str::from_utf8(input).map_err(|_| JsonError::NotUtf8)?;
    let mut r = Reader {
        s: text,
        b: text.as_bytes(),
        pos: 0,
    };
    let mut logs = Vec::new();
    r.skip_ws();
    if r.peek() != Some(b'{') {
        return Err(JsonError::NotAnObject);
    }
    r.object(|r, key| {
        if key != "__logs__" {
            return r.skip_value(1);
        }
        r.expect(b'[')?;
        r.skip_ws();
        if r.peek() == Some(b']') {
            r.pos += 1;
            return Ok(());
        }
        loop {
            r.skip_ws();
            let mut log = Vec::new();
            r.object(|r, key| {
                log.push((key, r.string()?));
                Ok(())
            })?;
            logs.push(log);
            r.skip_ws();
            match r.next()? {
                b',' => continue,
                b']' => return Ok(()),
                _ => return Err(JsonError::Unexpected { at: r.pos - 1 }),
            }
        }
    })?;
    r.skip_ws();
    match r.peek() {
        None => Ok(logs),
        Some(_) => Err(JsonError::Unexpected { at: r.pos }),
    }
}

struct Reader<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn next(&mut self) -> Result<u8, JsonError> {
        let c = self.peek().ok_or(JsonError::UnexpectedEnd)?;
        self.pos += 1;
        Ok(c)
    }

    fn expect(&mut self, want: u8) -> Result<(), JsonError> {
        match self.next()? {
            c if c == want => Ok(()),
            _ => Err(JsonError::Unexpected { at: self.pos - 1 }),
        }
    }

    /// An object at the current `{`: `member` reads each value (after its key, the colon
    /// and any whitespace).
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, String) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.expect(b'{')?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            member(self, key)?;
            self.skip_ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Ok(()),
                _ => return Err(JsonError::Unexpected { at: self.pos - 1 }),
            }
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The input from `from` to `to`, both at ASCII bytes. Not `&self.s[from..to]`: a str
    /// index that could panic links the panic's message formatting (char and range
    /// `Debug`, Unicode tables).
    fn piece(&self, from: usize, to: usize) -> &str {
        self.s
            .get(from..to)
            .unwrap_or_else(|| unreachable!("JSON syntax is ASCII"))
    }

    /// A string starting at the current `"`, unescaped.
    fn string(&mut self) -> Result<String, JsonError> {
        self.expect(b'"')?;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            let at = self.pos;
            match self.next()? {
                b'"' => {
                    out.push_str(self.piece(run, at));
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(self.piece(run, at));
                    self.escape(at, &mut out)?;
                    run = self.pos;
                }
                0x00..=0x1f => return Err(JsonError::Unexpected { at }),
                _ => {}
            }
        }
    }

    /// The escape whose backslash is at `at` (already consumed).
    fn escape(&mut self, at: usize, out: &mut String) -> Result<(), JsonError> {
        let c = match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4(at)?;
                match unit {
                    0xD800..=0xDBFF => {
                        // A high surrogate: a low one must follow to form a scalar value.
                        if self.b.get(self.pos..self.pos + 2) == Some(b"\\u") {
                            let save = self.pos;
                            self.pos += 2;
                            let low = self.hex4(save)?;
                            if (0xDC00..=0xDFFF).contains(&low) {
                                let scalar = 0x10000
                                    + ((u32::from(unit) - 0xD800) << 10)
                                    + (u32::from(low) - 0xDC00);
                                char::from_u32(scalar).unwrap_or(char::REPLACEMENT_CHARACTER)
                            } else {
                                // Lone high surrogate; the next escape stands on its own.
                                self.pos = save;
                                char::REPLACEMENT_CHARACTER
                            }
                        } else {
                            char::REPLACEMENT_CHARACTER
                        }
                    }
                    // A lone low surrogate is not a character either.
                    0xDC00..=0xDFFF => char::REPLACEMENT_CHARACTER,
                    _ => char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
                }
            }
            _ => return Err(JsonError::BadEscape { at }),
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self, at: usize) -> Result<u16, JsonError> {
        let digits = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or(JsonError::UnexpectedEnd)?;
        let mut v: u16 = 0;
        for &d in digits {
            let n = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(JsonError::BadEscape { at }),
            };
            v = (v << 4) | u16::from(n);
        }
        self.pos += 4;
        Ok(v)
    }

    /// Skip one value of any type, checking its syntax. `depth` is the nesting level of
    /// the container the value sits in.
    fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        match self.peek().ok_or(JsonError::UnexpectedEnd)? {
            b'"' => self.string().map(drop),
            b'{' => self.skip_container(depth + 1, b'}', true),
            b'[' => self.skip_container(depth + 1, b']', false),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(JsonError::Unexpected { at: self.pos }),
        }
    }

    fn skip_container(&mut self, depth: usize, close: u8, object: bool) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if object {
                if self.peek() != Some(b'"') {
                    return Err(self.unexpected_here());
                }
                self.string()?;
                self.skip_ws();
                self.expect(b':')?;
                self.skip_ws();
            }
            self.skip_value(depth)?;
            self.skip_ws();
            match self.next()? {
                b',' => continue,
                c if c == close => return Ok(()),
                _ => return Err(JsonError::Unexpected { at: self.pos - 1 }),
            }
        }
    }

    fn unexpected_here(&self) -> JsonError {
        if self.pos >= self.b.len() {
            JsonError::UnexpectedEnd
        } else {
            JsonError::Unexpected { at: self.pos }
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        let end = self.pos + word.len();
        match self.b.get(self.pos..end) {
            Some(got) if got == word.as_bytes() => {
                self.pos = end;
                Ok(())
            }
            Some(_) => Err(JsonError::Unexpected { at: self.pos }),
            None => Err(JsonError::UnexpectedEnd),
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected_here()),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.one_or_more_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.one_or_more_digits()?;
        }
        Ok(())
    }

    fn one_or_more_digits(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            _ => Err(self.unexpected_here()),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests;
