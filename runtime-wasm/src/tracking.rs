//! [`WebTrackingTransport`]: anonymous web tracking (`POST /logstores/{logstore}/track`)
//! with the producer's batching, retries, flush and close.
//!
//! The engine only speaks PutLogs. This transport sits between the engine and a real
//! transport and rewrites each PutLogs request into the equivalent web-tracking request:
//!
//! ```text
//!  engine ──PutLogs(protobuf LogGroup, signed)──► WebTrackingTransport
//!         ──POST /logstores/{ls}/track (JSON, unsigned)──► FetchTransport ──► SLS
//! ```
//!
//! Pure Rust, compiled and unit-tested on every target.

use std::sync::Arc;

use async_trait::async_trait;
use sls_producer_core::protocol::compress::{self, Compression};
use sls_producer_core::protocol::endpoint::Endpoint;
use sls_producer_core::protocol::proto;
use sls_producer_core::protocol::request::{TrackBody, TrackStyle, web_tracking_request};
use sls_producer_core::rt::{Bytes, HttpRequest, HttpResponse};
use sls_producer_core::rt::{HttpTransport, TransportError, TransportErrorKind};

/// An [`HttpTransport`] that sends the engine's PutLogs requests as anonymous web-tracking
/// requests through another transport.
///
/// Use it for code that runs where no secret can be kept (web pages): the logstore must
/// have web tracking enabled, and nothing is signed, so the credentials the producer is
/// given are never sent: any placeholder the builder accepts (non-empty) works, e.g.
/// `Credentials::new("anonymous", "anonymous")`.
///
/// What changes on the way:
///
/// * The path becomes `/logstores/{logstore}/track`; shard routing (`shards/route?key=`)
///   and processors do not exist for web tracking and are dropped.
/// * The body becomes the web-tracking JSON (`__topic__`, `__source__`, `__logs__`,
///   `__tags__`), every value a string. Log times are **not** sent: SLS stamps each log
///   with its arrival time. Configure the producer with [`Compression::None`] to spare
///   the compression that is undone here (compressed bodies work too).
/// * Signature headers (`authorization`, `x-log-signaturemethod`, `content-md5`, dates,
///   `x-acs-security-token`) are not sent. [`TrackStyle`] decides the rest:
///   [`TrackStyle::CorsSimple`] (the default here, as the official browser SDK sends it)
///   needs no CORS preflight.
///
/// Responses are passed back untouched, so the engine's retry rules apply as for PutLogs.
/// A logstore without web tracking answers 401; add 401 to the producer's
/// `no_retry_status_codes` to fail such sends at once instead of retrying them.
#[derive(Clone)]
pub struct WebTrackingTransport {
    inner: Arc<dyn HttpTransport>,
    endpoint: Endpoint,
    style: TrackStyle,
}

impl core::fmt::Debug for WebTrackingTransport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WebTrackingTransport")
            .field("endpoint", &self.endpoint)
            .field("style", &self.style)
            .finish_non_exhaustive()
    }
}

impl WebTrackingTransport {
    /// Send through `inner` to `endpoint` (the producer's), CORS-simple.
    pub fn new(inner: impl HttpTransport + 'static, endpoint: Endpoint) -> Self {
        Self {
            inner: Arc::new(inner),
            endpoint,
            style: TrackStyle::CorsSimple,
        }
    }

    /// How the web-tracking requests are dressed (builder style).
    #[must_use]
    pub fn with_style(mut self, style: TrackStyle) -> Self {
        self.style = style;
        self
    }

    /// The style requests are sent in.
    pub fn style(&self) -> TrackStyle {
        self.style
    }
}

#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
impl HttpTransport for WebTrackingTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        match to_web_tracking(&request, &self.endpoint, self.style) {
            Ok(track) => self.inner.send(track).await,
            Err(reason) => Err(TransportError::new(
                TransportErrorKind::Other,
                reason.message(),
            )),
        }
    }

    /// The inner transport's answer. Web-tracking requests carry no date at all, so it
    /// only keeps a producer's `DateHeader` choice consistent with what the inner
    /// transport could send.
    fn can_set_date_header(&self) -> bool {
        self.inner.can_set_date_header()
    }
}

/// Why a request could not be turned into a web-tracking request. Only requests that the
/// producer's engine did not build can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotPutLogs {
    /// The path is not `/logstores/{logstore}[/...]`.
    Path,
    /// The `host` header does not name a project on the endpoint.
    Host,
    /// The body does not decompress or is not a `LogGroup`.
    Body,
}

