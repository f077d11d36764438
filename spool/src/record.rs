//! What the spool's frames carry: a batch (its sequence number, the owner's metadata and
//! the body) in segment files, an acknowledgement (a sequence number) in ack files.
//!
//! ```text
//! batch: kind=1 u8 | seq u64le | meta_len u32le | meta | body
//! ack:   kind=2 u8 | seq u64le
//! ```

use crate::Seq;

const BATCH: u8 = 1;
const ACK: u8 = 2;
/// Bytes of a batch payload before its metadata.
pub(crate) const BATCH_PREFIX: usize = 1 + 8 + 4;

/// The fixed part of a batch payload; the metadata and the body follow it.
pub(crate) fn batch_prefix(seq: Seq, meta_len: u32) -> [u8; BATCH_PREFIX] {
    let mut out = [0; BATCH_PREFIX];
    out[0] = BATCH;
    out[1..9].copy_from_slice(&seq.0.to_le_bytes());
    out[9..13].copy_from_slice(&meta_len.to_le_bytes());
    out
}

/// A batch payload, borrowed from the buffer it was read into.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BatchRef<'a> {
    pub(crate) seq: Seq,
    pub(crate) meta: &'a [u8],
    pub(crate) body: &'a [u8],
}

/// Decode a batch payload; `None` if it is not one (a verified frame of another kind, or
/// one whose lengths do not add up).
pub(crate) fn decode_batch(payload: &[u8]) -> Option<BatchRef<'_>> {
    let prefix = payload.get(..BATCH_PREFIX)?.try_into().ok()?;
    let (seq, meta_len) = decode_batch_prefix(prefix)?;
    let rest = &payload[BATCH_PREFIX..];
    if meta_len > rest.len() {
        return None;
    }
    let (meta, body) = rest.split_at(meta_len);
    Some(BatchRef { seq, meta, body })
}

/// Decode the fixed part of a batch payload: its sequence number and the length of its
/// metadata; `None` if it is not a batch's.
pub(crate) fn decode_batch_prefix(prefix: &[u8; BATCH_PREFIX]) -> Option<(Seq, usize)> {
    if prefix[0] != BATCH {
        return None;
    }
    let seq = Seq(u64::from_le_bytes(prefix[1..9].try_into().ok()?));
    let meta_len = u32::from_le_bytes(prefix[9..13].try_into().ok()?) as usize;
    Some((seq, meta_len))
}

/// An acknowledgement payload.
pub(crate) fn ack(seq: Seq) -> [u8; 9] {
    let mut out = [0; 9];
    out[0] = ACK;
    out[1..].copy_from_slice(&seq.0.to_le_bytes());
    out
}

/// Decode an acknowledgement payload.
pub(crate) fn decode_ack(payload: &[u8]) -> Option<Seq> {
    match payload {
        [ACK, seq @ ..] => Some(Seq(u64::from_le_bytes(seq.try_into().ok()?))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_and_acks_round_trip_and_never_pass_for_each_other() {
        let mut payload = batch_prefix(Seq(7), 3).to_vec();
        payload.extend_from_slice(b"abcBODY");
        assert_eq!(
            decode_batch(&payload),
            Some(BatchRef {
                seq: Seq(7),
                meta: b"abc",
                body: b"BODY"
            })
        );
        assert_eq!(decode_ack(&payload), None);
        assert_eq!(decode_ack(&ack(Seq(9))), Some(Seq(9)));
        assert_eq!(decode_batch(&ack(Seq(9))), None);
        // Metadata up to the end: an empty body.
        let mut no_body = batch_prefix(Seq(2), 3).to_vec();
        no_body.extend_from_slice(b"abc");
        assert_eq!(
            decode_batch(&no_body).map(|b| (b.meta, b.body)),
            Some((&b"abc"[..], &b""[..]))
        );
        // A metadata length past the end, a short payload.
        assert_eq!(decode_batch(&batch_prefix(Seq(1), 1)), None);
        assert_eq!(decode_batch(&payload[..12]), None);
        assert_eq!(decode_ack(&ack(Seq(9))[..8]), None);
    }
}
