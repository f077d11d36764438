//! Conversions between the core's plain HTTP types and hyper's, and the mapping of
//! hyper's errors onto [`TransportErrorKind`].
//!
//! Error messages built here name headers but never carry header values: the
//! `authorization` and `x-acs-security-token` headers are secrets.

use core::error::Error;
use core::fmt::Write as _;

use http::header::{HeaderName, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use sls_producer_core::http::{Bytes, HttpRequest, HttpResponse, Method};
use sls_producer_core::rt::{TransportError, TransportErrorKind};

/// The hyper request for `request`, sent to `uri`. The body is shared, not copied.
pub(crate) fn to_hyper_request(
    request: HttpRequest,
    uri: Uri,
) -> Result<Request<Full<Bytes>>, TransportError> {
    let method = match request.method {
        Method::Get => http::Method::GET,
        Method::Post => http::Method::POST,
        Method::Options => http::Method::OPTIONS,
    };
    let mut out = Request::new(Full::new(request.body));
    *out.method_mut() = method;
    *out.uri_mut() = uri;
    let headers = out.headers_mut();
    headers.reserve(request.headers.len());
    for (name, value) in request.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("invalid request header name `{}`", name.escape_debug()),
            )
        })?;
        let value = HeaderValue::from_str(&value).map_err(|_| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("request header `{name}` has a value that is not valid in HTTP"),
            )
        })?;
        headers.append(name, value);
    }
    Ok(out)
}

/// The origin-form URI of `request` (`/path?query`), as sent on a bare HTTP/1.1
/// connection; the connection itself goes to `request.authority`.
pub(crate) fn origin_uri(request: &HttpRequest) -> Result<Uri, TransportError> {
    let path = match request.path_and_query.as_str() {
        "" => "/",
        p => p,
    };
    Uri::try_from(path).map_err(|e| {
        TransportError::new(
            TransportErrorKind::Other,
            format!("invalid request URL {}: {e}", request.url()),
        )
    })
}

/// Read the whole response, failing once the body exceeds `max_body` bytes.
pub(crate) async fn read_response(
    response: Response<Incoming>,
    max_body: usize,
) -> Result<HttpResponse, TransportError> {
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, max_body)
        .collect()
        .await
        .map_err(|e| body_error(e.as_ref(), max_body).with_source(e))?
        .to_bytes();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(HttpResponse {
        status: parts.status.as_u16(),
        headers,
        body,
    })
}

fn body_error(error: &(dyn Error + 'static), max_body: usize) -> TransportError {
    if error.is::<LengthLimitError>() {
        return TransportError::new(
            TransportErrorKind::Other,
            format!("response body exceeds the {max_body}-byte limit; is the endpoint SLS?"),
        );
    }
    let kind = find_source::<hyper::Error>(error).map_or(TransportErrorKind::Io, hyper_error_kind);
    TransportError::new(
        kind,
        format!("reading the response body failed: {}", chain(error)),
    )
}

/// The kind of a failure hyper reported on an established connection.
pub(crate) fn hyper_error_kind(error: &hyper::Error) -> TransportErrorKind {
    if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_parse() || error.is_parse_status() || error.is_user() {
        // The peer does not speak HTTP/1.1 as expected, or the request was unsendable.
        TransportErrorKind::Other
    } else {
        // Closed, reset, incomplete message, I/O failure: the connection broke.
        TransportErrorKind::Io
    }
}

/// The first error of type `E` in `error`'s source chain (`error` included).
pub(crate) fn find_source<'a, E: Error + 'static>(
    mut error: &'a (dyn Error + 'static),
) -> Option<&'a E> {
    loop {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        error = error.source()?;
    }
}

/// `error` and its sources as one line, `outer: inner: root`, repeated messages skipped.
pub(crate) fn chain(error: &(dyn Error + 'static)) -> String {
    let mut out = String::new();
    let mut previous = String::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let message = e.to_string();
        if message != previous {
            if !out.is_empty() {
                out.push_str(": ");
            }
            let _ = write!(out, "{message}");
        }
        previous = message;
        next = e.source();
    }
    out
}
