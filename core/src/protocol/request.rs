//! The PutLogs request as data, and the web-tracking requests.
//!
//! ```text
//!  once per batch:  LogGroup bytes ──PreparedBody::new──► compressed Bytes + raw size
//!                                                          + compression + BodyDigest
//!  per attempt:     put_logs_request(endpoint, target, &prepared) ──► unsigned HttpRequest
//!                   sign::sign_request(now)                      ──► signed HttpRequest
//! ```
//!
//! An unsigned PutLogs request is `POST` to
//!
//! * `/logstores/{logstore}` (no shard key),
//! * `/logstores/{logstore}/shards/route?key={key}` (shard key),
//! * either of them plus `processor={name}` (query keys sorted, form-encoded),
//! * `/prometheus/{project}/{metricstore}/api/v1/write` (metricstores; no key, no processor),
//!
//! with the headers `host` (`{project}.{endpoint}`), `content-type: application/x-protobuf`,
//! `user-agent`, `x-log-apiversion: 0.6.0`, `x-log-bodyrawsize` and `x-log-compresstype`
//! (absent when uncompressed). [`sign_request`](crate::protocol::sign::sign_request) adds the date,
//! digest and signature headers.

use alloc::string::{String, ToString as _};
use alloc::vec::Vec;
use core::fmt;

use crate::protocol::compress::{self, CompressError, Compression};
use crate::protocol::encoding::{Space, percent_encode_into};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::http::{Bytes, HeaderName, HttpRequest, Method};
use crate::protocol::json;
use crate::protocol::sign::{BodyDigest, SignatureVersion};

/// The `x-log-apiversion` every request carries.
pub const API_VERSION: &str = "0.6.0";

/// `content-type` of a PutLogs body.
pub const CONTENT_TYPE_PROTOBUF: &str = "application/x-protobuf";

/// `content-type` of a web-tracking body sent with [`TrackStyle::Headers`].
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// `content-type` of a web-tracking body sent with [`TrackStyle::CorsSimple`] (what
/// `navigator.sendBeacon` sends for a string).
pub const CONTENT_TYPE_TEXT: &str = "text/plain;charset=UTF-8";

/// The `user-agent` sent when none is configured.
pub const DEFAULT_USER_AGENT: &str = concat!("sls-producer-rs/", env!("CARGO_PKG_VERSION"));

// ---------------------------------------------------------------------------------------
// Names

/// What kind of name failed validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A project name.
    Project,
    /// A logstore (or metricstore) name.
    Logstore,
}

impl NameKind {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Logstore => "logstore",
        }
    }

    const fn min_len(self) -> usize {
        match self {
            Self::Project => 3,
            Self::Logstore => 2,
        }
    }

    const fn allowed(self) -> &'static str {
        match self {
            Self::Project => "lowercase letters, digits and '-'",
            Self::Logstore => "lowercase letters, digits, '-' and '_'",
        }
    }
}

/// What is wrong with a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InvalidNameReason {
    /// Not within the allowed length (in bytes).
    Length {
        /// The name's length.
        len: usize,
        /// The shortest allowed length.
        min: usize,
        /// The longest allowed length.
        max: usize,
    },
    /// A character that is not allowed anywhere in the name.
    Character {
        /// Its byte offset.
        index: usize,
        /// The character.
        ch: char,
    },
    /// The name starts or ends with `-` or `_`.
    Edge,
}

/// A project or logstore name that SLS would reject. Sending to it can never succeed: fix
/// the name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InvalidName {
    /// Which kind of name.
    pub kind: NameKind,
    /// The rejected name.
    pub name: String,
    /// What is wrong with it.
    pub reason: InvalidNameReason,
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} name {:?}: ", self.kind.as_str(), self.name)?;
        match self.reason {
            InvalidNameReason::Length { len, min, max } => {
                write!(f, "{len} characters long, must be {min} to {max}")
            }
            InvalidNameReason::Character { index, ch } => write!(
                f,
                "{ch:?} at offset {index} is not allowed (use {})",
                self.kind.allowed()
            ),
            InvalidNameReason::Edge => f.write_str("must start and end with a letter or digit"),
        }
    }
}

