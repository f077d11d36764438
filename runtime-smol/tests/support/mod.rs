//! A tiny blocking HTTP/1.1 server on 127.0.0.1 (std threads, no async runtime, no
//! hyper: the transport is checked against an independent implementation), plus helpers
//! to build requests and TLS material.
#![allow(dead_code, unreachable_pub)]

use core::net::SocketAddr;
use core::sync::atomic::{AtomicUsize, Ordering};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sls_producer_core::rt::{Bytes, HttpRequest, Method, Scheme};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Which accepted connection carried it (0, 1, …).
    pub connection: usize,
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server answers.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

pub fn reply(status: u16, body: &[u8]) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.to_vec(),
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// A running server (its threads end with the test process).
pub struct Server {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// A plain-HTTP server answering every request with `handler`.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_inner(Arc::new(handler), None)
    }

    /// An HTTPS server presenting `cert`.
    pub fn start_tls(
        cert: &TestCert,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start_inner(Arc::new(handler), Some(cert.server_config()))
    }

    fn start_inner(handler: Handler, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        thread::spawn({
            let accepted = accepted.clone();
            let seen = seen.clone();
            move || {
                for stream in listener.incoming() {
                    let stream = stream.unwrap();
                    let connection = accepted.fetch_add(1, Ordering::SeqCst);
                    let (handler, seen, tls) = (handler.clone(), seen.clone(), tls.clone());
                    thread::spawn(move || match tls {
                        None => serve(stream, connection, &*handler, &seen),
                        Some(config) => {
                            let tls = rustls::ServerConnection::new(config).unwrap();
                            let stream = rustls::StreamOwned::new(tls, stream);
                            serve(stream, connection, &*handler, &seen);
                        }
                    });
                }
            }
        });
        Self {
            addr,
            accepted,
            seen,
        }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serve requests on one connection until the client closes it (or an error).
fn serve(
    mut stream: impl Read + Write,
    connection: usize,
    handler: &(dyn Fn(&Seen) -> Reply + Send + Sync),
    seen: &Mutex<Vec<Seen>>,
) {
    let mut buffer = Vec::new();
    loop {
        let Some(head_end) = read_until_head_end(&mut stream, &mut buffer) else {
            return;
        };
        let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
        buffer.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap().split(' ');
        let method = request_line.next().unwrap().to_owned();
        let path_and_query = request_line.next().unwrap().to_owned();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        assert!(
            !headers.iter().any(|(n, _)| n == "transfer-encoding"),
            "bodies are sent with a content-length"
        );
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        while buffer.len() < length {
            let mut chunk = [0; 8192];
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buffer.drain(..length).collect();
        let request = Seen {
            connection,
            method,
            path_and_query,
            headers,
            body,
        };
        let reply = handler(&request);
        seen.lock().unwrap().push(request);

        let mut out = format!(
            "HTTP/1.1 {} Whatever\r\ncontent-length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (name, value) in &reply.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&reply.body);
        if stream
            .write_all(&bytes)
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
        let closing = reply
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("connection") && v == "close");
        if closing {
            return;
        }
    }
}

/// Read until `buffer` holds a complete request head; the index of its `\r\n\r\n`.
fn read_until_head_end(stream: &mut impl Read, buffer: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(i);
        }
        let mut chunk = [0; 8192];
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A listener that accepts connections and then never reads or writes, holding them open.
pub fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming() {
            held.push(stream.unwrap());
        }
    });
    addr
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
pub fn closed_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A `POST` of `body` to `{scheme}://{addr}{path}` with `Host: {host}`.
pub fn post(
    scheme: Scheme,
    addr: SocketAddr,
    host: &str,
    path: &str,
    body: &'static [u8],
) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        scheme,
        authority: addr.to_string(),
        path_and_query: path.to_owned(),
        headers: vec![
            ("host".into(), host.to_owned()),
            ("content-type".into(), "application/x-protobuf".into()),
            ("authorization".into(), "LOG id:TOP-SECRET-SIGNATURE".into()),
        ],
        body: Bytes::from_static(body),
    }
}

/// A self-signed certificate for the IP address 127.0.0.1.
pub struct TestCert {
    pub cert: CertificateDer<'static>,
    key: Vec<u8>,
}

impl TestCert {
    pub fn new() -> Self {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        Self {
            cert: certified.cert.der().clone(),
            key: certified.key_pair.serialize_der(),
        }
    }

    /// A root store trusting only this certificate.
    pub fn roots(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.clone()).unwrap();
        roots
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![self.cert.clone()], key)
        .unwrap();
        Arc::new(config)
    }
}
