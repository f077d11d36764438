//! The framing of every record the spool writes: a magic number, the payload's length and a
//! CRC-32 over both, then the payload.
//!
//! ```text
//! +-------+-----------+-----------+----------------+
//! | "SLSr"| len u32le | crc u32le | payload (len)  |
//! +-------+-----------+-----------+----------------+
//! ```
//!
//! The checksum covers the length as well as the payload, so a corrupted length is caught
//! like a corrupted payload. Reading never trusts a frame it cannot verify: a frame that
//! fails is reported, and reading resumes at the next magic number from which a whole,
//! verified frame decodes, so one damaged record costs only itself.

use core::ops::Range;

/// The first four bytes of every frame.
pub(crate) const MAGIC: [u8; 4] = *b"SLSr";
/// Bytes of a frame before its payload.
pub(crate) const HEADER_LEN: usize = 12;
/// The largest payload a frame may carry. SLS refuses bodies over a few MiB, so a record
/// this large can only be damage (a corrupted length must not make a reader allocate it).
pub(crate) const MAX_PAYLOAD: usize = 64 << 20;

/// Append one frame carrying `parts` (concatenated) to `out`.
pub(crate) fn encode(out: &mut Vec<u8>, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    debug_assert!(len <= MAX_PAYLOAD, "callers check the payload size");
    let len_bytes = u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes();
    out.reserve(HEADER_LEN + len);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&len_bytes);
    out.extend_from_slice(&checksum(len_bytes, parts).to_le_bytes());
    for part in parts {
        out.extend_from_slice(part);
    }
}

/// What a frame's header says: its payload's length and checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// Bytes of the payload that follows the header.
    pub(crate) len: usize,
    /// The CRC-32 stored for the length and the payload.
    pub(crate) crc: u32,
}

/// Parse a frame header; `None` if it has the wrong magic or an impossible length. The
/// payload is not verified: see [`verify`].
pub(crate) fn header(head: &[u8; HEADER_LEN]) -> Option<Header> {
    if head[..4] != MAGIC {
        return None;
    }
    let len = u32::from_le_bytes(head[4..8].try_into().expect("four bytes")) as usize;
    let crc = u32::from_le_bytes(head[8..12].try_into().expect("four bytes"));
    (len <= MAX_PAYLOAD).then_some(Header { len, crc })
}

/// Whether `parts` (concatenated) are the `len`-byte payload of a frame whose header
/// stored `crc`: a payload may be read in pieces, into buffers of the reader's choice.
pub(crate) fn verify(len: usize, crc: u32, parts: &[&[u8]]) -> bool {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let len_bytes = u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes();
    total == len && checksum(len_bytes, parts) == crc
}

fn checksum(len_bytes: [u8; 4], parts: &[&[u8]]) -> u32 {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len_bytes);
    for part in parts {
        crc.update(part);
    }
    crc.finalize()
}

/// Bytes of the frame that carries a payload of `payload_len` bytes.
pub(crate) const fn frame_len(payload_len: usize) -> usize {
    HEADER_LEN + payload_len
}

/// What stands at one offset of a buffer.
#[derive(Debug, PartialEq, Eq)]
enum At {
    /// A verified frame; its payload is at the range, the next frame starts at `next`.
    Frame { payload: Range<usize>, next: usize },
    /// The buffer ends inside a frame header or payload whose length is plausible.
    Incomplete,
    /// Not a frame: wrong magic, impossible length or a checksum that does not match.
    Invalid,
}

fn at(buf: &[u8], offset: usize) -> At {
    let rest = &buf[offset..];
    if rest.len() < HEADER_LEN {
        return if MAGIC.starts_with(&rest[..rest.len().min(4)]) {
            At::Incomplete
        } else {
            At::Invalid
        };
    }
    let head = rest[..HEADER_LEN].try_into().expect("a whole header");
    let Some(Header { len, crc }) = header(head) else {
        return At::Invalid;
    };
    if rest.len() < HEADER_LEN + len {
        return At::Incomplete;
    }
    if !verify(len, crc, &[&rest[HEADER_LEN..HEADER_LEN + len]]) {
        return At::Invalid;
    }
    let start = offset + HEADER_LEN;
    At::Frame {
        payload: start..start + len,
        next: start + len,
    }
}

/// Something in a buffer that is not a verified frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Damage {
    /// Bytes that are no frame, followed by a verified frame: a record damaged in place
    /// (a flipped bit, an overwritten block).
    Corrupt(Range<usize>),
    /// Bytes at the end that start a frame but stop before its end, or that hold no
    /// verifiable frame: the write that a crash interrupted.
    Torn(Range<usize>),
}

/// One item of a buffer read from its start: a verified frame's payload range, or damage.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// A verified frame at `offset`, its payload at `payload`.
    Frame {
        offset: usize,
        payload: Range<usize>,
    },
    /// Bytes that hold no verified frame.
    Damage(Damage),
}

/// Read every frame of `buf` in order, reporting what lies between them.
pub(crate) fn read_all(buf: &[u8]) -> Vec<Item> {
    let mut items = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        match at(buf, pos) {
            At::Frame { payload, next } => {
                items.push(Item::Frame {
                    offset: pos,
                    payload,
                });
                pos = next;
            }
            At::Incomplete | At::Invalid => match resync(buf, pos + 1) {
                Some(next) => {
                    items.push(Item::Damage(Damage::Corrupt(pos..next)));
                    pos = next;
                }
                None => {
                    items.push(Item::Damage(Damage::Torn(pos..buf.len())));
                    pos = buf.len();
                }
            },
        }
    }
    items
}

/// The first offset at or after `from` where a verified frame starts.
fn resync(buf: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    while pos + HEADER_LEN <= buf.len() {
        let found = buf[pos..].windows(4).position(|w| w == MAGIC)?;
        pos += found;
        if matches!(at(buf, pos), At::Frame { .. }) {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

#[cfg(test)]
mod tests;
