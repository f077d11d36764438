//! The core's [`HttpRequest`] as a hyper request.

use http::header::{HeaderName, HeaderValue};
use http::{Request, Uri};
use http_body_util::Full;
use sls_producer_core::rt::{Bytes, HttpRequest, Method};
use sls_producer_core::rt::{TransportError, TransportErrorKind};

/// The hyper request for `request`, sent to `uri` ([`absolute_uri`] for a pooled client
/// that picks the connection from the URI, [`origin_uri`] for a bare HTTP/1.1 connection).
/// The body is shared, not copied; the request's headers (including its virtual `host`)
/// are sent as they are.
///
/// # Errors
///
/// [`TransportErrorKind::Other`] for a header name or value that HTTP cannot carry; the
/// message names the header, never its value.
pub fn to_hyper_request(
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

/// The absolute URI of `request` (`scheme://authority/path?query`).
///
/// # Errors
///
/// [`TransportErrorKind::Other`] if the parts do not form a URI.
pub fn absolute_uri(request: &HttpRequest) -> Result<Uri, TransportError> {
    Uri::builder()
        .scheme(request.scheme.as_str())
        .authority(request.authority.as_str())
        .path_and_query(path_or_root(request))
        .build()
        .map_err(|e| invalid_url(request, &e))
}

/// The origin-form URI of `request` (`/path?query`), as sent on a bare HTTP/1.1
/// connection to `request.authority`.
///
/// # Errors
///
/// [`TransportErrorKind::Other`] if the path is not a valid URI path.
pub fn origin_uri(request: &HttpRequest) -> Result<Uri, TransportError> {
    Uri::try_from(path_or_root(request)).map_err(|e| invalid_url(request, &e))
}

fn path_or_root(request: &HttpRequest) -> &str {
    match request.path_and_query.as_str() {
        "" => "/",
        p => p,
    }
}

fn invalid_url(request: &HttpRequest, error: &dyn core::fmt::Display) -> TransportError {
    TransportError::new(
        TransportErrorKind::Other,
        format!("invalid request URL {}: {error}", request.url()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sls_producer_core::rt::Scheme;

    fn request(path: &str) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            scheme: Scheme::Http,
            authority: "127.0.0.1:8080".into(),
            path_and_query: path.into(),
            headers: vec![
                ("host".into(), "p.127.0.0.1:8080".into()),
                ("authorization".into(), "LOG id:sig".into()),
            ],
            body: Bytes::from_static(b"body"),
        }
    }

    #[test]
    fn converts_method_uri_headers_and_shares_the_body() {
        let original = request("/logstores/ls/shards/lb?key=1");
        let body_ptr = original.body.as_ptr();
        let uri = absolute_uri(&original).unwrap();
        assert_eq!(
            uri.to_string(),
            "http://127.0.0.1:8080/logstores/ls/shards/lb?key=1"
        );
        let out = to_hyper_request(original, uri).unwrap();
        assert_eq!(out.method(), http::Method::POST);
        assert_eq!(out.headers()["host"], "p.127.0.0.1:8080");
        assert_eq!(out.headers()["authorization"], "LOG id:sig");
        // Full<Bytes> keeps the same allocation.
        let body = out.into_body();
        let bytes = futures_free_collect(body);
        assert_eq!(bytes.as_ptr(), body_ptr);
    }

    #[test]
    fn origin_form_and_empty_path() {
        assert_eq!(
            origin_uri(&request("/a?b=c")).unwrap().to_string(),
            "/a?b=c"
        );
        assert_eq!(origin_uri(&request("")).unwrap().to_string(), "/");
        assert_eq!(absolute_uri(&request("")).unwrap().path(), "/");
    }

    #[test]
    fn invalid_headers_are_named_but_their_values_never_shown() {
        let mut r = request("/");
        r.headers
            .push(("x-acs-security-token".into(), "secret\ntoken".into()));
        let uri = origin_uri(&r).unwrap();
        let e = to_hyper_request(r, uri).unwrap_err();
        assert_eq!(e.kind(), TransportErrorKind::Other);
        assert!(e.message().contains("x-acs-security-token"), "{e}");
        assert!(!e.message().contains("secret"), "{e}");

        let mut r = request("/");
        r.headers.push(("bad name".into(), "v".into()));
        let uri = origin_uri(&r).unwrap();
        let e = to_hyper_request(r, uri).unwrap_err();
        assert!(e.message().contains("bad name"), "{e}");
    }

    /// The single data frame of a `Full` body, without an executor (it is ready at once).
    fn futures_free_collect(mut body: Full<Bytes>) -> Bytes {
        use core::pin::pin;
        use core::task::{Context, Poll, Waker};
        use http_body_util::BodyExt as _;
        let mut frame = pin!(body.frame());
        let mut cx = Context::from_waker(Waker::noop());
        match frame.as_mut().poll(&mut cx) {
            Poll::Ready(Some(Ok(f))) => f.into_data().unwrap(),
            other => panic!("a Full body is ready at once: {other:?}"),
        }
    }
}
