//! A server that accepts connections and never answers: every request the producer sends
//! to it waits until the request times out.

use std::net::{TcpListener, TcpStream};

/// Listen on a free local port; connections are accepted and held open, unread, for the
/// life of the process. Returns the port.
pub(crate) fn start() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    Ok(port)
}
