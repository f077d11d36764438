//! Reading a hyper response into the core's [`HttpResponse`], with a size cap.

use core::error::Error;

use http::Response;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use hyper::body::Body;
use sls_producer_core::rt::HttpResponse;
use sls_producer_core::rt::{TransportError, TransportErrorKind};

use crate::error::{error_chain, find_source, hyper_error_kind};

/// Read the whole response, failing once the body exceeds `max_body` bytes.
///
/// Header values that are not UTF-8 are kept lossily (SLS sends ASCII).
///
/// # Errors
///
/// [`TransportErrorKind::Other`] when the body is larger than `max_body` (the endpoint is
/// probably not SLS); the kind of the underlying hyper error (usually
/// [`TransportErrorKind::Io`]) when the connection breaks while the body is read.
pub async fn read_response<B>(
    response: Response<B>,
    max_body: usize,
) -> Result<HttpResponse, TransportError>
where
    B: Body,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, max_body)
        .collect()
        .await
        .map_err(|e| body_error(e.as_ref(), max_body).with_source(e))?
        .to_bytes();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(HttpResponse {
        status: parts.status.as_u16(),
        headers,
        body,
    })
}

fn body_error(error: &(dyn Error + 'static), max_body: usize) -> TransportError {
    if error.is::<LengthLimitError>() {
        return TransportError::new(
            TransportErrorKind::Other,
            format!("response body exceeds the {max_body}-byte limit; is the endpoint SLS?"),
        );
    }
    let kind = find_source::<hyper::Error>(error).map_or(TransportErrorKind::Io, hyper_error_kind);
    TransportError::new(
        kind,
        format!("reading the response body failed: {}", error_chain(error)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};
    use http_body_util::{Full, StreamBody};
    use hyper::body::{Bytes, Frame};

    /// Bodies here are ready at once: poll once, without an executor.
    fn now<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("the test body is ready at once"),
        }
    }

    #[test]
    fn reads_status_headers_and_body() {
        let response = Response::builder()
            .status(403)
            .header("x-log-requestid", "ABC")
            .body(Full::new(Bytes::from_static(b"{\"errorCode\":\"X\"}")))
            .unwrap();
        let out = now(read_response(response, 1024)).unwrap();
        assert_eq!(out.status, 403);
        assert_eq!(
            out.headers,
            [("x-log-requestid".to_owned(), "ABC".to_owned())]
        );
        assert_eq!(&out.body[..], b"{\"errorCode\":\"X\"}");
    }

    #[test]
    fn a_body_over_the_cap_fails_with_other() {
        let response = Response::new(Full::new(Bytes::from(vec![b'x'; 17])));
        let e = now(read_response(response, 16)).unwrap_err();
        assert_eq!(e.kind(), TransportErrorKind::Other);
        assert!(e.message().contains("16-byte limit"), "{e}");
        // Exactly at the cap is fine.
        let response = Response::new(Full::new(Bytes::from(vec![b'x'; 16])));
        assert_eq!(now(read_response(response, 16)).unwrap().body.len(), 16);
    }

    #[test]
    fn a_broken_body_is_an_io_error_naming_the_cause() {
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
            Ok(Frame::data(Bytes::from_static(b"part"))),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            )),
        ];
        let body = StreamBody::new(IterStream(frames.into_iter()));
        let e = now(read_response(Response::new(body), 1024)).unwrap_err();
        assert_eq!(e.kind(), TransportErrorKind::Io);
        assert!(e.message().contains("connection reset by peer"), "{e}");
    }

    /// A ready stream over an iterator (no futures-util needed).
    struct IterStream<I>(I);

    impl<I: Iterator + Unpin> futures_core::Stream for IterStream<I> {
        type Item = I::Item;
        fn poll_next(
            mut self: core::pin::Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<I::Item>> {
            Poll::Ready(self.0.next())
        }
    }
}
