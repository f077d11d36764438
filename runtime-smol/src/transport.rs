//! [`SmolTransport`]: the producer's HTTP transport on async-io sockets, hyper's HTTP/1.1
//! client connection and futures-rustls.

use core::fmt;
use core::future::Future;
use core::time::Duration;
use std::sync::Arc;

use async_trait::async_trait;
use http::header::{HOST, HeaderValue};
use http_body_util::Full;
use hyper::client::conn::http1::{self, SendRequest};
use rustls::pki_types::ServerName;
use sls_producer_core::rt::{Bytes, HttpRequest, HttpResponse, Scheme};
use sls_producer_core::rt::{HttpTransport, TransportError, TransportErrorKind};
use sls_producer_hyper::{
    connect_failure, error_chain, hyper_error_kind, is_certificate_rejected, origin_uri,
    read_response, to_hyper_request,
};
use smol::Executor;
use smol::net::TcpStream;

use crate::TransportConfig;
use crate::io::{HyperIo, Stream};
use crate::pool::{Pool, PoolKey};
use crate::runtime::monotonic_now;
use crate::spawner::SmolSpawner;

type Sender = SendRequest<Full<Bytes>>;

/// The producer's [`HttpTransport`] on smol: HTTP/1.1 with hyper over async-io sockets and
/// rustls (`ring` provider, Mozilla roots; no OpenSSL, no tokio runtime).
///
/// * **Addressing.** It connects to [`HttpRequest::authority`] over the request's scheme
///   (TLS with certificate verification for `https`, plain TCP only for `http`) and
///   sends the request's own `host` header, so `http://127.0.0.1:8080` endpoints reach
///   `Host: project.127.0.0.1:8080` without DNS tricks.
/// * **Keep-alive.** Connections are pooled per `scheme://authority` (see
///   [`TransportConfig::max_idle_per_host`] and [`TransportConfig::pool_idle_timeout`]).
///   A request is written at most once; a pooled connection found closed *before* the
///   request was written is replaced by a fresh one, which is not a retry.
/// * **Timeouts** ([`TransportConfig::connect_timeout`] for DNS + TCP + TLS,
///   [`TransportConfig::request_timeout`] for the whole exchange) fail with
///   [`TransportErrorKind::Timeout`]; failures to connect (refused, DNS, TLS handshake)
///   with [`TransportErrorKind::Connect`]; a connection that breaks while the exchange is
///   under way with [`TransportErrorKind::Io`]; a malformed or oversized response with
///   [`TransportErrorKind::Other`]. It never retries: the producer's engine does.
/// * **Body.** The request body is handed to hyper without copying; the whole response
///   body is read, up to [`TransportConfig::max_response_body`].
///
/// It is the default transport of a producer built on a [`SmolRuntime`](crate::SmolRuntime)
/// (made with the producer configuration's timeouts, on the runtime's executor); make one
/// yourself for other settings and pass it to the builder's `with_transport`.
///
/// Each connection is driven by a task on smol's global executor ([`SmolTransport::new`])
/// or on yours ([`SmolTransport::with_executor`]). The futures of `send` run on any
/// executor, since async-io's reactor drives the sockets and timers. Cloning is cheap;
/// clones share the connection pool.
#[derive(Clone)]
pub struct SmolTransport {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool<Sender>,
    tls: futures_rustls::TlsConnector,
    spawner: SmolSpawner,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_response_body: usize,
}

impl SmolTransport {
    /// A transport with `config` whose connections run on smol's global executor.
    pub fn new(config: TransportConfig) -> Self {
        Self::on(config, SmolSpawner::default())
    }

    /// A transport with `config` whose connections run on `executor`. Keep it running for
    /// as long as the transport is used.
    pub fn with_executor(config: TransportConfig, executor: Arc<Executor<'static>>) -> Self {
        Self::on(config, SmolSpawner::new(Some(executor)))
    }

    pub(crate) fn on(config: TransportConfig, spawner: SmolSpawner) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool: Pool::new(config.max_idle_per_host, config.pool_idle_timeout),
                tls: futures_rustls::TlsConnector::from(config.tls_or_default()),
                spawner,
                connect_timeout: config.connect_timeout,
                request_timeout: config.request_timeout,
                max_response_body: config.max_response_body,
            }),
        }
    }
}

impl Default for SmolTransport {
    /// A transport with [`TransportConfig::default`] on smol's global executor.
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

impl fmt::Debug for SmolTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmolTransport")
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("request_timeout", &self.inner.request_timeout)
            .field("max_response_body", &self.inner.max_response_body)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl HttpTransport for SmolTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let timeout = self.inner.request_timeout;
        let url = request.url();
        within(timeout, self.inner.exchange(request), || {
            TransportError::new(
                TransportErrorKind::Timeout,
                format!("request to {url} timed out after {timeout:?}"),
            )
        })
        .await
    }
}

impl Inner {
    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let key = PoolKey {
            scheme: request.scheme,
            authority: request.authority.clone(),
        };
        let uri = origin_uri(&request)?;
        let mut request = to_hyper_request(request, uri)?;
        if !request.headers().contains_key(HOST) {
            let host = HeaderValue::from_str(&key.authority).map_err(|_| {
                TransportError::new(
                    TransportErrorKind::Other,
                    format!("invalid authority `{}`", key.authority.escape_debug()),
                )
            })?;
            request.headers_mut().insert(HOST, host);
        }

