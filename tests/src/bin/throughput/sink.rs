//! `--server null`: a counting sink that costs next to nothing (~0.18 CPU s per GB, against
//! ~0.43 for the local server's counting mode with every request deep-checked, `--server
//! strict`, which verifies the signature, the Content-MD5 and every log, and ~0.23 with 1
//! request in 8 deep-checked, `--server local`), to measure the producer when the server
//! takes almost none of the machine's cores.
//!
//! It accepts any PutLogs request, decompresses the body (`x-log-compresstype` lz4 or
//! zstd, size from `x-log-bodyrawsize`), counts the `LogGroup`'s logs by walking its
//! top-level fields without decoding them, and answers 200. It checks nothing else (no
//! signature, no digest): correctness is the local server's job.

use core::convert::Infallible;
use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sls_producer_core::compress::{self, Compression};
use tokio::net::TcpListener;

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
        let raw = compress::decompress(c, &body, raw_size.unwrap_or(body.len())).ok()?;
        Some((count_logs(&raw)?, raw.len()))
    });
    let Some((logs, raw_len)) = counted else {
        return Ok(answer(&totals, 400));
    };
    totals.logs.fetch_add(logs, Ordering::Relaxed);
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

/// Logs (field 1) in a `LogGroup`, found by walking its top-level fields; `None` if the
/// bytes are not a well-formed protobuf message.
fn count_logs(mut bytes: &[u8]) -> Option<u64> {
    let mut logs = 0;
    while !bytes.is_empty() {
        let key = varint(&mut bytes)?;
        let skip = match key & 7 {
            0 => {
                varint(&mut bytes)?;
                0
            }
            1 => 8,
            2 => usize::try_from(varint(&mut bytes)?).ok()?,
            5 => 4,
            _ => return None,
        };
        bytes = bytes.get(skip..)?;
        if key == (1 << 3 | 2) {
            logs += 1;
        }
    }
    Some(logs)
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use sls_producer_core::proto::{Log, LogGroupEncoder};

    #[test]
    fn logs_are_counted_without_decoding() {
        let mut enc = LogGroupEncoder::new();
        for i in 0..5u32 {
            enc.push(
                &Log::new(i)
                    .with_content("k", "v".repeat(200))
                    .with_time_ns(i),
            );
        }
        let raw = enc.finish("topic", "source", [("__pack_id__", "ABC-1")]);
        assert_eq!(count_logs(&raw), Some(5));
        assert_eq!(count_logs(&[]), Some(0));
        assert_eq!(count_logs(&raw[..raw.len() - 1]), None, "truncated");
        assert_eq!(count_logs(&[0x0b]), None, "wire type 3");
    }
}
