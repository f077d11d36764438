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

/// How a PutLogs body is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// A raw LZ4 block (`x-log-compresstype: lz4`). The default, as in the Go producer: fast,
    /// and always available.
    #[default]
    Lz4,
    /// A standard zstd frame at the fastest level (`x-log-compresstype: zstd`). Smaller bodies
    /// for more CPU. Needs the crate feature `zstd`; without it, compressing or decompressing
    /// with this variant fails with an `Unsupported` error.
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

/// Zstd frames may declare a window up to this size (or up to the raw size, if larger); the
/// decoder reserves the declared window up front, so this bounds what a damaged frame can
/// make it allocate. Real encoders declare at most the content size (libzstd with a known
/// size) or a fixed small window (ruzstd: 128 KiB).
#[cfg(feature = "zstd")]
const MIN_ZSTD_WINDOW_LIMIT: usize = 8 * 1024 * 1024;

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
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported { compression } => write!(
                f,
                "{compression:?} compression is not available in this build (enable the `zstd` feature)"
            ),
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
/// one zstd frame at the fastest level, without checksum; [`Compression::None`]: a copy.
///
/// # Errors
///
/// [`CompressError::Unsupported`] for [`Compression::Zstd`] without the `zstd` feature.
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
/// [`CompressError::Unsupported`] for [`Compression::Zstd`] without the `zstd` feature;
/// `out` is then left empty.
pub fn compress_into(
    compression: Compression,
    raw: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressError> {
    out.clear();
    match compression {
        Compression::Lz4 => {
            out.resize(lz4_flex::block::get_maximum_output_size(raw.len()), 0);
            let written = lz4_flex::block::compress_into(raw, out)
                .expect("an output of get_maximum_output_size always fits an LZ4 block");
            out.truncate(written);
            Ok(())
        }
        Compression::Zstd => zstd_compress(raw, out),
        Compression::None => {
            out.extend_from_slice(raw);
            Ok(())
        }
    }
}

/// Compresses batch after batch, each into a body of exactly its compressed size, reusing
/// one scratch buffer: what a producer's driver keeps to seal its batches.
///
/// [`compress`] and [`compress_into`] size their output for the worst case (an LZ4 block
/// can be slightly larger than its input), so each call zero-fills a buffer as large as the
/// batch, and the body then keeps that whole allocation while its request is in flight. A
/// `Compressor` zero-fills its scratch buffer once, compresses into it, and copies out only
/// the compressed bytes (about an eighth of a typical batch).
///
/// ```
/// use sls_producer_core::protocol::compress::{Compression, Compressor, decompress};
///
/// let mut compressor = Compressor::new();
/// let raw = b"a LogGroup, a LogGroup, a LogGroup, a LogGroup".as_slice();
/// let body = compressor.compress(Compression::Lz4, raw)?;
/// assert_eq!(body.capacity(), body.len());
/// assert_eq!(decompress(Compression::Lz4, &body, raw.len())?, raw);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Compressor {
    scratch: Vec<u8>,
}

impl Compressor {
    /// A compressor with no scratch buffer yet (it is sized by the first batch).
    pub const fn new() -> Self {
        Self {
            scratch: Vec::new(),
        }
    }

    /// Compress `raw` as [`compress`] does, into a new buffer whose capacity is its length.
    ///
    /// # Errors
    ///
    /// [`CompressError::Unsupported`] for [`Compression::Zstd`] without the `zstd` feature.
    pub fn compress(
        &mut self,
        compression: Compression,
        raw: &[u8],
    ) -> Result<Vec<u8>, CompressError> {
        match compression {
            Compression::Lz4 => {
                let bound = lz4_flex::block::get_maximum_output_size(raw.len());
                if self.scratch.len() < bound {
                    self.scratch.resize(bound, 0);
                }
                let written = lz4_flex::block::compress_into(raw, &mut self.scratch[..bound])
                    .expect("an output of get_maximum_output_size always fits an LZ4 block");
                Ok(self.scratch[..written].to_vec())
            }
            Compression::Zstd => {
                let mut out = Vec::new();
                zstd_compress(raw, &mut out)?;
                out.shrink_to_fit();
                Ok(out)
            }
            Compression::None => Ok(raw.to_vec()),
        }
    }

    /// Bytes held by the scratch buffer (the largest LZ4 bound seen so far).
    pub fn scratch_len(&self) -> usize {
        self.scratch.len()
    }
}

/// `Debug` shows the scratch size only.
impl fmt::Debug for Compressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compressor")
            .field("scratch_len", &self.scratch.len())
            .finish()
    }
}

