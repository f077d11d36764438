//! Which request headers `fetch` may be given.
//!
//! Pure policy, compiled and unit-tested on every target.
//!
//! `fetch` owns some headers: browsers silently drop the Fetch standard's *forbidden
//! request headers* (`host`, `content-length`, `date`, …), Node's undici rejects some of
//! them outright (`transfer-encoding`, `expect`, a mismatching `content-length`), and the
//! request framing is `fetch`'s business everywhere. [`FetchTransport`] therefore never
//! passes them on, in **every** JS environment, so one request looks the same on the wire
//! in a browser, a worker, Node and workerd, and a configuration that only works outside
//! browsers (a signed `Date` header, say) fails in Node tests too instead of only in the
//! field.
//!
//! [`FetchTransport`]: crate::FetchTransport

use sls_producer_core::rt::HttpRequest;

/// The header that carries the virtual host `fetch` could not send.
///
/// SLS routes on `Host: {project}.{endpoint}`. `fetch` always derives `Host` from the URL,
/// which is the same name for real SLS endpoints, but only the bare address for IP and
/// `localhost` endpoints (local test servers, proxies). For those, the intended `Host` value
/// is sent as `x-forwarded-host`, the de-facto header for "the host the client asked for".
/// It is neither an `x-log-*` nor an `x-acs-*` header, so it never takes part in a v1
/// signature; a server that verifies v4 signatures (which sign `host`) should verify
/// against this value.
pub const FORWARDED_HOST: &str = "x-forwarded-host";

/// Forbidden request-header names of the Fetch standard, plus `user-agent`, in lower case.
///
/// `user-agent` is no longer forbidden by the standard, but browsers disagree: Chromium
/// drops it, Firefox sends it and then needs the server's CORS preflight answer to allow
/// it, which SLS is not known to do. The browser's own `User-Agent` is sent instead.
const OWNED_BY_FETCH: [&str; 22] = [
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "via",
];

/// `true` if a request header named `name` is handed to `fetch` (ASCII case-insensitive).
pub(crate) fn is_passed_to_fetch(name: &str) -> bool {
    let starts_with = |prefix: &str| {
        name.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    !(starts_with("proxy-")
        || starts_with("sec-")
        || OWNED_BY_FETCH
            .iter()
            .any(|owned| owned.eq_ignore_ascii_case(name)))
}

/// The `host` header of `request` if `fetch` cannot send it, i.e. if it differs from the
/// URL's authority (see [`FORWARDED_HOST`]).
pub(crate) fn forwarded_host(request: &HttpRequest) -> Option<&str> {
    request
        .header("host")
        .filter(|host| !host.eq_ignore_ascii_case(&request.authority))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sls_producer_core::rt::{Bytes, Method, Scheme};

    fn request(authority: &str, host: Option<&str>) -> HttpRequest {
        HttpRequest {
            method: Method::Post,
            scheme: Scheme::Http,
            authority: authority.into(),
            path_and_query: "/logstores/app/shards/lb".into(),
            headers: host
                .map(|h| ("host".into(), h.into()))
                .into_iter()
                .collect(),
            body: Bytes::new(),
        }
    }

    #[test]
    fn sls_headers_pass() {
        for name in [
            "authorization",
            "content-type",
            "content-md5",
            "x-log-apiversion",
            "x-log-bodyrawsize",
            "x-log-compresstype",
            "x-log-date",
            "x-log-signaturemethod",
            "x-log-content-sha256",
            "x-acs-security-token",
            "X-Log-Date",
        ] {
            assert!(is_passed_to_fetch(name), "{name}");
        }
    }

    #[test]
    fn headers_owned_by_fetch_are_dropped_in_any_case() {
        for name in [
            "host",
            "Host",
            "content-length",
            "Content-Length",
            "date",
            "user-agent",
            "User-Agent",
            "connection",
            "transfer-encoding",
            "expect",
            "proxy-authorization",
            "Sec-Fetch-Mode",
        ] {
            assert!(!is_passed_to_fetch(name), "{name}");
        }
        // Prefix checks must not panic on short or non-ASCII names.
        assert!(is_passed_to_fetch("se"));
        assert!(is_passed_to_fetch("sé-x"));
    }

    #[test]
    fn virtual_host_is_forwarded_only_when_fetch_cannot_send_it() {
        // Direct endpoint (local server): Host names the project, the URL does not.
        let direct = request("127.0.0.1:8080", Some("myproject.127.0.0.1:8080"));
        assert_eq!(forwarded_host(&direct), Some("myproject.127.0.0.1:8080"));
        // Real endpoint: the URL authority already is the virtual host.
        let public = request(
            "p.cn-hangzhou.log.aliyuncs.com",
            Some("P.cn-hangzhou.log.aliyuncs.com"),
        );
        assert_eq!(forwarded_host(&public), None);
        assert_eq!(forwarded_host(&request("127.0.0.1:8080", None)), None);
    }
}
