//! Web tracking: the anonymous `POST /logstores/{logstore}/track` request and its JSON
//! body.

use alloc::string::{String, ToString as _};
use alloc::vec::Vec;

use super::name::{InvalidName, validate_logstore, validate_project};
use super::{API_VERSION, CONTENT_TYPE_JSON, CONTENT_TYPE_TEXT};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::http::{Bytes, HeaderName, HttpRequest, Method};
use crate::protocol::json;

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
