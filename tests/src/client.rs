//! A minimal HTTP/1.1 client for tests: sends a core [`HttpRequest`] (or a raw one) to a
//! server address and returns the whole answer. One connection per [`TestClient`].

use core::net::SocketAddr;
use std::io;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use sls_producer_core::rt::HttpRequest;
use tokio::net::TcpStream;

/// A whole HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResponse {
    /// Status code.
    pub status: u16,
    /// Headers (lower-case names), in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl TestResponse {
    /// The first value of header `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `x-log-requestid` header.
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-log-requestid")
    }

    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The `errorCode` of an SLS error body.
    pub fn error_code(&self) -> Option<String> {
        self.json()
            .get("errorCode")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    }
}

/// One keep-alive HTTP/1.1 connection to a server (runs on tokio).
#[derive(Debug)]
pub struct TestClient {
    sender: SendRequest<Full<Bytes>>,
}

impl TestClient {
    /// Connect to `addr`.
    ///
    /// # Errors
    /// The connection or the HTTP handshake fails.
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self { sender })
    }

    /// Send a core request (its `host` header included) and read the whole answer.
    ///
    /// # Errors
    /// The connection fails or closes without an answer.
    pub async fn send(&mut self, req: &HttpRequest) -> io::Result<TestResponse> {
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_ref(), v.as_str()))
            .collect();
        self.send_raw(
            req.method.as_str(),
            &req.path_and_query,
            &headers,
            req.body.clone(),
        )
        .await
    }

    /// Send any request and read the whole answer.
    ///
    /// # Errors
    /// The request cannot be built, or the connection fails or closes without an answer.
    pub async fn send_raw(
        &mut self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> io::Result<TestResponse> {
        let mut builder = http::Request::builder().method(method).uri(path_and_query);
        for (n, v) in headers {
            builder = builder.header(*n, *v);
        }
        let req = builder
            .body(Full::new(body.into()))
            .map_err(io::Error::other)?;
        self.sender.ready().await.map_err(io::Error::other)?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(io::Error::other)?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(io::Error::other)?.to_bytes();
        Ok(TestResponse {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body,
        })
    }
}

/// Send one request on a fresh connection.
///
/// # Errors
/// See [`TestClient::send`].
pub async fn send(addr: SocketAddr, req: &HttpRequest) -> io::Result<TestResponse> {
    TestClient::connect(addr).await?.send(req).await
}
