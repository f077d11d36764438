//! [`ScriptedTransport`]: an [`HttpTransport`] that answers from a script and records
//! every request.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use async_trait::async_trait;

use super::clock::ManualClock;
use super::lock::Lock;
use crate::protocol::compress::{self, Compression};
use crate::protocol::http::{Bytes, HttpRequest, HttpResponse};
use crate::protocol::json;
use crate::protocol::proto::{self, Log};
use crate::protocol::response::REQUEST_ID_HEADER;
use crate::protocol::time::Instant;
use crate::rt::{Clock, HttpTransport, MaybeSend, TransportError, TransportErrorKind};

/// How the [`ScriptedTransport`] answers one request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScriptedReply {
    /// A response with this status, an empty body and a generated `x-log-requestid`
    /// header (see [`ScriptedTransport::request_id`]). `Status(200)` is what SLS answers
    /// to a successful `PutLogs`.
    Status(u16),
    /// An SLS error response: this status, `content-type: application/json`, a generated
    /// `x-log-requestid`, and the body `{"errorCode":"…","errorMessage":"…"}`.
    SlsError {
        /// HTTP status, e.g. `403`.
        status: u16,
        /// SLS error code, e.g. `"WriteQuotaExceed"`.
        code: String,
        /// SLS error message.
        message: String,
    },
    /// Exactly this response (nothing is added to it).
    Response(HttpResponse),
    /// The exchange fails with a [`TransportError`] of this kind (no response).
    TransportError(TransportErrorKind),
    /// Answer with the inner reply after this much simulated time, measured from the
    /// moment the request was sent. The wait is a timer on the [`ManualClock`]: dropping
    /// the response future cancels it. Nested delays add up.
    Delay(Duration, Box<Self>),
    /// Never answer, and register no timer: the response future stays pending forever.
    /// Whoever sent the request must give up on its own (a request timeout); if nothing
    /// does, the simulation ends in [`SimError::Deadlock`](super::SimError::Deadlock).
    Hang,
}

impl ScriptedReply {
    /// `Status(200)`: a successful `PutLogs`.
    pub const fn ok() -> Self {
        Self::Status(200)
    }

    /// An SLS JSON error ([`ScriptedReply::SlsError`]).
    pub fn sls_error(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::SlsError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// What a transport's request timeout looks like: a
    /// [`TransportErrorKind::Timeout`] error `after` the request was sent.
    pub fn timeout_after(after: Duration) -> Self {
        Self::TransportError(TransportErrorKind::Timeout).delayed(after)
    }

    /// This reply, answered `delay` later ([`ScriptedReply::Delay`]).
    pub fn delayed(self, delay: Duration) -> Self {
        Self::Delay(delay, Box::new(self))
    }

    /// Resolve delays and build the outcome for request number `index`.
    fn plan(&self, index: u64) -> (Duration, Outcome) {
        match self {
            Self::Status(status) => (
                Duration::ZERO,
                Outcome::Respond(Ok(HttpResponse::new(*status)
                    .with_header(REQUEST_ID_HEADER, ScriptedTransport::request_id(index)))),
            ),
            Self::SlsError {
                status,
                code,
                message,
            } => {
                let mut body = Vec::with_capacity(32 + code.len() + message.len());
                body.extend_from_slice(b"{\"errorCode\":");
                json::write_str_bytes(&mut body, code);
                body.extend_from_slice(b",\"errorMessage\":");
                json::write_str_bytes(&mut body, message);
                body.push(b'}');
                let response = HttpResponse::new(*status)
                    .with_header("content-type", "application/json")
                    .with_header(REQUEST_ID_HEADER, ScriptedTransport::request_id(index))
                    .with_body(Bytes::from(body));
                (Duration::ZERO, Outcome::Respond(Ok(response)))
            }
            Self::Response(response) => (Duration::ZERO, Outcome::Respond(Ok(response.clone()))),
            Self::TransportError(kind) => (
                Duration::ZERO,
                Outcome::Respond(Err(TransportError::new(
                    *kind,
                    format!("scripted {} for request #{index}", kind.as_str()),
                ))),
            ),
            Self::Delay(delay, inner) => {
                let (rest, outcome) = inner.plan(index);
                (delay.saturating_add(rest), outcome)
            }
            Self::Hang => (Duration::ZERO, Outcome::Hang),
        }
    }
}

enum Outcome {
    Respond(Result<HttpResponse, TransportError>),
    Hang,
}

/// One request as the [`ScriptedTransport`] received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Position among all requests this transport received, from 0. Not reset by
    /// [`ScriptedTransport::clear`].
    pub index: u64,
    /// Simulated time at which [`HttpTransport::send`] was called.
    pub received_at: Instant,
    /// The request, exactly as sent.
    pub request: HttpRequest,
    /// The reply it was given (from the script, the responder or the default).
    pub reply: ScriptedReply,
}

