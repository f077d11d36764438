//! Web tracking (PutWebtracking): the anonymous `POST /logstores/{logstore}/track` request
//! and its JSON body, written log by log like a `LogGroup`.
//!
//! ```text
//! {"__logs__":[{"__time__":"1700000000","k":"v",…},…],"__topic__":"…","__source__":"…","__tags__":{"k":"v",…}}
//! ```
//!
//! The logs come first so that they can be appended to the final buffer as they arrive
//! (each after a comma; the first comma becomes the list's `[`, and the 12 bytes before it
//! are put in front when the body is finished, within the capacity reserved for the
//! trailer); topic, source and tags are known when the batch is sealed. Every value is a string. SLS
//! stamps tracked logs with their arrival time: `__time__` is sent (it is the log's time
//! for anyone reading the body back) but the server overwrites it. Sub-second times are
//! not sent.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::body::PreparedBody;
use super::name::{InvalidName, validate_logstore, validate_project};
use super::{API_VERSION, CONTENT_TYPE_JSON, CONTENT_TYPE_TEXT};
use crate::protocol::compress::Compression;
use crate::protocol::decimal::{decimal, write_decimal};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::http::{HeaderName, HttpRequest, Method};
use crate::protocol::json;
use crate::protocol::proto::Log;

/// What every body starts with, before the list's `[`.
const HEAD: &[u8] = b"{\"__logs__\":";
/// The start of a log's entry, after its separating comma.
const TIME_KEY: &[u8] = b"{\"__time__\":\"";

/// Streaming web-tracking body encoder: logs are appended one at a time to the final
/// buffer, and [`finish`](Self::finish) closes the list and appends topic, source and
/// tags. Sizes are predicted exactly ([`log_entry_len`](Self::log_entry_len),
/// [`trailer_len`](Self::trailer_len)), so a caller can enforce a size limit before it
/// writes.
///
/// An *entry* is one log's JSON object preceded by a comma. The buffer holds exactly the
/// entries until [`finish`](Self::finish), so its length grows by each entry's size, and
/// its capacity only as the caller decides ([`grow_to`](Self::grow_to)): a buffer with room
/// for the trailer is finished without reallocating.
///
/// `Debug` shows sizes only, never log contents.
#[derive(Clone, PartialEq, Eq)]
pub struct TrackEncoder {
    buf: Vec<u8>,
    logs: usize,
}

impl Default for TrackEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl TrackEncoder {
    /// An empty body.
    pub fn new() -> Self {
        Self::with_buffer(Vec::new())
    }

    /// An empty body written into `buf`'s allocation (its contents are dropped).
    pub fn with_buffer(mut buf: Vec<u8>) -> Self {
        buf.clear();
        Self { buf, logs: 0 }
    }

