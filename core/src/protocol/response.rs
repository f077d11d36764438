//! Reading SLS responses: success is HTTP 200 and nothing else; any other status is a
//! [`ServerError`] built from the JSON error body and the request-id header.
//!
//! ```text
//! 200                                   ──► Accepted { request_id }
//! 4xx/5xx  {"errorCode","errorMessage"} ──► ServerError { status, code: Some, message }
//! other    <html>proxy error</html>     ──► ServerError { status, code: None, message: excerpt }
//! ```
//!
//! Unlike the Go SDK, a non-JSON error body keeps its HTTP status, so retry decisions that
//! depend on the status work for proxies and load balancers too.

use alloc::string::String;
use core::fmt;

use crate::protocol::http::HttpResponse;
use crate::protocol::json;

/// Response header carrying the id SLS gives every request (quote it to support).
pub const REQUEST_ID_HEADER: &str = "x-log-requestid";

/// Longest body excerpt, in characters, kept as the message of a non-JSON error.
pub const MAX_EXCERPT_CHARS: usize = 256;

/// A successful PutLogs (HTTP 200).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Accepted {
    /// The `x-log-requestid` response header, if present.
    pub request_id: Option<String>,
}

/// An error answer from SLS (or from a proxy in front of it): any status but 200.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerError {
    /// The HTTP status code.
    pub status: u16,
    /// The SLS error code (`errorCode`, e.g. `LogStoreNotExist`, `WriteQuotaExceed`);
    /// `None` when the body was not an SLS error document.
    pub code: Option<String>,
    /// The SLS `errorMessage`, or a printable excerpt of at most [`MAX_EXCERPT_CHARS`]
    /// characters of a body that was not an SLS error document (empty for an empty body).
    pub message: String,
    /// The `x-log-requestid` response header, if present.
    pub request_id: Option<String>,
}

impl ServerError {
    /// Read the error out of a non-200 response. (For a 200 response this still builds an
    /// error value; use [`check_response`] to tell success from failure.)
    pub fn from_response(resp: &HttpResponse) -> Self {
        let (code, message) = match parse_error_body(&resp.body) {
            Some(ErrorBody { code, message }) => (Some(code), message),
            None => (None, body_excerpt(&resp.body)),
        };
        Self {
            status: resp.status,
            code,
            message,
            request_id: request_id(resp),
        }
    }

    /// The SLS error code, if the body carried one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SLS answered HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl core::error::Error for ServerError {}

/// The two fields of an SLS error document `{"errorCode": "...", "errorMessage": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorBody {
    /// `errorCode`.
    pub code: String,
    /// `errorMessage` (empty if the document has none).
    pub message: String,
}