impl RecordedRequest {
    /// The logs of a PutLogs request, decompressed (as `x-log-compresstype` and
    /// `x-log-bodyrawsize` say) and decoded, in order. `None` if the body is not a
    /// LogGroup this producer could have sent (a web-tracking request, a damaged body).
    pub fn logs(&self) -> Option<Vec<Log>> {
        let header = |name| self.request.header(name);
        let compression = match header("x-log-compresstype") {
            Some(name) => Compression::from_header_value(name)?,
            None => Compression::None,
        };
        let raw_len = header("x-log-bodyrawsize")?.parse().ok()?;
        let raw = compress::decompress(compression, &self.request.body, raw_len).ok()?;
        Some(proto::decode_log_group(&raw).ok()?.logs)
    }
}

#[cfg(not(wasm_browser))]
type ResponderFn = dyn FnMut(&HttpRequest, Instant) -> ScriptedReply + Send;
#[cfg(wasm_browser)]
type ResponderFn = dyn FnMut(&HttpRequest, Instant) -> ScriptedReply;

/// The responder has its own lock so that it runs outside the transport state's lock.
type SharedResponder = Arc<Lock<Box<ResponderFn>>>;

/// An [`HttpTransport`] for simulations: it records every request and answers from a
/// script.
///
/// Each request is answered by, in order of precedence:
///
/// 1. the next reply queued with [`push_reply`](Self::push_reply) /
///    [`push_replies`](Self::push_replies) (the script);
/// 2. when the script is empty, the responder set with
///    [`set_responder`](Self::set_responder), a closure of the request and the simulated
///    time it arrived — the hook for seeded random fault injection with a
///    [`SimRng`](super::SimRng);
/// 3. otherwise the default reply ([`ScriptedReply::ok`] unless changed with
///    [`set_default_reply`](Self::set_default_reply)).
///
/// The request is recorded, with the instant it was received and the reply chosen, when
/// the future of [`send`](HttpTransport::send) is first polled. Delays
/// run on the [`ManualClock`]. The transport also tracks how many response futures are
/// outstanding ([`in_flight`](Self::in_flight), [`max_in_flight`](Self::max_in_flight)),
/// to check a concurrency limit.
///
/// `ScriptedTransport` is a cheap `Clone` handle: keep one for assertions and hand another
/// to the code under test as `Arc<dyn HttpTransport>`.
#[derive(Clone)]
pub struct ScriptedTransport {
    clock: ManualClock,
    state: Arc<Lock<TransportState>>,
}

struct TransportState {
    script: VecDeque<ScriptedReply>,
    default_reply: ScriptedReply,
    responder: Option<SharedResponder>,
    recorded: Vec<RecordedRequest>,
    next_index: u64,
    in_flight: usize,
    max_in_flight: usize,
}

impl ScriptedTransport {
    /// A transport on `clock` with an empty script, no responder and
    /// [`ScriptedReply::ok`] as the default reply.
    pub fn new(clock: ManualClock) -> Self {
        Self {
            clock,
            state: Arc::new(Lock::new(TransportState {
                script: VecDeque::new(),
                default_reply: ScriptedReply::ok(),
                responder: None,
                recorded: Vec::new(),
                next_index: 0,
                in_flight: 0,
                max_in_flight: 0,
            })),
        }
    }

