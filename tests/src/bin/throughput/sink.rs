//! `--server null`: a counting sink that costs next to nothing (~0.18 CPU s per GB, against
//! ~0.43 for the local server's counting mode with every request deep-checked, `--server
//! strict`, which verifies the signature, the Content-MD5 and every log, and ~0.23 with 1
//! request in 8 deep-checked, `--server local`), to measure the producer when the server
//! takes almost none of the machine's cores.
//!
//! It accepts any PutLogs request, decompresses the body (`x-log-compresstype` lz4 or
//! zstd, size from `x-log-bodyrawsize`), counts the `LogGroup`'s logs by walking its
//! top-level fields without decoding them (`server::count_group_logs`, the walk the local
//! server uses for requests it does not deep-check), and answers 200. It checks nothing
//! else (no signature, no digest): correctness is the local server's job.

use core::convert::Infallible;
use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sls_producer_core::config::Compression;
use sls_producer_tests::server::{count_group_logs, decompress_body};
use tokio::net::TcpListener;

/// The largest raw body the sink decompresses: above any batch a producer sends.
const MAX_RAW_BYTES: usize = 64 * 1024 * 1024;

/// What the sink received.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    pub(crate) requests: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) logs: AtomicU64,
    pub(crate) raw_bytes: AtomicU64,
    pub(crate) wire_bytes: AtomicU64,
}

impl Totals {
    /// The same shape as the local server's `Stats::to_json`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        serde_json::json!({
            "requests": get(&self.requests),
            "rejected": get(&self.rejected),
            "total": {
                "logs": get(&self.logs),
                "rawBytes": get(&self.raw_bytes),
                "wireBytes": get(&self.wire_bytes),
            },
        })
    }
}

/// Serve connections on `listener` forever, counting into `totals`.
pub(crate) async fn run(listener: TcpListener, totals: Arc<Totals>) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let totals = totals.clone();
        let service = service_fn(move |req| handle(totals.clone(), req));
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    totals: Arc<Totals>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    totals.requests.fetch_add(1, Ordering::Relaxed);
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let compression = match header("x-log-compresstype") {
        None => Some(Compression::None),
        Some(v) => Compression::from_header_value(&v),
    };
    let raw_size = header("x-log-bodyrawsize").and_then(|v| v.parse::<usize>().ok());
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(answer(&totals, 400)),
    };
    let counted = compression.and_then(|c| {
        let raw = decompress_body(c, &body, raw_size.unwrap_or(body.len()), MAX_RAW_BYTES)?;
        Some((count_group_logs(&raw)?, raw.len()))
    });
    let Some((logs, raw_len)) = counted else {
        return Ok(answer(&totals, 400));
    };
    totals.logs.fetch_add(logs as u64, Ordering::Relaxed);
    totals
        .raw_bytes
        .fetch_add(raw_len as u64, Ordering::Relaxed);
    totals
        .wire_bytes
        .fetch_add(body.len() as u64, Ordering::Relaxed);
    Ok(answer(&totals, 200))
}

fn answer(totals: &Totals, status: u16) -> Response<Full<Bytes>> {
    if status != 200 {
        totals.rejected.fetch_add(1, Ordering::Relaxed);
    }
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = hyper::StatusCode::from_u16(status).expect("a valid status");
    response.headers_mut().insert(
        "x-log-requestid",
        "0000000000000000NULLSINK".parse().expect("ASCII"),
    );
    response
}