#[cfg(feature = "zstd")]
fn zstd_compress(raw: &[u8], out: &mut Vec<u8>) -> Result<(), CompressError> {
    ruzstd::encoding::compress(raw, out, ruzstd::encoding::CompressionLevel::Fastest);
    Ok(())
}

#[cfg(not(feature = "zstd"))]
fn zstd_compress(_raw: &[u8], _out: &mut Vec<u8>) -> Result<(), CompressError> {
    Err(CompressError::Unsupported {
        compression: Compression::Zstd,
    })
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
        Compression::Zstd => zstd_decompress(body, raw_size),
        Compression::None => (body.len() == raw_size).then(|| body.to_vec()),
    };
    decoded.ok_or(DecompressError {
        compression,
        raw_size,
    })
}

/// Decode a zstd frame that must decode to exactly `raw_size` bytes.
#[cfg(feature = "zstd")]
fn zstd_decompress(body: &[u8], raw_size: usize) -> Option<Vec<u8>> {
    if body.is_empty() {
        return None;
    }
    let mut out = vec![0; raw_size];
    let mut decoder = ruzstd::decoding::FrameDecoder::new();
    decoder.set_max_window_size(raw_size.max(MIN_ZSTD_WINDOW_LIMIT) as u64);
    let n = decoder.decode_all(body, &mut out).ok()?;
    (n == raw_size).then_some(out)
}