    /// The `x-log-requestid` the transport generates for request number `index`:
    /// 24 upper-case hex digits like a real SLS request id: `53494D` (ASCII `SIM`)
    /// followed by `index` in hex.
    pub fn request_id(index: u64) -> String {
        format!("53494D{index:018X}")
    }

    /// Queue `reply` as the answer to the next unanswered request.
    pub fn push_reply(&self, reply: ScriptedReply) {
        self.state.lock().script.push_back(reply);
    }

    /// Queue several replies, answered in order.
    pub fn push_replies(&self, replies: impl IntoIterator<Item = ScriptedReply>) {
        let replies: Vec<_> = replies.into_iter().collect();
        self.state.lock().script.extend(replies);
    }

    /// Scripted replies not used yet.
    pub fn remaining_replies(&self) -> usize {
        self.state.lock().script.len()
    }

    /// Drop the unused scripted replies.
    pub fn clear_script(&self) {
        let script = core::mem::take(&mut self.state.lock().script);
        drop(script);
    }

    /// The reply used when the script is empty and no responder is set.
    pub fn set_default_reply(&self, reply: ScriptedReply) {
        self.state.lock().default_reply = reply;
    }

    /// Answer requests with `responder(&request, received_at)` whenever the script is
    /// empty. It may keep state (a [`SimRng`](super::SimRng), counters) and may read the
    /// transport ([`requests`](Self::requests), …), but must not
    /// [`send`](HttpTransport::send) through it: that would wait on itself forever.
    ///
    /// ```
    /// use sls_producer_core::sim::{ManualClock, ScriptedReply, ScriptedTransport, SimRng};
    /// use sls_producer_core::rt::TransportErrorKind;
    ///
    /// let transport = ScriptedTransport::new(ManualClock::new());
    /// let mut rng = SimRng::new(7);
    /// transport.set_responder(move |_request, _now| {
    ///     if rng.chance(1, 10) {
    ///         ScriptedReply::TransportError(TransportErrorKind::Io)
    ///     } else {
    ///         ScriptedReply::ok()
    ///     }
    /// });
    /// ```
    pub fn set_responder(
        &self,
        responder: impl FnMut(&HttpRequest, Instant) -> ScriptedReply + MaybeSend + 'static,
    ) {
        let responder: SharedResponder = Arc::new(Lock::new(Box::new(responder)));
        let old = self.state.lock().responder.replace(responder);
        drop(old);
    }

    /// Remove the responder; the default reply applies again.
    pub fn clear_responder(&self) {
        let old = self.state.lock().responder.take();
        drop(old);
    }

    /// Every request received since creation or the last [`clear`](Self::clear), in
    /// order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().recorded.clone()
    }

    /// How many requests [`requests`](Self::requests) would return.
    pub fn request_count(&self) -> usize {
        self.state.lock().recorded.len()
    }

    /// Forget the recorded requests. The script, the responder and the request numbering
    /// are kept.
    pub fn clear(&self) {
        let recorded = core::mem::take(&mut self.state.lock().recorded);
        drop(recorded);
    }

    /// Response futures handed out and neither completed nor dropped.
    pub fn in_flight(&self) -> usize {
        self.state.lock().in_flight
    }

    /// The highest [`in_flight`](Self::in_flight) value seen so far.
    pub fn max_in_flight(&self) -> usize {
        self.state.lock().max_in_flight
    }
}

impl fmt::Debug for ScriptedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        f.debug_struct("ScriptedTransport")
            .field("requests", &s.recorded.len())
            .field("remaining_replies", &s.script.len())
            .field("responder", &s.responder.is_some())
            .field("default_reply", &s.default_reply)
            .field("in_flight", &s.in_flight)
            .finish()
    }
}

enum ReplySource {
    Fixed(ScriptedReply),
    Responder(SharedResponder),
}

/// Decrements the in-flight count when a response future completes or is dropped.
struct InFlight(Arc<Lock<TransportState>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.lock().in_flight -= 1;
    }
}

