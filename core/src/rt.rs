//! Runtime traits: what the producer needs from a runtime, and nothing more.
//!
//! | Trait | Provides |
//! |---|---|
//! | [`Clock`] | a monotonic [`Instant`] and the wall-clock [`UnixTime`] |
//! | [`Timer`] | a [`Sleep`] that completes at a deadline of the same clock |
//! | [`Spawner`] | fire-and-forget execution of a [`Task`] |
//! | [`HttpTransport`] | one HTTP exchange: [`HttpRequest`] in, [`HttpResponse`] out |
//! | [`CredentialsProvider`] | fresh [`Credentials`] on demand (STS, metadata service, …) |
//!
//! All traits are object-safe and used as `Arc<dyn _>`. On native targets every trait
//! object and future is `Send + Sync`; on `wasm32-unknown-unknown` (browsers, Node,
//! Workers: one thread, JS promises are `!Send`) the bounds disappear. [`MaybeSend`] and
//! [`MaybeSync`] express that switch once.
//!
//! Responsibilities are split on purpose: **transports own transport-level timeouts**
//! (connect, request) and report them as [`TransportErrorKind::Timeout`]; **the engine owns
//! retries**, backoff and delivery deadlines. A transport never retries on its own.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::credentials::Credentials;
use crate::protocol::http::{HttpRequest, HttpResponse};
use crate::protocol::time::{Instant, UnixTime};

#[cfg(not(wasm_browser))]
mod maybe {
    use core::future::Future;
    /// `Send` on native targets; no bound on `wasm32-unknown-unknown`.
    pub trait MaybeSend: Send {}
    impl<T: Send + ?Sized> MaybeSend for T {}
    /// `Sync` on native targets; no bound on `wasm32-unknown-unknown`.
    pub trait MaybeSync: Sync {}
    impl<T: Sync + ?Sized> MaybeSync for T {}
    /// A boxed future: `Send` on native targets.
    pub type BoxFuture<'a, T> =
        core::pin::Pin<alloc::boxed::Box<dyn Future<Output = T> + Send + 'a>>;
    /// A boxed error: `Send + Sync` on native targets.
    pub type BoxError = alloc::boxed::Box<dyn core::error::Error + Send + Sync>;
}

#[cfg(wasm_browser)]
mod maybe {
    use core::future::Future;
    /// `Send` on native targets; no bound on `wasm32-unknown-unknown`.
    pub trait MaybeSend {}
    impl<T: ?Sized> MaybeSend for T {}
    /// `Sync` on native targets; no bound on `wasm32-unknown-unknown`.
    pub trait MaybeSync {}
    impl<T: ?Sized> MaybeSync for T {}
    /// A boxed future: not `Send` on `wasm32-unknown-unknown`.
    pub type BoxFuture<'a, T> = core::pin::Pin<alloc::boxed::Box<dyn Future<Output = T> + 'a>>;
    /// A boxed error: not `Send` on `wasm32-unknown-unknown`.
    pub type BoxError = alloc::boxed::Box<dyn core::error::Error>;
}

pub use maybe::{BoxError, BoxFuture, MaybeSend, MaybeSync};

