//! hyper's errors as the core's [`TransportErrorKind`], and readable cause chains.

use core::error::Error;
use core::fmt::Write as _;

use sls_producer_core::rt::TransportErrorKind;

/// The kind of a failure hyper reported on an established connection.
///
/// | hyper says | kind |
/// |---|---|
/// | timeout (a timer given to hyper) | [`TransportErrorKind::Timeout`] |
/// | parse error, bad status, unsendable request | [`TransportErrorKind::Other`] (the peer does not speak HTTP/1.1 as expected) |
/// | closed, reset, incomplete message, I/O | [`TransportErrorKind::Io`] (the connection broke) |
pub fn hyper_error_kind(error: &hyper::Error) -> TransportErrorKind {
    if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_parse() || error.is_parse_status() || error.is_user() {
        TransportErrorKind::Other
    } else {
        TransportErrorKind::Io
    }
}

/// Why a connection to `authority` could not be made, as one plain sentence that names
/// the address (never a secret):
///
/// | cause | message |
/// |---|---|
/// | nothing listens on the port | `connection refused to 127.0.0.1:1` |
/// | the host name does not resolve | `DNS: no such host no-such-host.invalid` |
/// | another DNS failure | `DNS: cannot resolve example.com (…)` |
/// | a TLS failure | `TLS handshake with host:443 failed: invalid peer certificate: …` |
/// | no route | `127.0.0.1:1 is unreachable: …` |
/// | anything else | `connecting to host:443 failed: …` (the cause chain) |
pub fn connect_failure(authority: &str, error: &(dyn Error + 'static)) -> String {
    let host = host_of(authority);
    let chain = error_chain(error);
    if let Some(tls) = find_tls_error(error) {
        return format!("TLS handshake with {authority} failed: {tls}");
    }
    if let Some(io) = find_source::<std::io::Error>(error) {
        use std::io::ErrorKind::*;
        match io.kind() {
            ConnectionRefused => return format!("connection refused to {authority}"),
            HostUnreachable | NetworkUnreachable => {
                return format!("{authority} is unreachable: {io}");
            }
            _ => {}
        }
    }
    if chain.contains("dns error") || chain.contains("failed to lookup address") {
        const NO_SUCH_HOST: [&str; 3] = [
            "Name or service not known",
            "nodename nor servname provided",
            "No such host is known",
        ];
        if NO_SUCH_HOST.iter().any(|m| chain.contains(m)) {
            return format!("DNS: no such host {host}");
        }
        let detail = chain
            .rsplit("failed to lookup address information: ")
            .next()
            .unwrap_or(&chain);
        return format!("DNS: cannot resolve {host} ({detail})");
    }
    format!("connecting to {authority} failed: {chain}")
}

/// `authority` without its port (and an IPv6 address without its brackets).
fn host_of(authority: &str) -> &str {
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(':') => {
            host
        }
        _ => authority,
    };
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// A rustls error in `error`'s chain, also inside (nested) `io::Error`s, which hide their
/// inner error from `source`.
fn find_tls_error<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// Whether `error` (or a cause in its chain) is rustls refusing the server's certificate:
/// unknown issuer, expired, wrong name, revoked, … Such a failure is
/// [`TransportErrorKind::Certificate`], which the engine does not retry. rustls's error
/// usually travels inside an [`std::io::Error`], whose `source()` skips it, so each
/// `io::Error` of the chain is opened too.
pub fn is_certificate_rejected(error: &(dyn Error + 'static)) -> bool {
    matches!(
        find_tls_error(error),
        Some(rustls::Error::InvalidCertificate(_))
    )
}

/// The first error of type `E` in `error`'s source chain (`error` included).
pub fn find_source<'a, E: Error + 'static>(mut error: &'a (dyn Error + 'static)) -> Option<&'a E> {
    loop {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        error = error.source()?;
    }
}

/// `error` and its sources as one line, `outer: inner: root`, with a message that repeats
/// the previous one skipped (wrappers often echo their cause).
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt;

    #[derive(Debug)]
    struct Wrap(&'static str, Option<Box<dyn Error + Send + Sync>>);

    impl fmt::Display for Wrap {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Wrap {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn connect_failures_read_as_plain_sentences() {
        let refused = Wrap(
            "tcp connect error",
            Some(Box::new(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            ))),
        );
        assert_eq!(
            connect_failure("127.0.0.1:1", &refused),
            "connection refused to 127.0.0.1:1"
        );
        let dns = Wrap(
            "dns error",
            Some(Box::new(std::io::Error::other(
                "failed to lookup address information: Name or service not known",
            ))),
        );
        assert_eq!(
            connect_failure("p.no-such-host.invalid:443", &dns),
            "DNS: no such host p.no-such-host.invalid"
        );
        let busy = Wrap(
            "dns error",
            Some(Box::new(std::io::Error::other(
                "failed to lookup address information: Temporary failure in name resolution",
            ))),
        );
        assert_eq!(
            connect_failure("example.com", &busy),
            "DNS: cannot resolve example.com (Temporary failure in name resolution)"
        );
        // tokio-rustls wraps the rustls error in an io::Error, hyper-rustls in another.
        let tls = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        assert_eq!(
            connect_failure("[::1]:443", &tls),
            "TLS handshake with [::1]:443 failed: invalid peer certificate: UnknownIssuer"
        );
        let other = Wrap("something odd", None);
        assert_eq!(
            connect_failure("h:1", &other),
            "connecting to h:1 failed: something odd"
        );
        assert_eq!(host_of("[::1]:443"), "::1");
        assert_eq!(host_of("h"), "h");
    }

    #[test]
    fn chain_joins_causes_and_skips_echoes() {
        let root = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = Wrap(
            "client error (Connect)",
            Some(Box::new(Wrap("refused", Some(Box::new(root))))),
        );
        assert_eq!(error_chain(&e), "client error (Connect): refused");
        let io = find_source::<std::io::Error>(&e).expect("the root is an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
        assert!(find_source::<fmt::Error>(&e).is_none());
    }

    #[test]
    fn a_rejected_certificate_is_found_inside_io_errors() {
        let rejected = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rejected);
        let e = Wrap("client error (Connect)", Some(Box::new(io)));
        assert!(is_certificate_rejected(&e));

        let other =
            std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert!(!is_certificate_rejected(&Wrap("x", Some(Box::new(other)))));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!is_certificate_rejected(&refused));
    }
}