/// Parse an SLS error document. `None` unless `body` is a JSON object with a string
/// `errorCode` member; other members and whitespace are ignored.
pub fn parse_error_body(body: &[u8]) -> Option<ErrorBody> {
    let members = json::string_members(body).ok()?;
    let field = |name: &str| {
        members
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    Some(ErrorBody {
        code: field("errorCode")?,
        message: field("errorMessage").unwrap_or_default(),
    })
}

/// Success (HTTP 200, and only 200) or the [`ServerError`] the response describes.
pub fn check_response(resp: &HttpResponse) -> Result<Accepted, ServerError> {
    if resp.status == 200 {
        Ok(Accepted {
            request_id: request_id(resp),
        })
    } else {
        Err(ServerError::from_response(resp))
    }
}

fn request_id(resp: &HttpResponse) -> Option<String> {
    resp.header(REQUEST_ID_HEADER)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(String::from)
}

/// A one-line, printable excerpt of `body` for error messages: invalid UTF-8 replaced,
/// control characters and runs of whitespace turned into one space, trimmed, cut to
/// [`MAX_EXCERPT_CHARS`] characters with `…` appended when cut.
pub fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(text.len().min(MAX_EXCERPT_CHARS * 2));
    let mut chars = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = chars > 0;
            continue;
        }
        let needed = if pending_space { 2 } else { 1 };
        if chars + needed > MAX_EXCERPT_CHARS {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        chars += needed;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn status_200_is_the_only_success() {
        let ok = HttpResponse::new(200).with_header("X-Log-RequestId", "5FC4490F5D13436DA713CBEE");
        assert_eq!(
            check_response(&ok),
            Ok(Accepted {
                request_id: Some("5FC4490F5D13436DA713CBEE".into())
            })
        );
        assert_eq!(
            check_response(&HttpResponse::new(200)),
            Ok(Accepted::default())
        );
        for status in [201, 204, 299, 301, 400, 500] {
            let err = check_response(&HttpResponse::new(status)).unwrap_err();
            assert_eq!(err.status, status);
        }
    }

    #[test]
    fn json_error_body_with_request_id() {
        let resp = HttpResponse::new(404)
            .with_header("x-log-requestid", "5FC4AE1821CA7D41C5F14728")
            .with_body(&br#"{"errorCode": "LogStoreNotExist", "errorMessage": "logstore app does not exist"}"#[..]);
        let err = check_response(&resp).unwrap_err();
        assert_eq!(
            err,
            ServerError {
                status: 404,
                code: Some("LogStoreNotExist".into()),
                message: "logstore app does not exist".into(),
                request_id: Some("5FC4AE1821CA7D41C5F14728".into()),
            }
        );
        assert_eq!(err.code(), Some("LogStoreNotExist"));
        assert_eq!(
            err.to_string(),
            "SLS answered HTTP 404 LogStoreNotExist: logstore app does not exist \
             (request id 5FC4AE1821CA7D41C5F14728)"
        );
    }

    #[test]
    fn parse_error_body_variants() {
        assert_eq!(
            parse_error_body(b"{\"errorMessage\":\"quota \\u0026 more\",\"x\":[1,{}],\"errorCode\":\"WriteQuotaExceed\"}"),
            Some(ErrorBody { code: "WriteQuotaExceed".into(), message: "quota & more".into() })
        );
        assert_eq!(
            parse_error_body(br#"{"errorCode":"ServerBusy"}"#),
            Some(ErrorBody {
                code: "ServerBusy".into(),
                message: String::new()
            })
        );
        for not_sls in [
            &b""[..],
            b"null",
            b"[]",
            br#"{"errorMessage":"no code"}"#,
            br#"{"errorCode":503}"#,
            br#"{"errorCode":"X""#,
            b"<html><body>404 Not Found</body></html>",
        ] {
            assert_eq!(
                parse_error_body(not_sls),
                None,
                "{}",
                String::from_utf8_lossy(not_sls)
            );
        }
    }

    #[test]
    fn non_json_error_keeps_status_and_an_excerpt() {
        let html = "<html>\r\n<head><title>404 Not Found</title></head>\r\n\t<body>nginx</body>\n</html>\n";
        let err =
            ServerError::from_response(&HttpResponse::new(404).with_body(html.as_bytes().to_vec()));
        assert_eq!(err.status, 404);
        assert_eq!(err.code, None);
        assert_eq!(
            err.message,
            "<html> <head><title>404 Not Found</title></head> <body>nginx</body> </html>"
        );
        assert_eq!(err.request_id, None);
        assert_eq!(
            err.to_string(),
            "SLS answered HTTP 404: <html> <head><title>404 Not Found</title></head> <body>nginx</body> </html>"
        );
        let empty =
            ServerError::from_response(&HttpResponse::new(502).with_header("x-log-requestid", " "));
        assert_eq!(
            (empty.message.as_str(), empty.request_id.as_deref()),
            ("", None)
        );
        assert_eq!(empty.to_string(), "SLS answered HTTP 502");
    }

    #[test]
    fn excerpt_is_bounded_printable_and_marks_truncation() {
        assert_eq!(
            body_excerpt(b"  a \x00\x07 b\xff\xfe c  "),
            "a b\u{fffd}\u{fffd} c"
        );
        let exact = "x".repeat(MAX_EXCERPT_CHARS);
        assert_eq!(body_excerpt(exact.as_bytes()), exact);
        let long = "é".repeat(MAX_EXCERPT_CHARS + 1);
        let cut = body_excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), MAX_EXCERPT_CHARS + 1);
        assert!(cut.ends_with("é…"));
        // A space that would land exactly at the limit is not kept before the ellipsis.
        let edge = format!("{} y", "x".repeat(MAX_EXCERPT_CHARS - 1));
        assert_eq!(
            body_excerpt(edge.as_bytes()),
            format!("{}…", "x".repeat(MAX_EXCERPT_CHARS - 1))
        );
        assert_eq!(body_excerpt(b"\n\r\t "), "");
    }
}
