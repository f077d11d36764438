//! SLS endpoints and virtual-host addressing.
//!
//! SLS addresses a project by virtual host: `https://{project}.{endpoint}`. For an IP or
//! `localhost` endpoint (private networks, the local test server) the producer connects to
//! the endpoint itself and sends `Host: {project}.{endpoint}`, so nothing needs DNS tricks.
//!
//! Unlike the Go SDK, an endpoint without a scheme means **https**: TLS by default.

use alloc::string::String;
use core::fmt;

use crate::protocol::decimal::push_decimal;
use crate::protocol::http::Scheme;

/// A parsed SLS endpoint such as `cn-hangzhou.log.aliyuncs.com`,
/// `https://cn-hangzhou.log.aliyuncs.com` or `http://127.0.0.1:8080`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    scheme: Scheme,
    host: String,
    port: Option<u16>,
    direct: bool,
}

/// Why an endpoint string was rejected. Fix the configured endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointError {
    /// The endpoint is empty.
    Empty,
    /// A scheme other than `http://` or `https://`.
    UnsupportedScheme(String),
    /// The host part is empty or contains characters not allowed in a host name.
    InvalidHost(String),
    /// The port is not a number in `1..=65535`.
    InvalidPort(String),
    /// A path, query or user info follows the host; an endpoint is only `scheme://host[:port]`.
    UnexpectedPath(String),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("endpoint is empty"),
            Self::UnsupportedScheme(s) => {
                write!(
                    f,
                    "endpoint scheme `{s}` is not supported (use http:// or https://)"
                )
            }
            Self::InvalidHost(h) => write!(f, "endpoint host `{h}` is not a valid host name"),
            Self::InvalidPort(p) => write!(f, "endpoint port `{p}` is not in 1..=65535"),
            Self::UnexpectedPath(p) => write!(
                f,
                "endpoint must be `[scheme://]host[:port]`, found trailing `{p}`"
            ),
        }
    }
}

impl core::error::Error for EndpointError {}

/// Where `needle` first occurs in `hay`: a plain scan, as these strings are short (the
/// standard library's substring search is two-way, several KB of code on wasm for it).
fn position(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

/// The pieces one after the other (host names built per request: no `format!`, and no
/// `concat`, whose generic join is 1 KB of code on wasm).
fn join(pieces: &[&str]) -> String {
    let mut out = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    for piece in pieces {
        out.push_str(piece);
    }
    out
}

impl Endpoint {
    /// Parse `[http://|https://]host[:port][/]`. Without a scheme the endpoint uses https.
    pub fn parse(s: &str) -> Result<Self, EndpointError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(EndpointError::Empty);
        }
        // `get` rather than indexing, here and below: a str index that could panic links
        // the panic's message formatting (char and range `Debug`, Unicode tables).
        let scheme = position(s, "://").and_then(|i| Some((s.get(..i)?, s.get(i + 3..)?)));
        let (scheme, rest) = match scheme {
            Some((sch, rest)) if sch.eq_ignore_ascii_case("https") => (Scheme::Https, rest),
            Some((sch, rest)) if sch.eq_ignore_ascii_case("http") => (Scheme::Http, rest),
            Some((sch, _)) => return Err(EndpointError::UnsupportedScheme(sch.into())),
            None => (Scheme::Https, s),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if let Some(i) = rest.find(['/', '?', '#', '@']) {
            return Err(EndpointError::UnexpectedPath(
                rest.get(i..).unwrap_or(rest).into(),
            ));
        }
        let (host, port) = split_host_port(rest)?;
        let host = host.to_ascii_lowercase();
        if !valid_host(&host) {
            return Err(EndpointError::InvalidHost(host));
        }
        let direct = is_direct_host(&host);
        Ok(Self {
            scheme,
            host,
            port,
            direct,
        })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host, lower case, without port (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The explicit port, if the endpoint named one.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port to connect to: the explicit one or the scheme's default.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// `true` for IP-address and `localhost` endpoints, which are connected to directly
    /// instead of through `{project}.{endpoint}` DNS names.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// Where to connect for `project`: `{project}.{host}[:port]`, or `{host}[:port]` for
    /// direct endpoints.
    pub fn authority_for(&self, project: &str) -> String {
        if self.direct {
            self.host_port(&self.bracketed_host())
        } else {
            self.host_port(&join(&[project, ".", &self.host]))
        }
    }

    /// The `Host` header for `project`: always `{project}.{host}[:port]`, which is what SLS
    /// routes on.
    pub fn host_header_for(&self, project: &str) -> String {
        self.host_port(&join(&[project, ".", &self.bracketed_host()]))
    }

    /// The region named by a standard `{region}.log.aliyuncs.com` (or `.sls.aliyuncs.com`,
    /// `-intranet`, `-vpc` variants) endpoint, e.g. `cn-hangzhou`. `None` for other hosts.
    pub fn region_hint(&self) -> Option<&str> {
        let first = self.host.split('.').next()?;
        let rest = self.host.get(first.len()..)?;
        if !(rest == ".log.aliyuncs.com" || rest == ".sls.aliyuncs.com") {
            return None;
        }
        let region = first
            .strip_suffix("-intranet")
            .or_else(|| first.strip_suffix("-vpc"))
            .unwrap_or(first);
        (!region.is_empty()).then_some(region)
    }

    /// `true` when the endpoint requires signature v4 (the `-acdr-ut-` regions).
    pub fn requires_v4(&self) -> bool {
        self.region_hint()
            .is_some_and(|r| position(r, "-acdr-ut-").is_some())
    }

    fn bracketed_host(&self) -> String {
        if self.host.contains(':') {
            join(&["[", &self.host, "]"])
        } else {
            self.host.clone()
        }
    }

    fn host_port(&self, host: &str) -> String {
        match self.port {
            Some(p) => {
                let mut out = join(&[host, ":"]);
                push_decimal(u64::from(p), &mut out);
                out
            }
            None => host.into(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}",
            self.scheme.as_str(),
            self.host_port(&self.bracketed_host())
        )
    }
}

impl core::str::FromStr for Endpoint {
    type Err = EndpointError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn split_host_port(s: &str) -> Result<(&str, Option<u16>), EndpointError> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        // [ipv6]:port
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| EndpointError::InvalidHost(s.into()))?;
        match after {
            "" => (h, None),
            p => (
                h,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| EndpointError::InvalidHost(s.into()))?,
                ),
            ),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(EndpointError::InvalidPort(p.into())),
        },
    };
    Ok((host, port))
}