impl NotPutLogs {
    fn message(self) -> &'static str {
        match self {
            Self::Path => "web tracking: the request is not PutLogs to a logstore",
            Self::Host => "web tracking: the request's host names no project on the endpoint",
            Self::Body => "web tracking: the request body is not a LogGroup",
        }
    }
}

/// The web-tracking request equivalent to the PutLogs `request`.
pub(crate) fn to_web_tracking(
    request: &HttpRequest,
    endpoint: &Endpoint,
    style: TrackStyle,
) -> Result<HttpRequest, NotPutLogs> {
    let logstore = request
        .path()
        .strip_prefix("/logstores/")
        .and_then(|rest| rest.split('/').next())
        .filter(|ls| !ls.is_empty())
        .ok_or(NotPutLogs::Path)?;
    let suffix = endpoint.host_header_for("");
    let project = request
        .header("host")
        .and_then(|host| host.strip_suffix(suffix.as_str()))
        .filter(|p| !p.is_empty())
        .ok_or(NotPutLogs::Host)?;

    let group = decode_body(request).ok_or(NotPutLogs::Body)?;
    let mut body = TrackBody::new(
        group.topic.as_deref().unwrap_or(""),
        group.source.as_deref().unwrap_or(""),
    );
    for log in &group.logs {
        body.push_log(log.contents());
    }
    let json = body.finish(
        group
            .log_tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str())),
    );
    web_tracking_request(endpoint, project, logstore, Bytes::from(json), style)
        .map_err(|_| NotPutLogs::Path)
}

