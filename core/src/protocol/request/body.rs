//! The PutLogs request: a body prepared once per batch (compressed and digested), and the
//! unsigned request that carries it to a target.

use alloc::string::String;
use alloc::vec::Vec;

use super::target::PutLogsTarget;
use super::{API_VERSION, CONTENT_TYPE_PROTOBUF, DEFAULT_USER_AGENT};
use crate::protocol::compress::Compression;
#[cfg(feature = "signing")]
use crate::protocol::compress::{self, CompressError};
use crate::protocol::decimal::decimal;
use crate::protocol::endpoint::Endpoint;
use crate::protocol::http::{Bytes, HeaderName, HttpRequest, Method};
use crate::protocol::sign::BodyDigest;
#[cfg(feature = "signing")]
use crate::protocol::sign::SignatureVersion;

/// A request body ready to send, built once per batch and shared by every attempt: the
/// (compressed) bytes, the uncompressed size, the compression and, for a signed request,
/// the digest the signature covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedBody {
    body: Bytes,
    raw_len: usize,
    compression: Compression,
    digest: Option<BodyDigest>,
}

impl PreparedBody {
    /// Compress `raw` (an encoded LogGroup) and digest the result for `signature`
    /// (feature `signing`).
    ///
    /// # Errors
    ///
    /// [`CompressError`] if this build cannot compress with `compression` (zstd without
    /// the `zstd` feature).
    #[cfg(feature = "signing")]
    pub fn new(
        compression: Compression,
        raw: &[u8],
        signature: SignatureVersion,
    ) -> Result<Self, CompressError> {
        let body = compress::compress(compression, raw)?;
        Ok(Self::from_parts(
            Bytes::from(body),
            raw.len(),
            compression,
            signature,
        ))
    }

    /// Wrap a body that is already compressed with `compression` (or, for
    /// [`Compression::None`], the raw LogGroup itself, without a copy). `raw_len` is the
    /// uncompressed size. Feature `signing`.
    #[cfg(feature = "signing")]
    pub fn from_parts(
        body: Bytes,
        raw_len: usize,
        compression: Compression,
        signature: SignatureVersion,
    ) -> Self {
        let digest = Some(BodyDigest::for_version(signature, &body));
        Self {
            body,
            raw_len,
            compression,
            digest,
        }
    }

    /// [`PreparedBody::from_parts`] for a request that is not signed (web tracking): no
    /// digest.
    pub fn unsigned(body: Bytes, raw_len: usize, compression: Compression) -> Self {
        Self {
            body,
            raw_len,
            compression,
            digest: None,
        }
    }

    /// The bytes sent.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The uncompressed size (`x-log-bodyrawsize`).
    pub fn raw_len(&self) -> usize {
        self.raw_len
    }

    /// How the body is compressed.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The digest to hand to [`sign_request`](crate::protocol::sign::sign_request); `None`
    /// for an [`unsigned`](Self::unsigned) body.
    pub fn digest(&self) -> Option<&BodyDigest> {
        self.digest.as_ref()
    }
}

/// The unsigned PutLogs request for `target`, carrying `body`. An empty `user_agent`
/// means [`DEFAULT_USER_AGENT`]. Cheap: the body is shared, not copied.
pub fn put_logs_request(
    endpoint: &Endpoint,
    target: &PutLogsTarget<'_>,
    body: &PreparedBody,
    user_agent: &str,
) -> HttpRequest {
    let user_agent = if user_agent.is_empty() {
        DEFAULT_USER_AGENT
    } else {
        user_agent
    };
    let mut headers: Vec<(HeaderName, String)> = Vec::with_capacity(12);
    let mut push = |name: &'static str, value: String| {
        headers.push((HeaderName::Borrowed(name), value));
    };
    push("host", endpoint.host_header_for(target.project()));
    push("content-type", CONTENT_TYPE_PROTOBUF.into());
    push("user-agent", user_agent.into());
    push("x-log-apiversion", API_VERSION.into());
    push("x-log-bodyrawsize", decimal(body.raw_len as u64));
    if let Some(ct) = body.compression.header_value() {
        push("x-log-compresstype", ct.into());
    }
    HttpRequest {
        method: Method::Post,
        scheme: endpoint.scheme(),
        authority: endpoint.authority_for(target.project()),
        path_and_query: target.path_and_query(),
        headers,
        body: body.body.clone(),
    }
}