macro_rules! named_future {
    ($(#[$m:meta])* $name:ident, $out:ty) => {
        $(#[$m])*
        #[must_use = "futures do nothing unless polled"]
        pub struct $name(BoxFuture<'static, $out>);

        impl $name {
            /// Wrap a future.
            #[cfg(not(wasm_browser))]
            pub fn new(fut: impl Future<Output = $out> + Send + 'static) -> Self {
                Self(Box::pin(fut))
            }

            /// Wrap a future.
            #[cfg(wasm_browser)]
            pub fn new(fut: impl Future<Output = $out> + 'static) -> Self {
                Self(Box::pin(fut))
            }
        }

        impl Future for $name {
            type Output = $out;
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<$out> {
                self.0.as_mut().poll(cx)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(stringify!($name))
            }
        }
    };
}

named_future!(
    /// A timer future from [`Timer::sleep_until`]. Dropping it cancels the timer.
    Sleep,
    ()
);
named_future!(
    /// The future of one HTTP exchange from [`HttpTransport::send`]. Dropping it abandons
    /// the request.
    ResponseFuture,
    Result<HttpResponse, TransportError>
);
named_future!(
    /// A unit of background work handed to a [`Spawner`].
    Task,
    ()
);
named_future!(
    /// The future of one credentials fetch from [`CredentialsProvider::credentials`].
    CredentialsFuture,
    Result<Credentials, CredentialsError>
);

impl ResponseFuture {
    /// A response that is already there (no allocation for the inner future's state).
    pub fn ready(result: Result<HttpResponse, TransportError>) -> Self {
        Self::new(core::future::ready(result))
    }
}

/// A source of time.
///
/// `now` is monotonic: it never returns an instant earlier than one it returned before.
/// `unix_time` is the wall clock; it may jump and is only used for dates and timestamps.
pub trait Clock: MaybeSend + MaybeSync {
    /// The current monotonic instant.
    fn now(&self) -> Instant;
    /// The current wall-clock time.
    fn unix_time(&self) -> UnixTime;
}

/// A clock that can also wait.
pub trait Timer: Clock {
    /// A future that completes once [`Clock::now`] has reached `deadline` (at once if it
    /// already has). Dropping the future cancels the wait.
    fn sleep_until(&self, deadline: Instant) -> Sleep;
}

/// Runs background tasks.
pub trait Spawner: MaybeSend + MaybeSync {
    /// Start `task` and return at once. The task runs to completion unless the runtime
    /// shuts down.
    fn spawn(&self, task: Task);
}

/// Performs one HTTP exchange.
///
/// A transport connects to `request.authority` over `request.scheme` (TLS for `https`,
/// with certificate verification), sends the request exactly once, and resolves with the
/// whole response, whatever its status. It applies its own connect and request timeouts and
/// reports them as [`TransportErrorKind::Timeout`]. It never retries: the engine does.
pub trait HttpTransport: MaybeSend + MaybeSync {
    /// Send `request`.
    fn send(&self, request: HttpRequest) -> ResponseFuture;
}

/// Supplies credentials that may change over time (STS tokens, instance roles).
///
/// The producer calls it before the cached credentials expire (single-flight: one fetch
/// at a time) and after the server rejects them.
pub trait CredentialsProvider: MaybeSend + MaybeSync {
    /// Fetch fresh credentials.
    fn credentials(&self) -> CredentialsFuture;
}

/// What kind of failure a transport saw. Decides retryability together with the engine's
/// policy: every kind is retryable by default, since none of them proves the server
/// rejected the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established (DNS, refused, unreachable, TLS handshake).
    Connect,
    /// The connect or request timeout elapsed.
    Timeout,
    /// The connection broke while sending or receiving.
    Io,
    /// The request was cancelled (e.g. the page is unloading).
    Canceled,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// A short stable name, used as the attempt's error code (`"Timeout"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "ConnectError",
            Self::Timeout => "Timeout",
            Self::Io => "IoError",
            Self::Canceled => "Canceled",
            Self::Other => "TransportError",
        }
    }
}

/// A failed HTTP exchange: no response was received.
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    source: Option<BoxError>,
}

impl TransportError {
    /// A transport error of `kind` with a human-readable message. The message must not
    /// contain secrets.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attach the underlying error (builder style).
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What kind of failure this was.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl core::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// A credentials fetch failed. The producer keeps using the previous credentials (if any)
/// and retries the fetch with backoff; deliveries that need credentials wait or fail with
/// this error recorded in their attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialsError {
    message: String,
}

impl CredentialsError {
    /// A fetch failure with a message (without secrets).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "credentials unavailable: {}", self.message)
    }
}

impl core::error::Error for CredentialsError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::sync::Arc;

    struct Fixed;
    impl HttpTransport for Fixed {
        fn send(&self, _request: HttpRequest) -> ResponseFuture {
            ResponseFuture::ready(Ok(HttpResponse::new(200)))
        }
    }

    #[test]
    fn traits_are_object_safe_and_shareable() {
        let t: Arc<dyn HttpTransport> = Arc::new(Fixed);
        fn assert_send_sync<T: Send + Sync + ?Sized>(_: &T) {}
        assert_send_sync(&*t);
        let e = TransportError::new(TransportErrorKind::Timeout, "request timed out after 60s");
        assert_eq!(format!("{e}"), "Timeout: request timed out after 60s");
        assert_eq!(e.kind(), TransportErrorKind::Timeout);
    }
}
