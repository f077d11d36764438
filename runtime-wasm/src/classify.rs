//! What a rejected `fetch` means, as a [`TransportErrorKind`].
//!
//! Pure policy, compiled and unit-tested on every target. The JS side extracts the
//! error's `name`, and Node's `cause.code`, and asks [`classify`].
//!
//! | Seen | Kind |
//! |---|---|
//! | our request timeout aborted the exchange | `Timeout` |
//! | `AbortError` without our timeout (the page aborted it) | `Canceled` |
//! | `TimeoutError` (an `AbortSignal.timeout` from elsewhere) | `Timeout` |
//! | Node `cause.code` such as `ECONNREFUSED`, `ENOTFOUND`, TLS errors | `Connect` |
//! | Node `cause.code` such as `ECONNRESET`, `UND_ERR_SOCKET` | `Io` |
//! | Node `cause.code` such as `UND_ERR_CONNECT_TIMEOUT`, `ETIMEDOUT` | `Timeout` |
//! | `TypeError` / `NetworkError` before the response head | `Connect` |
//! | `TypeError` / `NetworkError` while reading the body | `Io` |
//! | workerd's `Error: Network connection lost.` (refused, reset) | as `TypeError` |
//! | anything else | `Other` |
//!
//! Browsers deliberately say nothing more than "`TypeError`: Failed to fetch" for DNS,
//! refused, TLS **and CORS** failures, so a CORS misconfiguration is reported as `Connect`.
//! workerd rejects with a plain `Error` whose message is the only clue.

use sls_producer_core::rt::TransportErrorKind;

/// Where in the exchange the error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Before the response head arrived (`fetch()` rejected).
    Request,
    /// While reading the response body (`arrayBuffer()` rejected).
    Body,
}

/// The kind of a rejected `fetch` or body read.
///
/// `name` and `message` are the JS error's, `cause_code` Node's `error.cause.code` (if
/// any), and `timed_out` whether the transport's own request timeout fired.
pub(crate) fn classify(
    phase: Phase,
    name: Option<&str>,
    message: Option<&str>,
    cause_code: Option<&str>,
    timed_out: bool,
) -> TransportErrorKind {
    if timed_out {
        return TransportErrorKind::Timeout;
    }
    match name {
        Some("AbortError") => return TransportErrorKind::Canceled,
        Some("TimeoutError") => return TransportErrorKind::Timeout,
        _ => {}
    }
    if let Some(kind) = cause_code.and_then(classify_node_code) {
        return kind;
    }
    let network_error = matches!(name, Some("TypeError" | "NetworkError"))
        || message.is_some_and(|m| m.starts_with("Network connection lost"));
    match (network_error, phase) {
        (true, Phase::Request) => TransportErrorKind::Connect,
        (true, Phase::Body) => TransportErrorKind::Io,
        (false, _) => TransportErrorKind::Other,
    }
}

/// Node (undici and libuv) error codes found in `fetch` errors' `cause.code`.
fn classify_node_code(code: &str) -> Option<TransportErrorKind> {
    let kind = match code {
        "ECONNREFUSED" | "ENOTFOUND" | "EAI_AGAIN" | "EHOSTUNREACH" | "ENETUNREACH"
        | "EHOSTDOWN" | "ENETDOWN" | "EADDRNOTAVAIL" | "UND_ERR_CONNECT" => {
            TransportErrorKind::Connect
        }
        "ECONNRESET" | "ECONNABORTED" | "EPIPE" | "UND_ERR_SOCKET" | "UND_ERR_CLOSED" => {
            TransportErrorKind::Io
        }
        "ETIMEDOUT"
        | "UND_ERR_CONNECT_TIMEOUT"
        | "UND_ERR_HEADERS_TIMEOUT"
        | "UND_ERR_BODY_TIMEOUT" => TransportErrorKind::Timeout,
        // Certificate and TLS failures happen while connecting.
        c if c.starts_with("ERR_TLS_")
            || c.starts_with("ERR_SSL_")
            || c.starts_with("CERT_")
            // A byte scan: `str::contains(&str)` links the two-way substring search.
            || c.as_bytes().windows(4).any(|w| w == b"CERT") =>
        {
            TransportErrorKind::Connect
        }
        _ => return None,
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TransportErrorKind::{Canceled, Connect, Io, Other, Timeout};

    #[test]
    fn our_timeout_wins_over_whatever_js_reports() {
        for name in [Some("AbortError"), Some("TypeError"), None] {
            assert_eq!(classify(Phase::Request, name, None, None, true), Timeout);
            assert_eq!(
                classify(Phase::Body, name, None, Some("ECONNRESET"), true),
                Timeout
            );
        }
    }

    #[test]
    fn aborts_without_our_timeout_are_cancellations() {
        assert_eq!(
            classify(Phase::Request, Some("AbortError"), None, None, false),
            Canceled
        );
        assert_eq!(
            classify(Phase::Body, Some("AbortError"), None, None, false),
            Canceled
        );
        assert_eq!(
            classify(Phase::Request, Some("TimeoutError"), None, None, false),
            Timeout
        );
    }

    #[test]
    fn browser_network_errors_depend_on_the_phase() {
        assert_eq!(
            classify(Phase::Request, Some("TypeError"), None, None, false),
            Connect
        );
        assert_eq!(
            classify(Phase::Body, Some("TypeError"), None, None, false),
            Io
        );
        assert_eq!(
            classify(Phase::Request, Some("NetworkError"), None, None, false),
            Connect
        );
    }

    #[test]
    fn node_cause_codes_refine_type_errors() {
        let node = |code| classify(Phase::Request, Some("TypeError"), None, Some(code), false);
        assert_eq!(node("ECONNREFUSED"), Connect);
        assert_eq!(node("ENOTFOUND"), Connect);
        assert_eq!(node("DEPTH_ZERO_SELF_SIGNED_CERT"), Connect);
        assert_eq!(node("ERR_TLS_CERT_ALTNAME_INVALID"), Connect);
        assert_eq!(node("ECONNRESET"), Io);
        assert_eq!(node("UND_ERR_SOCKET"), Io);
        assert_eq!(node("UND_ERR_HEADERS_TIMEOUT"), Timeout);
        // Unknown codes fall back to the name.
        assert_eq!(node("E_SOMETHING_NEW"), Connect);
    }

    #[test]
    fn workerd_network_errors_are_recognised_by_message() {
        let lost = Some("Network connection lost.");
        assert_eq!(
            classify(Phase::Request, Some("Error"), lost, None, false),
            Connect
        );
        assert_eq!(classify(Phase::Body, Some("Error"), lost, None, false), Io);
        let internal = Some("internal error; reference = 0123abcd");
        assert_eq!(
            classify(Phase::Request, Some("Error"), internal, None, false),
            Other
        );
    }

    #[test]
    fn unknown_errors_are_other() {
        assert_eq!(
            classify(Phase::Request, Some("Error"), None, None, false),
            Other
        );
        assert_eq!(
            classify(Phase::Request, Some("SyntaxError"), None, None, false),
            Other
        );
        assert_eq!(classify(Phase::Body, None, None, None, false), Other);
    }
}
