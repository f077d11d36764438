//! The engine's view of the wire: turn a finished LogGroup into a sealed body and an
//! unsigned request once per batch, sign a copy per attempt, and read logs back out of a
//! sealed body when they must be handed back.

use alloc::format;
use alloc::string::{String, ToString as _};
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use super::attempt::Attempt;
use super::key::Route;
use super::retry::Verdict;
use crate::compress::{self, Compression};
use crate::config::{ConfigError, ProducerConfig};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::http::{Bytes, HeaderName, HttpRequest, HttpResponse, Method};
use crate::proto::{self, Log};
use crate::response::ServerError;
use crate::sign::{self, BodyDigest, SignError, SigningConfig};
use crate::time::UnixTime;

/// A batch's body, built once at seal and shared by every attempt.
#[derive(Debug)]
pub(crate) struct Sealed {
    /// The unsigned request; each attempt clones it (the body is a shared `Bytes`) and signs
    /// the clone.
    request: HttpRequest,
    digest: BodyDigest,
    compression: Compression,
    raw_len: usize,
}

/// Everything about requests that is fixed for the producer's lifetime.
#[derive(Debug)]
pub(crate) struct Wire {
    endpoint: Endpoint,
    compression: Compression,
    signing: SigningConfig,
    user_agent: String,
    processor: Option<String>,
    metric_store: bool,
    tags: Vec<(String, String)>,
}

impl Wire {
    pub(crate) fn new(config: &ProducerConfig) -> Result<Self, ConfigError> {
        let endpoint = config.parsed_endpoint()?;
        let signing = SigningConfig {
            version: config.effective_signature_version(),
            region: config.effective_region(),
            ..SigningConfig::default()
        };
        Ok(Self {
            endpoint,
            // The MetricStore remote-write path only takes LZ4 (as in the Go producer).
            compression: if config.use_metric_store_url {
                Compression::Lz4
            } else {
                config.compression
            },
            signing,
            user_agent: config.user_agent.clone(),
            processor: config.processor.clone(),
            metric_store: config.use_metric_store_url,
            tags: config.log_tags.clone(),
        })
    }

    /// The configured LogGroup tags, in order.
    pub(crate) fn tags(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Compress and digest a finished LogGroup and build its unsigned request.
    pub(crate) fn seal(&self, route: &Route, raw: Vec<u8>) -> Sealed {
        let raw_len = raw.len();
        let (compression, body) = match self.compression {
            Compression::None => (Compression::None, raw),
            c => match compress::compress(c, &raw) {
                Ok(body) => (c, body),
                // Only an unsupported algorithm fails, which config validation rules out;
                // sending the body uncompressed is still correct.
                Err(_) => (Compression::None, raw),
            },
        };
        let body = Bytes::from(body);
        let digest = BodyDigest::for_version(self.signing.version, &body);
        let request = PutLogsRequest {
            endpoint: &self.endpoint,
            project: route.project(),
            logstore: route.logstore(),
            shard_key: route.shard_key().as_ref().map(|k| k.as_str()),
            processor: self.processor.as_deref(),
            metric_store: self.metric_store,
            compression,
            raw_len,
            user_agent: &self.user_agent,
        }
        .build(body);
        Sealed {
            request,
            digest,
            compression,
            raw_len,
        }
    }

    /// A signed copy of the batch's request for one attempt at `wall`.
    pub(crate) fn sign(
        &self,
        sealed: &Sealed,
        credentials: &Credentials,
        wall: UnixTime,
    ) -> Result<HttpRequest, SignError> {
        let mut request = sealed.request.clone();
        sign::sign_request(
            &mut request,
            credentials,
            &self.signing,
            wall,
            &sealed.digest,
        )?;
        Ok(request)
    }

    /// The logs of a sealed batch, decoded from its body (the only copy the engine keeps).
    /// Empty if the body cannot be read back, which would be an encoder bug.
    pub(crate) fn decode_logs(&self, sealed: &Sealed) -> Vec<Log> {
        let body = &sealed.request.body;
        let raw = match sealed.compression {
            Compression::None => None,
            c => compress::decompress_with_limit(c, body, sealed.raw_len, usize::MAX).ok(),
        };
        let bytes = raw.as_deref().unwrap_or(body);
        proto::decode_log_group(bytes)
            .map(|group| group.logs)
            .unwrap_or_default()
    }
}

/// The attempt record of a response, classified as `verdict`.
pub(crate) fn attempt_from_response(
    response: &HttpResponse,
    verdict: Verdict,
    wall: UnixTime,
    duration: Duration,
) -> Attempt {
    if verdict == Verdict::Delivered {
        let request_id = response
            .header(crate::response::REQUEST_ID_HEADER)
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

/// The unsigned PutLogs request of one batch.
// Interim: replaced by the shared builder of `crate::request` once it exists.
struct PutLogsRequest<'a> {
    endpoint: &'a Endpoint,
    project: &'a str,
    logstore: &'a str,
    shard_key: Option<&'a str>,
    processor: Option<&'a str>,
    metric_store: bool,
    compression: Compression,
    raw_len: usize,
    user_agent: &'a str,
}

impl PutLogsRequest<'_> {
    fn build(self, body: Bytes) -> HttpRequest {
        let path_and_query = if self.metric_store {
            format!(
                "/prometheus/{}/{}/api/v1/write",
                self.project, self.logstore
            )
        } else {
            let mut p = match self.shard_key {
                Some(key) => format!("/logstores/{}/shards/route?key={key}", self.logstore),
                None => format!("/logstores/{}", self.logstore),
            };
            if let Some(processor) = self.processor {
                p.push(if self.shard_key.is_some() { '&' } else { '?' });
                p.push_str("processor=");
                p.push_str(processor);
            }
            p
        };
        let mut headers: Vec<(HeaderName, String)> = vec![
            ("host".into(), self.endpoint.host_header_for(self.project)),
            ("content-type".into(), "application/x-protobuf".into()),
            ("x-log-apiversion".into(), "0.6.0".into()),
            ("x-log-bodyrawsize".into(), self.raw_len.to_string()),
            ("user-agent".into(), self.user_agent.into()),
        ];
        if let Some(value) = self.compression.header_value() {
            headers.push(("x-log-compresstype".into(), value.into()));
        }
        HttpRequest {
            method: Method::Post,
            scheme: self.endpoint.scheme(),
            authority: self.endpoint.authority_for(self.project),
            path_and_query,
            headers,
            body,
        }
    }
}
