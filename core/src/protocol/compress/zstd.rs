//! zstd frames: the level, the two encoders and the decoder.
//!
//! * `NativeZstd` (feature `zstd-native`): the reference library, libzstd, at any
//!   [`ZstdLevel`]. What native builds use.
//! * [`compress_pure_rust`] (feature `zstd`): ruzstd's encoder, which has one level, its
//!   fastest (it compresses less than libzstd's level 1). What `no_std` and wasm builds use.
//! * `decompress` (feature `zstd`): ruzstd's decoder, for frames of either encoder, with
//!   a bound on the window a damaged frame can make it reserve.
//!
//! Both encoders write one standard frame without checksum (the request's Content-MD5 or
//! SHA-256 covers the body); libzstd also writes the content size in the frame header.

use alloc::vec::Vec;
use core::fmt;

use super::CompressError;
#[cfg(any(feature = "zstd-native", not(feature = "zstd")))]
use super::Compression;

/// A zstd compression level, from 1 (fastest, the default) to 22 (smallest).
///
/// The default, 1, is what SLS's own SDKs send: the Go SDK (`SpeedFastest`), the Python
/// SDK and the official Rust producer compress at level 1 (the Java SDK at libzstd's
/// default, 3). Levels apply to the reference library's encoder (feature `zstd-native`);
/// the pure-Rust encoder has one level.
///
/// ```
/// use sls_producer_core::protocol::compress::ZstdLevel;
///
/// assert_eq!(ZstdLevel::default().get(), 1);
/// assert_eq!(ZstdLevel::new(3).map(ZstdLevel::get), Some(3));
/// assert_eq!(ZstdLevel::new(0), None);
/// assert_eq!(ZstdLevel::new(23), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZstdLevel(u8);

impl ZstdLevel {
    /// Level 1, the fastest (libzstd's negative "fast" levels are not offered).
    pub const MIN: Self = Self(1);
    /// Level 22, the smallest and slowest.
    pub const MAX: Self = Self(22);
    /// Level 1: what SLS's Go, Python and Rust SDKs use.
    pub const DEFAULT: Self = Self::MIN;

    /// `level` if it is in [`MIN`](Self::MIN) ..= [`MAX`](Self::MAX), else `None`.
    pub const fn new(level: u8) -> Option<Self> {
        if level >= Self::MIN.0 && level <= Self::MAX.0 {
            Some(Self(level))
        } else {
            None
        }
    }

    /// The level as a number.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl Default for ZstdLevel {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for ZstdLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The zstd encoder of this build: libzstd with a context created on first use and kept
/// (feature `zstd-native`), else the pure-Rust encoder (feature `zstd`), else none.
#[derive(Debug, Default)]
pub(super) struct ZstdEncoder {
    #[cfg(feature = "zstd-native")]
    native: Option<NativeZstd>,
}

impl ZstdEncoder {
    pub(super) const fn new() -> Self {
        Self {
            #[cfg(feature = "zstd-native")]
            native: None,
        }
    }

    /// Compress `raw` into one frame at `level`, replacing `out`'s contents.
    #[cfg_attr(
        not(feature = "zstd-native"),
        allow(clippy::unused_self, clippy::unnecessary_wraps)
    )]
    pub(super) fn compress_to_vec(
        &mut self,
        level: ZstdLevel,
        raw: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CompressError> {
        out.clear();
        #[cfg(feature = "zstd-native")]
        {
            out.reserve(NativeZstd::bound(raw.len()));
            self.native(level)?.compress_into(level, raw, out)?;
            Ok(())
        }
        #[cfg(all(feature = "zstd", not(feature = "zstd-native")))]
        {
            // The pure-Rust encoder has one level.
            let _ = level;
            compress_pure_rust(raw, out);
            Ok(())
        }
        #[cfg(not(feature = "zstd"))]
        {
            let _ = (level, raw, out);
            Err(CompressError::Unsupported {
                compression: Compression::Zstd,
            })
        }
    }

    /// Compress `raw` into a new buffer of exactly the frame's size; libzstd writes into
    /// `scratch` (grown to its bound) first.
    pub(super) fn compress_exact(
        &mut self,
        level: ZstdLevel,
        raw: &[u8],
        scratch: &mut Vec<u8>,
    ) -> Result<Vec<u8>, CompressError> {
        #[cfg(feature = "zstd-native")]
        {
            let scratch = super::grown(scratch, NativeZstd::bound(raw.len()));
            let written = self.native(level)?.compress_into(level, raw, scratch)?;
            Ok(scratch[..written].to_vec())
        }
        #[cfg(not(feature = "zstd-native"))]
        {
            let _ = scratch;
            let mut out = Vec::new();
            self.compress_to_vec(level, raw, &mut out)?;
            out.shrink_to_fit();
            Ok(out)
        }
    }

    /// The libzstd context, created at `level` if there is none yet.
    #[cfg(feature = "zstd-native")]
    fn native(&mut self, level: ZstdLevel) -> Result<&mut NativeZstd, CompressError> {
        if self.native.is_none() {
            self.native = Some(NativeZstd::new(level)?);
        }
        Ok(self.native.as_mut().expect("just created"))
    }
}