        let (mut sender, mut reused) = match self.checkout(&key).await {
            Some(sender) => (sender, true),
            None => (self.connect(&key).await?, false),
        };
        let response = loop {
            match sender.try_send_request(request).await {
                Ok(response) => break response,
                Err(mut error) => match error.take_message() {
                    // The pooled connection closed before the request was written: the
                    // server never saw it, so a fresh connection may carry it.
                    Some(unsent) if reused => {
                        request = unsent;
                        sender = self.connect(&key).await?;
                        reused = false;
                    }
                    _ => {
                        let error = error.into_error();
                        return Err(TransportError::new(
                            hyper_error_kind(&error),
                            format!(
                                "exchange with {} failed: {}",
                                key.authority,
                                error_chain(&error)
                            ),
                        )
                        .with_source(error));
                    }
                },
            }
        };
        let response = read_response(response, self.max_response_body).await?;
        self.pool.checkin(key, sender, monotonic_now());
        Ok(response)
    }

    /// A pooled connection for `key` that is ready for a request.
    async fn checkout(&self, key: &PoolKey) -> Option<Sender> {
        loop {
            let mut sender = self.pool.checkout(key, monotonic_now())?;
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    /// A new connection to `key`, within the connect timeout.
    async fn connect(&self, key: &PoolKey) -> Result<Sender, TransportError> {
        let timeout = self.connect_timeout;
        within(timeout, self.connect_unbounded(key), || {
            TransportError::new(
                TransportErrorKind::Timeout,
                format!(
                    "connecting to {} timed out after {timeout:?}",
                    key.authority
                ),
            )
        })
        .await
    }

    async fn connect_unbounded(&self, key: &PoolKey) -> Result<Sender, TransportError> {
        let connect_error = |error: std::io::Error| {
            let kind = if is_certificate_rejected(&error) {
                TransportErrorKind::Certificate
            } else {
                TransportErrorKind::Connect
            };
            TransportError::new(kind, connect_failure(&key.authority, &error)).with_source(error)
        };
        let (host, port) = host_and_port(key)?;
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(connect_error)?;
        // Requests are written in one go; don't let Nagle hold back their tail.
        let _ = tcp.set_nodelay(true);
        let stream = match key.scheme {
            Scheme::Http => Stream::Plain(tcp),
            Scheme::Https => {
                let name = ServerName::try_from(host.clone()).map_err(|_| {
                    TransportError::new(
                        TransportErrorKind::Connect,
                        format!("`{host}` is not a valid TLS server name"),
                    )
                })?;
                let tls = self.tls.connect(name, tcp).await.map_err(connect_error)?;
                Stream::Tls(Box::new(tls))
            }
        };
        let (sender, connection) = http1::handshake(HyperIo::new(stream)).await.map_err(|e| {
            TransportError::new(
                TransportErrorKind::Connect,
                format!("HTTP/1.1 handshake with {} failed: {e}", key.authority),
            )
            .with_source(e)
        })?;
        // The connection task ends when the server closes or every sender is dropped;
        // its errors reach the request that was in flight.
        self.spawner.spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// The host (IPv6 without brackets) and port to dial for `key`.
fn host_and_port(key: &PoolKey) -> Result<(String, u16), TransportError> {
    let authority: http::uri::Authority = key.authority.parse().map_err(|_| {
        TransportError::new(
            TransportErrorKind::Other,
            format!("invalid authority `{}`", key.authority.escape_debug()),
        )
    })?;
    let port = authority
        .port_u16()
        .unwrap_or_else(|| key.scheme.default_port());
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((host.to_owned(), port))
}

/// `future`'s output, or `on_timeout()` once `timeout` has elapsed.
async fn within<T>(
    timeout: Duration,
    future: impl Future<Output = Result<T, TransportError>>,
    on_timeout: impl FnOnce() -> TransportError,
) -> Result<T, TransportError> {
    smol::future::or(future, async {
        smol::Timer::after(timeout).await;
        Err(on_timeout())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scheme: Scheme, authority: &str) -> PoolKey {
        PoolKey {
            scheme,
            authority: authority.into(),
        }
    }

    #[test]
    fn host_and_port_defaults_the_port_by_scheme_and_unbrackets_ipv6() {
        assert_eq!(
            host_and_port(&key(Scheme::Https, "p.cn-hangzhou.log.aliyuncs.com")).unwrap(),
            ("p.cn-hangzhou.log.aliyuncs.com".to_owned(), 443)
        );
        assert_eq!(
            host_and_port(&key(Scheme::Http, "127.0.0.1")).unwrap(),
            ("127.0.0.1".to_owned(), 80)
        );
        assert_eq!(
            host_and_port(&key(Scheme::Http, "127.0.0.1:18081")).unwrap(),
            ("127.0.0.1".to_owned(), 18081)
        );
        assert_eq!(
            host_and_port(&key(Scheme::Https, "[::1]:9000")).unwrap(),
            ("::1".to_owned(), 9000)
        );
        let error = host_and_port(&key(Scheme::Https, "bad host:x")).unwrap_err();
        assert_eq!(error.kind(), TransportErrorKind::Other);
    }
}