impl core::error::Error for InvalidName {}

/// Check a project name: 3 to 63 characters, lowercase ASCII letters, digits and `-`,
/// starting and ending with a letter or digit.
pub fn validate_project(name: &str) -> Result<(), InvalidName> {
    validate_name(NameKind::Project, name)
}

/// Check a logstore or metricstore name: 2 to 63 characters, lowercase ASCII letters,
/// digits, `-` and `_`, starting and ending with a letter or digit.
pub fn validate_logstore(name: &str) -> Result<(), InvalidName> {
    validate_name(NameKind::Logstore, name)
}

fn validate_name(kind: NameKind, name: &str) -> Result<(), InvalidName> {
    let fail = |reason| {
        Err(InvalidName {
            kind,
            name: name.into(),
            reason,
        })
    };
    for (index, ch) in name.char_indices() {
        let ok = ch.is_ascii_lowercase()
            || ch.is_ascii_digit()
            || ch == '-'
            || (ch == '_' && kind == NameKind::Logstore);
        if !ok {
            return fail(InvalidNameReason::Character { index, ch });
        }
    }
    let (min, max) = (kind.min_len(), 63);
    if !(min..=max).contains(&name.len()) {
        return fail(InvalidNameReason::Length {
            len: name.len(),
            min,
            max,
        });
    }
    let edge_ok = |b: u8| b.is_ascii_alphanumeric();
    let bytes = name.as_bytes();
    if !edge_ok(bytes[0]) || !edge_ok(bytes[bytes.len() - 1]) {
        return fail(InvalidNameReason::Edge);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// PutLogs

/// Where a PutLogs request goes: project, store and routing. Names are validated on
/// construction, so a target always yields a well-formed path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PutLogsTarget<'a> {
    project: &'a str,
    store: &'a str,
    metricstore: bool,
    shard_key: Option<&'a str>,
    processor: Option<&'a str>,
}

impl<'a> PutLogsTarget<'a> {
    /// A logstore of `project`.
    ///
    /// # Errors
    ///
    /// [`InvalidName`] if either name breaks the SLS naming rules.
    pub fn logstore(project: &'a str, logstore: &'a str) -> Result<Self, InvalidName> {
        validate_project(project)?;
        validate_logstore(logstore)?;
        Ok(Self {
            project,
            store: logstore,
            metricstore: false,
            shard_key: None,
            processor: None,
        })
    }

    /// A metricstore of `project`, written through the Prometheus remote-write path
    /// (always LZ4, see [`PutLogsTarget::compression`]; no shard key, no processor).
    ///
    /// # Errors
    ///
    /// [`InvalidName`] if either name breaks the SLS naming rules.
    pub fn metricstore(project: &'a str, metricstore: &'a str) -> Result<Self, InvalidName> {
        let mut t = Self::logstore(project, metricstore)?;
        t.metricstore = true;
        Ok(t)
    }

    /// Route to the shard whose hash range holds `key` (a 32-hex-digit MD5-style hash,
    /// sent as is). An empty key means no routing. Ignored for metricstores.
    pub fn with_shard_key(mut self, key: &'a str) -> Self {
        self.shard_key = (!key.is_empty()).then_some(key);
        self
    }

    /// Run the ingest processor `name` on the server. Empty means none. Ignored for
    /// metricstores.
    pub fn with_processor(mut self, name: &'a str) -> Self {
        self.processor = (!name.is_empty()).then_some(name);
        self
    }

    /// The project.
    pub fn project(&self) -> &'a str {
        self.project
    }

    /// The logstore or metricstore.
    pub fn store(&self) -> &'a str {
        self.store
    }

    /// `true` for a metricstore target.
    pub fn is_metricstore(&self) -> bool {
        self.metricstore
    }

    /// The shard key, if any (never for metricstores).
    pub fn shard_key(&self) -> Option<&'a str> {
        self.shard_key.filter(|_| !self.metricstore)
    }

    /// The processor, if any (never for metricstores).
    pub fn processor(&self) -> Option<&'a str> {
        self.processor.filter(|_| !self.metricstore)
    }

    /// The compression to use given the configured one: metricstores always take LZ4, as
    /// in the Go producer.
    pub fn compression(&self, configured: Compression) -> Compression {
        if self.metricstore {
            Compression::Lz4
        } else {
            configured
        }
    }

    /// The request path and query, e.g. `/logstores/app/shards/route?key=…&processor=…`.
    pub fn path_and_query(&self) -> String {
        let mut s = String::with_capacity(64);
        if self.metricstore {
            for part in [
                "/prometheus/",
                self.project,
                "/",
                self.store,
                "/api/v1/write",
            ] {
                s.push_str(part);
            }
            return s;
        }
        s.push_str("/logstores/");
        s.push_str(self.store);
        if self.shard_key.is_some() {
            s.push_str("/shards/route");
        }
        // Query keys in sorted order, as Go's url.Values.Encode writes them.
        let params = [("key", self.shard_key), ("processor", self.processor)];
        for (i, (k, v)) in params
            .iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .enumerate()
        {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            percent_encode_into(&mut s, v, Space::Plus);
        }
        s
    }
}