/// A libzstd compression context, kept between batches: creating one costs allocations
/// that grow with the level, and a producer compresses batch after batch at one level.
#[cfg(feature = "zstd-native")]
pub(super) struct NativeZstd {
    context: zstd::zstd_safe::CCtx<'static>,
    level: ZstdLevel,
}

#[cfg(feature = "zstd-native")]
impl NativeZstd {
    /// A context at `level`.
    fn new(level: ZstdLevel) -> Result<Self, CompressError> {
        let context = zstd::zstd_safe::CCtx::try_create().ok_or(CompressError::Library {
            compression: Compression::Zstd,
            reason: "libzstd could not allocate a compression context",
        })?;
        let mut native = Self { context, level };
        native.set_level(level)?;
        Ok(native)
    }

    /// The upper bound of a frame's size for `raw_len` bytes of input.
    fn bound(raw_len: usize) -> usize {
        zstd::zstd_safe::compress_bound(raw_len)
    }

    /// Compress `raw` into one frame at `level`, written at the start of `out` (a slice of
    /// at least [`bound`](Self::bound)`(raw.len())` bytes, or a `Vec` whose capacity is,
    /// whose contents are replaced). Returns the frame's length.
    fn compress_into<C>(
        &mut self,
        level: ZstdLevel,
        raw: &[u8],
        out: &mut C,
    ) -> Result<usize, CompressError>
    where
        C: zstd::zstd_safe::WriteBuf + ?Sized,
    {
        if level != self.level {
            self.set_level(level)?;
        }
        // `compress2` starts a new frame with the content size known (so written in the
        // header), keeping the parameters set on the context; no checksum (the default).
        self.context.compress2(out, raw).map_err(library_error)
    }

    fn set_level(&mut self, level: ZstdLevel) -> Result<(), CompressError> {
        use zstd::zstd_safe::CParameter;
        self.context
            .set_parameter(CParameter::CompressionLevel(i32::from(level.get())))
            .map_err(library_error)?;
        self.level = level;
        Ok(())
    }
}

/// `Debug` shows the level only.
#[cfg(feature = "zstd-native")]
impl fmt::Debug for NativeZstd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NativeZstd")
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "zstd-native")]
fn library_error(code: zstd::zstd_safe::ErrorCode) -> CompressError {
    CompressError::Library {
        compression: Compression::Zstd,
        reason: zstd::zstd_safe::get_error_name(code),
    }
}

/// Compress `raw` into one frame with the pure-Rust encoder (its one level), appended to
/// `out`. Not part of the API: the encoder that builds without `zstd-native` use, here for
/// the project's benches to compare with libzstd.
#[cfg(feature = "zstd")]
pub fn compress_pure_rust(raw: &[u8], out: &mut Vec<u8>) {
    ruzstd::encoding::compress(raw, out, ruzstd::encoding::CompressionLevel::Fastest);
}

/// Zstd frames may declare a window up to this size (or up to the raw size, if larger); the
/// decoder reserves the declared window up front, so this bounds what a damaged frame can
/// make it allocate. Real encoders declare at most the content size (libzstd with a known
/// size) or a fixed small window (ruzstd: 128 KiB).
#[cfg(feature = "zstd")]
const MIN_WINDOW_LIMIT: usize = 8 * 1024 * 1024;

/// Decode a frame that must decode to exactly `raw_size` bytes, and declare that size if it
/// declares one (as libzstd's frames do); `None` if it does not (or without the feature
/// `zstd`). PutLogs bodies are one frame: a body of several is refused if the last one
/// declares its own size.
pub(super) fn decompress(body: &[u8], raw_size: usize) -> Option<Vec<u8>> {
    #[cfg(feature = "zstd")]
    {
        if body.is_empty() {
            return None;
        }
        let mut out = alloc::vec![0; raw_size];
        let mut decoder = ruzstd::decoding::FrameDecoder::new();
        decoder.set_max_window_size(raw_size.max(MIN_WINDOW_LIMIT) as u64);
        let n = decoder.decode_all(body, &mut out).ok()?;
        // 0: no size declared (or an empty frame, which then decodes to 0 bytes).
        let declared = decoder.content_size();
        (n == raw_size && (declared == 0 || declared == raw_size as u64)).then_some(out)
    }
    #[cfg(not(feature = "zstd"))]
    {
        let _ = (body, raw_size);
        None
    }
}
