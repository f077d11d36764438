//! `SmolTransport` against a tiny blocking HTTP/1.1 server on 127.0.0.1, run on smol.

mod support;

use core::time::Duration;
use std::sync::Arc;

use sls_producer_core::rt::{HttpTransport, TransportErrorKind};
use sls_producer_core::rt::{Method, Scheme};
use sls_producer_smol::{SmolTransport, TransportConfig};
use support::{Reply, Server, TestCert, closed_port, post, reply, silent_server};

#[test]
fn round_trip_carries_method_path_headers_and_bodies() {
    let server = Server::start(|seen| {
        assert_eq!(seen.body, b"log group bytes");
        Reply {
            status: 500,
            headers: vec![
                ("x-log-requestid", "REQ-1".into()),
                ("content-type", "application/json".into()),
            ],
            body: br#"{"errorCode":"InternalServerError"}"#.to_vec(),
        }
    });
    let host = format!("proj.{}", server.addr);
    let request = post(
        Scheme::Http,
        server.addr,
        &host,
        "/logstores/app/shards/lb?x=1",
        b"log group bytes",
    );

    let response = smol::block_on(SmolTransport::default().send(request)).unwrap();

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

#[test]
fn get_without_body_round_trips() {
    let server = Server::start(|_| reply(200, b""));
    let mut request = post(Scheme::Http, server.addr, "p.x", "/", b"");
    request.method = Method::Get;
    let response = smol::block_on(SmolTransport::default().send(request)).unwrap();
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
    assert_eq!(server.seen()[0].method, "GET");
}

#[test]
fn dials_the_authority_and_sends_the_virtual_host_header_as_given() {
    let server = Server::start(|_| reply(200, b""));
    // Direct endpoint addressing: connect to 127.0.0.1:PORT, route on `project.127.0.0.1:PORT`.
    let host = format!("myproject.127.0.0.1:{}", server.addr.port());
    let request = post(Scheme::Http, server.addr, &host, "/logstores/app", b"x");

    smol::block_on(SmolTransport::default().send(request)).unwrap();

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

#[test]
fn a_request_without_host_header_gets_the_authority() {
    let server = Server::start(|_| reply(200, b""));
    let mut request = post(Scheme::Http, server.addr, "unused", "/", b"");
    request.headers.retain(|(n, _)| n != "host");

    smol::block_on(SmolTransport::default().send(request)).unwrap();

    assert_eq!(
        server.seen()[0].header("host"),
        Some(server.addr.to_string().as_str())
    );
}

#[test]
fn sequential_requests_reuse_one_keep_alive_connection() {
    let server = Server::start(|_| reply(200, b"ok"));
    let transport = SmolTransport::default();
    smol::block_on(async {
        for _ in 0..3 {
            let request = post(Scheme::Http, server.addr, "p.local", "/", b"x");
            assert_eq!(transport.send(request).await.unwrap().body.as_ref(), b"ok");
        }
    });
    assert_eq!(server.seen().len(), 3);
    assert_eq!(server.accepted(), 1);
}

#[test]
fn no_reuse_without_idle_slots_or_past_the_idle_timeout() {
    for config in [
        TransportConfig::default().with_max_idle_per_host(0),
        TransportConfig::default().with_pool_idle_timeout(Duration::ZERO),
    ] {
        let server = Server::start(|_| reply(200, b"ok"));
        let transport = SmolTransport::new(config);
        smol::block_on(async {
            for _ in 0..2 {
                let request = post(Scheme::Http, server.addr, "p.local", "/", b"x");
                transport.send(request).await.unwrap();
            }
        });
        assert_eq!(server.accepted(), 2);
    }
}

#[test]
fn a_connection_the_server_closes_is_not_reused() {
    let server = Server::start(|_| Reply {
        headers: vec![("connection", "close".into())],
        ..reply(200, b"bye")
    });
    let transport = SmolTransport::default();
    smol::block_on(async {
        for _ in 0..2 {
            let request = post(Scheme::Http, server.addr, "p.local", "/", b"x");
            assert_eq!(transport.send(request).await.unwrap().body.as_ref(), b"bye");
        }
    });
    assert_eq!(server.accepted(), 2);
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn refused_connection_is_a_connect_error() {
    let addr = closed_port();
    let request = post(Scheme::Http, addr, "p.local", "/", b"x");

    let error = smol::block_on(SmolTransport::default().send(request)).unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Connect, "{error}");
    assert_eq!(error.message(), format!("connection refused to {addr}"));
    assert!(!error.to_string().contains("TOP-SECRET"), "{error}");
}

#[test]
fn unresolvable_host_is_a_dns_connect_error() {
    let mut request = post(Scheme::Http, closed_port(), "p.local", "/", b"x");
    request.authority = "p.no-such-host.invalid".into();

    let error = smol::block_on(SmolTransport::default().send(request)).unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Connect, "{error}");
    // "DNS: no such host …" where a resolver answers; "DNS: cannot resolve …" without one.
    assert!(error.message().starts_with("DNS: "), "{error}");
    assert!(
        error.message().contains("p.no-such-host.invalid"),
        "{error}"
    );
}

#[test]
fn silent_server_hits_the_request_timeout() {
    let addr = silent_server();
    let transport = SmolTransport::new(
        TransportConfig::default().with_request_timeout(Duration::from_millis(200)),
    );

    let request = post(Scheme::Http, addr, "p.local", "/", b"x");
    let error = smol::block_on(transport.send(request)).unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Timeout, "{error}");
    assert!(error.message().contains("timed out after 200ms"), "{error}");
}