/// A PutLogs body ready to send, built once per batch and shared by every attempt: the
/// (compressed) bytes, the uncompressed size, the compression and the digest the signature
/// covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedBody {
    body: Bytes,
    raw_len: usize,
    compression: Compression,
    digest: BodyDigest,
}

impl PreparedBody {
    /// Compress `raw` (an encoded LogGroup) and digest the result for `signature`.
    ///
    /// # Errors
    ///
    /// [`CompressError`] if this build cannot compress with `compression` (zstd without
    /// the `zstd` feature).
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
    /// uncompressed size.
    pub fn from_parts(
        body: Bytes,
        raw_len: usize,
        compression: Compression,
        signature: SignatureVersion,
    ) -> Self {
        let digest = BodyDigest::for_version(signature, &body);
        Self {
            body,
            raw_len,
            compression,
            digest,
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

    /// The digest to hand to [`sign_request`](crate::protocol::sign::sign_request).
    pub fn digest(&self) -> &BodyDigest {
        &self.digest
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
    push("host", endpoint.host_header_for(target.project));
    push("content-type", CONTENT_TYPE_PROTOBUF.into());
    push("user-agent", user_agent.into());
    push("x-log-apiversion", API_VERSION.into());
    push("x-log-bodyrawsize", body.raw_len.to_string());
    if let Some(ct) = body.compression.header_value() {
        push("x-log-compresstype", ct.into());
    }
    HttpRequest {
        method: Method::Post,
        scheme: endpoint.scheme(),
        authority: endpoint.authority_for(target.project),
        path_and_query: target.path_and_query(),
        headers,
        body: body.body.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Web tracking

/// A web-tracking JSON body, written incrementally:
/// `{"__topic__":"…","__source__":"…","__logs__":[{"k":"v",…},…],"__tags__":{"k":"v",…}}`.
///
/// All values are strings. The server stamps each log with its arrival time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackBody {
    json: String,
    logs: usize,
}

impl TrackBody {
    /// Start a body for `topic` and `source` (either may be empty).
    pub fn new(topic: &str, source: &str) -> Self {
        let mut json = String::with_capacity(256);
        json.push_str("{\"__topic__\":");
        json::write_str(&mut json, topic);
        json.push_str(",\"__source__\":");
        json::write_str(&mut json, source);
        json.push_str(",\"__logs__\":[");
        Self { json, logs: 0 }
    }

    /// Append one log of `key: value` fields.
    pub fn push_log<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        fields: impl IntoIterator<Item = (K, V)>,
    ) {
        if self.logs > 0 {
            self.json.push(',');
        }
        write_object(&mut self.json, fields);
        self.logs += 1;
    }

    /// How many logs were appended.
    pub fn log_count(&self) -> usize {
        self.logs
    }

    /// The body size so far, in bytes (the final body is this plus the tags and a few
    /// closing bytes).
    pub fn byte_len(&self) -> usize {
        self.json.len()
    }

    /// `true` if no log was appended.
    pub fn is_empty(&self) -> bool {
        self.logs == 0
    }

    /// Close the body with the `__tags__` object and return the JSON text.
    pub fn finish<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        tags: impl IntoIterator<Item = (K, V)>,
    ) -> String {
        self.json.push_str("],\"__tags__\":");
        write_object(&mut self.json, tags);
        self.json.push('}');
        self.json
    }
}

fn write_object<K: AsRef<str>, V: AsRef<str>>(
    out: &mut String,
    fields: impl IntoIterator<Item = (K, V)>,
) {
    out.push('{');
    for (i, (k, v)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_str(out, k.as_ref());
        out.push(':');
        json::write_str(out, v.as_ref());
    }
    out.push('}');
}

/// How a web-tracking request is dressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TrackStyle {
    /// As documented for PutWebtracking: `content-type: application/json`,
    /// `x-log-apiversion` and `x-log-bodyrawsize` headers. In a browser the custom headers
    /// cost a CORS preflight.
    #[default]
    Headers,
    /// As the official browser SDK sends it: API version in the query
    /// (`?APIVersion=0.6.0`), `content-type: text/plain;charset=UTF-8` and no custom
    /// headers, so browsers send it without a CORS preflight (and `sendBeacon` can carry it).
    CorsSimple,
}

/// The anonymous web-tracking request `POST /logstores/{logstore}/track` carrying `json`
/// (a [`TrackBody`]). The logstore must have web tracking enabled; nothing is signed.
///
/// # Errors
///
/// [`InvalidName`] if either name breaks the SLS naming rules.
pub fn web_tracking_request(
    endpoint: &Endpoint,
    project: &str,
    logstore: &str,
    json: Bytes,
    style: TrackStyle,
) -> Result<HttpRequest, InvalidName> {
    validate_project(project)?;
    validate_logstore(logstore)?;
    let mut path_and_query = String::with_capacity(32 + logstore.len());
    path_and_query.push_str("/logstores/");
    path_and_query.push_str(logstore);
    path_and_query.push_str("/track");
    let mut headers: Vec<(HeaderName, String)> = Vec::with_capacity(4);
    headers.push(("host".into(), endpoint.host_header_for(project)));
    match style {
        TrackStyle::Headers => {
            headers.push(("content-type".into(), CONTENT_TYPE_JSON.into()));
            headers.push(("x-log-apiversion".into(), API_VERSION.into()));
            headers.push(("x-log-bodyrawsize".into(), json.len().to_string()));
        }
        TrackStyle::CorsSimple => {
            path_and_query.push_str("?APIVersion=");
            path_and_query.push_str(API_VERSION);
            headers.push(("content-type".into(), CONTENT_TYPE_TEXT.into()));
        }
    }
    Ok(HttpRequest {
        method: Method::Post,
        scheme: endpoint.scheme(),
        authority: endpoint.authority_for(project),
        path_and_query,
        headers,
        body: json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;
    use crate::protocol::http::Scheme;
    use crate::protocol::sign::{SigningConfig, content_md5_hex, sign_request};
    use crate::protocol::time::UnixTime;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    const PUBLIC: &str = "cn-hangzhou.log.aliyuncs.com";
    const RAW: &[u8] =
        b"\x0a\x0e\x08\x80\xe2\xcf\xaa\x06\x12\x06\x0a\x01k\x12\x01v\x1a\x00\x22\x00";

    fn ep(s: &str) -> Endpoint {
        Endpoint::parse(s).unwrap()
    }

    fn names(req: &HttpRequest) -> Vec<&str> {
        req.headers.iter().map(|(n, _)| n.as_ref()).collect()
    }

    fn prepared(c: Compression) -> PreparedBody {
        PreparedBody::new(c, RAW, SignatureVersion::V1).unwrap()
    }

    #[test]
    fn plain_logstore_request() {
        let target = PutLogsTarget::logstore("proj", "app").unwrap();
        let body = prepared(Compression::Lz4);
        let req = put_logs_request(&ep(PUBLIC), &target, &body, "my-agent/1.0");
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.scheme, Scheme::Https);
        assert_eq!(req.authority, "proj.cn-hangzhou.log.aliyuncs.com");
        assert_eq!(req.path_and_query, "/logstores/app");
        let expected: Vec<(HeaderName, String)> = vec![
            ("host".into(), "proj.cn-hangzhou.log.aliyuncs.com".into()),
            ("content-type".into(), "application/x-protobuf".into()),
            ("user-agent".into(), "my-agent/1.0".into()),
            ("x-log-apiversion".into(), "0.6.0".into()),
            ("x-log-bodyrawsize".into(), "20".into()),
            ("x-log-compresstype".into(), "lz4".into()),
        ];
        assert_eq!(req.headers, expected);
        assert_eq!(req.body, *body.body());
        assert_eq!(
            req.url(),
            "https://proj.cn-hangzhou.log.aliyuncs.com/logstores/app"
        );
    }

    #[test]
    fn routing_and_processor_queries() {
        let key = "f4000000000000000000000000000000";
        let t = PutLogsTarget::logstore("proj", "app").unwrap();
        let cases = [
            (t, "/logstores/app"),
            (t.with_shard_key(""), "/logstores/app"),
            (t.with_processor(""), "/logstores/app"),
            (
                t.with_shard_key(key),
                "/logstores/app/shards/route?key=f4000000000000000000000000000000",
            ),
            (
                t.with_processor("my proc/1"),
                "/logstores/app?processor=my+proc%2F1",
            ),
            (
                t.with_processor("p").with_shard_key(key),
                "/logstores/app/shards/route?key=f4000000000000000000000000000000&processor=p",
            ),
            (
                t.with_shard_key("a&b=c"),
                "/logstores/app/shards/route?key=a%26b%3Dc",
            ),
        ];
        for (target, want) in cases {
            assert_eq!(target.path_and_query(), want);
            let req = put_logs_request(&ep(PUBLIC), &target, &prepared(Compression::None), "");
            assert_eq!(req.path_and_query, want);
        }
        assert_eq!(t.with_shard_key(key).shard_key(), Some(key));
        assert_eq!(t.with_processor("p").processor(), Some("p"));
    }

    #[test]
    fn metricstore_path_ignores_key_and_processor_and_forces_lz4() {
        let t = PutLogsTarget::metricstore("proj", "metrics")
            .unwrap()
            .with_shard_key("f4000000000000000000000000000000")
            .with_processor("p");
        assert!(t.is_metricstore());
        assert_eq!(t.path_and_query(), "/prometheus/proj/metrics/api/v1/write");
        assert_eq!((t.shard_key(), t.processor()), (None, None));
        for c in [Compression::Lz4, Compression::Zstd, Compression::None] {
            assert_eq!(t.compression(c), Compression::Lz4);
        }
        let logstore = PutLogsTarget::logstore("proj", "app").unwrap();
        assert_eq!(logstore.compression(Compression::None), Compression::None);
        assert!(PutLogsTarget::metricstore("proj", "Metrics").is_err());
    }

    #[test]
    fn uncompressed_body_omits_compresstype_and_raw_size_is_body_len() {
        let raw = Bytes::from_static(RAW);
        let body = PreparedBody::from_parts(
            raw.clone(),
            RAW.len(),
            Compression::None,
            SignatureVersion::V1,
        );
        assert_eq!(body.body().as_ptr(), raw.as_ptr(), "no copy");
        let t = PutLogsTarget::logstore("proj", "app").unwrap();
        let req = put_logs_request(&ep(PUBLIC), &t, &body, "");
        assert_eq!(req.header("x-log-compresstype"), None);
        assert_eq!(req.header("x-log-bodyrawsize"), Some("20"));
        assert_eq!(req.body.len(), 20);
        assert_eq!(req.header("user-agent"), Some(DEFAULT_USER_AGENT));
        assert!(DEFAULT_USER_AGENT.starts_with("sls-producer-rs/"));
    }

    #[test]
    fn compressed_bodies_decode_back_given_bodyrawsize() {
        let mut compressions = vec![Compression::Lz4, Compression::None];
        if Compression::Zstd.is_supported() {
            compressions.push(Compression::Zstd);
        }
        let raw: Vec<u8> = RAW.iter().copied().cycle().take(5000).collect();
        for c in compressions {
            let body = PreparedBody::new(c, &raw, SignatureVersion::V1).unwrap();
            let req = put_logs_request(
                &ep(PUBLIC),
                &PutLogsTarget::logstore("proj", "app").unwrap(),
                &body,
                "",
            );
            assert_eq!(req.header("x-log-compresstype"), c.header_value());
            let raw_size: usize = req.header("x-log-bodyrawsize").unwrap().parse().unwrap();
            assert_eq!(raw_size, 5000);
            assert_eq!(compress::decompress(c, &req.body, raw_size).unwrap(), raw);
            if c == Compression::Lz4 {
                assert!(req.body.len() < raw.len());
                // A raw block: lz4_flex's own block decoder reads it.
                assert_eq!(
                    lz4_flex::block::decompress(&req.body, raw_size).unwrap(),
                    raw
                );
            }
        }
    }

    #[test]
    fn signed_request_md5_is_uppercase_over_the_compressed_body() {
        let creds = Credentials::new("id", "secret").with_security_token("tok");
        let body = prepared(Compression::Lz4);
        let t = PutLogsTarget::logstore("proj", "app")
            .unwrap()
            .with_shard_key("f4000000000000000000000000000000");
        let mut req = put_logs_request(&ep(PUBLIC), &t, &body, "");
        sign_request(
            &mut req,
            &creds,
            &SigningConfig::v1(),
            UnixTime::from_secs(1_136_214_245),
            body.digest(),
        )
        .unwrap();
        let md5 = req.header("content-md5").unwrap();
        assert_eq!(md5, content_md5_hex(body.body()));
        assert_ne!(md5, content_md5_hex(RAW));
        assert_eq!(md5, md5.to_ascii_uppercase());
        assert_eq!(req.header("date"), Some("Mon, 02 Jan 2006 15:04:05 GMT"));
        assert_eq!(req.header("x-acs-security-token"), Some("tok"));
        assert_eq!(
            names(&req),
            [
                "host",
                "content-type",
                "user-agent",
                "x-log-apiversion",
                "x-log-bodyrawsize",
                "x-log-compresstype",
                "date",
                "content-md5",
                "x-log-signaturemethod",
                "x-acs-security-token",
                "authorization"
            ]
        );
        assert!(req.header("authorization").unwrap().starts_with("LOG id:"));

        // v4 over the same target.
        let body = PreparedBody::new(Compression::Lz4, RAW, SignatureVersion::V4).unwrap();
        let mut req = put_logs_request(&ep(PUBLIC), &t, &body, "");
        sign_request(
            &mut req,
            &creds,
            &SigningConfig::v4("cn-hangzhou"),
            UnixTime::from_secs(1_136_214_245),
            body.digest(),
        )
        .unwrap();
        assert_eq!(req.header("x-log-date"), Some("20060102T150405Z"));
        assert!(req.header("authorization").unwrap().starts_with(
            "SLS4-HMAC-SHA256 Credential=id/20060102/cn-hangzhou/sls/aliyun_v4_request,Signature="
        ));
        assert_eq!(
            req.header("x-log-content-sha256"),
            Some(body.digest().hex())
        );
    }

    #[test]
    fn endpoints_decide_scheme_authority_and_host() {
        let t = PutLogsTarget::logstore("proj", "app").unwrap();
        let body = prepared(Compression::Lz4);
        let cases = [
            (
                PUBLIC,
                Scheme::Https,
                "proj.cn-hangzhou.log.aliyuncs.com",
                "proj.cn-hangzhou.log.aliyuncs.com",
            ),
            (
                "http://cn-hangzhou-intranet.log.aliyuncs.com",
                Scheme::Http,
                "proj.cn-hangzhou-intranet.log.aliyuncs.com",
                "proj.cn-hangzhou-intranet.log.aliyuncs.com",
            ),
            (
                "https://example.com:8443",
                Scheme::Https,
                "proj.example.com:8443",
                "proj.example.com:8443",
            ),
            (
                "http://127.0.0.1:18081",
                Scheme::Http,
                "127.0.0.1:18081",
                "proj.127.0.0.1:18081",
            ),
            (
                "http://localhost:9000",
                Scheme::Http,
                "localhost:9000",
                "proj.localhost:9000",
            ),
        ];
        for (endpoint, scheme, authority, host) in cases {
            let req = put_logs_request(&ep(endpoint), &t, &body, "");
            assert_eq!(
                (req.scheme, req.authority.as_str(), req.header("host")),
                (scheme, authority, Some(host)),
                "{endpoint}"
            );
        }
    }

    #[test]
    fn name_rules() {
        for ok in ["abc", "a-b", "my-project-01", "0ab", &"a".repeat(63)] {
            assert_eq!(validate_project(ok), Ok(()), "{ok}");
        }
        for ok in ["ab", "a_b", "a-b", "app_log-2", "00", &"a".repeat(63)] {
            assert_eq!(validate_logstore(ok), Ok(()), "{ok}");
        }
        let project = |name: &str, reason| InvalidName {
            kind: NameKind::Project,
            name: name.into(),
            reason,
        };
        let logstore = |name: &str, reason| InvalidName {
            kind: NameKind::Logstore,
            name: name.into(),
            reason,
        };
        use InvalidNameReason::*;
        let long = "a".repeat(64);
        let cases = [
            (
                validate_project(""),
                project(
                    "",
                    Length {
                        len: 0,
                        min: 3,
                        max: 63,
                    },
                ),
            ),
            (
                validate_project("ab"),
                project(
                    "ab",
                    Length {
                        len: 2,
                        min: 3,
                        max: 63,
                    },
                ),
            ),
            (
                validate_project(&long),
                project(
                    &long,
                    Length {
                        len: 64,
                        min: 3,
                        max: 63,
                    },
                ),
            ),
            (
                validate_project("a_b"),
                project("a_b", Character { index: 1, ch: '_' }),
            ),
            (
                validate_project("aBc"),
                project("aBc", Character { index: 1, ch: 'B' }),
            ),
            (
                validate_project("ab.c"),
                project("ab.c", Character { index: 2, ch: '.' }),
            ),
            (validate_project("-abc"), project("-abc", Edge)),
            (validate_project("abc-"), project("abc-", Edge)),
            (
                validate_logstore("a"),
                logstore(
                    "a",
                    Length {
                        len: 1,
                        min: 2,
                        max: 63,
                    },
                ),
            ),
            (
                validate_logstore(&long),
                logstore(
                    &long,
                    Length {
                        len: 64,
                        min: 2,
                        max: 63,
                    },
                ),
            ),
            (validate_logstore("_ab"), logstore("_ab", Edge)),
            (validate_logstore("ab-"), logstore("ab-", Edge)),
            (
                validate_logstore("a/b"),
                logstore("a/b", Character { index: 1, ch: '/' }),
            ),
            (
                validate_logstore("a b"),
                logstore("a b", Character { index: 1, ch: ' ' }),
            ),
            (
                validate_logstore("aé"),
                logstore("aé", Character { index: 1, ch: 'é' }),
            ),
            (
                validate_logstore("a?key=x"),
                logstore("a?key=x", Character { index: 1, ch: '?' }),
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, Err(want));
        }
        assert_eq!(
            validate_logstore("App").unwrap_err().to_string(),
            "invalid logstore name \"App\": 'A' at offset 0 is not allowed (use lowercase letters, digits, '-' and '_')"
        );
        assert_eq!(
            validate_project("ab").unwrap_err().to_string(),
            "invalid project name \"ab\": 2 characters long, must be 3 to 63"
        );
        assert_eq!(
            validate_project("-ab").unwrap_err().to_string(),
            "invalid project name \"-ab\": must start and end with a letter or digit"
        );
        assert_eq!(
            PutLogsTarget::logstore("ab", "app").unwrap_err().kind,
            NameKind::Project
        );
        assert_eq!(
            PutLogsTarget::logstore("abc", "a").unwrap_err().kind,
            NameKind::Logstore
        );
    }

    #[test]
    fn track_body_json() {
        let mut b = TrackBody::new("my \"topic\"", "");
        assert!(b.is_empty());
        b.push_log([("k", "v"), ("path", "/a\\b\n")]);
        b.push_log(Vec::<(String, String)>::new());
        b.push_log([("中文".to_string(), "\u{1}".to_string())]);
        assert_eq!(b.log_count(), 3);
        let before = b.byte_len();
        let json = b.finish([("env", "prod")]);
        assert!(json.len() > before);
        assert_eq!(
            json,
            r#"{"__topic__":"my \"topic\"","__source__":"","__logs__":[{"k":"v","path":"/a\\b\n"},{},{"中文":"\u0001"}],"__tags__":{"env":"prod"}}"#
        );
        let empty = TrackBody::new("", "src").finish(core::iter::empty::<(&str, &str)>());
        assert_eq!(
            empty,
            r#"{"__topic__":"","__source__":"src","__logs__":[],"__tags__":{}}"#
        );
    }

    #[test]
    fn web_tracking_requests() {
        let json = TrackBody::new("t", "s").finish([("a", "b")]);
        let len = json.len().to_string();
        let body = Bytes::from(json);
        let req = web_tracking_request(
            &ep(PUBLIC),
            "proj",
            "web_log",
            body.clone(),
            TrackStyle::Headers,
        )
        .unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(
            req.url(),
            "https://proj.cn-hangzhou.log.aliyuncs.com/logstores/web_log/track"
        );
        let expected: Vec<(HeaderName, String)> = vec![
            ("host".into(), "proj.cn-hangzhou.log.aliyuncs.com".into()),
            ("content-type".into(), "application/json".into()),
            ("x-log-apiversion".into(), "0.6.0".into()),
            ("x-log-bodyrawsize".into(), len),
        ];
        assert_eq!(req.headers, expected);
        assert_eq!(req.body, body);

        let req = web_tracking_request(
            &ep("http://127.0.0.1:8080"),
            "proj",
            "web_log",
            body.clone(),
            TrackStyle::CorsSimple,
        )
        .unwrap();
        assert_eq!(
            req.url(),
            "http://127.0.0.1:8080/logstores/web_log/track?APIVersion=0.6.0"
        );
        let expected: Vec<(HeaderName, String)> = vec![
            ("host".into(), "proj.127.0.0.1:8080".into()),
            ("content-type".into(), "text/plain;charset=UTF-8".into()),
        ];
        assert_eq!(req.headers, expected);
        assert!(
            !req.headers.iter().any(|(n, _)| n.starts_with("x-")),
            "CORS-simple: no custom headers"
        );

        assert_eq!(
            web_tracking_request(&ep(PUBLIC), "proj", "Bad", body, TrackStyle::Headers)
                .unwrap_err()
                .kind,
            NameKind::Logstore
        );
        assert_eq!(format!("{:?}", TrackStyle::default()), "Headers");
    }
}
