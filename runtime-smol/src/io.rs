//! Byte streams for hyper on async-io: plain TCP or rustls over TCP, and an adapter from
//! futures-io's traits to hyper's, written in safe code.

use core::pin::Pin;
use core::task::{Context, Poll, ready};
use std::io::{self, IoSlice};

use futures_rustls::client::TlsStream;
use smol::io::{AsyncRead, AsyncWrite};
use smol::net::TcpStream;

/// A connection to a server: plain TCP for `http`, TLS over TCP for `https`.
#[derive(Debug)]
pub(crate) enum Stream {
    /// `http://`
    Plain(TcpStream),
    /// `https://` (boxed: the TLS state is large and this enum lives in every connection).
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_close(cx),
            Self::Tls(s) => Pin::new(s).poll_close(cx),
        }
    }
}

/// hyper's [`Read`](hyper::rt::Read) and [`Write`](hyper::rt::Write) over a futures-io
/// stream.
///
/// hyper reads into uninitialised memory, which safe code cannot hand to a futures-io
/// reader; reads go through a small initialised scratch buffer instead and are copied
/// into hyper's buffer. SLS responses are tiny, so the copy is noise; writes (the request
/// bodies) go straight through, vectored.
#[derive(Debug)]
pub(crate) struct HyperIo<T> {
    inner: T,
    scratch: Box<[u8]>,
}

impl<T> HyperIo<T> {
    /// Bytes read per call at most: one TLS record.
    const SCRATCH: usize = 16 * 1024;

    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            scratch: vec![0; Self::SCRATCH].into_boxed_slice(),
        }
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let len = buf.remaining().min(this.scratch.len());
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.scratch[..len]))?;
        buf.put_slice(&this.scratch[..n]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        // futures-io always offers `poll_write_vectored`; TCP and rustls implement it.
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::future::poll_fn;
    use core::mem::MaybeUninit;
    use hyper::rt::{Read as _, ReadBuf};

    /// Read through the adapter into a hyper `ReadBuf` of `capacity` bytes.
    fn read_once(io: &mut HyperIo<&[u8]>, capacity: usize) -> Vec<u8> {
        let mut storage = vec![MaybeUninit::<u8>::uninit(); capacity];
        let mut buf = ReadBuf::uninit(&mut storage);
        smol::block_on(poll_fn(|cx| {
            Pin::new(&mut *io).poll_read(cx, buf.unfilled())
        }))
        .unwrap();
        buf.filled().to_vec()
    }

    #[test]
    fn reads_never_exceed_hyper_buffer_or_scratch() {
        let data: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        let mut io = HyperIo::new(&data[..]);

        assert_eq!(read_once(&mut io, 5), data[..5]);
        let big = read_once(&mut io, 100_000);
        assert_eq!(big.len(), HyperIo::<&[u8]>::SCRATCH);
        assert_eq!(big, data[5..5 + HyperIo::<&[u8]>::SCRATCH]);

        let mut rest = Vec::new();
        loop {
            let chunk = read_once(&mut io, 100_000);
            if chunk.is_empty() {
                break; // EOF: nothing filled
            }
            rest.extend(chunk);
        }
        assert_eq!(rest, data[5 + HyperIo::<&[u8]>::SCRATCH..]);
    }
}