fn valid_host(h: &str) -> bool {
    if h.is_empty() || h.len() > 253 {
        return false;
    }
    if h.contains(':') {
        // IPv6 literal (from brackets)
        return h
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    h.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !label.starts_with('-')
            && !label.ends_with('-')
    })
}

fn is_direct_host(h: &str) -> bool {
    h == "localhost" || h.contains(':') || is_ipv4(h)
}

fn is_ipv4(h: &str) -> bool {
    let mut n = 0;
    for part in h.split('.') {
        n += 1;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        if part.parse::<u16>().map_or(true, |v| v > 255) {
            return false;
        }
    }
    n == 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn bare_host_defaults_to_https_and_virtual_host() {
        let e = Endpoint::parse("cn-hangzhou.log.aliyuncs.com").unwrap();
        assert_eq!(e.scheme(), Scheme::Https);
        assert!(!e.is_direct());
        assert_eq!(e.authority_for("proj"), "proj.cn-hangzhou.log.aliyuncs.com");
        assert_eq!(
            e.host_header_for("proj"),
            "proj.cn-hangzhou.log.aliyuncs.com"
        );
        assert_eq!(e.region_hint(), Some("cn-hangzhou"));
        assert_eq!(e.effective_port(), 443);
        assert_eq!(e.to_string(), "https://cn-hangzhou.log.aliyuncs.com");
    }

    #[test]
    fn explicit_schemes_are_kept() {
        let e = Endpoint::parse("http://cn-shanghai-intranet.log.aliyuncs.com/").unwrap();
        assert_eq!(e.scheme(), Scheme::Http);
        assert_eq!(e.region_hint(), Some("cn-shanghai"));
        assert_eq!(e.effective_port(), 80);
        let e = Endpoint::parse("HTTPS://Example.COM:8443").unwrap();
        assert_eq!(e.scheme(), Scheme::Https);
        assert_eq!(e.host(), "example.com");
        assert_eq!(e.authority_for("p"), "p.example.com:8443");
        assert_eq!(e.region_hint(), None);
    }

    #[test]
    fn ip_and_localhost_endpoints_connect_directly_with_virtual_host_header() {
        let e = Endpoint::parse("http://127.0.0.1:18081").unwrap();
        assert!(e.is_direct());
        assert_eq!(e.authority_for("myproject"), "127.0.0.1:18081");
        assert_eq!(e.host_header_for("myproject"), "myproject.127.0.0.1:18081");
        let e = Endpoint::parse("http://localhost:9000").unwrap();
        assert_eq!(e.authority_for("p"), "localhost:9000");
        assert_eq!(e.host_header_for("p"), "p.localhost:9000");
        let e = Endpoint::parse("http://[::1]:9000").unwrap();
        assert!(e.is_direct());
        assert_eq!(e.authority_for("p"), "[::1]:9000");
        // 256 is not an IPv4 octet, so this is a (strange) DNS name, not direct.
        assert!(!Endpoint::parse("1.2.3.256").unwrap().is_direct());
    }

    #[test]
    fn acdr_ut_regions_require_v4() {
        let e = Endpoint::parse("cn-shanghai-acdr-ut-1.log.aliyuncs.com").unwrap();
        assert!(e.requires_v4());
        assert!(
            !Endpoint::parse("cn-shanghai.log.aliyuncs.com")
                .unwrap()
                .requires_v4()
        );
    }

    #[test]
    fn rejects_malformed_endpoints() {
        assert_eq!(Endpoint::parse("  "), Err(EndpointError::Empty));
        assert!(matches!(
            Endpoint::parse("ftp://x.com"),
            Err(EndpointError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            Endpoint::parse("https://x.com/path"),
            Err(EndpointError::UnexpectedPath(_))
        ));
        assert!(matches!(
            Endpoint::parse("x.com:0"),
            Err(EndpointError::InvalidPort(_))
        ));
        assert!(matches!(
            Endpoint::parse("x.com:99999"),
            Err(EndpointError::InvalidPort(_))
        ));
        assert!(matches!(
            Endpoint::parse("https://"),
            Err(EndpointError::InvalidHost(_))
        ));
        assert!(matches!(
            Endpoint::parse("bad host.com"),
            Err(EndpointError::InvalidHost(_))
        ));
        assert!(matches!(
            Endpoint::parse("https://user@x.com"),
            Err(EndpointError::UnexpectedPath(_))
        ));
    }
}
