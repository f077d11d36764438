//! The checks of data requests (PutLogs and web tracking), in the order SLS makes them,
//! ending in an accepted log group or an SLS error.

use core::net::SocketAddr;

use sls_producer_core::config::Compression;
use sls_producer_core::protocol::proto::decode_log_group;
use sls_producer_core::rt::UnixTime;

use super::auth::{self, AuthContext, Authenticated, header};
use super::body::{RawSizeCheck, decompress_body};
use super::content::check_contents;
use super::depth::Depth;
use super::error::SlsError;
use super::host::project_from_host;
use super::received::{AuthKind, Ingest, ReceivedLogGroup};
use super::route::{ShardTarget, TrackPixel};
use super::service::Shared;
use super::store::{Accepted, GroupSize};
use super::webtrack::{LogTimes, log_group_from_json, log_group_from_query};
use super::wire::{count_logs, count_top_level_logs};

/// The only API version SLS serves.
const API_VERSION: &str = "0.6.0";

/// A data request, read whole.
pub(crate) struct DataRequest {
    pub(crate) method: String,
    /// Raw path and query, as sent (the signature covers them).
    pub(crate) path_and_query: String,
    /// Decoded query parameters.
    pub(crate) query: Vec<(String, String)>,
    /// Headers with lower-case names.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: bytes::Bytes,
    pub(crate) peer: SocketAddr,
}

impl DataRequest {
    fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    fn project(&self, shared: &Shared) -> Result<String, SlsError> {
        let host = self
            .header("host")
            .ok_or_else(|| SlsError::invalid_host(""))?;
        let project = project_from_host(host, &shared.endpoint_hosts)
            .ok_or_else(|| SlsError::invalid_host(host))?;
        shared.registry.check_project(project)?;
        Ok(project.to_owned())
    }

    fn auth_context<'a>(&self, shared: &'a Shared, now: UnixTime, depth: Depth) -> AuthContext<'a> {
        AuthContext {
            mode: shared.auth_mode,
            keyring: &shared.keyring,
            now,
            max_skew: shared.limits.max_time_skew,
            sts_expired: shared.faults.sts_tokens_expired(),
            depth,
        }
    }

    fn authenticate(
        &self,
        shared: &Shared,
        now: UnixTime,
        depth: Depth,
    ) -> Result<Authenticated, SlsError> {
        auth::authenticate(
            &self.auth_context(shared, now, depth),
            &self.method,
            &self.path_and_query,
            &self.headers,
            &self.body,
        )
    }

    /// `x-log-apiversion`, or (web tracking only) the `APIVersion` query parameter.
    fn check_api_version(&self, query_too: bool) -> Result<(), SlsError> {
        let from_query = || {
            query_too
                .then(|| self.query.iter().find(|(k, _)| k == "APIVersion"))
                .flatten()
                .map(|(_, v)| v.as_str())
        };
        match self.header("x-log-apiversion").or_else(from_query) {
            None => Err(SlsError::missing_api_version()),
            Some(v) if v.trim() != API_VERSION => Err(SlsError::invalid_api_version(v)),
            Some(_) => Ok(()),
        }
    }

    fn client_ip(&self) -> String {
        self.peer.ip().to_string()
    }
}

fn check_count(shared: &Shared, n: usize) -> Result<(), SlsError> {
    let max = shared.limits.max_logs_per_request;
    if n > max {
        return Err(SlsError::post_body_too_large(format!(
            "log count {n} must be no more than {max}"
        )));
    }
    Ok(())
}

/// `POST /logstores/{ls}[/shards/lb | /shards/route?key=]`: the decoded group, or only its
/// counts when nobody will read it. Groups that are decoded are checked in full; the others
/// as deeply as the server's sample says ([`Shared::depth_of_next_put`]).
pub(crate) fn put_logs(
    shared: &Shared,
    req: &DataRequest,
    logstore: &str,
    target: ShardTarget,
    now: UnixTime,
) -> Result<Accepted, SlsError> {
    let depth = shared.depth_of_next_put();
    let project = req.project(shared)?;
    req.check_api_version(false)?;
    let who = req.authenticate(shared, now, depth)?;
    shared.registry.logstore(&project, logstore)?;
    let content_type = essence(req.header("content-type"));
    let (ingest, check) = match content_type.as_deref() {
        Some("application/x-protobuf") => (Ingest::PutLogs, RawSizeCheck::Exact),
        Some("application/json") => (Ingest::PutLogsJson, RawSizeCheck::SyntaxOnly),
        None if req.body.is_empty() => (Ingest::PutLogs, RawSizeCheck::Exact),
        None => return Err(SlsError::missing_content_type()),
        Some(_) => {
            return Err(SlsError::invalid_content_type(
                req.header("content-type").unwrap_or(""),
            ));
        }
    };
    let mut buffer = shared.raw_buffers.lease();
    let (compression, raw) =
        decompress_body(&req.headers, &req.body, &shared.limits, check, &mut buffer)?;
    let log_group = if ingest == Ingest::PutLogsJson {
        let log_group = log_group_from_json(raw, LogTimes::FromField(now), &req.client_ip())?;
        check_count(shared, log_group.logs.len())?;
        log_group
    } else {
        // The walk refuses what decoding refuses and also a missing required field, which
        // prost would default; counting mode stops there, with nothing built. A shallow
        // request (never a decoded one) gets only the group's own fields walked.
        let logs = match depth {
            Depth::Deep => count_logs(raw),
            Depth::Shallow => count_top_level_logs(raw),
        }
        .map_err(SlsError::post_body_invalid)?;
        check_count(shared, logs)?;
        if !shared.decodes_log_groups() {
            return Ok(Accepted::Counted {
                project,
                logstore: logstore.to_owned(),
                size: GroupSize {
                    logs,
                    raw_bytes: raw.len(),
                    wire_bytes: req.body.len(),
                },
            });
        }
        let log_group = decode_log_group(raw).map_err(SlsError::post_body_invalid)?;
        check_contents(&log_group)?;
        log_group
    };
    Ok(Accepted::Group(Box::new(ReceivedLogGroup {
        request_id: String::new(),
        project,
        logstore: logstore.to_owned(),
        target,
        ingest,
        compression,
        auth: who.kind,
        access_key_id: who.access_key_id,
        security_token: who.security_token,
        wire_bytes: req.body.len(),
        raw_bytes: raw.len(),
        log_group,
    })))
}

