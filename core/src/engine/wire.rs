//! The engine's view of the wire: turn a finished body (a LogGroup for PutLogs, a JSON
//! body for web tracking) into a sealed body and an unsigned request once per batch, and
//! sign a copy per attempt (web-tracking requests are sent as sealed).
//!
//! One [`Wire`] per destination: the producer's, and one for each configured project,
//! which differs from it only in its endpoint and signature settings.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::attempt::Attempt;
use super::key::Route;
use crate::config::{ConfigError, ProducerConfig, ProjectConfig, WireMode};
use crate::credentials::Credentials;
use crate::protocol::compress::{Compression, Compressor, ZstdLevel};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::http::{Bytes, HttpRequest, HttpResponse};
use crate::protocol::request::{self, PreparedBody, PutLogsTarget};
use crate::protocol::response::ServerError;
#[cfg(feature = "signing")]
use crate::protocol::sign;
use crate::protocol::sign::{SignError, SignatureVersion, SigningConfig};
use crate::protocol::time::UnixTime;

/// A batch's body, built once at seal and shared by every attempt.
#[derive(Debug)]
pub(crate) struct Sealed {
    /// The unsigned request; each attempt clones it (the body is a shared `Bytes`) and signs
    /// the clone.
    request: HttpRequest,
    body: PreparedBody,
}

impl Sealed {
    /// Bytes of the uncompressed LogGroup.
    pub(crate) fn raw_len(&self) -> usize {
        self.body.raw_len()
    }

    /// Bytes of the body as sent.
    pub(crate) fn body_len(&self) -> usize {
        self.body.body().len()
    }

    /// The body as sent, with its raw size and compression (what a spool keeps).
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn prepared(&self) -> &PreparedBody {
        &self.body
    }

    /// The body, for a failed batch to hand its logs back from.
    pub(crate) fn into_body(self) -> PreparedBody {
        self.body
    }
}

/// Everything about the requests of one destination that is fixed for the producer's
/// lifetime.
#[derive(Clone, Debug)]
pub(crate) struct Wire {
    mode: WireMode,
    endpoint: Endpoint,
    compression: Compression,
    zstd_level: ZstdLevel,
    signing: SigningConfig,
    /// Sent with PutLogs only.
    #[cfg_attr(not(feature = "signing"), allow(dead_code))]
    user_agent: String,
    /// Sent with PutLogs only.
    #[cfg_attr(not(feature = "signing"), allow(dead_code))]
    processor: Option<String>,
    metric_store: bool,
    tags: Vec<(String, String)>,
}

impl Wire {
    pub(crate) fn new(config: &ProducerConfig) -> Result<Self, ConfigError> {
        let endpoint = config.parsed_endpoint()?;
        let signing = match config.wire.signs() {
            Some(_) => SigningConfig {
                version: config.effective_signature_version(),
                region: config.effective_region(),
                date_header: config.date_header,
            },
            // Web tracking signs nothing.
            None => SigningConfig {
                date_header: config.date_header,
                ..SigningConfig::default()
            },
        };
        Ok(Self {
            mode: config.wire,
            endpoint,
            compression: config.compression,
            zstd_level: config.checked_zstd_level()?,
            signing,
            user_agent: config.user_agent.clone(),
            processor: config.processor.clone(),
            metric_store: config.use_metric_store_url,
            tags: config.log_tags.clone(),
        })
    }

    /// The wire of a project with its own endpoint and signature settings (`inherited`:
    /// the producer's configured signature version, for a project that sets none; web
    /// tracking has none); everything else is this wire's.
    pub(crate) fn for_project(
        &self,
        project: &ProjectConfig,
        inherited: SignatureVersion,
    ) -> Result<Self, ConfigError> {
        let signing = match self.mode.signs() {
            Some(_) => project.signing(inherited)?,
            None => SigningConfig::default(),
        };
        Ok(Self {
            endpoint: project.parsed_endpoint()?,
            signing: SigningConfig {
                date_header: self.signing.date_header,
                ..signing
            },
            ..self.clone()
        })
    }

