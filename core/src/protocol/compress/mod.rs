//! Body compression for PutLogs: raw LZ4 block (the default), zstd frame, or none.
//!
//! SLS names the algorithm in the `x-log-compresstype` header and the uncompressed length in
//! `x-log-bodyrawsize`; the LZ4 body is a bare block (no frame, no size prefix), so that
//! header is the only place the raw size travels. Content-MD5 / SHA-256 are computed over the
//! compressed bytes.
//!
//! [`compress`], [`compress_into`] and [`Compressor`] build bodies. [`decompress`] reads one
//! back, as the producer does to hand the logs of a failed batch back: it checks that the
//! body decodes to exactly the declared raw size, and never panics on a damaged body.
//!
//! zstd has two encoders (see [`zstd`](self::zstd)): the reference library at a
//! [`ZstdLevel`] with the feature `zstd-native` (native targets), else the pure-Rust one,
//! which has a single level (feature `zstd`; `no_std` and wasm).
//!
//! ```
//! use sls_producer_core::protocol::compress::{Compression, compress, decompress};
//!
//! let raw = b"a LogGroup, a LogGroup, a LogGroup, a LogGroup".as_slice();
//! let body = compress(Compression::Lz4, raw)?;
//! assert_eq!(Compression::Lz4.header_value(), Some("lz4"));
//! assert_eq!(decompress(Compression::Lz4, &body, raw.len())?, raw);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

#[doc(hidden)]
pub mod zstd;

use self::zstd::ZstdEncoder;
pub use self::zstd::ZstdLevel;

/// How a PutLogs body is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// A raw LZ4 block (`x-log-compresstype: lz4`). The default, as in the Go producer: fast,
    /// and always available.
    #[default]
    Lz4,
    /// A standard zstd frame (`x-log-compresstype: zstd`): smaller bodies for more CPU. With
    /// the crate feature `zstd-native`, compressed by the reference library (libzstd) at a
    /// [`ZstdLevel`]; with only `zstd`, by the pure-Rust encoder at its one level. Without
    /// either, compressing or decompressing with this variant fails with an `Unsupported`
    /// error.
    Zstd,
    /// No compression: the body is the protobuf itself and `x-log-compresstype` is omitted.
    None,
}

impl Compression {
    /// The `x-log-compresstype` header value, or `None` when the header must be omitted
    /// ([`Compression::None`]).
    pub const fn header_value(self) -> Option<&'static str> {
        match self {
            Self::Lz4 => Some("lz4"),
            Self::Zstd => Some("zstd"),
            Self::None => None,
        }
    }

    /// Parse an `x-log-compresstype` header value (ASCII case-insensitive). Returns `None`
    /// for anything this crate cannot decode, including SLS's `deflate`. An absent header
    /// means [`Compression::None`]; that is the caller's decision, not this function's.
    pub fn from_header_value(value: &str) -> Option<Self> {
        if value.eq_ignore_ascii_case("lz4") {
            Some(Self::Lz4)
        } else if value.eq_ignore_ascii_case("zstd") {
            Some(Self::Zstd)
        } else {
            None
        }
    }

    /// Whether this build can compress and decompress with `self`: always, except
    /// [`Compression::Zstd`] without the `zstd` feature.
    pub const fn is_supported(self) -> bool {
        match self {
            Self::Lz4 | Self::None => true,
            Self::Zstd => cfg!(feature = "zstd"),
        }
    }
}

/// Compressing failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompressError {
    /// `compression` is not available in this build ([`Compression::Zstd`] without the
    /// `zstd` feature). Enable the feature, or configure [`Compression::Lz4`].
    Unsupported {
        /// The requested compression.
        compression: Compression,
    },
    /// The compression library failed: libzstd could not allocate its context (feature
    /// `zstd-native`). A producer then sends the batch uncompressed.
    Library {
        /// The requested compression.
        compression: Compression,
        /// The library's own description of the error.
        reason: &'static str,
    },
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported { compression } => write!(
                f,
                "{compression:?} compression is not available in this build (enable the `zstd` feature)"
            ),
            Self::Library {
                compression,
                reason,
            } => write!(f, "{compression:?} compression failed: {reason}"),
        }
    }
}

impl core::error::Error for CompressError {}

/// A body could not be decompressed: it is not valid data of its compression (corrupt,
/// truncated, or compressed otherwise than its header says), it does not decode to exactly
/// the declared raw size, or its compression is not available in this build
/// ([`Compression::Zstd`] without the `zstd` feature).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecompressError {
    compression: Compression,
    raw_size: usize,
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            compression,
            raw_size,
        } = self;
        if compression.is_supported() {
            write!(
                f,
                "the body is not {compression:?} data of the declared raw size {raw_size}"
            )
        } else {
            write!(
                f,
                "{compression:?} decompression is not available in this build (enable the `zstd` feature)"
            )
        }
    }
}

impl core::error::Error for DecompressError {}

/// Compress `raw` into a new buffer.
///
/// [`Compression::Lz4`]: a raw LZ4 block (no frame, no size prefix); [`Compression::Zstd`]:
/// one zstd frame without checksum, at [`ZstdLevel::DEFAULT`] (or the pure-Rust encoder's
/// one level); [`Compression::None`]: a copy.
///
/// # Errors
///
/// [`CompressError::Unsupported`] for [`Compression::Zstd`] without the `zstd` feature;
/// [`CompressError::Library`] if libzstd fails.
pub fn compress(compression: Compression, raw: &[u8]) -> Result<Vec<u8>, CompressError> {
    let mut out = Vec::new();
    compress_into(compression, raw, &mut out)?;
    Ok(out)
}