/// `POST /logstores/{ls}/track` (JSON body; anonymous when the logstore enables web
/// tracking, or signed like PutLogs).
pub(crate) fn track_post(
    shared: &Shared,
    req: &DataRequest,
    logstore: &str,
    now: UnixTime,
) -> Result<ReceivedLogGroup, SlsError> {
    let project = req.project(shared)?;
    req.check_api_version(true)?;
    let who = if req.header("authorization").is_some() {
        let who = req.authenticate(shared, now, Depth::Deep)?;
        shared.registry.logstore(&project, logstore)?;
        who
    } else {
        require_tracking(shared, &project, logstore)?;
        anonymous()
    };
    // PutWebtracking documents LZ4 (and deflate) only.
    if let Some(zstd) = req
        .header("x-log-compresstype")
        .filter(|t| t.trim() == "zstd")
    {
        return Err(SlsError::invalid_compress_type(zstd));
    }
    let mut buffer = shared.raw_buffers.lease();
    let (compression, raw) = decompress_body(
        &req.headers,
        &req.body,
        &shared.limits,
        RawSizeCheck::SyntaxOnly,
        &mut buffer,
    )?;
    let log_group = log_group_from_json(raw, LogTimes::Arrival(now), &req.client_ip())?;
    check_count(shared, log_group.logs.len())?;
    Ok(ReceivedLogGroup {
        request_id: String::new(),
        project,
        logstore: logstore.to_owned(),
        target: ShardTarget::Default,
        ingest: Ingest::TrackPost,
        compression,
        auth: who.kind,
        access_key_id: who.access_key_id,
        security_token: who.security_token,
        wire_bytes: req.body.len(),
        raw_bytes: raw.len(),
        log_group,
    })
}

/// `GET /logstores/{ls}/track[.gif | _ua.gif]?APIVersion=0.6.0&k=v...` (anonymous).
pub(crate) fn track_get(
    shared: &Shared,
    req: &DataRequest,
    logstore: &str,
    pixel: TrackPixel,
    now: UnixTime,
) -> Result<ReceivedLogGroup, SlsError> {
    let project = req.project(shared)?;
    require_tracking(shared, &project, logstore)?;
    let query_len = req
        .path_and_query
        .split_once('?')
        .map_or(0, |(_, q)| q.len());
    if query_len > shared.limits.max_track_query_bytes {
        return Err(SlsError::post_body_too_large(format!(
            "query size {query_len} must be less than {}",
            shared.limits.max_track_query_bytes
        )));
    }
    req.check_api_version(true)?;
    let mut extra = Vec::new();
    if pixel == TrackPixel::GifWithUserAgent {
        extra.push((
            "__userAgent__",
            req.header("user-agent").unwrap_or("").to_owned(),
        ));
        extra.push((
            "__referer__",
            req.header("referer").unwrap_or("").to_owned(),
        ));
    }
    let log_group = log_group_from_query(&req.query, now, &req.client_ip(), &extra);
    let who = anonymous();
    Ok(ReceivedLogGroup {
        request_id: String::new(),
        project,
        logstore: logstore.to_owned(),
        target: ShardTarget::Default,
        ingest: Ingest::TrackGet,
        compression: Compression::None,
        auth: who.kind,
        access_key_id: None,
        security_token: None,
        wire_bytes: query_len,
        raw_bytes: query_len,
        log_group,
    })
}

fn require_tracking(shared: &Shared, project: &str, logstore: &str) -> Result<(), SlsError> {
    if shared.registry.logstore(project, logstore)?.web_tracking {
        return Ok(());
    }
    Err(SlsError::unauthorized(format!(
        "logstore {logstore} does not enable web tracking: anonymous writes are refused"
    )))
}

fn anonymous() -> Authenticated {
    Authenticated {
        kind: AuthKind::Anonymous,
        access_key_id: None,
        security_token: None,
    }
}

/// The media type of a `Content-Type` value, lower-cased, without parameters.
fn essence(content_type: Option<&str>) -> Option<String> {
    content_type.map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    })
}
