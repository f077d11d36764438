//! Request bodies: `x-log-compresstype`, `x-log-bodyrawsize`, decompression and limits.

use sls_producer_core::config::Compression;

use super::auth::header;
use super::config::Limits;
use super::decompress::{Undecodable, decompress_into};
use super::error::SlsError;

/// How strictly `x-log-bodyrawsize` is checked on an uncompressed body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawSizeCheck {
    /// It must equal the body length (protobuf PutLogs: every SDK sends the exact length).
    Exact,
    /// Only its syntax is checked: the web STS plugin sends the JavaScript string length
    /// (UTF-16 units), which differs from the byte length for non-ASCII text.
    SyntaxOnly,
}

/// The uncompressed body and how it was compressed, after checking the wire size, the
/// declared raw size and the raw size against `limits`: `body` itself when it was not
/// compressed, else `buffer`, which it is decompressed into (its allocation reused, its
/// previous contents replaced; see [`decompress_into`]).
pub(crate) fn decompress_body<'a>(
    headers: &[(String, String)],
    body: &'a [u8],
    limits: &Limits,
    check: RawSizeCheck,
    buffer: &'a mut Vec<u8>,
) -> Result<(Compression, &'a [u8]), SlsError> {
    if body.len() > limits.max_body_bytes {
        return Err(SlsError::post_body_too_large(format!(
            "body size {} must be less than {}",
            body.len(),
            limits.max_body_bytes
        )));
    }
    let compression = match header(headers, "x-log-compresstype") {
        None => Compression::None,
        Some(v) => Compression::from_header_value(v.trim())
            .filter(|c| c.is_supported())
            .ok_or_else(|| SlsError::invalid_compress_type(v))?,
    };
    let declared = header(headers, "x-log-bodyrawsize")
        .map(|v| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| SlsError::invalid_body_raw_size(v))
        })
        .transpose()?;
    let too_large = |n: usize| {
        SlsError::post_body_too_large(format!(
            "raw body size {n} must be less than {}",
            limits.max_raw_body_bytes
        ))
    };
    if compression == Compression::None {
        if let Some(n) = declared {
            if check == RawSizeCheck::Exact && n != body.len() {
                return Err(SlsError::invalid_body_raw_size(&n.to_string()));
            }
        }
        if body.len() > limits.max_raw_body_bytes {
            return Err(too_large(body.len()));
        }
        return Ok((compression, body));
    }
    let raw_size = declared.ok_or_else(SlsError::missing_body_raw_size)?;
    if raw_size > limits.max_raw_body_bytes {
        return Err(too_large(raw_size));
    }
    decompress_into(
        compression,
        body,
        raw_size,
        limits.max_raw_body_bytes,
        buffer,
    )
    .map_err(|e| match e {
        Undecodable::TooLarge { raw_size } => too_large(raw_size),
        other => SlsError::post_body_uncompress_error(other),
    })?;
    Ok((compression, buffer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sls_producer_core::protocol::compress;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const RAW: &[u8] = b"0123456789012345678901234567890123456789";

    #[test]
    fn lz4_and_zstd_round_trip() {
        // One buffer for every body, holding the previous one's bytes each time.
        let mut buffer = b"stale bytes of an earlier, longer body: never returned".to_vec();
        for c in [Compression::Lz4, Compression::Zstd, Compression::Lz4] {
            let body = compress::compress(c, RAW).unwrap();
            let headers = h(&[
                ("x-log-compresstype", c.header_value().unwrap()),
                ("x-log-bodyrawsize", &RAW.len().to_string()),
            ]);
            let (got_c, raw) = decompress_body(
                &headers,
                &body,
                &Limits::SLS,
                RawSizeCheck::Exact,
                &mut buffer,
            )
            .unwrap();
            assert_eq!((got_c, raw), (c, RAW));
        }
    }

    #[test]
    fn an_uncompressed_body_is_used_as_is() {
        let mut buffer = Vec::new();
        let headers = h(&[("x-log-bodyrawsize", "40")]);
        let (c, raw) = decompress_body(
            &headers,
            RAW,
            &Limits::SLS,
            RawSizeCheck::Exact,
            &mut buffer,
        )
        .unwrap();
        assert_eq!((c, raw.as_ptr()), (Compression::None, RAW.as_ptr()));
        assert_eq!(buffer.capacity(), 0, "nothing copied");
    }

    #[test]
    fn header_errors() {
        let lz4 = compress::compress(Compression::Lz4, RAW).unwrap();
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [u8], &'a str);
        let cases: [Case<'_>; 6] = [
            (
                &[
                    ("x-log-compresstype", "deflate"),
                    ("x-log-bodyrawsize", "40"),
                ],
                &lz4,
                "InvalidCompressType",
            ),
            (&[("x-log-compresstype", "lz4")], &lz4, "MissingBodyRawSize"),
            (
                &[
                    ("x-log-compresstype", "lz4"),
                    ("x-log-bodyrawsize", "forty"),
                ],
                &lz4,
                "InvalidBodyRawSize",
            ),
            (
                &[("x-log-compresstype", "lz4"), ("x-log-bodyrawsize", "41")],
                &lz4,
                "PostBodyUncompressError",
            ),
            (
                &[("x-log-compresstype", "zstd"), ("x-log-bodyrawsize", "40")],
                &lz4,
                "PostBodyUncompressError",
            ),
            (&[("x-log-bodyrawsize", "39")], RAW, "InvalidBodyRawSize"),
        ];
        for (headers, body, code) in cases {
            let e = decompress_body(
                &h(headers),
                body,
                &Limits::SLS,
                RawSizeCheck::Exact,
                &mut Vec::new(),
            )
            .unwrap_err();
            assert_eq!(e.code, code, "{headers:?}");
        }
        // The web STS plugin's UTF-16 length is tolerated on uncompressed JSON.
        let mut buffer = Vec::new();
        let (_, raw) = decompress_body(
            &h(&[("x-log-bodyrawsize", "39")]),
            RAW,
            &Limits::SLS,
            RawSizeCheck::SyntaxOnly,
            &mut buffer,
        )
        .unwrap();
        assert_eq!(raw, RAW);
    }

    #[test]
    fn limits_are_post_body_too_large() {
        let small = Limits {
            max_body_bytes: 30,
            max_raw_body_bytes: 35,
            ..Limits::SLS
        };
        let lz4 = compress::compress(Compression::Lz4, RAW).unwrap();
        assert!(lz4.len() <= 30);
        let e = decompress_body(
            &h(&[("x-log-compresstype", "lz4"), ("x-log-bodyrawsize", "40")]),
            &lz4,
            &small,
            RawSizeCheck::Exact,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "PostBodyTooLarge"));
        let e =
            decompress_body(&[], RAW, &small, RawSizeCheck::Exact, &mut Vec::new()).unwrap_err();
        assert_eq!(e.code, "PostBodyTooLarge");
    }
}