    /// Bytes of the entry of a log of `time` and `contents` (see [`TrackEncoder`]).
    pub fn entry_len<'a>(time: u32, contents: impl Iterator<Item = (&'a str, &'a str)>) -> usize {
        // `,` `{"__time__":"` digits `"` (`,` key `:` value)* `}`
        let pairs: usize = contents
            .map(|(k, v)| 2 + json::str_len(k) + json::str_len(v))
            .sum();
        1 + TIME_KEY.len() + decimal_len(time) + 1 + pairs + 1
    }

    /// Bytes of `log`'s entry.
    pub fn log_entry_len(log: &Log) -> usize {
        Self::entry_len(log.time(), log.contents())
    }

    /// Append the entry of a log of `time` and `contents` to `out`: exactly
    /// [`entry_len`](Self::entry_len) bytes.
    pub fn write_entry<'a>(
        time: u32,
        contents: impl Iterator<Item = (&'a str, &'a str)>,
        out: &mut Vec<u8>,
    ) {
        out.push(b',');
        out.extend_from_slice(TIME_KEY);
        write_decimal(u64::from(time), out);
        out.push(b'"');
        for (k, v) in contents {
            out.push(b',');
            json::write_str_bytes(out, k);
            out.push(b':');
            json::write_str_bytes(out, v);
        }
        out.push(b'}');
    }

    /// Append `log`.
    pub fn push_log(&mut self, log: &Log) {
        self.push_with(|out| Self::write_entry(log.time(), log.contents(), out));
    }

    /// Append a log of `time` and borrowed `contents`.
    pub fn push_parts<'a>(
        &mut self,
        time: u32,
        contents: impl Iterator<Item = (&'a str, &'a str)>,
    ) {
        self.push_with(|out| Self::write_entry(time, contents, out));
    }

    /// Append an entry written earlier by [`write_entry`](Self::write_entry).
    pub fn push_entry(&mut self, entry: &[u8]) {
        debug_assert_eq!(entry.first(), Some(&b','), "an entry starts with its comma");
        self.push_with(|out| out.extend_from_slice(entry));
    }

    fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        write(&mut self.buf);
        self.logs += 1;
    }

    /// Bytes written so far: the entries of the logs appended.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether no log was appended.
    pub fn is_empty(&self) -> bool {
        self.logs == 0
    }

    /// Number of logs appended.
    pub fn log_count(&self) -> usize {
        self.logs
    }

    /// Bytes the buffer can hold before it reallocates.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Make the buffer's capacity exactly `capacity` bytes if it is smaller (reallocating
    /// once), so that the caller decides how it grows.
    pub fn grow_to(&mut self, capacity: usize) {
        if capacity > self.buf.capacity() {
            self.buf.reserve_exact(capacity - self.buf.len());
        }
    }

    /// Bytes [`finish`](Self::finish) appends with these arguments.
    pub fn trailer_len<I, K, V>(topic: &str, source: &str, tags: I) -> usize
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Self::trailer_len_with(topic, source, Self::tags_len(tags))
    }

    /// [`trailer_len`](Self::trailer_len) with tags of [`tags_len`](Self::tags_len) bytes.
    pub fn trailer_len_with(topic: &str, source: &str, tags_len: usize) -> usize {
        // `{"__logs__":` in front (the first entry's comma becomes `[`), then
        // `],"__topic__":` topic `,"__source__":` source `,"__tags__":{` tags `}}`. A body
        // without logs is one byte longer (its `[` replaces no comma).
        HEAD.len()
            + TOPIC_KEY.len()
            + json::str_len(topic)
            + SOURCE_KEY.len()
            + json::str_len(source)
            + TAGS_KEY.len()
            + tags_len
            + 2
    }

    /// Bytes `tags` take in the `__tags__` object, separators included.
    pub fn tags_len<I, K, V>(tags: I) -> usize
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let pairs = tags
            .into_iter()
            .map(|(k, v)| 2 + json::str_len(k.as_ref()) + json::str_len(v.as_ref()));
        // One comma fewer than pairs.
        pairs.sum::<usize>().saturating_sub(1)
    }

    /// Close the list of logs, append topic, source and `tags` (in order), and return the
    /// body.
    pub fn finish<I, K, V>(self, topic: &str, source: &str, tags: I) -> Vec<u8>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut buf = self.buf;
        // Put the head in front: the first entry's comma opens the list.
        let len = buf.len();
        buf.resize(len + HEAD.len(), 0);
        buf.copy_within(..len, HEAD.len());
        buf[..HEAD.len()].copy_from_slice(HEAD);
        match buf.get_mut(HEAD.len()) {
            Some(comma) if len > 0 => *comma = b'[',
            _ => buf.push(b'['),
        }
        buf.extend_from_slice(TOPIC_KEY);
        json::write_str_bytes(&mut buf, topic);
        buf.extend_from_slice(SOURCE_KEY);
        json::write_str_bytes(&mut buf, source);
        buf.extend_from_slice(TAGS_KEY);
        for (i, (k, v)) in tags.into_iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            json::write_str_bytes(&mut buf, k.as_ref());
            buf.push(b':');
            json::write_str_bytes(&mut buf, v.as_ref());
        }
        buf.extend_from_slice(b"}}");
        buf
    }
}

