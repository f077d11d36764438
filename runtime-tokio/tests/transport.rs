//! `TokioTransport` against tiny local hyper servers on 127.0.0.1.

mod support;

use core::time::Duration;

use sls_producer_core::rt::{Bytes, HttpRequest, Method, Scheme};
use sls_producer_core::rt::{HttpTransport, TransportErrorKind};
use sls_producer_tokio::{TokioTransport, TransportConfig};
use support::{Server, TestCert, closed_port, post, response, silent_server};

#[tokio::test]
async fn round_trip_carries_method_path_headers_and_bodies() {
    let server = Server::start(|seen| {
        assert_eq!(seen.body.as_ref(), b"log group bytes");
        hyper::Response::builder()
            .status(500)
            .header("x-log-requestid", "REQ-1")
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(Bytes::from_static(
                br#"{"errorCode":"InternalServerError"}"#,
            )))
            .unwrap()
    })
    .await;
    let transport = TokioTransport::default();
    let host = format!("proj.{}", server.addr);
    let request = post(
        Scheme::Http,
        server.addr,
        &host,
        "/logstores/app/shards/lb?x=1",
        b"log group bytes",
    );

    let response = transport.send(request).await.unwrap();

    assert_eq!(
        response.status, 500,
        "any status is a response, not an error"
    );
    assert_eq!(response.header("X-Log-RequestId"), Some("REQ-1"));
    assert_eq!(
        response.body.as_ref(),
        br#"{"errorCode":"InternalServerError"}"#
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path_and_query, "/logstores/app/shards/lb?x=1");
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/x-protobuf")
    );
    assert_eq!(
        seen[0].header("authorization"),
        Some("LOG id:TOP-SECRET-SIGNATURE")
    );
    assert_eq!(seen[0].header("content-length"), Some("15"));
}

#[tokio::test]
async fn get_without_body_round_trips() {
    let server = Server::start(|_| response(200, b"")).await;
    let mut request = post(Scheme::Http, server.addr, "p.x", "/", b"");
    request.method = Method::Get;
    let response = TokioTransport::default().send(request).await.unwrap();
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
    assert_eq!(server.seen()[0].method, "GET");
}

#[tokio::test]
async fn dials_the_authority_and_sends_the_virtual_host_header_as_given() {
    let server = Server::start(|_| response(200, b"")).await;
    // Direct endpoint addressing: connect to 127.0.0.1:PORT, route on `project.127.0.0.1:PORT`.
    let host = format!("myproject.127.0.0.1:{}", server.addr.port());
    let request = post(Scheme::Http, server.addr, &host, "/logstores/app", b"x");

    TokioTransport::default().send(request).await.unwrap();

    let seen = server.seen();
    let hosts: Vec<_> = seen[0]
        .headers
        .iter()
        .filter(|(n, _)| n == "host")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        hosts,
        [host.as_str()],
        "exactly one Host header, the request's own"
    );
}

#[tokio::test]
async fn sequential_requests_reuse_one_keep_alive_connection() {
    let server = Server::start(|_| response(200, b"ok")).await;
    let transport = TokioTransport::default();
    for _ in 0..3 {
        let request = post(Scheme::Http, server.addr, "p.local", "/", b"x");
        assert_eq!(transport.send(request).await.unwrap().body.as_ref(), b"ok");
        // hyper-util hands a connection back to its pool from a background task once the
        // response is complete; let that task run before the next checkout.
        settle().await;
    }
    assert_eq!(server.seen().len(), 3);
    assert!(server.seen().iter().all(|s| s.connection == 0));
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn zero_idle_connections_disables_reuse() {
    let server = Server::start(|_| response(200, b"ok")).await;
    let transport = TokioTransport::new(TransportConfig::default().with_max_idle_per_host(0));
    for _ in 0..2 {
        let request = post(Scheme::Http, server.addr, "p.local", "/", b"x");
        transport.send(request).await.unwrap();
        settle().await;
    }
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let addr = closed_port().await;
    let request = post(Scheme::Http, addr, "p.local", "/", b"x");

    let error = TokioTransport::default().send(request).await.unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Connect, "{error}");
    assert_eq!(error.message(), format!("connection refused to {addr}"));
    assert!(!error.to_string().contains("TOP-SECRET"), "{error}");
}

#[tokio::test]
async fn unresolvable_host_is_a_dns_connect_error() {
    let mut request = post(Scheme::Http, closed_port().await, "p.local", "/", b"x");
    request.authority = "p.no-such-host.invalid".into();

    let error = TokioTransport::default().send(request).await.unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Connect, "{error}");
    // "DNS: no such host …" where a resolver answers; "DNS: cannot resolve …" without one.
    assert!(error.message().starts_with("DNS: "), "{error}");
    assert!(
        error.message().contains("p.no-such-host.invalid"),
        "{error}"
    );
}

