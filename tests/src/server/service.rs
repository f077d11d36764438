//! One HTTP request in, one answer (or a deliberately dropped connection) out.

use core::fmt;
use core::net::SocketAddr;
use core::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use sls_producer_core::rt::UnixTime;

use super::auth::Keyring;
use super::buffers::RawBuffers;
use super::clock::ServerClock;
use super::config::{AuthMode, Limits};
use super::control;
use super::cors;
use super::depth::{DeepChecks, Depth};
use super::error::SlsError;
use super::faults::{Fault, Faults};
use super::host;
use super::ingest::{self, DataRequest};
use super::query::parse_query;
use super::received::ReceivedLogGroup;
use super::registry::Registry;
use super::request_id::RequestIds;
use super::route::{Route, TrackPixel, route};
use super::store::{Accepted, Store};

/// Called with every accepted log group, before it is stored.
pub(crate) type Observer = Arc<dyn Fn(&ReceivedLogGroup) + Send + Sync>;

/// Everything the request handler needs, shared by all connections and the handle.
pub(crate) struct Shared {
    pub(crate) registry: Registry,
    pub(crate) keyring: Keyring,
    pub(crate) auth_mode: AuthMode,
    pub(crate) limits: Limits,
    pub(crate) clock: Arc<dyn ServerClock>,
    pub(crate) endpoint_hosts: Vec<String>,
    pub(crate) store: Store,
    pub(crate) faults: Faults,
    pub(crate) ids: RequestIds,
    pub(crate) observer: Option<Observer>,
    /// Buffers that data request bodies are decompressed into.
    pub(crate) raw_buffers: RawBuffers,
    /// Which undecoded PutLogs requests are checked deeply.
    pub(crate) deep_checks: DeepChecks,
}

impl Shared {
    /// The time by the server's clock (skewed if a fault says so).
    pub(crate) fn now(&self) -> UnixTime {
        self.faults.server_time(self.clock.now())
    }

    /// Whether accepted PutLogs groups are decoded: the store keeps them or an observer
    /// reads them. Otherwise they are only checked and counted.
    pub(crate) fn decodes_log_groups(&self) -> bool {
        !self.store.count_only() || self.observer.is_some()
    }

    /// How deeply the next PutLogs request is checked: fully when its group is decoded
    /// (only the full walk refuses the missing required fields decoding would default),
    /// else as [`DeepChecks`] samples it.
    pub(crate) fn depth_of_next_put(&self) -> Depth {
        if self.decodes_log_groups() {
            Depth::Deep
        } else {
            self.deep_checks.next()
        }
    }
}

/// The service's error: close the connection without answering.
#[derive(Debug)]
pub(crate) struct Abort;

impl fmt::Display for Abort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection closed without an answer")
    }
}

impl core::error::Error for Abort {}

/// The body of a control call is small JSON.
const MAX_CONTROL_BODY: usize = 1024 * 1024;

/// A 1×1 transparent GIF, the answer to `track.gif` pixels.
const PIXEL_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
];