#[test]
fn stalled_tls_handshake_hits_the_connect_timeout() {
    // TCP is accepted, the TLS handshake never gets an answer.
    let addr = silent_server();
    let transport = SmolTransport::new(
        TransportConfig::default()
            .with_connect_timeout(Duration::from_millis(200))
            .with_request_timeout(Duration::from_secs(60)),
    );

    let request = post(Scheme::Https, addr, "p.local", "/", b"x");
    let error = smol::block_on(transport.send(request)).unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Timeout, "{error}");
    assert!(error.message().starts_with("connecting to"), "{error}");
}

#[test]
fn response_body_is_capped() {
    let server = Server::start(|seen| {
        if seen.path_and_query == "/small" {
            reply(200, b"0123456789abcdef") // 16 bytes: at the limit
        } else {
            reply(200, b"0123456789abcdefX") // 17 bytes: over it
        }
    });
    let transport = SmolTransport::new(TransportConfig::default().with_max_response_body(16));

    smol::block_on(async {
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
    });
}

#[test]
fn invalid_header_value_is_rejected_without_echoing_it() {
    let server = Server::start(|_| reply(200, b""));
    let mut request = post(Scheme::Http, server.addr, "p", "/", b"");
    request.headers.push((
        "x-acs-security-token".into(),
        "STS-SECRET\r\nInjected: 1".into(),
    ));

    let error = smol::block_on(SmolTransport::default().send(request)).unwrap_err();

    assert_eq!(error.kind(), TransportErrorKind::Other);
    let text = format!("{error} {error:?}");
    assert!(text.contains("x-acs-security-token"), "{text}");
    assert!(!text.contains("STS-SECRET"), "{text}");
    assert_eq!(server.accepted(), 0, "nothing was sent");
}

#[test]
fn https_round_trip_with_a_custom_root() {
    let cert = TestCert::new();
    let server = Server::start_tls(&cert, |_| reply(200, b"secure"));
    let transport =
        SmolTransport::new(TransportConfig::default().with_root_certificates(cert.roots()));
    let host = format!("proj.127.0.0.1:{}", server.addr.port());

    smol::block_on(async {
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
        }
    });

    let seen = server.seen();
    assert_eq!(seen[0].body, b"tls body");
    assert_eq!(seen[0].header("host"), Some(host.as_str()));
    assert_eq!(server.accepted(), 1, "TLS connections are kept alive too");
}

#[test]
fn https_rejects_a_certificate_outside_the_default_roots() {
    let cert = TestCert::new();
    let server = Server::start_tls(&cert, |_| reply(200, b"secure"));

    let request = post(Scheme::Https, server.addr, "p", "/", b"");
    let error = smol::block_on(SmolTransport::default().send(request)).unwrap_err();

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

#[test]
fn connections_can_run_on_an_executor_of_your_own() {
    let server = Server::start(|_| reply(200, b"mine"));
    let executor = Arc::new(smol::Executor::new());
    let transport = SmolTransport::with_executor(TransportConfig::default(), executor.clone());

    let request = post(Scheme::Http, server.addr, "p", "/", b"");
    let response = smol::block_on(executor.run(transport.send(request))).unwrap();

    assert_eq!(response.body.as_ref(), b"mine");
}
