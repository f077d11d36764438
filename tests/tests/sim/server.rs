//! The simulated SLS: a seeded responder for the `ScriptedTransport` that authenticates,
//! stores, refuses, delays or loses requests, and a transport wrapper that records what
//! the producer's driver actually observed of each exchange.
//!
//! "Stored" is the server's view (it kept the logs); "observed" is the driver's (the
//! response reached it). They differ in two documented cases: a response lost after the
//! server stored the logs (the driver sees a connection error, retries, and the server
//! stores the logs again: an at-least-once duplicate), and a 200 still on its way when the
//! close deadline gave the batch up (the driver reports `Closed { in_flight: true }`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use core::fmt;
use core::time::Duration;

use async_trait::async_trait;
use sls_producer_core::Producer;
use sls_producer_core::rt::{Clock, HttpTransport, TransportError, TransportErrorKind};
use sls_producer_core::rt::{HttpRequest, HttpResponse};
use sls_producer_core::rt::{Instant, UnixTime};
use sls_producer_core::sim::{ManualClock, ScriptedReply, ScriptedTransport, SimRng};

use crate::support::{Stamp, Stamper};

/// The kinds of trouble the server can make, with their weights in a [`FaultProfile`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// 500, 502 or 503 with an SLS error body.
    ServerError,
    /// 429 (throttled).
    Throttled,
    /// 403 `WriteQuotaExceed` / `ShardWriteQuotaExceed`.
    Quota,
    /// 401 although the key is fine (e.g. a clock-skewed signature check).
    Unauthorized,
    /// 400 `PostBodyInvalid`.
    BadRequest,
    /// 404 `LogStoreNotExist`.
    NotFound,
    /// A proxy's HTML error page (404, 502 or 504), no SLS error document.
    ProxyPage,
    /// The transport's request timeout fires.
    Timeout,
    /// The connection cannot be established.
    Connect,
    /// The server stores the logs, then the connection breaks before the response.
    LostAfterStore,
}

impl Fault {
    pub(crate) const ALL: [Self; 10] = [
        Self::ServerError,
        Self::Throttled,
        Self::Quota,
        Self::Unauthorized,
        Self::BadRequest,
        Self::NotFound,
        Self::ProxyPage,
        Self::Timeout,
        Self::Connect,
        Self::LostAfterStore,
    ];

    /// The faults an outage answers with (the server is up but overloaded or unreachable).
    const OUTAGE: [Self; 5] = [
        Self::ServerError,
        Self::Throttled,
        Self::Quota,
        Self::Timeout,
        Self::Connect,
    ];
}

/// How a scenario's server misbehaves.
#[derive(Clone, Debug)]
pub(crate) struct FaultProfile {
    /// Chance, per mille, that a request outside an outage fails.
    pub(crate) error_per_mille: u64,
    /// Relative weights of [`Fault::ALL`] when a request fails.
    pub(crate) weights: [u64; 10],
    /// Chance, per mille, that a request starts an outage.
    pub(crate) outage_per_mille: u64,
    /// Longest outage.
    pub(crate) outage_max: Duration,
    /// Chance, per mille, that an answer is slow (up to `max_delay`); others take ≤ 2 ms.
    pub(crate) slow_per_mille: u64,
    /// Chance, per mille, that an answer that is not slow comes at once, in the same
    /// simulated instant as the request.
    pub(crate) instant_per_mille: u64,
    /// Longest answer delay.
    pub(crate) max_delay: Duration,
    /// Longest transport timeout.
    pub(crate) timeout_max: Duration,
    /// Chance, per mille, that the server revokes the request's (rotating) key and answers
    /// 401: the producer must fetch a new one.
    pub(crate) revoke_per_mille: u64,
}

/// Why a request was refused with 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// Not a key the server issued.
    UnknownKey,
    /// The key's expiry has passed.
    Expired,
    /// The key was revoked.
    Revoked,
    /// The STS token does not belong to the key.
    WrongToken,
}

/// What the server decided for one request (in request order).
#[derive(Clone, Debug)]
pub(crate) struct Decision {
    /// The server kept the logs.
    pub(crate) stored: bool,
    /// The fault injected, if any.
    pub(crate) fault: Option<Fault>,
    /// The 401 was an authentication failure, not an injected fault.
    pub(crate) auth: Option<AuthFailure>,
    /// The key id the request was signed with.
    pub(crate) key_id: String,
}

struct Key {
    token: Option<String>,
    expires: Option<UnixTime>,
    revoked: bool,
}

/// The server's state. Shared (behind a mutex) by the responder and the credentials
/// provider, which registers every key it issues.
pub(crate) struct Server {
    clock: ManualClock,
    rng: SimRng,
    profile: FaultProfile,
    keys: BTreeMap<String, Key>,
    outage: Option<(Instant, Fault)>,
    decisions: Vec<Decision>,
}

impl Server {
    pub(crate) fn new(clock: ManualClock, rng: SimRng, profile: FaultProfile) -> Self {
        Self {
            clock,
            rng,
            profile,
            keys: BTreeMap::new(),
            outage: None,
            decisions: Vec::new(),
        }
    }

