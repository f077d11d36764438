//! CORS, so that browser and worker tests served from another origin can call the server.

use http::header::{self, HeaderMap, HeaderValue};

/// Headers every answer carries: any origin may read it, including `x-log-requestid`.
pub(crate) fn add_response_headers(request: &HeaderMap, response: &mut HeaderMap) {
    let origin = request
        .get(header::ORIGIN)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("*"));
    let credentialed = origin != "*";
    response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if credentialed {
        response.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        response.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-log-requestid"),
    );
}

/// Headers of a preflight answer: the methods this server serves and whatever request
/// headers the browser asks for (`Authorization`, `x-log-*`, `x-acs-*`, `Content-MD5`).
///
/// The requested headers are echoed rather than answered with `*`, because `*` does not
/// cover `Authorization`.
pub(crate) fn add_preflight_headers(request: &HeaderMap, response: &mut HeaderMap) {
    add_response_headers(request, response);
    response.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
    );
    let allow_headers = request
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("*"));
    response.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
    response.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    // Chrome's Private Network Access preflight (a public page calling 127.0.0.1).
    if request
        .get("access-control-request-private-network")
        .is_some_and(|v| v == "true")
    {
        response.insert(
            "access-control-allow-private-network",
            HeaderValue::from_static("true"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preflight_echoes_requested_headers_and_origin() {
        let mut req = HeaderMap::new();
        req.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:9000"),
        );
        req.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("authorization,x-log-apiversion"),
        );
        req.insert(
            "access-control-request-private-network",
            HeaderValue::from_static("true"),
        );
        let mut resp = HeaderMap::new();
        add_preflight_headers(&req, &mut resp);
        assert_eq!(
            resp[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            resp[header::ACCESS_CONTROL_ALLOW_HEADERS],
            "authorization,x-log-apiversion"
        );
        assert_eq!(
            resp[header::ACCESS_CONTROL_EXPOSE_HEADERS],
            "x-log-requestid"
        );
        assert_eq!(resp["access-control-allow-private-network"], "true");
        assert!(
            resp[header::ACCESS_CONTROL_ALLOW_METHODS]
                .to_str()
                .unwrap()
                .contains("POST")
        );
    }

    #[test]
    fn no_origin_means_any() {
        let mut resp = HeaderMap::new();
        add_response_headers(&HeaderMap::new(), &mut resp);
        assert_eq!(resp[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(!resp.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
    }
}
