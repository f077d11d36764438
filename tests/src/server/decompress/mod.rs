//! Decompressing received bodies: an LZ4 block (no frame, no size prefix) or a zstd frame,
//! which must decode to exactly the declared raw size (`x-log-bodyrawsize`).
//!
//! A body is hostile until decoded: a raw size above the server's limit is refused before
//! anything is allocated, a zstd frame may not make the decoder reserve a window larger
//! than the raw size (or 8 MiB, whichever is larger), and no input makes it panic.

use core::fmt;

use sls_producer_core::config::Compression;

/// The largest zstd window accepted for a small body. Real encoders declare at most the
/// content size (libzstd, when it knows it) or a small fixed window (ruzstd: 128 KiB).
const MIN_ZSTD_WINDOW_LIMIT: usize = 8 * 1024 * 1024;

/// Why a body cannot be decompressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Undecodable {
    /// The declared raw size is above the limit: nothing was decoded.
    TooLarge { raw_size: usize },
    /// Not valid data of the compression: corrupt, truncated or another algorithm.
    Corrupt {
        compression: Compression,
        detail: String,
    },
    /// It decodes to more than the declared raw size.
    Longer { raw_size: usize },
    /// It decodes to fewer bytes than the declared raw size.
    Shorter { raw_size: usize, decoded: usize },
}

impl fmt::Display for Undecodable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { raw_size } => {
                write!(f, "the declared raw size {raw_size} is above the limit")
            }
            Self::Corrupt {
                compression,
                detail,
            } => write!(f, "the body is not valid {compression:?} data: {detail}"),
            Self::Longer { raw_size } => write!(
                f,
                "the body decompresses to more than the declared raw size {raw_size}"
            ),
            Self::Shorter { raw_size, decoded } => write!(
                f,
                "the body decompresses to {decoded} bytes, not the declared raw size {raw_size}"
            ),
        }
    }
}

/// Decompress `body` into `out`, which then holds exactly `raw_size` bytes. `out`'s
/// allocation is reused and its contents replaced; only bytes beyond its current length
/// are zero-filled first. On error `out` is left empty. An uncompressed body
/// ([`Compression::None`]) is copied, and must be `raw_size` bytes long.
///
/// # Errors
///
/// [`Undecodable::TooLarge`] if `raw_size > max_raw_size` (`out` untouched), else
/// whatever is wrong with the body.
pub(crate) fn decompress_into(
    compression: Compression,
    body: &[u8],
    raw_size: usize,
    max_raw_size: usize,
    out: &mut Vec<u8>,
) -> Result<(), Undecodable> {
    if raw_size > max_raw_size {
        return Err(Undecodable::TooLarge { raw_size });
    }
    out.resize(raw_size, 0);
    let decoded = match compression {
        Compression::Lz4 => lz4(body, out),
        Compression::Zstd => zstd(body, out),
        Compression::None if body.len() > raw_size => Err(Undecodable::Longer { raw_size }),
        Compression::None => {
            out[..body.len()].copy_from_slice(body);
            Ok(body.len())
        }
    };
    let result = match decoded {
        Ok(n) if n == raw_size => Ok(()),
        Ok(n) => Err(Undecodable::Shorter {
            raw_size,
            decoded: n,
        }),
        Err(e) => Err(e),
    };
    if result.is_err() {
        out.clear();
    }
    result
}

/// Decode an LZ4 block into `out`; the number of bytes written.
fn lz4(body: &[u8], out: &mut [u8]) -> Result<usize, Undecodable> {
    lz4_flex::block::decompress_into(body, out).map_err(|e| match e {
        lz4_flex::block::DecompressError::OutputTooSmall { .. } => Undecodable::Longer {
            raw_size: out.len(),
        },
        e => Undecodable::Corrupt {
            compression: Compression::Lz4,
            detail: e.to_string(),
        },
    })
}

/// Decode one zstd frame into `out`; the number of bytes written.
fn zstd(body: &[u8], out: &mut [u8]) -> Result<usize, Undecodable> {
    use ruzstd::decoding::FrameDecoder;
    use ruzstd::decoding::errors::FrameDecoderError;

    let corrupt = |detail: String| Undecodable::Corrupt {
        compression: Compression::Zstd,
        detail,
    };
    if body.is_empty() {
        return Err(corrupt("an empty body is no zstd frame".into()));
    }
    let raw_size = out.len();
    let mut decoder = FrameDecoder::new();
    decoder.set_max_window_size(raw_size.max(MIN_ZSTD_WINDOW_LIMIT) as u64);
    decoder.decode_all(body, out).map_err(|e| match e {
        FrameDecoderError::TargetTooSmall => Undecodable::Longer { raw_size },
        e => corrupt(e.to_string()),
    })
}

#[cfg(test)]
mod tests;