    /// Accept requests signed with `key_id` (and `token`, if any) until `expires`.
    pub(crate) fn issue_key(
        &mut self,
        key_id: &str,
        token: Option<&str>,
        expires: Option<UnixTime>,
    ) {
        self.keys.insert(
            key_id.to_string(),
            Key {
                token: token.map(str::to_string),
                expires,
                revoked: false,
            },
        );
    }

    pub(crate) fn decisions(&self) -> Vec<Decision> {
        self.decisions.clone()
    }

    /// Answer `request`, received now.
    pub(crate) fn answer(&mut self, request: &HttpRequest, revocable: bool) -> ScriptedReply {
        let key_id = request
            .header("authorization")
            .and_then(key_id)
            .unwrap_or_default()
            .to_string();
        let mut decision = Decision {
            stored: false,
            fault: None,
            auth: self.authenticate(request, &key_id),
            key_id,
        };
        let reply = if decision.auth.is_some() {
            unauthorized("the key is not valid")
        } else if revocable && self.rng.chance(self.profile.revoke_per_mille, 1000) {
            if let Some(key) = self.keys.get_mut(&decision.key_id) {
                key.revoked = true;
            }
            decision.auth = Some(AuthFailure::Revoked);
            unauthorized("the key was revoked")
        } else {
            match self.pick_fault() {
                Some(fault) => {
                    decision.fault = Some(fault);
                    decision.stored = fault == Fault::LostAfterStore;
                    self.fault_reply(fault)
                }
                None => {
                    decision.stored = true;
                    ScriptedReply::ok()
                }
            }
        };
        let timed = decision.fault == Some(Fault::Timeout);
        self.decisions.push(decision);
        if timed { reply } else { self.delayed(reply) }
    }

    fn authenticate(&self, request: &HttpRequest, key_id: &str) -> Option<AuthFailure> {
        let Some(key) = self.keys.get(key_id) else {
            return Some(AuthFailure::UnknownKey);
        };
        if key.revoked {
            return Some(AuthFailure::Revoked);
        }
        if key
            .expires
            .is_some_and(|expires| expires <= self.clock.unix_time())
        {
            return Some(AuthFailure::Expired);
        }
        if key.token.as_deref() != request.header("x-acs-security-token") {
            return Some(AuthFailure::WrongToken);
        }
        None
    }

    fn pick_fault(&mut self) -> Option<Fault> {
        let now = self.clock.now();
        if let Some((until, fault)) = self.outage {
            if now < until {
                return Some(fault);
            }
            self.outage = None;
        }
        if self.rng.chance(self.profile.outage_per_mille, 1000) {
            let until = now.saturating_add(self.rng.duration_up_to(self.profile.outage_max));
            let fault = *self.rng.pick(&Fault::OUTAGE).expect("not empty");
            self.outage = Some((until, fault));
            return Some(fault);
        }
        if !self.rng.chance(self.profile.error_per_mille, 1000) {
            return None;
        }
        let total: u64 = self.profile.weights.iter().sum();
        let mut roll = self.rng.below(total);
        for (fault, weight) in Fault::ALL.iter().zip(self.profile.weights) {
            if roll < weight {
                return Some(*fault);
            }
            roll -= weight;
        }
        None
    }

    fn fault_reply(&mut self, fault: Fault) -> ScriptedReply {
        let rng = &mut self.rng;
        match fault {
            Fault::ServerError => {
                let (status, code) = *rng
                    .pick(&[
                        (500, "InternalServerError"),
                        (502, "BadGateway"),
                        (503, "ServerBusy"),
                    ])
                    .expect("not empty");
                ScriptedReply::sls_error(status, code, "simulated server error")
            }
            Fault::Throttled => ScriptedReply::sls_error(429, "TooManyRequests", "slow down"),
            Fault::Quota => {
                let code = *rng
                    .pick(&["WriteQuotaExceed", "ShardWriteQuotaExceed"])
                    .expect("not empty");
                ScriptedReply::sls_error(403, code, "write quota exceeded")
            }
            Fault::Unauthorized => unauthorized("signature check failed"),
            Fault::BadRequest => ScriptedReply::sls_error(400, "PostBodyInvalid", "bad body"),
            Fault::NotFound => {
                ScriptedReply::sls_error(404, "LogStoreNotExist", "logstore does not exist")
            }
            Fault::ProxyPage => {
                let status = *rng.pick(&[404, 502, 504]).expect("not empty");
                ScriptedReply::Response(
                    HttpResponse::new(status)
                        .with_header("content-type", "text/html")
                        .with_body("<html><body>proxy error</body></html>"),
                )
            }
            Fault::Timeout => {
                let after = Duration::from_millis(1) + rng.duration_up_to(self.profile.timeout_max);
                ScriptedReply::timeout_after(after)
            }
            Fault::Connect => ScriptedReply::TransportError(TransportErrorKind::Connect),
            Fault::LostAfterStore => ScriptedReply::TransportError(TransportErrorKind::Io),
        }
    }

