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

/// Whether `error` (or a cause in its chain) is rustls refusing the server's certificate:
/// unknown issuer, expired, wrong name, revoked, … Such a failure is
/// [`TransportErrorKind::Certificate`], which the engine does not retry. rustls's error
/// usually travels inside an [`std::io::Error`], whose `source()` skips it, so each
/// `io::Error` of the chain is opened too.
pub fn is_certificate_rejected(error: &(dyn Error + 'static)) -> bool {
    let rejected = |e: &(dyn Error + 'static)| {
        matches!(
            e.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_))
        )
    };
    let mut next = Some(error);
    while let Some(e) = next {
        if rejected(e) {
            return true;
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if is_certificate_rejected(inner) {
                return true;
            }
        }
        next = e.source();
    }
    false
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
