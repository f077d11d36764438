//! Plain HTTP request and response types owned by the core.
//!
//! The core builds [`HttpRequest`]s as data and reads [`HttpResponse`]s as data; turning
//! them into bytes on a socket (or a `fetch` call) is a transport's job. The body is a
//! [`Bytes`], so every retry of a batch shares the one encoded and compressed body.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use bytes::Bytes;

/// A header name as the core writes it: always lower case for the names it defines.
pub type HeaderName = Cow<'static, str>;

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `OPTIONS` (CORS preflight)
    Options,
}

impl Method {
    /// The method as it appears on the request line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Options => "OPTIONS",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// URL scheme. `Https` is the default everywhere in this project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Scheme {
    /// Plain-text HTTP; only when the endpoint says `http://`.
    Http,
    /// HTTP over TLS.
    #[default]
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    /// The port used when the endpoint names none.
    pub const fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

/// An HTTP request, ready for a transport.
///
/// `authority` is where to connect (`host[:port]`, also the TLS server name); the `host`
/// header carries the virtual host SLS routes on (`{project}.{endpoint}`). They differ for
/// IP and `localhost` endpoints, which are connected to directly.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Request method.
    pub method: Method,
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Where to connect: `host` or `host:port`.
    pub authority: String,
    /// Path and query, e.g. `/logstores/app/shards/route?key=f400…`.
    pub path_and_query: String,
    /// Headers in the order they were added, including `host`. There is no
    /// `content-length`: a transport frames the body itself (hyper and `fetch` add it; a
    /// transport on a raw socket writes `content-length: body.len()`).
    pub headers: Vec<(HeaderName, String)>,
    /// The body, shared between attempts.
    pub body: Bytes,
}

impl HttpRequest {
    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The full URL: `scheme://authority/path?query`.
    pub fn url(&self) -> String {
        let mut s = String::with_capacity(
            self.scheme.as_str().len() + 3 + self.authority.len() + self.path_and_query.len(),
        );
        s.push_str(self.scheme.as_str());
        s.push_str("://");
        s.push_str(&self.authority);
        s.push_str(&self.path_and_query);
        s
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }

    /// The raw query string (without `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.path_and_query.split_once('?').map(|(_, q)| q)
    }
}

/// `Debug` shows the request line and header names, never header values: `authorization`
/// and `x-acs-security-token` are secrets.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url())
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(n, _)| n.as_ref())
                    .collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// An HTTP response as a transport hands it back.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Response headers (names as received).
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Bytes,
}

impl HttpResponse {
    /// A response with a status and nothing else.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            ..Self::default()
        }
    }

    /// Add a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Set the body (builder style).
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a, N: AsRef<str>>(headers: &'a [(N, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;

    #[test]
    fn debug_never_shows_header_values() {
        let req = HttpRequest {
            method: Method::Post,
            scheme: Scheme::Https,
            authority: "p.cn-hangzhou.log.aliyuncs.com".into(),
            path_and_query: "/logstores/app?x=1".into(),
            headers: vec![
                ("authorization".into(), "LOG id:SECRET-SIGNATURE".into()),
                ("x-acs-security-token".into(), "TOKEN-VALUE".into()),
            ],
            body: Bytes::from_static(b"abc"),
        };
        let dbg = format!("{req:?}");
        assert!(
            !dbg.contains("SECRET-SIGNATURE") && !dbg.contains("TOKEN-VALUE"),
            "{dbg}"
        );
        assert!(dbg.contains("authorization"));
        assert_eq!(req.path(), "/logstores/app");
        assert_eq!(req.query(), Some("x=1"));
        assert_eq!(req.header("Authorization"), Some("LOG id:SECRET-SIGNATURE"));
        assert_eq!(
            req.url(),
            "https://p.cn-hangzhou.log.aliyuncs.com/logstores/app?x=1"
        );
    }
}