#[tokio::test]
async fn silent_server_hits_the_request_timeout() {
    let (addr, _server) = silent_server().await;
    let transport = TokioTransport::new(
        TransportConfig::default().with_request_timeout(Duration::from_millis(200)),
    );

    let error = transport
        .send(post(Scheme::Http, addr, "p.local", "/", b"x"))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Timeout, "{error}");
    assert!(error.message().contains("timed out after 200ms"), "{error}");
}

#[tokio::test]
async fn stalled_tls_handshake_hits_the_connect_timeout() {
    // TCP is accepted, the TLS handshake never gets an answer.
    let (addr, _server) = silent_server().await;
    let transport = TokioTransport::new(
        TransportConfig::default()
            .with_connect_timeout(Duration::from_millis(200))
            .with_request_timeout(Duration::from_secs(60)),
    );

    let error = transport
        .send(post(Scheme::Https, addr, "p.local", "/", b"x"))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Timeout, "{error}");
    assert!(error.message().starts_with("connecting to"), "{error}");
}

#[tokio::test]
async fn response_body_is_capped() {
    let server = Server::start(|seen| {
        if seen.path_and_query == "/small" {
            response(200, b"0123456789abcdef") // 16 bytes: at the limit
        } else {
            response(200, b"0123456789abcdefX") // 17 bytes: over it
        }
    })
    .await;
    let transport = TokioTransport::new(TransportConfig::default().with_max_response_body(16));

    let ok = transport
        .send(post(Scheme::Http, server.addr, "p", "/small", b""))
        .await
        .unwrap();
    assert_eq!(ok.body.len(), 16);

    let error = transport
        .send(post(Scheme::Http, server.addr, "p", "/large", b""))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), TransportErrorKind::Other, "{error}");
    assert!(error.message().contains("16-byte limit"), "{error}");
}

#[tokio::test]
async fn invalid_header_value_is_rejected_without_echoing_it() {
    let server = Server::start(|_| response(200, b"")).await;
    let mut request: HttpRequest = post(Scheme::Http, server.addr, "p", "/", b"");
    request.headers.push((
        "x-acs-security-token".into(),
        "STS-SECRET\r\nInjected: 1".into(),
    ));

    let error = TokioTransport::default().send(request).await.unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Other);
    let text = format!("{error} {error:?}");
    assert!(text.contains("x-acs-security-token"), "{text}");
    assert!(!text.contains("STS-SECRET"), "{text}");
    assert!(server.seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn https_round_trip_with_a_custom_root() {
    let cert = TestCert::new();
    let server = Server::start_tls(&cert, |_| response(200, b"secure")).await;
    let transport =
        TokioTransport::new(TransportConfig::default().with_root_certificates(cert.roots()));
    let host = format!("proj.127.0.0.1:{}", server.addr.port());

    for _ in 0..2 {
        let request = post(
            Scheme::Https,
            server.addr,
            &host,
            "/logstores/app",
            b"tls body",
        );
        let response = transport.send(request).await.unwrap();
        assert_eq!(response.body.as_ref(), b"secure");
        settle().await;
    }

    let seen = server.seen();
    assert_eq!(seen[0].body.as_ref(), b"tls body");
    assert_eq!(seen[0].header("host"), Some(host.as_str()));
    assert_eq!(server.accepted(), 1, "TLS connections are kept alive too");
}

#[tokio::test]
async fn https_rejects_a_certificate_outside_the_default_roots() {
    let cert = TestCert::new();
    let server = Server::start_tls(&cert, |_| response(200, b"secure")).await;

    let error = TokioTransport::default()
        .send(post(Scheme::Https, server.addr, "p", "/", b""))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Certificate, "{error}");
    assert!(
        error
            .message()
            .starts_with(&format!("TLS handshake with {} failed: ", server.addr)),
        "{error}"
    );
    assert!(error.message().contains("certificate"), "{error}");
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn plain_http_to_a_tls_server_is_not_silently_accepted() {
    let cert = TestCert::new();
    let server = Server::start_tls(&cert, |_| response(200, b"secure")).await;
    let transport = TokioTransport::new(
        TransportConfig::default().with_request_timeout(Duration::from_secs(5)),
    );

    let result = transport
        .send(post(Scheme::Http, server.addr, "p", "/", b""))
        .await;

    assert!(result.is_err(), "{result:?}");
    assert!(server.seen().is_empty());
}

#[test]
fn send_can_be_called_outside_a_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(Server::start(|_| response(204, b"")));
    let transport = TokioTransport::default();
    // Built outside any runtime context, polled inside one.
    let future = transport.send(post(Scheme::Http, server.addr, "p", "/", b""));
    assert_eq!(runtime.block_on(future).unwrap().status, 204);
}

/// Let every task that is ready run (connection and pool bookkeeping).
async fn settle() {
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
}