    fn delayed(&mut self, reply: ScriptedReply) -> ScriptedReply {
        let delay = if self.rng.chance(self.profile.slow_per_mille, 1000) {
            self.rng.duration_up_to(self.profile.max_delay)
        } else if self.rng.chance(self.profile.instant_per_mille, 1000) {
            Duration::ZERO
        } else {
            self.rng.duration_up_to(Duration::from_millis(2))
        };
        if delay.is_zero() {
            reply
        } else {
            reply.delayed(delay)
        }
    }
}

fn unauthorized(message: &str) -> ScriptedReply {
    ScriptedReply::sls_error(401, "Unauthorized", message)
}

/// The AccessKey id of an `Authorization` header, v1 (`LOG id:signature`) or v4
/// (`SLS4-HMAC-SHA256 Credential=id/date/region/sls/aliyun_v4_request,Signature=…`).
pub(crate) fn key_id(authorization: &str) -> Option<&str> {
    if let Some(rest) = authorization.strip_prefix("LOG ") {
        return rest.split_once(':').map(|(id, _)| id);
    }
    let credential = authorization.split_once("Credential=")?.1;
    credential.split_once('/').map(|(id, _)| id)
}

/// What the driver saw of an exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Observed {
    /// A response with this status.
    Status(u16),
    /// A transport error of this kind.
    Failed(TransportErrorKind),
}

/// One request as the producer's driver sent it (when it first polled the transport's
/// future, which is when the scripted server receives it), and when (if ever) the driver
/// received its outcome.
#[derive(Clone)]
pub(crate) struct Exchange {
    pub(crate) sent: Stamp,
    pub(crate) request: HttpRequest,
    pub(crate) completed: Option<(Stamp, Observed)>,
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("sent", &self.sent)
            .field("path", &self.request.path_and_query)
            .field("completed", &self.completed)
            .finish()
    }
}

/// Reads the producer's metrics whenever the driver sends a request: the peaks of its
/// buffered bytes and of its requests in flight.
#[derive(Clone, Default)]
pub(crate) struct MemoryProbe {
    producer: Arc<Mutex<Option<Producer>>>,
    peak: Arc<Mutex<usize>>,
    peak_in_flight: Arc<Mutex<usize>>,
}

impl MemoryProbe {
    /// Start watching `producer` (holds a handle until [`MemoryProbe::release`]).
    pub(crate) fn watch(&self, producer: Producer) {
        *self.producer.lock().unwrap() = Some(producer);
    }

    /// Drop the watched handle (so that dropping every other handle closes the producer).
    pub(crate) fn release(&self) {
        let producer = self.producer.lock().unwrap().take();
        drop(producer);
    }

    /// Record the producer's buffered bytes and requests in flight now.
    pub(crate) fn sample(&self) {
        let producer = self.producer.lock().unwrap().clone();
        if let Some(p) = producer {
            let m = p.metrics();
            self.record(m.buffered_bytes);
            let mut peak = self.peak_in_flight.lock().unwrap();
            *peak = (*peak).max(m.in_flight);
        }
    }

    /// Record a buffered-bytes reading taken elsewhere.
    pub(crate) fn record(&self, buffered: usize) {
        let mut peak = self.peak.lock().unwrap();
        *peak = (*peak).max(buffered);
    }

    /// The highest buffered-bytes reading.
    pub(crate) fn peak(&self) -> usize {
        *self.peak.lock().unwrap()
    }

    /// The highest requests-in-flight reading.
    pub(crate) fn peak_in_flight(&self) -> usize {
        *self.peak_in_flight.lock().unwrap()
    }
}

/// An [`HttpTransport`] around the scenario's [`ScriptedTransport`] that records every
/// exchange and the moment the driver received its outcome.
#[derive(Clone)]
pub(crate) struct ObservingTransport {
    inner: ScriptedTransport,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    stamper: Stamper,
    probe: MemoryProbe,
}

impl ObservingTransport {
    pub(crate) fn new(inner: ScriptedTransport, stamper: Stamper, probe: MemoryProbe) -> Self {
        Self {
            inner,
            exchanges: Arc::default(),
            stamper,
            probe,
        }
    }

    pub(crate) fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().unwrap().clone()
    }
}

#[async_trait]
impl HttpTransport for ObservingTransport {
    /// Records the exchange, then hands the request to the scripted transport, which
    /// records it too, in the same poll: the two records line up one to one.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.probe.sample();
        let index = {
            let mut exchanges = self.exchanges.lock().unwrap();
            exchanges.push(Exchange {
                sent: self.stamper.stamp(),
                request: request.clone(),
                completed: None,
            });
            exchanges.len() - 1
        };
        let outcome = self.inner.send(request).await;
        let observed = match &outcome {
            Ok(r) => Observed::Status(r.status),
            Err(e) => Observed::Failed(e.kind()),
        };
        self.exchanges.lock().unwrap()[index].completed = Some((self.stamper.stamp(), observed));
        outcome
    }
}