#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
impl HttpTransport for ScriptedTransport {
    /// Records the request and plans its reply at the first poll (so in the order the
    /// requests are first polled).
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let received_at = self.clock.now();
        let (index, source) = {
            let mut s = self.state.lock();
            let index = s.next_index;
            s.next_index += 1;
            let source = match (s.script.pop_front(), &s.responder) {
                (Some(reply), _) => ReplySource::Fixed(reply),
                (None, Some(responder)) => ReplySource::Responder(responder.clone()),
                (None, None) => ReplySource::Fixed(s.default_reply.clone()),
            };
            (index, source)
        };
        let reply = match source {
            ReplySource::Fixed(reply) => reply,
            // User code runs outside the lock.
            ReplySource::Responder(responder) => (responder.lock())(&request, received_at),
        };
        let (delay, outcome) = reply.plan(index);
        // Register the delay timer now, so that its sequence number follows send order.
        let sleep = (!delay.is_zero()).then(|| self.clock.sleep_until(received_at + delay));
        let guard = {
            let mut s = self.state.lock();
            s.recorded.push(RecordedRequest {
                index,
                received_at,
                request,
                reply,
            });
            s.in_flight += 1;
            s.max_in_flight = s.max_in_flight.max(s.in_flight);
            InFlight(self.state.clone())
        };
        let _guard = guard;
        if let Some(sleep) = sleep {
            sleep.await;
        }
        match outcome {
            Outcome::Respond(result) => result,
            Outcome::Hang => core::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::http::{Method, Scheme};

    #[test]
    fn json_error_body_escapes_strings() {
        let (delay, outcome) =
            ScriptedReply::sls_error(400, "Bad\"Code", "line\nbreak \\ \u{1}").plan(3);
        assert_eq!(delay, Duration::ZERO);
        let Outcome::Respond(Ok(resp)) = outcome else {
            panic!("expected a response");
        };
        assert_eq!(resp.status, 400);
        assert_eq!(
            &resp.body[..],
            br#"{"errorCode":"Bad\"Code","errorMessage":"line\nbreak \\ \u0001"}"#
        );
        assert_eq!(
            resp.header("x-log-requestid"),
            Some("53494D000000000000000003")
        );
        assert_eq!(resp.header("content-type"), Some("application/json"));
    }

    #[test]
    fn nested_delays_add_up() {
        let reply =
            ScriptedReply::timeout_after(Duration::from_secs(2)).delayed(Duration::from_secs(3));
        let (delay, outcome) = reply.plan(0);
        assert_eq!(delay, Duration::from_secs(5));
        let Outcome::Respond(Err(e)) = outcome else {
            panic!("expected a transport error");
        };
        assert_eq!(e.kind(), TransportErrorKind::Timeout);
        assert!(
            matches!(ScriptedReply::Hang.delayed(Duration::from_secs(1)).plan(0), (d, Outcome::Hang) if d == Duration::from_secs(1))
        );
    }

    #[test]
    fn responder_is_consulted_only_when_the_script_is_empty() {
        let clock = ManualClock::new();
        let t = ScriptedTransport::new(clock);
        t.set_responder(|req, _| ScriptedReply::Status(if req.path() == "/a" { 201 } else { 202 }));
        t.push_reply(ScriptedReply::Status(500));
        let req = |path: &str| HttpRequest {
            method: Method::Post,
            scheme: Scheme::Http,
            authority: "127.0.0.1".into(),
            path_and_query: path.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        };
        // A request is recorded when its future is first polled.
        let send = |path| {
            let mut future = t.send(req(path));
            let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
            let _ = future.as_mut().poll(&mut cx);
        };
        send("/a");
        send("/a");
        send("/b");
        assert_eq!(t.max_in_flight(), 1);
        drop(t.send(req("/never-polled")));
        t.clear_responder();
        t.set_default_reply(ScriptedReply::Status(204));
        send("/b");
        let replies: Vec<_> = t.requests().into_iter().map(|r| r.reply).collect();
        assert_eq!(
            replies,
            [500, 201, 202, 204].map(ScriptedReply::Status).to_vec()
        );
        assert_eq!(t.in_flight(), 0, "dropped futures are no longer in flight");
        assert_eq!(t.max_in_flight(), 1);
    }
}