const TOPIC_KEY: &[u8] = b"],\"__topic__\":";
const SOURCE_KEY: &[u8] = b",\"__source__\":";
const TAGS_KEY: &[u8] = b",\"__tags__\":{";

/// Sizes only, never log contents.
impl fmt::Debug for TrackEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrackEncoder")
            .field("len", &self.buf.len())
            .field("logs", &self.logs)
            .finish()
    }
}

fn decimal_len(mut n: u32) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// The logs of a web-tracking body written by [`TrackEncoder`], with their `__time__`;
/// `None` if it is not one.
pub fn decode_tracked_logs(body: &[u8]) -> Option<Vec<Log>> {
    json::tracked_logs(body)
        .ok()?
        .into_iter()
        .map(|fields| {
            let mut fields = fields.into_iter();
            let (key, time) = fields.next()?;
            if key != "__time__" {
                return None;
            }
            let mut log = Log::new(time.parse().ok()?);
            for (k, v) in fields {
                log.push(k, v);
            }
            Some(log)
        })
        .collect()
}

/// How a web-tracking request is dressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TrackStyle {
    /// As documented for PutWebtracking: `content-type: application/json` and the
    /// `x-log-apiversion`, `x-log-bodyrawsize` and (for a compressed body)
    /// `x-log-compresstype` headers. In a browser the custom headers cost a CORS preflight.
    #[default]
    Headers,
    /// As the official browser SDK sends it: no custom header (the API version in the
    /// query, `content-type: text/plain;charset=UTF-8`), so that browsers send it without a
    /// CORS preflight (and `sendBeacon` can carry it). Without `x-log-compresstype`, bodies
    /// are never compressed.
    CorsSimple,
}

/// The anonymous web-tracking request `POST /logstores/{logstore}/track?APIVersion=0.6.0`
/// carrying `body` (a [`TrackEncoder`]'s, possibly compressed). The logstore must have web
/// tracking enabled; nothing is signed or digested.
///
/// # Errors
///
/// [`InvalidName`] if either name breaks the SLS naming rules.
///
/// # Panics
///
/// In debug builds, if `style` is [`TrackStyle::CorsSimple`] and `body` is compressed (the
/// configuration rules it out).
pub fn web_tracking_request(
    endpoint: &Endpoint,
    project: &str,
    logstore: &str,
    body: &PreparedBody,
    style: TrackStyle,
) -> Result<HttpRequest, InvalidName> {
    validate_project(project)?;
    validate_logstore(logstore)?;
    let mut path_and_query = String::with_capacity(48 + logstore.len());
    path_and_query.push_str("/logstores/");
    path_and_query.push_str(logstore);
    path_and_query.push_str("/track?APIVersion=");
    path_and_query.push_str(API_VERSION);
    let mut headers: Vec<(HeaderName, String)> = Vec::with_capacity(5);
    headers.push(("host".into(), endpoint.host_header_for(project)));
    match style {
        TrackStyle::Headers => {
            headers.push(("content-type".into(), CONTENT_TYPE_JSON.into()));
            headers.push(("x-log-apiversion".into(), API_VERSION.into()));
            headers.push(("x-log-bodyrawsize".into(), decimal(body.raw_len() as u64)));
            if let Some(ct) = body.compression().header_value() {
                headers.push(("x-log-compresstype".into(), ct.into()));
            }
        }
        TrackStyle::CorsSimple => {
            debug_assert_eq!(body.compression(), Compression::None);
            headers.push(("content-type".into(), CONTENT_TYPE_TEXT.into()));
        }
    }
    Ok(HttpRequest {
        method: Method::Post,
        scheme: endpoint.scheme(),
        authority: endpoint.authority_for(project),
        path_and_query,
        headers,
        body: body.body().clone(),
    })
}
