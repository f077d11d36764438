//! Segment files and their ack files: names, the header, and reading one back.
//!
//! A segment `{id:020}.seg` starts with an 8-byte magic and a format version, then holds
//! batch frames appended in sequence order. Its acknowledgements go to `{id:020}.ack`,
//! beside it, so that both files go together when every batch in the segment is
//! acknowledged.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Op, SpoolError};

/// The first bytes of every segment file.
pub(crate) const MAGIC: [u8; 8] = *b"SLSSPOOL";
/// The format this version writes and reads.
pub(crate) const VERSION: u32 = 1;
/// Bytes of the segment header.
pub(crate) const HEADER_LEN: u64 = 12;

/// The header of a new segment.
pub(crate) fn header() -> [u8; HEADER_LEN as usize] {
    let mut h = [0; HEADER_LEN as usize];
    h[..8].copy_from_slice(&MAGIC);
    h[8..].copy_from_slice(&VERSION.to_le_bytes());
    h
}

/// A segment's id, which orders segments: a newer segment has a larger id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SegmentId(pub(crate) u64);

impl SegmentId {
    pub(crate) fn path(self, dir: &Path) -> PathBuf {
        dir.join(format!("{:020}.seg", self.0))
    }

    pub(crate) fn ack_path(self, dir: &Path) -> PathBuf {
        dir.join(format!("{:020}.ack", self.0))
    }

    /// The id a segment file's name gives, if it is one.
    fn parse(name: &str) -> Option<Self> {
        let digits = name.strip_suffix(".seg")?;
        (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok().map(Self))
            .flatten()
    }
}

/// The segments in `dir`, oldest first.
pub(crate) fn list(dir: &Path) -> Result<Vec<SegmentId>, SpoolError> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir).map_err(SpoolError::io(Op::List, dir))? {
        let entry = entry.map_err(SpoolError::io(Op::List, dir))?;
        if let Some(id) = entry.file_name().to_str().and_then(SegmentId::parse) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// What a segment file's first bytes say.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Header {
    /// A segment of this format; its frames start after the header.
    Ours,
    /// Shorter than a header: created by a crash before its header was written.
    Short,
    /// Not a spool segment.
    Foreign,
    /// A spool segment of another version.
    Version(u32),
}

pub(crate) fn check_header(bytes: &[u8]) -> Header {
    if bytes.len() < HEADER_LEN as usize {
        return Header::Short;
    }
    if bytes[..8] != MAGIC {
        return Header::Foreign;
    }
    match u32::from_le_bytes(bytes[8..12].try_into().expect("four bytes")) {
        VERSION => Header::Ours,
        other => Header::Version(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_order_like_ids_and_only_segment_names_parse() {
        let dir = Path::new("/s");
        assert_eq!(
            SegmentId(42).path(dir),
            Path::new("/s/00000000000000000042.seg")
        );
        assert_eq!(
            SegmentId(42).ack_path(dir),
            Path::new("/s/00000000000000000042.ack")
        );
        assert_eq!(
            SegmentId::parse("00000000000000000042.seg"),
            Some(SegmentId(42))
        );
        for other in [
            "42.seg",
            "00000000000000000042.ack",
            "0000000000000000004x.seg",
            "lock",
        ] {
            assert_eq!(SegmentId::parse(other), None, "{other}");
        }
    }

    #[test]
    fn headers_are_told_apart() {
        assert_eq!(check_header(&header()), Header::Ours);
        assert_eq!(check_header(&header()[..11]), Header::Short);
        assert_eq!(check_header(b"NOTSPOOL\x01\0\0\0"), Header::Foreign);
        assert_eq!(check_header(b"SLSSPOOL\x02\0\0\0"), Header::Version(2));
    }
}