    /// Where requests go.
    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The configured LogGroup tags, in order.
    pub(crate) fn tags(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Compress and (for PutLogs) digest a finished body (a LogGroup, or a web-tracking
    /// JSON body) and build its unsigned request.
    ///
    /// Uncompressed bodies share `raw`'s buffer; compressed ones get a buffer of exactly
    /// their size.
    pub(crate) fn seal(&self, route: &Route, raw: &Bytes, compressor: &mut Compressor) -> Sealed {
        let compression = match self.mode {
            WireMode::PutLogs => {
                PutLogsTarget::compression_for(self.metric_store, self.compression)
            }
            WireMode::WebTracking(_) => self.compression,
        };
        let compressed = match compression {
            Compression::None => None,
            // Only an unsupported algorithm (which config validation rules out) or libzstd
            // failing to allocate fails; sending the body uncompressed is still correct.
            c => compressor
                .compress(c, self.zstd_level, raw)
                .ok()
                .map(|body| (Bytes::from(body), c)),
        };
        let (body, compression) = compressed.unwrap_or_else(|| (raw.clone(), Compression::None));
        self.reseal(route, body, raw.len(), compression)
    }

    /// The sealed form of a body compressed earlier (replayed from a spool): digested and
    /// wrapped in its unsigned request, not compressed again.
    pub(crate) fn reseal(
        &self,
        route: &Route,
        body: Bytes,
        raw_len: usize,
        compression: Compression,
    ) -> Sealed {
        match self.mode {
            #[cfg(not(feature = "signing"))]
            WireMode::PutLogs => unreachable!("PutLogs needs the `signing` feature (validated)"),
            #[cfg(feature = "signing")]
            WireMode::PutLogs => {
                let version = self.signing.version;
                let body = PreparedBody::from_parts(body, raw_len, compression, version);
                let target = self.target(route);
                let request =
                    request::put_logs_request(&self.endpoint, &target, &body, &self.user_agent);
                Sealed { request, body }
            }
            WireMode::WebTracking(style) => {
                let body = PreparedBody::unsigned(body, raw_len, compression);
                let request = request::web_tracking_request(
                    &self.endpoint,
                    route.project(),
                    route.logstore(),
                    &body,
                    style,
                )
                .unwrap_or_else(|_| unreachable!("route names are validated on construction"));
                Sealed { request, body }
            }
        }
    }

    #[cfg_attr(not(feature = "signing"), allow(dead_code))]
    fn target<'a>(&'a self, route: &'a Route) -> PutLogsTarget<'a> {
        let shard_key = route.shard_key().unwrap_or("");
        let processor = self.processor.as_deref().unwrap_or("");
        let target = if self.metric_store {
            PutLogsTarget::metricstore(route.project(), route.logstore())
        } else {
            PutLogsTarget::logstore(route.project(), route.logstore())
        };
        // Not `expect`: that would link `InvalidName`'s `Debug` (and `str`'s) into every
        // build.
        target
            .unwrap_or_else(|_| unreachable!("route names are validated on construction"))
            .with_shard_key(shard_key)
            .with_processor(processor)
    }

    /// The batch's request for one attempt at `wall`: a signed copy for PutLogs (with
    /// `credentials`, which a signed wire's batches wait for), the request as sealed for
    /// web tracking.
    pub(crate) fn sign(
        &self,
        sealed: &Sealed,
        credentials: Option<&Credentials>,
        wall: UnixTime,
    ) -> Result<HttpRequest, SignError> {
        let mut request = sealed.request.clone();
        // Only a body built with the `signing` feature has a digest.
        #[cfg(feature = "signing")]
        if let Some(digest) = sealed.body.digest() {
            let credentials = credentials.ok_or(SignError::InvalidCredentials)?;
            sign::sign_request(&mut request, credentials, &self.signing, wall, digest)?;
        }
        #[cfg(not(feature = "signing"))]
        let _ = (credentials, wall, &mut request);
        Ok(request)
    }
}

/// The attempt record of a response.
pub(crate) fn attempt_from_response(
    response: &HttpResponse,
    wall: UnixTime,
    duration: Duration,
) -> Attempt {
    if response.status == 200 {
        let request_id = response
            .header(crate::protocol::response::REQUEST_ID_HEADER)
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(String::from);
        return Attempt::success(request_id, wall, duration);
    }
    let error = ServerError::from_response(response);
    Attempt::failure(
        Some(error.status),
        error.request_id,
        error.code,
        error.message,
        wall,
        duration,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::proto;
    use crate::protocol::sign::{DateHeader, SignatureVersion};

    const SECRET: &str = "testAccessKeySecret";

    fn signed(config: &ProducerConfig) -> HttpRequest {
        let wire = Wire::new(config).unwrap();
        let route = Route::new("my-project", "app").unwrap();
        let raw = proto::LogGroupEncoder::with_capacity(64).finish("", "", wire.tags());
        let sealed = wire.seal(&route, &Bytes::from(raw), &mut Compressor::new());
        let credentials = Credentials::new("testAccessKeyId", SECRET);
        wire.sign(
            &sealed,
            Some(&credentials),
            UnixTime::from_secs(1_795_570_830),
        )
        .unwrap()
    }

    /// The signature version of a signed request's `authorization` header.
    fn version(req: &HttpRequest) -> SignatureVersion {
        let auth = req.header("authorization").unwrap();
        if auth.starts_with("LOG testAccessKeyId:") {
            SignatureVersion::V1
        } else {
            assert!(auth.starts_with("SLS4-HMAC-SHA256 Credential=testAccessKeyId/"));
            SignatureVersion::V4
        }
    }

    #[test]
    fn v1_dates_go_where_the_config_says() {
        let config = ProducerConfig::new("http://127.0.0.1:8080");
        let req = signed(&config);
        assert_eq!(req.header("date"), Some("Wed, 25 Nov 2026 01:40:30 GMT"));
        assert_eq!(req.header("x-log-date"), None);
        assert_eq!(version(&req), SignatureVersion::V1);

        // For fetch-based runtimes, which may not set `Date`.
        let req = signed(&config.with_date_header(DateHeader::XLogDate));
        assert_eq!(req.header("date"), None);
        assert_eq!(
            req.header("x-log-date"),
            Some("Wed, 25 Nov 2026 01:40:30 GMT")
        );
        assert_eq!(version(&req), SignatureVersion::V1);
    }

    #[test]
    fn v4_ignores_the_v1_date_header_choice() {
        let config = ProducerConfig::new("http://127.0.0.1:8080")
            .with_signature_version(SignatureVersion::V4)
            .with_region("cn-test");
        for date_header in [DateHeader::Date, DateHeader::XLogDate] {
            let req = signed(&config.clone().with_date_header(date_header));
            assert_eq!(req.header("date"), None);
            assert_eq!(req.header("x-log-date"), Some("20261125T014030Z"));
            assert_eq!(version(&req), SignatureVersion::V4);
        }
    }
}
