//! [`TokioTransport`]: the producer's HTTP transport on hyper, hyper-util and rustls.

use core::error::Error;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use async_trait::async_trait;
use http::Uri;
use http_body_util::Full;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer as HyperTokioTimer};
use sls_producer_core::rt::{BoxError, HttpTransport, TransportError, TransportErrorKind};
use sls_producer_core::rt::{Bytes, HttpRequest, HttpResponse};

use sls_producer_hyper::{
    absolute_uri, connect_failure, error_chain, find_source, hyper_error_kind,
    is_certificate_rejected, read_response, to_hyper_request,
};

use crate::TransportConfig;

type Connector = ConnectTimeout<HttpsConnector<HttpConnector>>;

/// The producer's [`HttpTransport`] on tokio: hyper 1 with hyper-util's pooled client and
/// rustls (`ring` provider, Mozilla roots; no OpenSSL).
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
///   with [`TransportErrorKind::Connect`], except a server certificate the trust store
///   rejects: [`TransportErrorKind::Certificate`]; a connection that breaks while the exchange is
///   under way with [`TransportErrorKind::Io`]; a malformed or oversized response with
///   [`TransportErrorKind::Other`]. It never retries: the producer's engine does.
/// * **Body.** The request body is handed to hyper without copying; the whole response
///   body is read, up to [`TransportConfig::max_response_body`].
///
/// It is the default transport of a producer built on a [`TokioRuntime`](crate::TokioRuntime)
/// (made with the producer configuration's timeouts); make one yourself for other
/// settings and pass it to the builder's `with_transport`. `send` may be called from any
/// thread, but its future must be polled inside a tokio runtime with the I/O and time
/// drivers enabled (`Runtime::new`, `#[tokio::main]`, `#[tokio::test]`), as the producer's
/// driver is. Cloning is cheap; clones share the connection pool.
#[derive(Clone)]
pub struct TokioTransport {
    client: Client<Connector, Full<Bytes>>,
    request_timeout: Duration,
    max_response_body: usize,
}

impl TokioTransport {
    /// A transport with `config`.
    pub fn new(config: TransportConfig) -> Self {
        let mut http = HttpConnector::new();
        // Let the TLS layer handle `https` URIs; plain `http` still goes through.
        http.enforce_http(false);
        http.set_nodelay(true);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config((*config.tls_or_default()).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let connector = ConnectTimeout {
            inner: https,
            timeout: config.connect_timeout,
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(HyperTokioTimer::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.max_idle_per_host)
            .build(connector);
        Self {
            client,
            request_timeout: config.request_timeout,
            max_response_body: config.max_response_body,
        }
    }

    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let authority = request.authority.clone();
        let uri = absolute_uri(&request)?;
        let request = to_hyper_request(request, uri)?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| client_error(e, &authority))?;
        read_response(response, self.max_response_body).await
    }
}

impl Default for TokioTransport {
    /// A transport with [`TransportConfig::default`].
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

impl fmt::Debug for TokioTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioTransport")
            .field("request_timeout", &self.request_timeout)
            .field("max_response_body", &self.max_response_body)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl HttpTransport for TokioTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let timeout = self.request_timeout;
        let url = request.url();
        tokio::time::timeout(timeout, self.exchange(request))
            .await
            .unwrap_or_else(|_elapsed| {
                Err(TransportError::new(
                    TransportErrorKind::Timeout,
                    format!("request to {url} timed out after {timeout:?}"),
                ))
            })
    }
}

/// Map an error of hyper-util's client onto a [`TransportError`].
fn client_error(error: hyper_util::client::legacy::Error, authority: &str) -> TransportError {
    let (kind, message) = if let Some(t) = find_source::<ConnectTimedOut>(&error) {
        (
            TransportErrorKind::Timeout,
            format!("connecting to {authority} timed out after {:?}", t.0),
        )
    } else {
        // hyper-util's own layer only says "client error (Connect)"; the cause says more.
        let cause: &(dyn Error + 'static) = error.source().unwrap_or(&error);
        if error.is_connect() {
            let kind = if is_certificate_rejected(&error) {
                TransportErrorKind::Certificate
            } else {
                TransportErrorKind::Connect
            };
            (kind, connect_failure(authority, cause))
        } else {
            let detail = error_chain(cause);
            let kind = find_source::<hyper::Error>(&error)
                .map_or(TransportErrorKind::Other, hyper_error_kind);
            (kind, format!("exchange with {authority} failed: {detail}"))
        }
    };
    TransportError::new(kind, message).with_source(error)
}

/// A connector that fails with [`ConnectTimedOut`] when `inner` (DNS + TCP + TLS) takes
/// longer than `timeout`.
#[derive(Clone, Debug)]
struct ConnectTimeout<C> {
    inner: C,
    timeout: Duration,
}

/// The connect timeout elapsed.
#[derive(Debug)]
struct ConnectTimedOut(Duration);

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connect timed out after {:?}", self.0)
    }
}

impl Error for ConnectTimedOut {}

impl<C> tower_service::Service<Uri> for ConnectTimeout<C>
where
    C: tower_service::Service<Uri>,
    C::Error: Into<BoxError>,
    C::Future: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let connecting = self.inner.call(dst);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, connecting).await {
                Ok(result) => result.map_err(Into::into),
                Err(_elapsed) => Err(ConnectTimedOut(timeout).into()),
            }
        })
    }
}
