//! Credentials that change over time: the [`CredentialsProvider`] trait, its error, and
//! [`FnProvider`], the adapter for an async function (STS `AssumeRole` through your own
//! client, a secrets manager, a token vending service, …).

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use core::future::Future;

use async_trait::async_trait;

use super::Credentials;
use crate::rt::{MaybeSend, MaybeSync};

/// Supplies credentials that may change over time (STS tokens, instance roles).
///
/// The producer asks at start, before the cached credentials expire, and after the server
/// rejects them (one fetch at a time; see the [`credentials`](super) module for the schedule).
/// Implement it with `#[async_trait]` (`#[async_trait(?Send)]` on `wasm32-unknown-unknown`),
/// or wrap an async function in a [`FnProvider`].
#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
pub trait CredentialsProvider: MaybeSend + MaybeSync {
    /// Fetch fresh credentials.
    async fn credentials(&self) -> Result<Credentials, CredentialsError>;
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

/// A [`CredentialsProvider`] that calls an async function for every fetch.
///
/// The producer calls it at start, shortly before the returned credentials'
/// [`expiration`](Credentials::expiration) and after the server rejects them (HTTP 401),
/// one call at a time. A failed call is retried with the producer's backoff while the
/// previous credentials stay in use. Set the expiration of temporary credentials, or they
/// are only refreshed after a rejection.
///
/// ```
/// use std::sync::Arc;
/// use sls_producer_core::credentials::{Credentials, FnProvider};
/// use sls_producer_core::credentials::{CredentialsError, CredentialsProvider};
/// use sls_producer_core::protocol::time::UnixTime;
///
/// # struct StsResponse { id: String, secret: String, token: String, expires_unix: u64 }
/// # async fn assume_role() -> Result<StsResponse, String> { Err("no STS here".into()) }
/// let provider: Arc<dyn CredentialsProvider> = Arc::new(FnProvider::new(|| async {
///     let sts = assume_role().await.map_err(CredentialsError::new)?;
///     Ok(Credentials::new(sts.id, sts.secret)
///         .with_security_token(sts.token)
///         .with_expiration(UnixTime::from_secs(sts.expires_unix)))
/// }));
/// ```
pub struct FnProvider<F> {
    fetch: F,
}

impl<F, Fut> FnProvider<F>
where
    F: Fn() -> Fut + MaybeSend + MaybeSync + 'static,
    Fut: Future<Output = Result<Credentials, CredentialsError>> + MaybeSend + 'static,
{
    /// A provider that calls `fetch` for fresh credentials.
    pub fn new(fetch: F) -> Self {
        Self { fetch }
    }
}

#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
impl<F, Fut> CredentialsProvider for FnProvider<F>
where
    F: Fn() -> Fut + MaybeSend + MaybeSync + 'static,
    Fut: Future<Output = Result<Credentials, CredentialsError>> + MaybeSend + 'static,
{
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        (self.fetch)().await
    }
}

impl<F> fmt::Debug for FnProvider<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnProvider")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::sync::Arc;
    use core::pin::pin;
    use core::sync::atomic::{AtomicU32, Ordering};
    use core::task::{Context, Poll, Waker};

    #[test]
    fn every_fetch_calls_the_function_once() {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = calls.clone();
        let provider = FnProvider::new(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if n == 1 {
                    Err(CredentialsError::new("STS unavailable"))
                } else {
                    Ok(Credentials::new(alloc::format!("id-{n}"), "secret"))
                }
            }
        });
        let mut cx = Context::from_waker(Waker::noop());
        let mut first = pin!(provider.credentials());
        assert_eq!(
            first.as_mut().poll(&mut cx),
            Poll::Ready(Err(CredentialsError::new("STS unavailable")))
        );
        let mut second = pin!(provider.credentials());
        match second.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(c)) => assert_eq!(c.access_key_id, "id-2"),
            other => panic!("{other:?}"),
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