/// Like [`compress`], but writes into `out`, replacing its contents and reusing its
/// allocation: a producer that keeps one output buffer does not reallocate per batch.
///
/// With [`Compression::None`] this copies `raw`; a caller that can should use `raw` as the
/// body instead.
///
/// # Errors
///
/// As [`compress`]; `out` is then left empty.
pub fn compress_into(
    compression: Compression,
    raw: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressError> {
    out.clear();
    let done = match compression {
        Compression::Lz4 => {
            out.resize(lz4_flex::block::get_maximum_output_size(raw.len()), 0);
            let written = lz4_flex::block::compress_into(raw, out)
                .unwrap_or_else(|_| unreachable!("get_maximum_output_size fits an LZ4 block"));
            out.truncate(written);
            Ok(())
        }
        Compression::Zstd => ZstdEncoder::new().compress_to_vec(ZstdLevel::DEFAULT, raw, out),
        Compression::None => {
            out.extend_from_slice(raw);
            Ok(())
        }
    };
    if done.is_err() {
        out.clear();
    }
    done
}

/// Compresses batch after batch, each into a body of exactly its compressed size, reusing
/// one scratch buffer and (with `zstd-native`) one libzstd context: what a producer's
/// driver keeps to seal its batches.
///
/// [`compress`] and [`compress_into`] size their output for the worst case (an LZ4 block
/// can be slightly larger than its input), so each call zero-fills a buffer as large as the
/// batch, and the body then keeps that whole allocation while its request is in flight. A
/// `Compressor` zero-fills its scratch buffer once, compresses into it, and copies out only
/// the compressed bytes (about an eighth of a typical batch).
///
/// ```
/// use sls_producer_core::protocol::compress::{Compression, Compressor, ZstdLevel, decompress};
///
/// let mut compressor = Compressor::new();
/// let raw = b"a LogGroup, a LogGroup, a LogGroup, a LogGroup".as_slice();
/// let body = compressor.compress(Compression::Lz4, ZstdLevel::DEFAULT, raw)?;
/// assert_eq!(body.capacity(), body.len());
/// assert_eq!(decompress(Compression::Lz4, &body, raw.len())?, raw);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Default)]
pub struct Compressor {
    scratch: Vec<u8>,
    zstd: ZstdEncoder,
}

impl Compressor {
    /// A compressor with no scratch buffer nor libzstd context yet (the first batch sizes
    /// the one, the first zstd batch creates the other).
    pub const fn new() -> Self {
        Self {
            scratch: Vec::new(),
            zstd: ZstdEncoder::new(),
        }
    }

    /// Compress `raw` as [`compress`] does, zstd at `zstd_level` (which other compressions
    /// ignore), into a new buffer whose capacity is its length.
    ///
    /// # Errors
    ///
    /// As [`compress`].
    #[doc(hidden)]
    pub fn compress(
        &mut self,
        compression: Compression,
        zstd_level: ZstdLevel,
        raw: &[u8],
    ) -> Result<Vec<u8>, CompressError> {
        match compression {
            Compression::Lz4 => {
                let bound = lz4_flex::block::get_maximum_output_size(raw.len());
                let scratch = grown(&mut self.scratch, bound);
                let written = lz4_flex::block::compress_into(raw, scratch)
                    .unwrap_or_else(|_| unreachable!("get_maximum_output_size fits an LZ4 block"));
                Ok(scratch[..written].to_vec())
            }
            Compression::Zstd => self.zstd.compress_exact(zstd_level, raw, &mut self.scratch),
            Compression::None => Ok(raw.to_vec()),
        }
    }

    /// Bytes held by the scratch buffer (the largest LZ4 or zstd bound seen so far).
    #[doc(hidden)]
    pub fn scratch_len(&self) -> usize {
        self.scratch.len()
    }
}

/// A clone has a scratch buffer of the same size, and creates its own libzstd context
/// when it first needs one.
impl Clone for Compressor {
    fn clone(&self) -> Self {
        Self {
            scratch: self.scratch.clone(),
            zstd: ZstdEncoder::new(),
        }
    }
}

/// `Debug` shows sizes and the zstd level only.
impl fmt::Debug for Compressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compressor")
            .field("scratch_len", &self.scratch.len())
            .field("zstd", &self.zstd)
            .finish()
    }
}

/// `buf`'s first `len` bytes, after growing it (zero-filled) if it is shorter.
fn grown(buf: &mut Vec<u8>, len: usize) -> &mut [u8] {
    if buf.len() < len {
        buf.resize(len, 0);
    }
    &mut buf[..len]
}

/// Decompress a PutLogs body that must decode to exactly `raw_size` bytes (its
/// `x-log-bodyrawsize`).
///
/// `raw_size` is trusted: the output is allocated up front, so it must come from a request
/// this crate built. A damaged body yields an error, never a panic; a zstd frame may make
/// the decoder reserve a window of at most `max(raw_size, 8 MiB)`.
///
/// # Errors
///
/// [`DecompressError`] if the body is not valid data of `compression`, decodes to another
/// length than `raw_size` (for [`Compression::None`]: is not `raw_size` bytes long), or
/// `compression` is [`Compression::Zstd`] without the `zstd` feature.
pub fn decompress(
    compression: Compression,
    body: &[u8],
    raw_size: usize,
) -> Result<Vec<u8>, DecompressError> {
    let decoded = match compression {
        Compression::Lz4 => {
            let mut out = vec![0; raw_size];
            lz4_flex::block::decompress_into(body, &mut out)
                .ok()
                .filter(|&n| n == raw_size)
                .map(|_| out)
        }
        Compression::Zstd => zstd::decompress(body, raw_size),
        Compression::None => (body.len() == raw_size).then(|| body.to_vec()),
    };
    decoded.ok_or(DecompressError {
        compression,
        raw_size,
    })
}

#[cfg(test)]
mod tests;