fn decode_body(request: &HttpRequest) -> Option<proto::LogGroup> {
    let compression = match request.header("x-log-compresstype") {
        None => Compression::None,
        Some(value) => Compression::from_header_value(value)?,
    };
    let raw: Vec<u8>;
    let bytes = match compression {
        Compression::None => &request.body[..],
        c => {
            let raw_len = request.header("x-log-bodyrawsize")?.parse().ok()?;
            raw = compress::decompress(c, &request.body, raw_len).ok()?;
            &raw[..]
        }
    };
    proto::decode_log_group(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::future::Future;
    use sls_producer_core::credentials::Credentials;
    use sls_producer_core::protocol::proto::{Log, LogGroupEncoder};
    use sls_producer_core::protocol::request::{PreparedBody, PutLogsTarget, put_logs_request};
    use sls_producer_core::protocol::sign::{SignatureVersion, SigningConfig, sign_request};
    use sls_producer_core::rt::Method;
    use sls_producer_core::rt::UnixTime;
    use std::sync::Mutex;

    fn put_logs(endpoint: &Endpoint, compression: Compression, key: &str) -> HttpRequest {
        let mut encoder = LogGroupEncoder::new();
        encoder.push(&Log::new(1_700_000_000).with_content("page", "/home"));
        encoder.push(
            &Log::new(1_700_000_001)
                .with_content("page", "/about \"x\"")
                .with_content("n", "2"),
        );
        let raw = encoder.finish("clicks", "10.0.0.1", [("__pack_id__", "AB-0")]);
        let body = PreparedBody::new(compression, &raw, SignatureVersion::V1).unwrap();
        let target = PutLogsTarget::logstore("my-project", "web-logs")
            .unwrap()
            .with_shard_key(key);
        let mut request = put_logs_request(endpoint, &target, &body, "");
        sign_request(
            &mut request,
            &Credentials::new("anonymous", "").with_security_token("tok"),
            &SigningConfig::v1(),
            UnixTime::from_secs(1_700_000_000),
            body.digest(),
        )
        .unwrap();
        request
    }

    const JSON: &str = r#"{"__topic__":"clicks","__source__":"10.0.0.1","__logs__":[{"page":"/home"},{"page":"/about \"x\"","n":"2"}],"__tags__":{"__pack_id__":"AB-0"}}"#;

    #[test]
    fn put_logs_becomes_an_unsigned_track_post_with_the_same_logs() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        for compression in [Compression::None, Compression::Lz4] {
            let request = put_logs(&endpoint, compression, "f4000000000000000000000000000000");
            let track = to_web_tracking(&request, &endpoint, TrackStyle::CorsSimple).unwrap();
            assert_eq!(track.method, Method::Post);
            assert_eq!(track.authority, "127.0.0.1:8080");
            assert_eq!(
                track.path_and_query,
                "/logstores/web-logs/track?APIVersion=0.6.0"
            );
            assert_eq!(track.header("host"), Some("my-project.127.0.0.1:8080"));
            assert_eq!(
                track.header("content-type"),
                Some("text/plain;charset=UTF-8")
            );
            for secret in [
                "authorization",
                "x-acs-security-token",
                "content-md5",
                "date",
                "x-log-date",
                "x-log-signaturemethod",
                "x-log-compresstype",
            ] {
                assert_eq!(track.header(secret), None, "{secret}");
            }
            assert_eq!(core::str::from_utf8(&track.body).unwrap(), JSON);
        }
    }

    #[test]
    fn headers_style_and_public_endpoints() {
        let endpoint = Endpoint::parse("cn-hangzhou.log.aliyuncs.com").unwrap();
        let request = put_logs(&endpoint, Compression::Lz4, "");
        let track = to_web_tracking(&request, &endpoint, TrackStyle::Headers).unwrap();
        assert_eq!(
            track.url(),
            "https://my-project.cn-hangzhou.log.aliyuncs.com/logstores/web-logs/track"
        );
        assert_eq!(track.header("x-log-apiversion"), Some("0.6.0"));
        assert_eq!(core::str::from_utf8(&track.body).unwrap(), JSON);
        assert_eq!(track.header("x-log-bodyrawsize"), Some("142"));
        assert_eq!(JSON.len(), 142);
    }

    #[test]
    fn requests_the_engine_never_builds_are_refused() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        let good = put_logs(&endpoint, Compression::Lz4, "");
        let style = TrackStyle::CorsSimple;

        let mut bad_path = good.clone();
        bad_path.path_and_query = String::from("/prometheus/p/m/api/v1/write");
        assert_eq!(
            to_web_tracking(&bad_path, &endpoint, style),
            Err(NotPutLogs::Path)
        );

        let other = Endpoint::parse("http://127.0.0.1:9090").unwrap();
        assert_eq!(to_web_tracking(&good, &other, style), Err(NotPutLogs::Host));

        let mut bad_body = good.clone();
        bad_body.body = Bytes::from_static(b"\x01\x02");
        assert_eq!(
            to_web_tracking(&bad_body, &endpoint, style),
            Err(NotPutLogs::Body)
        );
        let mut unknown = good.clone();
        unknown
            .headers
            .retain(|(n, _)| n.as_ref() != "x-log-compresstype");
        unknown
            .headers
            .push(("x-log-compresstype".into(), "deflate".into()));
        assert_eq!(
            to_web_tracking(&unknown, &endpoint, style),
            Err(NotPutLogs::Body)
        );
    }

    struct Recorder(Mutex<Vec<HttpRequest>>);

    #[cfg_attr(not(wasm_browser), async_trait)]
    #[cfg_attr(wasm_browser, async_trait(?Send))]
    impl HttpTransport for Recorder {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.0.lock().unwrap().push(request);
            Ok(HttpResponse::new(200))
        }

        fn can_set_date_header(&self) -> bool {
            false
        }
    }

    #[test]
    fn the_transport_forwards_converted_requests_and_fails_others_without_sending() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        let recorder = Arc::new(Recorder(Mutex::new(Vec::new())));
        let transport = WebTrackingTransport::new(recorder.clone(), endpoint.clone());
        assert_eq!(transport.style(), TrackStyle::CorsSimple);
        assert!(
            !transport.can_set_date_header(),
            "the inner transport's answer"
        );

        let response = ready_output(transport.send(put_logs(&endpoint, Compression::None, "")));
        assert_eq!(response.unwrap().status, 200);
        let sent = recorder.0.lock().unwrap().clone();
        assert_eq!(sent.len(), 1);
        assert_eq!(core::str::from_utf8(&sent[0].body).unwrap(), JSON);

        let mut bad = put_logs(&endpoint, Compression::None, "");
        bad.body = Bytes::from_static(b"\xff");
        let err = ready_output(transport.send(bad)).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Other);
        assert_eq!(recorder.0.lock().unwrap().len(), 1, "nothing else was sent");
    }

    /// Poll a future that is ready at once (the recorder answers synchronously).
    fn ready_output<F: Future>(f: F) -> F::Output {
        let mut f = core::pin::pin!(f);
        let cx = &mut core::task::Context::from_waker(core::task::Waker::noop());
        match f.as_mut().poll(cx) {
            core::task::Poll::Ready(out) => out,
            core::task::Poll::Pending => panic!("the recorder answers at once"),
        }
    }
}
