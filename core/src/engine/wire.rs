//! The engine's view of the wire: turn a finished LogGroup into a sealed body and an
//! unsigned request once per batch, sign a copy per attempt, and read logs back out of a
//! sealed body when they must be handed back.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::attempt::Attempt;
use super::key::Route;
use super::retry::Verdict;
use crate::compress::{self, Compression};
use crate::config::{ConfigError, ProducerConfig};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::http::{Bytes, HttpRequest, HttpResponse};
use crate::proto::{self, Log};
use crate::request::{self, PreparedBody, PutLogsTarget};
use crate::response::ServerError;
use crate::sign::{self, SignError, SigningConfig};
use crate::time::UnixTime;

/// A batch's body, built once at seal and shared by every attempt.
#[derive(Debug)]
pub(crate) struct Sealed {
    /// The unsigned request; each attempt clones it (the body is a shared `Bytes`) and signs
    /// the clone.
    request: HttpRequest,
    body: PreparedBody,
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
            compression: config.compression,
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
        let target = self.target(route);
        let version = self.signing.version;
        let body = match target.compression(self.compression) {
            Compression::None => None,
            // Only an unsupported algorithm fails, which config validation rules out;
            // sending the body uncompressed is still correct.
            c => PreparedBody::new(c, &raw, version).ok(),
        }
        .unwrap_or_else(|| {
            let raw_len = raw.len();
            PreparedBody::from_parts(Bytes::from(raw), raw_len, Compression::None, version)
        });
        let request = request::put_logs_request(&self.endpoint, &target, &body, &self.user_agent);
        Sealed { request, body }
    }

    fn target<'a>(&'a self, route: &'a Route) -> PutLogsTarget<'a> {
        let shard_key = route.shard_key().unwrap_or("");
        let processor = self.processor.as_deref().unwrap_or("");
        let target = if self.metric_store {
            PutLogsTarget::metricstore(route.project(), route.logstore())
        } else {
            PutLogsTarget::logstore(route.project(), route.logstore())
        };
        target
            .expect("route names are validated on construction")
            .with_shard_key(shard_key)
            .with_processor(processor)
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
            sealed.body.digest(),
        )?;
        Ok(request)
    }

    /// The logs of a sealed batch, decoded from its body (the only copy the engine keeps).
    /// Empty if the body cannot be read back, which would be an encoder bug.
    pub(crate) fn decode_logs(&self, sealed: &Sealed) -> Vec<Log> {
        let body = sealed.body.body();
        let raw = match sealed.body.compression() {
            Compression::None => None,
            c => compress::decompress_with_limit(c, body, sealed.body.raw_len(), usize::MAX).ok(),
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