/// Answer one request. `reset` is set when the connection must be closed with a RST.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    peer: SocketAddr,
    reset: Arc<AtomicBool>,
) -> Result<Response<Full<Bytes>>, Abort> {
    let (parts, body) = req.into_parts();
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let route = match route(&parts.method, parts.uri.path(), &query) {
        Ok(r) => r,
        Err(e) => return Ok(error_response(&shared, &parts.headers, &e)),
    };
    match route {
        Route::Preflight => return Ok(preflight(&parts.headers)),
        Route::Control(c) => {
            let body = read_body(body, MAX_CONTROL_BODY).await;
            let (status, json) = match body {
                Ok(b) => control::handle(&shared, c, &query, &b),
                Err(BodyError::TooLarge) => (StatusCode::PAYLOAD_TOO_LARGE, serde_json::json!({})),
                Err(BodyError::Io) => return Err(Abort),
            };
            return Ok(json_response(&shared, &parts.headers, status, &json));
        }
        Route::PutLogs { .. } | Route::TrackPost { .. } | Route::TrackGet { .. } => {}
    }

    shared.store.request_started();
    let body = match read_body(body, shared.limits.max_body_bytes).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            let e = SlsError::post_body_too_large(format!(
                "body size must be less than {}",
                shared.limits.max_body_bytes
            ));
            return Ok(reject(&shared, &parts.headers, &e));
        }
        Err(BodyError::Io) => {
            shared.store.abort();
            return Err(Abort);
        }
    };

    let decision = shared.faults.next_request();
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let mut drop_after_accept = false;
    match decision.fault {
        Some(Fault::Respond(e)) => return Ok(reject(&shared, &parts.headers, &e)),
        Some(Fault::RespondRaw {
            status,
            content_type,
            body,
        }) => {
            shared.store.reject(&format!("HTTP {status}"));
            return Ok(raw_response(&parts.headers, status, &content_type, body));
        }
        Some(Fault::Drop) => {
            shared.store.abort();
            return Err(Abort);
        }
        Some(Fault::Reset) => {
            reset.store(true, Ordering::SeqCst);
            shared.store.abort();
            return Err(Abort);
        }
        Some(Fault::DropAfterAccept) => drop_after_accept = true,
        Some(Fault::Delay(_)) | None => {}
    }

    let now = shared.now();
    if !shared.faults.admit(now) {
        let e = SlsError::write_quota_exceed(
            "Project write quota exceed: rate limit of the local server",
        );
        return Ok(reject(&shared, &parts.headers, &e));
    }

    let mut headers = header_list(&parts.headers);
    host::apply_forwarded_host(&mut headers, &shared.endpoint_hosts);
    let data = DataRequest {
        method: parts.method.as_str().to_owned(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        query,
        headers,
        body,
        peer,
    };
    let (result, pixel) = match route {
        Route::PutLogs { logstore, target } => (
            ingest::put_logs(&shared, &data, &logstore, target, now),
            None,
        ),
        Route::TrackPost { logstore } => (
            ingest::track_post(&shared, &data, &logstore, now)
                .map(|g| Accepted::Group(Box::new(g))),
            None,
        ),
        Route::TrackGet { logstore, pixel } => (
            ingest::track_get(&shared, &data, &logstore, pixel, now)
                .map(|g| Accepted::Group(Box::new(g))),
            Some(pixel),
        ),
        Route::Preflight | Route::Control(_) => unreachable!("answered above"),
    };
    let mut accepted = match result {
        Ok(a) => a,
        Err(e) => return Ok(reject(&shared, &parts.headers, &e)),
    };
    let request_id = shared.ids.next(now.as_secs());
    if let Accepted::Group(group) = &mut accepted {
        group.request_id.clone_from(&request_id);
        if let Some(observer) = &shared.observer {
            observer(group);
        }
    }
    shared.store.accept(accepted);
    if drop_after_accept {
        shared.store.abort();
        return Err(Abort);
    }
    let (content_type, body) = match pixel {
        Some(TrackPixel::Gif | TrackPixel::GifWithUserAgent) => {
            (Some("image/gif"), Bytes::from_static(PIXEL_GIF))
        }
        _ => (None, Bytes::new()),
    };
    let mut resp = Response::new(Full::new(body));
    if let Some(ct) = content_type {
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    set_date(&mut resp, now);
    finish(&parts.headers, &mut resp, Some(&request_id));
    Ok(resp)
}

enum BodyError {
    TooLarge,
    Io,
}

async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Io),
    }
}

/// Header list with lower-case names (as `http` stores them) and values as text.
fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Count a refused data request and answer it.
fn reject(shared: &Shared, req_headers: &HeaderMap, e: &SlsError) -> Response<Full<Bytes>> {
    shared.store.reject(&e.code);
    error_response(shared, req_headers, e)
}

/// An SLS error answer: status, JSON body, `x-log-requestid`, CORS.
pub(crate) fn error_response(
    shared: &Shared,
    req_headers: &HeaderMap,
    e: &SlsError,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(e.to_json())));
    *resp.status_mut() =
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let now = shared.now();
    let id = shared.ids.next(now.as_secs());
    set_date(&mut resp, now);
    finish(req_headers, &mut resp, Some(&id));
    resp
}

/// `Date`: the server's own (possibly skewed) time, as SLS tells it on every answer
/// (hyper would otherwise add the OS clock's).
fn set_date(resp: &mut Response<Full<Bytes>>, now: UnixTime) {
    if let Ok(v) = HeaderValue::from_str(&now.rfc1123()) {
        resp.headers_mut().insert(header::DATE, v);
    }
}

/// A JSON answer of the control API.
fn json_response(
    shared: &Shared,
    req_headers: &HeaderMap,
    status: StatusCode,
    json: &serde_json::Value,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(json.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let id = shared.ids.next(shared.clock.now().as_secs());
    finish(req_headers, &mut resp, Some(&id));
    resp
}

/// A proxy-style answer: no request id.
fn raw_response(
    req_headers: &HeaderMap,
    status: u16,
    content_type: &str,
    body: String,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    finish(req_headers, &mut resp, None);
    resp
}

fn preflight(req_headers: &HeaderMap) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::NO_CONTENT;
    cors::add_preflight_headers(req_headers, resp.headers_mut());
    resp
}

fn finish(req_headers: &HeaderMap, resp: &mut Response<Full<Bytes>>, request_id: Option<&str>) {
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        resp.headers_mut().insert("x-log-requestid", id);
    }
    cors::add_response_headers(req_headers, resp.headers_mut());
}