#[cfg(not(feature = "zstd"))]
fn zstd_decompress(_body: &[u8], _raw_size: usize) -> Option<Vec<u8>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 520 bytes of LogGroup-like input with plenty of repetition.
    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..40u8 {
            v.extend_from_slice(b"\x0a\x0ekey=value ");
            v.push(b'0' + i % 10);
        }
        v
    }

    #[test]
    fn header_values() {
        assert_eq!(Compression::default(), Compression::Lz4);
        assert_eq!(Compression::Lz4.header_value(), Some("lz4"));
        assert_eq!(Compression::Zstd.header_value(), Some("zstd"));
        assert_eq!(Compression::None.header_value(), None);
        for (s, c) in [
            ("lz4", Some(Compression::Lz4)),
            ("LZ4", Some(Compression::Lz4)),
            ("zstd", Some(Compression::Zstd)),
            ("ZStd", Some(Compression::Zstd)),
            ("deflate", None),
            ("", None),
            ("none", None),
            ("lz4 ", None),
        ] {
            assert_eq!(Compression::from_header_value(s), c, "{s:?}");
        }
        assert!(Compression::Lz4.is_supported() && Compression::None.is_supported());
        assert_eq!(Compression::Zstd.is_supported(), cfg!(feature = "zstd"));
    }

    #[test]
    fn lz4_is_a_bare_block_without_size_prefix() {
        let raw = sample();
        let body = compress(Compression::Lz4, &raw).unwrap();
        assert!(body.len() < raw.len() / 2, "{} bytes", body.len());
        // No 4-byte little-endian size prefix (lz4_flex's compress_prepend_size format)...
        assert_ne!(&body[..4], &(raw.len() as u32).to_le_bytes());
        // ...and not an LZ4 frame (magic 04 22 4d 18).
        assert_ne!(&body[..4], &[0x04, 0x22, 0x4d, 0x18]);
        assert_eq!(lz4_flex::block::decompress(&body, raw.len()).unwrap(), raw);
        assert_eq!(decompress(Compression::Lz4, &body, raw.len()).unwrap(), raw);
    }

    #[test]
    fn lz4_of_empty_input_round_trips() {
        let body = compress(Compression::Lz4, b"").unwrap();
        assert_eq!(decompress(Compression::Lz4, &body, 0).unwrap(), b"");
        assert!(decompress(Compression::Lz4, b"", 0).is_err());
    }

    #[test]
    fn compress_into_reuses_and_replaces_the_buffer() {
        let raw = sample();
        let mut out = b"stale bytes from the previous batch".to_vec();
        compress_into(Compression::Lz4, &raw, &mut out).unwrap();
        assert_eq!(out, compress(Compression::Lz4, &raw).unwrap());
        let cap = out.capacity();
        compress_into(Compression::Lz4, &raw[..10], &mut out).unwrap();
        assert_eq!(out.capacity(), cap, "no reallocation for a smaller batch");
        assert_eq!(decompress(Compression::Lz4, &out, 10).unwrap(), &raw[..10]);
        compress_into(Compression::None, &raw, &mut out).unwrap();
        assert_eq!(out, raw);
    }

    #[test]
    fn compressor_bodies_are_exact_and_equal_compress() {
        let mut compressor = Compressor::new();
        let raw = sample();
        for c in [Compression::Lz4, Compression::None] {
            let body = compressor.compress(c, &raw).unwrap();
            assert_eq!(body, compress(c, &raw).unwrap(), "{c:?}");
            assert_eq!(body.capacity(), body.len(), "{c:?}: no slack kept");
        }
        // The scratch buffer is sized once, by the largest batch, and reused for smaller
        // ones; stale bytes from a larger batch never leak into a smaller one's body.
        let big = compressor.scratch_len();
        assert!(big >= raw.len());
        for cut in [raw.len() / 2, 10, 0] {
            let body = compressor.compress(Compression::Lz4, &raw[..cut]).unwrap();
            assert_eq!(compressor.scratch_len(), big);
            assert_eq!(
                decompress(Compression::Lz4, &body, cut).unwrap(),
                &raw[..cut]
            );
        }
        assert_eq!(
            compressor
                .compress(Compression::Zstd, &raw)
                .map(|b| b.is_empty()),
            compress(Compression::Zstd, &raw).map(|b| b.is_empty())
        );
    }

    #[test]
    fn none_requires_the_exact_length() {
        assert_eq!(decompress(Compression::None, b"abc", 3).unwrap(), b"abc");
        assert!(decompress(Compression::None, b"abc", 2).is_err());
        assert!(decompress(Compression::None, b"abc", 4).is_err());
    }

    #[test]
    fn raw_size_mismatch_is_an_error() {
        let raw = sample();
        let body = compress(Compression::Lz4, &raw).unwrap();
        assert!(decompress(Compression::Lz4, &body, raw.len() - 1).is_err());
        assert_eq!(
            decompress(Compression::Lz4, &body, raw.len() + 7),
            Err(DecompressError {
                compression: Compression::Lz4,
                raw_size: raw.len() + 7
            })
        );
    }

    #[test]
    fn corrupt_lz4_is_an_error_not_a_panic() {
        let raw = sample();
        let body = compress(Compression::Lz4, &raw).unwrap();
        // Truncations.
        for cut in 0..body.len() {
            assert!(
                decompress(Compression::Lz4, &body[..cut], raw.len()).is_err(),
                "cut {cut}"
            );
        }
        // A match offset pointing before the start of the output.
        assert!(decompress(Compression::Lz4, &[0x10, b'a', 0xff, 0x00], 100).is_err());
        // An offset of zero.
        assert!(decompress(Compression::Lz4, &[0x10, b'a', 0x00, 0x00], 100).is_err());
    }

    #[test]
    fn errors_display_cause() {
        let e = decompress(Compression::Lz4, b"\x00", 10).unwrap_err();
        assert_eq!(
            alloc::format!("{e}"),
            "the body is not Lz4 data of the declared raw size 10"
        );
        let e = CompressError::Unsupported {
            compression: Compression::Zstd,
        };
        assert!(alloc::format!("{e}").contains("`zstd` feature"));
    }

    #[cfg(feature = "zstd")]
    mod zstd {
        use super::*;

        #[test]
        fn round_trip_is_a_standard_frame() {
            let raw = sample();
            let body = compress(Compression::Zstd, &raw).unwrap();
            assert_eq!(&body[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd frame magic");
            assert!(body.len() < raw.len());
            assert_eq!(
                decompress(Compression::Zstd, &body, raw.len()).unwrap(),
                raw
            );
            let empty = compress(Compression::Zstd, b"").unwrap();
            assert_eq!(decompress(Compression::Zstd, &empty, 0).unwrap(), b"");
        }

        #[test]
        fn decodes_frames_from_reference_zstd() {
            // zstd CLI 1.5.4, `zstd -1` of "hello hello hello hello\n", from a file: content
            // size in the header, single segment, XXH64 checksum.
            let from_file = [
                0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x18, 0x6d, 0x00, 0x00, 0x38, 0x68, 0x65, 0x6c, 0x6c,
                0x6f, 0x20, 0x0a, 0x01, 0x00, 0x99, 0x4b, 0x11, 0xa8, 0x7c, 0x2e, 0xa8,
            ];
            // The same from a pipe: no content size, a 512 KiB window.
            let mut from_pipe = from_file;
            from_pipe[4..6].copy_from_slice(&[0x04, 0x48]);
            for body in [from_file, from_pipe] {
                assert_eq!(
                    decompress(Compression::Zstd, &body, 24).unwrap(),
                    b"hello hello hello hello\n"
                );
            }
        }

        #[test]
        fn size_mismatch_and_corruption_are_errors() {
            let raw = sample();
            let body = compress(Compression::Zstd, &raw).unwrap();
            assert!(decompress(Compression::Zstd, &body, raw.len() - 1).is_err());
            assert!(decompress(Compression::Zstd, &body, raw.len() + 1).is_err());
            for cut in 0..body.len() {
                assert!(
                    decompress(Compression::Zstd, &body[..cut], raw.len()).is_err(),
                    "cut {cut}"
                );
            }
            for i in 0..body.len() {
                let mut bad = body.clone();
                bad[i] ^= 0xa5;
                // Must not panic; a flipped literal byte may still decode (no checksum), but
                // then not to the original.
                if let Ok(out) = decompress(Compression::Zstd, &bad, raw.len()) {
                    assert_ne!(out, raw, "flip at {i}");
                }
            }
            assert!(decompress(Compression::Zstd, b"", 0).is_err());
        }

        #[test]
        fn a_declared_window_above_the_limit_is_refused() {
            // Magic, descriptor 0x00 (window descriptor follows, no content size, no
            // checksum), window descriptor, then an empty last raw block.
            let frame = |window_descriptor: u8| {
                [
                    0x28,
                    0xb5,
                    0x2f,
                    0xfd,
                    0x00,
                    window_descriptor,
                    0x01,
                    0x00,
                    0x00,
                ]
            };
            // 2^(10 + 13) = 8 MiB: at the limit, accepted.
            assert_eq!(
                decompress(Compression::Zstd, &frame(13 << 3), 0).unwrap(),
                b""
            );
            // 32 MiB: within ruzstd's own default limit, but above ours for a small body.
            assert!(decompress(Compression::Zstd, &frame(15 << 3), 0).is_err());
        }
    }

    #[cfg(not(feature = "zstd"))]
    #[test]
    fn zstd_without_the_feature_is_unsupported() {
        assert_eq!(
            compress(Compression::Zstd, b"x"),
            Err(CompressError::Unsupported {
                compression: Compression::Zstd
            })
        );
        let e = decompress(Compression::Zstd, b"x", 1).unwrap_err();
        assert!(alloc::format!("{e}").contains("`zstd` feature"));
    }

    fn compressible() -> impl Strategy<Value = Vec<u8>> {
        // Few distinct bytes in runs: long matches, overlapping copies, offsets near 64 KiB.
        (
            proptest::collection::vec((0u8..4, 1usize..300), 0..400),
            any::<bool>(),
        )
            .prop_map(|(runs, repeat)| {
                let mut v: Vec<u8> = runs
                    .into_iter()
                    .flat_map(|(b, n)| core::iter::repeat_n(b, n))
                    .collect();
                if repeat {
                    let copy = v.clone();
                    v.extend_from_slice(&copy);
                }
                v
            })
    }

    proptest! {
        #[test]
        fn lz4_round_trips_random_input(raw in proptest::collection::vec(any::<u8>(), 0..5000)) {
            let body = compress(Compression::Lz4, &raw).unwrap();
            prop_assert_eq!(decompress(Compression::Lz4, &body, raw.len()).unwrap(), raw);
        }

        #[test]
        fn lz4_round_trips_compressible_input(raw in compressible()) {
            let body = compress(Compression::Lz4, &raw).unwrap();
            if raw.len() > 1000 {
                prop_assert!(body.len() < raw.len() / 4, "{} -> {}", raw.len(), body.len());
            }
            prop_assert_eq!(decompress(Compression::Lz4, &body, raw.len()).unwrap(), raw);
        }

        #[test]
        fn arbitrary_bodies_never_panic(
            body in proptest::collection::vec(any::<u8>(), 0..200),
            raw_size in 0usize..2000,
        ) {
            // Whatever the bytes, the result is an error or exactly `raw_size` bytes.
            if let Ok(out) = decompress(Compression::Lz4, &body, raw_size) {
                prop_assert_eq!(out.len(), raw_size);
            }
            #[cfg(feature = "zstd")]
            {
                let mut framed = alloc::vec![0x28, 0xb5, 0x2f, 0xfd];
                framed.extend_from_slice(&body);
                if let Ok(out) = decompress(Compression::Zstd, &framed, raw_size) {
                    prop_assert_eq!(out.len(), raw_size);
                }
            }
        }
    }

    #[cfg(feature = "zstd")]
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn zstd_round_trips(raw in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..3000),
            compressible(),
        ]) {
            let body = compress(Compression::Zstd, &raw).unwrap();
            prop_assert_eq!(decompress(Compression::Zstd, &body, raw.len()).unwrap(), raw);
        }
    }
}
