//! Runtime traits: what the producer needs from a runtime, and nothing more.
//!
//! | Trait | Provides |
//! |---|---|
//! | [`Clock`] | a monotonic [`Instant`] and the wall-clock [`UnixTime`] |
//! | [`Timer`] | an `async fn sleep_until` on the same clock |
//! | [`Spawner`] | fire-and-forget execution of a boxed future |
//! | [`HttpTransport`] | one HTTP exchange: [`HttpRequest`] in, [`HttpResponse`] out |
//! | [`Runtime`] | all of the above for one producer: a [`Timer`], a [`Spawner`], a default transport |
//!
//! Credentials that change over time come from a
//! [`CredentialsProvider`](crate::credentials::CredentialsProvider).
//!
//! All traits are object-safe and used as `Arc<dyn _>`. The asynchronous ones are declared
//! with [`async_trait`](https://docs.rs/async-trait), so you implement them with
//! `#[async_trait]` and plain `async fn`s. On native targets every trait object and future
//! is `Send + Sync`; on `wasm32-unknown-unknown` (browsers, Node, Workers: one thread, JS
//! promises are `!Send`) the bounds disappear: implement with `#[async_trait(?Send)]`
//! there. [`MaybeSend`] and [`MaybeSync`] express that switch once.
//!
//! ```
//! use std::sync::Arc;
//! use async_trait::async_trait;
//! use sls_producer_core::rt::{HttpRequest, HttpResponse, HttpTransport, TransportError};
//!
//! /// A transport that answers 200 to everything (a test double).
//! struct AlwaysOk;
//!
//! #[async_trait]
//! impl HttpTransport for AlwaysOk {
//!     async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
//!         Ok(HttpResponse::new(200))
//!     }
//! }
//!
//! let transport: Arc<dyn HttpTransport> = Arc::new(AlwaysOk);
//! # let _ = transport;
//! ```
//!
//! Responsibilities are split on purpose: **transports own transport-level timeouts**
//! (connect, request) and report them as [`TransportErrorKind::Timeout`]; **the engine owns
//! retries**, backoff and delivery deadlines. A transport never retries on its own.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

use async_trait::async_trait;

use crate::config::ProducerConfig;
pub use crate::protocol::http::{Bytes, HttpRequest, HttpResponse, Method, Scheme};
pub use crate::protocol::time::{Instant, UnixTime};

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
#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
pub trait Timer: Clock {
    /// Complete once [`Clock::now`] has reached `deadline` (at once if it already has).
    /// Dropping the future cancels the wait. The future may be awaited on any thread,
    /// not only the runtime's own: the blocking helpers (`send_blocking`, `wait`) poll it
    /// on the caller's thread.
    async fn sleep_until(&self, deadline: Instant);
}

/// Runs background tasks.
pub trait Spawner: MaybeSend + MaybeSync {
    /// Start `task` and return at once. The task runs to completion unless the runtime
    /// shuts down.
    fn spawn(&self, task: BoxFuture<'static, ()>);
}

/// Performs one HTTP exchange.
///
/// A transport connects to `request.authority` over `request.scheme` (TLS for `https`,
/// with certificate verification), sends the request exactly once, and resolves with the
/// whole response, whatever its status. It applies its own connect and request timeouts and
/// reports them as [`TransportErrorKind::Timeout`]. It never retries: the engine does.
#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
pub trait HttpTransport: MaybeSend + MaybeSync {
    /// Send `request`.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Whether this transport sends a `Date` header the request carries. `fetch` does not
    /// (the browser owns that header), so a producer on such a transport puts the request
    /// date in `x-log-date` (see [`DateHeader`](crate::config::DateHeader)). Default `true`.
    fn can_set_date_header(&self) -> bool {
        true
    }
}

#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
impl<T: HttpTransport + ?Sized> HttpTransport for Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }

    fn can_set_date_header(&self) -> bool {
        (**self).can_set_date_header()
    }
}

/// Everything a producer runs on: a [`Timer`] for its deadlines, a [`Spawner`] for its
/// driver (and compression helpers), and the HTTP transport it uses by default.
///
/// The runtime crates provide one each (`TokioRuntime`, `SmolRuntime`, `WasmRuntime`), the
/// `sim` feature provides `SimRuntime`, and any executor can have one: implement
/// [`Timer`] and [`Spawner`], then this trait, and pass the value to
/// [`ProducerBuilder::build_on`](crate::ProducerBuilder::build_on).
pub trait Runtime: Timer + Spawner {
    /// The transport a producer uses unless its builder is given one
    /// ([`with_transport`](crate::ProducerBuilder::with_transport)), made for `config`
    /// (its `connect_timeout` and `request_timeout`). `None` (the default) if this runtime
    /// has none: building then needs an explicit transport.
    fn default_transport(&self, config: &ProducerConfig) -> Option<Arc<dyn HttpTransport>> {
        let _ = config;
        None
    }

    /// How many compression helpers to spawn next to the driver by default (see
    /// [`CompressHelper`](crate::producer::CompressHelper)): threads that can run at once,
    /// minus one. Default `0` (the driver compresses).
    fn compress_helpers(&self) -> usize {
        0
    }

    /// Whether the calling thread may block until the producer makes progress (the
    /// `*_blocking` methods of [`Producer`](crate::Producer)): not where blocking would
    /// stall the tasks that make that progress (a thread of an async runtime, the only
    /// thread of a browser). Default `true`; the producer refuses to block on its own
    /// driver's thread in any case.
    fn may_block(&self) -> bool {
        true
    }
}

/// What kind of failure a transport saw. Decides retryability together with the engine's
/// policy: every kind is retryable, since none of them proves the server rejected the
/// data, except [`Certificate`](Self::Certificate), which no retry can heal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established (DNS, refused, unreachable, TLS handshake).
    Connect,
    /// The server's TLS certificate was rejected (unknown issuer, expired, wrong name, …).
    /// Not retried: the same certificate would be rejected again, so the batch fails
    /// after this attempt, with the transport's message in the attempt record.
    Certificate,
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
            Self::Certificate => "CertificateError",
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::sync::Arc;

    struct Fixed;
    #[async_trait]
    impl HttpTransport for Fixed {
        async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
            Ok(HttpResponse::new(200))
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
