//! The invariants every run must hold, checked on its [`Trace`].
//!
//! The server's view is rebuilt from the recorded requests (decompressed and decoded, as
//! SLS would) and the driver's view from the recorded completions. An exchange counts as
//! **accepted** when the scripted server answered 200 **and the engine processed that
//! answer**: its completion came before the close deadline gave the batch up. A 200 still
//! in flight at the deadline is stored by the server but reported `Closed { in_flight:
//! true }`, and a response lost after the server stored the logs makes the retry store
//! them twice; both are counted as at-least-once duplicates in the summary, never as
//! deliveries.

use std::collections::{BTreeMap, HashMap};

use core::cell::RefCell;
use core::time::Duration;

use sls_producer_core::engine::backoff::Rng;
use sls_producer_core::protocol::proto::{LogGroup, LogGroupEncoder, LogTag};
use sls_producer_core::rt::{Instant, UnixTime};
use sls_producer_core::sim::{ManualClock, ScriptedTransport};
use sls_producer_core::{DeliveryFailure, DeliveryResult};

use crate::run::{Refusal, STATIC_KEY_ID, SendRecord, Trace};
use crate::scenario::{CredentialsPlan, Notify, Scenario};
use crate::server::{AuthFailure, Fault, Observed, key_id};
use crate::support::{Stamp, id_of, log_group};

/// Figures of one checked run, summed over a suite.
#[derive(Clone, Debug, Default)]
pub(crate) struct Summary {
    pub(crate) scenarios: u64,
    pub(crate) sends: u64,
    pub(crate) accepted_logs: u64,
    pub(crate) delivered_logs: u64,
    pub(crate) failed_logs: u64,
    pub(crate) refused_sends: u64,
    pub(crate) requests: u64,
    pub(crate) retries: u64,
    /// Logs the server stored more than once, or stored without the producer learning it.
    pub(crate) duplicates: u64,
    pub(crate) close_deadlines_hit: u64,
    pub(crate) simulated: Duration,
    /// How often each interesting path was taken (coverage of the scenario generator).
    pub(crate) paths: BTreeMap<&'static str, u64>,
}

impl Summary {
    pub(crate) fn add(&mut self, other: &Self) {
        self.scenarios += other.scenarios;
        self.sends += other.sends;
        self.accepted_logs += other.accepted_logs;
        self.delivered_logs += other.delivered_logs;
        self.failed_logs += other.failed_logs;
        self.refused_sends += other.refused_sends;
        self.requests += other.requests;
        self.retries += other.retries;
        self.duplicates += other.duplicates;
        self.close_deadlines_hit += other.close_deadlines_hit;
        self.simulated += other.simulated;
        for (path, n) in &other.paths {
            *self.paths.entry(path).or_default() += n;
        }
    }
}

/// How the engine classifies an observed outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Delivered,
    Final(u16),
    Retry { unauthorized: bool },
}

fn verdict(observed: Observed, no_retry: &[u16]) -> Verdict {
    match observed {
        Observed::Status(200) => Verdict::Delivered,
        Observed::Status(s) if no_retry.contains(&s) => Verdict::Final(s),
        Observed::Status(s) => Verdict::Retry {
            unauthorized: s == 401,
        },
        Observed::Failed(_) => Verdict::Retry {
            unauthorized: false,
        },
    }
}

/// One recorded request as the server read it.
struct Body {
    ids: Vec<u64>,
    group: LogGroup,
    raw_len: usize,
}

struct View<'a> {
    s: &'a Scenario,
    t: &'a Trace,
    /// The effective close deadline: the earliest deadline point of any close call.
    deadline: Option<Stamp>,
    first_close: Option<Stamp>,
    bodies: Vec<Body>,
    /// Whether the engine processed the exchange's outcome.
    processed: Vec<bool>,
    /// Accepted log id → index of its send.
    owner: HashMap<u64, usize>,
    /// Log id → the batch (first log id of its body) that carried it.
    batch_of: HashMap<u64, u64>,
    /// Batch → its exchanges, in send order.
    batches: BTreeMap<u64, Vec<usize>>,
    /// Log id → accepted-and-confirmed (engine saw the 200) count.
    delivered: HashMap<u64, u32>,
    paths: RefCell<BTreeMap<&'static str, u64>>,
}

/// Check every invariant of one run. Panics with a description of the first violation.
pub(crate) fn check(s: &Scenario, t: &Trace) -> Summary {
    let v = View::new(s, t);
    v.requests_are_well_formed();
    v.limits_are_never_exceeded();
    v.each_log_is_confirmed_at_most_once();
    v.each_accepted_send_gets_exactly_one_outcome();
    v.outcomes_match_what_the_server_accepted();
    v.refusals_are_justified();
    v.backoff_follows_the_configuration();
    v.batches_leave_by_linger_flush_or_close();
    v.memory_accounting_follows_outcomes();
    v.close_is_honoured();
    v.flush_waits_for_earlier_sends();
    v.credentials_rotate_and_expire_as_planned();
    v.counters_match();
    v.nothing_is_left_running();
    v.summary()
}

impl<'a> View<'a> {
    fn new(s: &'a Scenario, t: &'a Trace) -> Self {
        let deadline = t.closes.iter().filter_map(|c| c.deadline_point()).min();
        let first_close = t.closes.iter().map(|c| c.called).min();
        let mut owner = HashMap::new();
        for (i, send) in t.sends.iter().enumerate() {
            if send.accepted() {
                for log in &send.logs {
                    assert!(
                        owner.insert(id_of(log), i).is_none(),
                        "log id {} accepted twice",
                        id_of(log)
                    );
                }
            }
        }
        assert_eq!(
            t.requests.len(),
            t.exchanges.len(),
            "the server and the observing transport saw different requests"
        );
        let bodies: Vec<Body> = t
            .exchanges
            .iter()
            .zip(&t.requests)
            .enumerate()
            .map(|(i, (e, r))| {
                assert_eq!(e.request, r.request, "request #{i}: the server saw another");
                let (group, raw_len) = log_group(&r.request);
                assert_eq!(
                    r.logs().as_ref(),
                    Some(&group.logs),
                    "request #{i}: RecordedRequest::logs"
                );
                Body {
                    ids: group.logs.iter().map(id_of).collect(),
                    group,
                    raw_len,
                }
            })
            .collect();
        let processed: Vec<bool> = t
            .exchanges
            .iter()
            .map(|e| {
                e.completed
                    .is_some_and(|(c, _)| deadline.is_none_or(|d| c < d))
            })
            .collect();
        let mut batch_of = HashMap::new();
        let mut batches: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        let mut delivered: HashMap<u64, u32> = HashMap::new();
        for (i, body) in bodies.iter().enumerate() {
            let Some(&first) = body.ids.first() else {
                panic!("request #{i} carries no logs");
            };
            for &id in &body.ids {
                let batch = *batch_of.entry(id).or_insert(first);
                assert_eq!(
                    batch, first,
                    "log {id} travelled in two different batches ({batch} and {first})"
                );
            }
            batches.entry(first).or_default().push(i);
            let observed = t.exchanges[i].completed.map(|(_, o)| o);
            if processed[i] && observed == Some(Observed::Status(200)) {
                for &id in &body.ids {
                    *delivered.entry(id).or_default() += 1;
                }
            }
        }
        Self {
            s,
            t,
            deadline,
            first_close,
            bodies,
            processed,
            owner,
            batch_of,
            batches,
            delivered,
            paths: RefCell::default(),
        }
    }

    /// Count one pass through `path`.
    fn hit(&self, path: &'static str) {
        *self.paths.borrow_mut().entry(path).or_default() += 1;
    }

    fn is_delivered(&self, id: u64) -> bool {
        self.delivered.contains_key(&id)
    }

    fn observed(&self, exchange: usize) -> Option<Observed> {
        self.t.exchanges[exchange].completed.map(|(_, o)| o)
    }

    fn verdict_of(&self, exchange: usize) -> Option<Verdict> {
        let no_retry = &self.s.config.no_retry_status_codes;
        self.observed(exchange).map(|o| verdict(o, no_retry))
    }

    /// Every request carries logs of one route, intact and in send order, with the route's
    /// topic, source, path, shard key and the configured tags.
    fn requests_are_well_formed(&self) {
        let config = &self.s.config;
        let shard = self.s.shard;
        for (spec, route) in self.s.routes.iter().zip(&self.t.routes) {
            match (spec.hash.as_deref(), route.shard_key()) {
                (None, key) => assert_eq!(key, None, "{spec:?}"),
                (Some(h), key) if !shard.bucketed => {
                    assert_eq!(key, (!h.is_empty()).then_some(h), "{spec:?}");
                }
                // Bucketed: 32 hex digits of which only the top log2(buckets) bits may be
                // set (the value itself is pinned by the core's golden vectors).
                (Some(_), Some(key)) => {
                    let value = u128::from_str_radix(key, 16).expect("hex");
                    let bits = shard.buckets.ilog2();
                    assert_eq!(key.len(), 32, "{spec:?}: {key}");
                    assert_eq!(key, key.to_ascii_lowercase(), "{spec:?}");
                    assert_eq!(
                        value.checked_shl(bits).unwrap_or(0),
                        0,
                        "{spec:?}: {key} has bits below the top {bits}"
                    );
                }
                (Some(_), None) => panic!("{spec:?}: a bucketed hash without a key"),
            }
            assert_eq!(
                (
                    route.project(),
                    route.logstore(),
                    route.topic(),
                    route.source()
                ),
                (
                    spec.project,
                    spec.logstore,
                    spec.topic.as_str(),
                    spec.source.as_str()
                )
            );
        }
        let logs_by_id: HashMap<u64, (&SendRecord, usize)> = self
            .owner
            .iter()
            .map(|(&id, &send)| {
                let record = &self.t.sends[send];
                let pos = record.logs.iter().position(|l| id_of(l) == id).unwrap();
                (id, (record, pos))
            })
            .collect();
        for (i, (e, body)) in self.t.exchanges.iter().zip(&self.bodies).enumerate() {
            let mut route = None;
            let mut last_pos: HashMap<usize, usize> = HashMap::new();
            for (log, &id) in body.group.logs.iter().zip(&body.ids) {
                let Some(&(record, pos)) = logs_by_id.get(&id) else {
                    panic!("request #{i} carries log {id}, which no accepted send holds");
                };
                assert_eq!(log, &record.logs[pos], "log {id} arrived altered");
                let send = self.owner[&id];
                if let Some(prev) = last_pos.insert(send, pos) {
                    assert!(
                        prev < pos,
                        "logs of send {send} out of order in request #{i}"
                    );
                }
                let r = &self.t.routes[record.route];
                assert_eq!(*route.get_or_insert(r), r, "request #{i} mixes routes");
            }
            let route = route.expect("logs present");
            assert_eq!(body.group.topic.as_deref(), Some(route.topic()));
            assert_eq!(body.group.source.as_deref(), Some(route.source()));
            let host = e.request.header("host").expect("host header");
            assert!(
                host.starts_with(&format!("{}.", route.project())),
                "request #{i} to host {host}, route {route:?}"
            );
            let path = e.request.path();
            let base = format!("/logstores/{}", route.logstore());
            match route.shard_key() {
                None => assert_eq!(path, base, "request #{i}"),
                Some(key) => {
                    assert_eq!(path, format!("{base}/shards/route"), "request #{i}");
                    assert_eq!(
                        e.request.query(),
                        Some(format!("key={key}").as_str()),
                        "request #{i}"
                    );
                }
            }
            let mut tags: Vec<LogTag> = config
                .log_tags
                .iter()
                .map(|(k, v)| LogTag::new(k.clone(), v.clone()))
                .collect();
            let pack = body
                .group
                .log_tags
                .last()
                .filter(|t| t.key == "__pack_id__");
            assert_eq!(
                pack.is_some(),
                config.generate_pack_id,
                "request #{i}: pack id tag presence"
            );
            if let Some(pack) = pack {
                tags.push(pack.clone());
            }
            assert_eq!(body.group.log_tags, tags, "request #{i}: tags");
        }
        // Retries resend the batch's body byte for byte.
        for exchanges in self.batches.values() {
            let first = &self.t.exchanges[exchanges[0]].request.body;
            for &i in &exchanges[1..] {
                assert_eq!(
                    &self.t.exchanges[i].request.body, first,
                    "retry #{i} changed the body"
                );
            }
        }
    }

    /// Batch size and count, the memory budget and the in-flight limit.
    fn limits_are_never_exceeded(&self) {
        let c = &self.s.config;
        for (i, body) in self.bodies.iter().enumerate() {
            assert!(
                body.raw_len <= c.max_batch_bytes,
                "request #{i}: {} raw bytes > max_batch_bytes {}",
                body.raw_len,
                c.max_batch_bytes
            );
            assert!(
                body.ids.len() <= c.max_batch_count,
                "request #{i}: {} logs > max_batch_count {}",
                body.ids.len(),
                c.max_batch_count
            );
        }
        assert!(
            self.t.peak_buffered <= c.memory_budget,
            "buffered {} bytes > memory budget {}",
            self.t.peak_buffered,
            c.memory_budget
        );
        assert!(
            self.t.transport_peak_in_flight <= c.max_in_flight,
            "{} requests in flight > max_in_flight {}",
            self.t.transport_peak_in_flight,
            c.max_in_flight
        );
        assert!(
            self.t.peak_in_flight <= c.max_in_flight,
            "metrics: {} requests in flight > max_in_flight {}",
            self.t.peak_in_flight,
            c.max_in_flight
        );
    }

    fn each_log_is_confirmed_at_most_once(&self) {
        for (id, n) in &self.delivered {
            assert_eq!(*n, 1, "log {id} confirmed delivered by {n} responses");
        }
    }

    fn each_accepted_send_gets_exactly_one_outcome(&self) {
        for (i, send) in self.t.sends.iter().enumerate() {
            assert!(send.result.is_some(), "send {i} never resolved");
            let expected = usize::from(send.accepted() && send.notify.observed());
            assert_eq!(
                send.outcomes.len(),
                expected,
                "send {i} ({:?}, {:?}) got {} outcomes",
                send.notify,
                send.result,
                send.outcomes.len()
            );
            if let (Some((stamp, _)), Some(resolved)) = (send.outcomes.first(), send.resolved) {
                assert!(
                    *stamp > resolved,
                    "send {i}: outcome before the send returned"
                );
            }
        }
    }

    /// Logs reported delivered are exactly the logs the server accepted; failures hand
    /// back exactly the logs not delivered; the result's attempts are the requests made.
    fn outcomes_match_what_the_server_accepted(&self) {
        for (i, send) in self.t.sends.iter().enumerate() {
            let Some((stamp, result)) = send.outcomes.first() else {
                continue;
            };
            let not_delivered: Vec<_> = send
                .logs
                .iter()
                .filter(|l| !self.is_delivered(id_of(l)))
                .cloned()
                .collect();
            self.hit(match result.failure {
                None => "outcome: delivered",
                Some(DeliveryFailure::NotRetryable { .. }) => "outcome: not retryable",
                Some(DeliveryFailure::RetriesExhausted) => "outcome: retries exhausted",
                Some(DeliveryFailure::DeliveryTimeout) => "outcome: delivery timeout",
                Some(DeliveryFailure::Closed { in_flight: true }) => "outcome: closed in flight",
                Some(DeliveryFailure::Closed { in_flight: false }) => "outcome: closed",
                Some(_) => "outcome: other",
            });
            if result.failure.is_some() && not_delivered.len() < send.logs.len() {
                self.hit("outcome: list failed in part, delivered in part");
            }
            match result.failure {
                None => {
                    assert!(
                        not_delivered.is_empty(),
                        "send {i} reported delivered, but the server did not accept logs {:?}",
                        not_delivered.iter().map(id_of).collect::<Vec<_>>()
                    );
                    assert!(
                        result.logs().is_empty(),
                        "send {i}: success hands logs back"
                    );
                }
                Some(failure) => {
                    assert_ne!(failure, DeliveryFailure::Abandoned, "send {i}");
                    assert!(!send.logs.is_empty(), "send {i}: an empty send failed");
                    assert_eq!(
                        result.logs().iter().map(id_of).collect::<Vec<_>>(),
                        not_delivered.iter().map(id_of).collect::<Vec<_>>(),
                        "send {i} ({failure:?}): handed back logs differ from the logs the \
                         server did not accept"
                    );
                    assert_eq!(
                        result.logs(),
                        not_delivered,
                        "send {i}: handed back altered"
                    );
                    assert!(
                        !not_delivered.is_empty(),
                        "send {i}: failed with nothing failed"
                    );
                }
            }
            self.result_matches_its_batch(i, send, *stamp, result);
        }
    }

    /// For a send whose logs all travelled in one batch: the failure kind, the attempt
    /// count and the kept attempts agree with the batch's requests.
    fn result_matches_its_batch(
        &self,
        i: usize,
        send: &SendRecord,
        at: Stamp,
        result: &DeliveryResult,
    ) {
        let c = &self.s.config;
        let batches: Vec<Option<u64>> = send
            .logs
            .iter()
            .map(|l| self.batch_of.get(&id_of(l)).copied())
            .collect();
        if batches.iter().all(Option::is_none) {
            // Never sent (empty send, or given up before any request).
            assert_eq!(result.attempt_count, 0, "send {i}");
            assert!(result.attempts.is_empty(), "send {i}");
            match result.failure {
                None => assert!(
                    send.logs.is_empty(),
                    "send {i}: delivered without a request"
                ),
                Some(DeliveryFailure::Closed { in_flight }) => {
                    assert!(!in_flight, "send {i}: in flight without a request");
                    self.assert_closed_in_time(i, at);
                }
                Some(DeliveryFailure::DeliveryTimeout) => {
                    let timeout = c.delivery_timeout.expect("configured");
                    let accepted = send.resolved.expect("resolved").at;
                    assert!(
                        at.at >= accepted.saturating_add(timeout),
                        "send {i} timed out at {at:?}, before its delivery deadline"
                    );
                }
                Some(other) => panic!("send {i}: {other:?} without any request"),
            }
            return;
        }
        let Some(batch) = batches[0].filter(|b| batches.iter().all(|x| *x == Some(*b))) else {
            return; // spans batches: checked log by log above
        };
        let exchanges = &self.batches[&batch];
        let processed: Vec<usize> = exchanges
            .iter()
            .copied()
            .filter(|&e| self.processed[e])
            .collect();
        assert_eq!(
            result.attempt_count as usize,
            processed.len(),
            "send {i}: attempt count vs requests whose outcome the engine processed"
        );
        let kept = processed.len().min(c.max_reserved_attempts);
        let expected: Vec<ExpectedAttempt> = processed[processed.len() - kept..]
            .iter()
            .map(|&e| self.expected_attempt(e))
            .collect();
        assert_eq!(
            result.attempts.len(),
            expected.len(),
            "send {i}: kept attempts"
        );
        for (k, (got, want)) in result.attempts.iter().zip(&expected).enumerate() {
            assert_eq!(got.success, want.success, "send {i} attempt {k}");
            assert_eq!(got.http_status, want.http_status, "send {i} attempt {k}");
            assert_eq!(got.request_id, want.request_id, "send {i} attempt {k}");
            assert_eq!(got.timestamp, want.timestamp, "send {i} attempt {k}");
            assert_eq!(got.duration, want.duration, "send {i} attempt {k}");
            assert_eq!(
                got.error_code.is_some(),
                want.error_code.is_some(),
                "send {i} attempt {k}: {:?}",
                got.error_code
            );
            if let (Some(g), Some(w)) = (&got.error_code, &want.error_code) {
                if !w.is_empty() {
                    assert_eq!(g, w, "send {i} attempt {k}");
                }
            }
        }
        let last = exchanges[exchanges.len() - 1];
        let last_verdict = self.verdict_of(last).filter(|_| self.processed[last]);
        match result.failure {
            None => assert_eq!(last_verdict, Some(Verdict::Delivered), "send {i}"),
            Some(DeliveryFailure::NotRetryable { http_status }) => {
                assert_eq!(last_verdict, Some(Verdict::Final(http_status)), "send {i}");
            }
            Some(DeliveryFailure::RetriesExhausted) => {
                assert_eq!(processed.len(), exchanges.len(), "send {i}");
                assert_eq!(
                    processed.len(),
                    c.max_retries as usize + 1,
                    "send {i}: retries exhausted after {} attempts, max_retries {}",
                    processed.len(),
                    c.max_retries
                );
                assert!(
                    matches!(last_verdict, Some(Verdict::Retry { .. })),
                    "send {i}"
                );
            }
            Some(DeliveryFailure::DeliveryTimeout) => {
                assert!(c.delivery_timeout.is_some(), "send {i}");
                assert!(self.processed[last], "send {i}: timed out while in flight");
            }
            Some(DeliveryFailure::Closed { in_flight: true }) => {
                assert!(
                    !self.processed[last],
                    "send {i}: reported in flight at close, but its last request had \
                     been answered"
                );
                let deadline = self.deadline.expect("closed by a deadline");
                assert_eq!(at.at, deadline.at, "send {i}: given up off the deadline");
            }
            Some(DeliveryFailure::Closed { in_flight: false }) => {
                assert!(
                    self.processed[last],
                    "send {i}: reported not in flight, but its last request was outstanding"
                );
                self.assert_closed_in_time(i, at);
            }
            Some(DeliveryFailure::Abandoned) => panic!("send {i} abandoned"),
            Some(other) => panic!("send {i}: unknown failure {other:?}"),
        }
    }

    fn assert_closed_in_time(&self, i: usize, at: Stamp) {
        let deadline = self
            .deadline
            .unwrap_or_else(|| panic!("send {i} failed Closed without a close deadline"));
        assert!(at.at <= deadline.at, "send {i}: closed after the deadline");
    }

    /// The attempt record the engine should have kept for exchange `e`.
    fn expected_attempt(&self, e: usize) -> ExpectedAttempt {
        let exchange = &self.t.exchanges[e];
        let (done, observed) = exchange.completed.expect("processed");
        let request_id = Some(ScriptedTransport::request_id(e as u64));
        let proxy = self.t.decisions[e].fault == Some(Fault::ProxyPage);
        let (success, http_status, request_id, error_code) = match observed {
            Observed::Status(200) => (true, Some(200), request_id, None),
            Observed::Status(s) if proxy => (false, Some(s), None, None),
            // The SLS code itself is scripted; only its presence is checked.
            Observed::Status(s) => (false, Some(s), request_id, Some(String::new())),
            Observed::Failed(kind) => (false, None, None, Some(kind.as_str().to_string())),
        };
        ExpectedAttempt {
            success,
            http_status,
            request_id,
            error_code,
            timestamp: ManualClock::DEFAULT_EPOCH
                .saturating_add(Duration::from_nanos(done.at.as_nanos())),
            duration: done.at.saturating_duration_since(exchange.sent.at),
        }
    }

    /// Every refusal names a real cause; `send_async` waits exactly `max_block` before
    /// giving up for room.
    fn refusals_are_justified(&self) {
        let c = &self.s.config;
        for (i, send) in self.t.sends.iter().enumerate() {
            let sizes: Vec<usize> = send
                .logs
                .iter()
                .map(LogGroupEncoder::encoded_log_len)
                .collect();
            let total: usize = sizes.iter().sum();
            let (started, resolved) = (send.started, send.resolved.expect("resolved"));
            let waited = resolved.at.saturating_duration_since(started.at);
            match send.result.as_ref().expect("resolved") {
                Ok(_) => {
                    if !waited.is_zero() {
                        self.hit("send_async accepted after waiting for room");
                    }
                    assert!(total <= c.memory_budget, "send {i}");
                    if send.wait_for_room {
                        assert!(waited <= c.max_block, "send {i}: waited {waited:?}");
                    } else {
                        assert!(waited.is_zero(), "send {i}: a non-blocking send waited");
                    }
                }
                Err(Refusal::BufferFull { bytes, buffered }) => {
                    self.hit("refused: buffer full");
                    // What the send would have allocated (buffer growth, new batches, its
                    // tag): not its logs' size, and never nothing.
                    assert!(*bytes > 0, "send {i}: reported size");
                    assert!(
                        bytes + buffered > c.memory_budget,
                        "send {i}: refused BufferFull with {bytes} + {buffered} <= {}",
                        c.memory_budget
                    );
                    let expected_wait = if send.wait_for_room {
                        c.max_block
                    } else {
                        Duration::ZERO
                    };
                    assert_eq!(waited, expected_wait, "send {i}: wait before BufferFull");
                }
                Err(Refusal::LogTooLarge {
                    index,
                    log_bytes,
                    room,
                }) => {
                    self.hit("refused: log too large");
                    assert_eq!(*log_bytes, sizes[*index], "send {i}");
                    assert!(log_bytes > room && *room < c.max_batch_bytes, "send {i}");
                    assert!(sizes[..*index].iter().all(|s| s <= room), "send {i}");
                }
                Err(Refusal::ExceedsBuffer { bytes }) => {
                    self.hit("refused: exceeds the whole budget");
                    assert!(*bytes > c.memory_budget, "send {i}");
                }
                Err(Refusal::Closed) => {
                    self.hit("refused: closed");
                    let first = self
                        .first_close
                        .unwrap_or_else(|| panic!("send {i} refused Closed before any close"));
                    assert!(
                        resolved > first,
                        "send {i}: refused Closed before the close"
                    );
                }
            }
            if send.accepted() {
                if let Some(first) = self.first_close {
                    assert!(
                        resolved < first,
                        "send {i} accepted after close started (close at {first:?}, \
                         accepted at {resolved:?})"
                    );
                }
            }
        }
    }

    /// Retries follow the configured backoff exactly: the jitter draws are replayed from
    /// the configured seed in the order the engine processed failures, and a retry leaves
    /// at its due time unless it waits for fresh credentials (after a 401) or every
    /// request slot is busy.
    fn backoff_follows_the_configuration(&self) {
        let c = &self.s.config;
        // Replay the draws.
        let mut order: Vec<usize> = (0..self.t.exchanges.len())
            .filter(|&e| self.processed[e])
            .collect();
        order.sort_by_key(|&e| self.t.exchanges[e].completed.map(|(s, _)| s));
        let mut position = vec![0u32; self.t.exchanges.len()];
        for exchanges in self.batches.values() {
            for (k, &e) in exchanges.iter().enumerate() {
                position[e] = k as u32 + 1;
            }
        }
        let mut rng = Rng::new(c.seed);
        let mut delay = vec![None; self.t.exchanges.len()];
        for &e in &order {
            if matches!(self.verdict_of(e), Some(Verdict::Retry { .. })) {
                delay[e] = Some(c.backoff.delay(position[e], &mut rng));
            }
        }
        for exchanges in self.batches.values() {
            for pair in exchanges.windows(2) {
                let (prev, next) = (pair[0], pair[1]);
                let k = position[prev];
                let Some(Verdict::Retry { unauthorized }) =
                    self.verdict_of(prev).filter(|_| self.processed[prev])
                else {
                    panic!(
                        "request #{next} retries request #{prev}, whose outcome {:?} was final \
                         or never processed",
                        self.observed(prev)
                    );
                };
                assert!(
                    k <= c.max_retries,
                    "request #{next} is retry {k} > max_retries {}",
                    c.max_retries
                );
                let failed_at = self.t.exchanges[prev].completed.expect("processed").0;
                let due = failed_at.at.saturating_add(delay[prev].expect("drawn"));
                let mut expected = due;
                if unauthorized && matches!(self.s.credentials, CredentialsPlan::Rotating(_)) {
                    // Fresh: a key issued after the one the rejected request was signed
                    // with (which may have been installed before that request left, in
                    // the same driver poll).
                    let issued = self.fetch_of(self.key_used(prev));
                    let fresh = self.t.fetches[issued + 1..]
                        .iter()
                        .filter(|f| f.key_id.is_some())
                        .filter_map(|f| f.finished)
                        .min()
                        .unwrap_or_else(|| {
                            panic!(
                                "request #{next} retried a 401 without fresh credentials \
                                 (rejected request #{prev})"
                            )
                        });
                    if fresh.at > due {
                        self.hit("retry after 401 waited for fresh credentials");
                    }
                    expected = expected.max(fresh.at);
                }
                if let Some(timeout) = c.delivery_timeout {
                    // Sealed at the latest when the first request left.
                    let first_sent = self.t.exchanges[exchanges[0]].sent.at;
                    assert!(
                        due < first_sent.saturating_add(timeout),
                        "retry #{next} due at {due:?}, past the delivery deadline (sealed \
                         by {first_sent:?}, timeout {timeout:?})"
                    );
                }
                let sent = self.t.exchanges[next].sent.at;
                assert!(
                    sent >= expected,
                    "retry #{next} sent at {sent:?}, before its due time {expected:?} \
                     (failure at {failed_at:?}, backoff {:?}, attempt {k})",
                    delay[prev]
                );
                if sent > expected {
                    self.hit("retry held back by busy request slots");
                    self.slots_were_busy(next, expected, sent);
                } else {
                    self.hit("retry sent exactly on its backoff");
                }
            }
        }
    }

    /// Every request slot was taken at `from` and whenever one freed up before `until`.
    fn slots_were_busy(&self, retry: usize, from: Instant, until: Instant) {
        let max = self.s.config.max_in_flight;
        let outstanding = |t| {
            self.t
                .exchanges
                .iter()
                .filter(|e| e.sent.at <= t && e.completed.is_none_or(|(c, _)| c.at > t))
                .count()
        };
        let checkpoints = core::iter::once(from).chain(
            self.t
                .exchanges
                .iter()
                .filter_map(|e| e.completed.map(|(c, _)| c.at))
                .filter(|&c| from <= c && c < until),
        );
        for t in checkpoints {
            let busy = outstanding(t);
            assert!(
                busy >= max,
                "retry #{retry} due at {from:?} left only at {until:?}, though only \
                 {busy} of {max} request slots were busy at {t:?}"
            );
        }
    }

    /// A batch's first request leaves when linger expires (counted from the batch's
    /// first log) or a flush / close seals it, whichever comes first, unless it waits for
    /// the first credentials or for a request slot.
    fn batches_leave_by_linger_flush_or_close(&self) {
        let first_credentials = match self.s.credentials {
            CredentialsPlan::Static => None,
            CredentialsPlan::Rotating(_) => self
                .t
                .fetches
                .iter()
                .filter(|f| f.key_id.is_some())
                .filter_map(|f| f.finished)
                .min(),
        };
        let sealing_calls: Vec<Stamp> = self
            .t
            .flushes
            .iter()
            .map(|f| f.called)
            .chain(self.t.closes.iter().map(|c| c.called))
            .collect();
        for exchanges in self.batches.values() {
            let created = self.bodies[exchanges[0]]
                .ids
                .iter()
                .map(|id| self.t.sends[self.owner[id]].resolved.expect("accepted"))
                .min()
                .expect("logs present");
            let linger = created.at.saturating_add(self.s.config.linger);
            let sealed_by = sealing_calls
                .iter()
                .filter(|c| **c > created)
                .map(|c| c.at)
                .fold(linger, Instant::min);
            let expected = first_credentials.map_or(sealed_by, |f| sealed_by.max(f.at));
            let sent = self.t.exchanges[exchanges[0]].sent.at;
            if sent > expected {
                self.hit("batch held back by busy request slots");
                self.slots_were_busy(exchanges[0], expected, sent);
            }
        }
    }

    /// `buffered_bytes()` read after each send follows the logs held: it is not zero while
    /// some log is certainly still held (accepted, delivered later), and zero when none
    /// is possibly held (every accepted log's batch released: delivered, and the outcomes
    /// of the tracked sends in it delivered, callbacks run included, since a batch's
    /// memory is released only then); never over the budget; zero after the final close.
    /// (It counts batches' buffers, bookkeeping and tags, not the logs' bytes, so the bytes
    /// of the logs bound it neither way: a compressed body is smaller than its logs.)
    fn memory_accounting_follows_outcomes(&self) {
        let mut send_of: HashMap<u64, usize> = HashMap::new();
        for (i, send) in self.t.sends.iter().enumerate() {
            for log in &send.logs {
                send_of.insert(id_of(log), i);
            }
        }
        // When each delivered log's batch gave its memory back at the latest: the later of
        // the answer and the outcomes of the tracked sends in it (`None`: not yet).
        let outcome_at = |i: usize| -> Option<Option<Stamp>> {
            let send = &self.t.sends[i];
            match send.notify {
                Notify::Callback | Notify::Handle => Some(send.outcomes.first().map(|(s, _)| *s)),
                Notify::DroppedHandle | Notify::None => None,
            }
        };
        let mut logs: Vec<(Stamp, Option<Stamp>, Option<Stamp>, usize)> = Vec::new();
        let mut delivered_at: HashMap<u64, (Stamp, Option<Stamp>)> = HashMap::new();
        for (e, body) in self.bodies.iter().enumerate() {
            if self.processed[e] && self.observed(e) == Some(Observed::Status(200)) {
                let (done, _) = self.t.exchanges[e].completed.expect("processed");
                let mut released = Some(done);
                for &id in &body.ids {
                    if let Some(outcome) = send_of.get(&id).and_then(|&i| outcome_at(i)) {
                        released = match (released, outcome) {
                            (Some(r), Some(o)) => Some(r.max(o)),
                            _ => None,
                        };
                    }
                }
                for &id in &body.ids {
                    delivered_at.insert(id, (done, released));
                }
            }
        }
        for send in self.t.sends.iter().filter(|s| s.accepted()) {
            let accepted = send.resolved.expect("resolved");
            for log in &send.logs {
                let size = LogGroupEncoder::encoded_log_len(log);
                let (delivered, released) = match delivered_at.get(&id_of(log)) {
                    Some(&(done, released)) => (Some(done), released),
                    None => (None, None),
                };
                logs.push((accepted, delivered, released, size));
            }
        }
        for (i, send) in self.t.sends.iter().enumerate() {
            let read = send.resolved.expect("resolved");
            let held = logs.iter().filter(|(accepted, ..)| *accepted <= read);
            let surely: usize = held
                .clone()
                .filter(|(_, delivered, ..)| delivered.is_some_and(|d| d > read))
                .map(|(.., size)| size)
                .sum();
            let possibly: usize = held
                .filter(|(_, _, released, _)| released.is_none_or(|r| r > read))
                .map(|(.., size)| size)
                .sum();
            let held = send.buffered_after;
            assert!(
                (surely == 0 || held > 0) && (possibly > 0 || held == 0),
                "after send {i}: buffered_bytes() = {held}, but between {surely} and \
                 {possibly} bytes of accepted logs were still without an outcome"
            );
            assert!(
                held <= self.s.config.memory_budget,
                "after send {i}: {held} buffered"
            );
        }
        if let Some(m) = &self.t.metrics_at_end {
            assert_eq!(
                m.buffered_bytes, 0,
                "bytes still buffered after close returned"
            );
        }
    }

    /// Nothing is accepted or sent after close started / the deadline passed; every close
    /// returns by its deadline, after every callback ran unless it returned at its
    /// deadline (then every outcome was decided, and the callbacks may run afterwards:
    /// ADR 0009); the driver completes.
    fn close_is_honoured(&self) {
        let done = self.t.driver_done.expect("the driver completed");
        if let Some(deadline) = self.deadline {
            for (i, e) in self.t.exchanges.iter().enumerate() {
                assert!(
                    e.sent < deadline,
                    "request #{i} sent at {:?}, at or after the close deadline {deadline:?}",
                    e.sent
                );
            }
            for (i, send) in self.t.sends.iter().enumerate() {
                for (stamp, _) in &send.outcomes {
                    if send.notify == Notify::Callback {
                        assert!(
                            stamp.at <= deadline.at,
                            "send {i}: outcome after the deadline"
                        );
                    }
                }
            }
            assert!(
                done.at <= deadline.at,
                "driver finished at {done:?}, after the close deadline {deadline:?}"
            );
        }
        for close in &self.t.closes {
            let Some((closed, _)) = close.done else {
                continue;
            };
            if let Some(deadline) = self.deadline {
                assert!(
                    closed.at <= deadline.at.max(close.called.at),
                    "close called at {:?} returned at {closed:?}, after the deadline \
                     {deadline:?}",
                    close.called
                );
            }
            let at_deadline = self
                .deadline
                .is_some_and(|d| close.timeout.is_some() && closed.at >= d.at);
            if at_deadline {
                continue;
            }
            for (i, send) in self.t.sends.iter().enumerate() {
                if send.accepted() && send.notify == Notify::Callback {
                    assert!(
                        send.outcomes.first().is_some_and(|(s, _)| *s < closed),
                        "close returned before the callback of send {i} ran"
                    );
                }
            }
        }
    }

    /// A finished flush means every callback of a send accepted before it has run.
    fn flush_waits_for_earlier_sends(&self) {
        for flush in &self.t.flushes {
            let Some(done) = flush.done else { continue };
            for (i, send) in self.t.sends.iter().enumerate() {
                let before = send.resolved.is_some_and(|r| r < flush.called);
                if before && send.accepted() && send.notify == Notify::Callback {
                    assert!(
                        send.outcomes.first().is_some_and(|(s, _)| *s < done),
                        "flush called at {:?} returned at {done:?} before the outcome of \
                         send {i}",
                        flush.called
                    );
                }
            }
        }
    }

    /// The AccessKey id exchange `e` was signed with.
    fn key_used(&self, e: usize) -> &str {
        self.t.exchanges[e]
            .request
            .header("authorization")
            .and_then(key_id)
            .expect("signed")
    }

    /// The index of the fetch that issued `key`.
    fn fetch_of(&self, key: &str) -> usize {
        self.t
            .fetches
            .iter()
            .position(|f| f.key_id.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("key {key} was never issued"))
    }

    /// The key of the newest successful fetch that finished before `before`.
    fn newest_key_before(&self, before: Stamp) -> Option<&str> {
        self.t
            .fetches
            .iter()
            .filter_map(|f| Some((f.finished?, f.key_id.as_deref()?)))
            .filter(|(finished, _)| *finished < before)
            .max()
            .map(|(_, key)| key)
    }

    /// Every request is signed with the newest credentials installed before it; the
    /// server never sees an unknown key or a mismatched token; with a provider that never
    /// failed, no request carries an expired key (refresh happens before expiry).
    ///
    /// The driver signs a request a little before it leaves, in the same poll: the
    /// transport records it when the driver first polls its future, after the driver ran
    /// the fetch that was due. So a request may carry a key that a fetch finishing in that
    /// poll replaced in between; never an older one, and never one older than a request
    /// sent before it.
    fn credentials_rotate_and_expire_as_planned(&self) {
        let mut previous: Option<usize> = None;
        for (i, (e, d)) in self.t.exchanges.iter().zip(&self.t.decisions).enumerate() {
            let used = self.key_used(i);
            assert_eq!(used, d.key_id, "request #{i}");
            match self.s.credentials {
                CredentialsPlan::Static => assert_eq!(used, STATIC_KEY_ID, "request #{i}"),
                CredentialsPlan::Rotating(_) => {
                    let newest = self
                        .newest_key_before(e.sent)
                        .unwrap_or_else(|| panic!("request #{i} sent before any credentials"));
                    let poll = self
                        .t
                        .driver_polls
                        .iter()
                        .copied()
                        .filter(|p| *p < e.sent)
                        .max()
                        .expect("sent by a driver poll");
                    // The key in use when the driver poll that sent the request began.
                    let floor = self.newest_key_before(poll).map_or(0, |k| self.fetch_of(k));
                    let issued = self.fetch_of(used);
                    if used != newest {
                        self.hit("request signed before a fetch that finished in the same poll");
                    }
                    assert!(
                        (floor..=self.fetch_of(newest)).contains(&issued),
                        "request #{i} signed with {used}, not with the newest key {newest}                          (nor one installed during the driver poll that sent it)"
                    );
                    assert!(
                        previous.is_none_or(|p| p <= issued),
                        "request #{i} signed with {used}, older than the key of the request                          sent before it"
                    );
                    previous = Some(issued);
                }
            }
            assert!(
                !matches!(
                    d.auth,
                    Some(AuthFailure::UnknownKey | AuthFailure::WrongToken)
                ),
                "request #{i}: {:?}",
                d.auth
            );
        }
        let fetch_failed = self.t.fetches.iter().any(|f| f.key_id.is_none());
        if !fetch_failed {
            for (i, d) in self.t.decisions.iter().enumerate() {
                assert_ne!(
                    d.auth,
                    Some(AuthFailure::Expired),
                    "request #{i} used an expired key although every refresh succeeded"
                );
            }
        }
    }

    /// The close reports agree with each other and with the server.
    fn counters_match(&self) {
        let delivered: u64 = self.delivered.len() as u64;
        let accepted: u64 = self.owner.len() as u64;
        let tagged_failed: u64 = self
            .t
            .sends
            .iter()
            .filter(|s| s.accepted() && s.notify.tagged())
            .flat_map(|s| &s.logs)
            .filter(|l| !self.is_delivered(id_of(l)))
            .count() as u64;
        for close in &self.t.closes {
            let Some((_, report)) = close.done else {
                continue;
            };
            assert_eq!(report.delivered_logs, delivered, "delivered logs");
            assert_eq!(report.failed_logs, accepted - delivered, "failed logs");
            assert_eq!(report.handed_back_logs, tagged_failed, "handed back logs");
            assert!(report.closed_logs <= report.failed_logs);
            if self.deadline.is_none() {
                assert_eq!(report.closed_logs, 0, "closed logs without a deadline");
            }
        }
        if let Some(m) = &self.t.metrics_at_end {
            let delivered_exchanges: Vec<usize> = (0..self.bodies.len())
                .filter(|&e| self.processed[e] && self.observed(e) == Some(Observed::Status(200)))
                .collect();
            let raw: usize = delivered_exchanges
                .iter()
                .map(|&e| self.bodies[e].raw_len)
                .sum();
            let body: usize = delivered_exchanges
                .iter()
                .map(|&e| self.t.exchanges[e].request.body.len())
                .sum();
            let resent: u64 = self.batches.values().map(|e| e.len() as u64 - 1).sum();
            let retryable = (0..self.bodies.len())
                .filter(|&e| {
                    self.processed[e] && matches!(self.verdict_of(e), Some(Verdict::Retry { .. }))
                })
                .count() as u64;
            let got = (
                m.accepted_logs,
                m.delivered_logs,
                m.failed_logs,
                m.handed_back_logs,
                m.requests,
                m.delivered_raw_bytes,
                m.delivered_body_bytes,
            );
            let want = (
                accepted,
                delivered,
                accepted - delivered,
                tagged_failed,
                self.t.exchanges.len() as u64,
                raw as u64,
                body as u64,
            );
            assert_eq!(
                got, want,
                "metrics (accepted, delivered, failed, handed back, \
                requests, delivered raw bytes, delivered body bytes) vs the server"
            );
            assert!(
                (resent..=retryable).contains(&m.retries),
                "metrics: {} retries, but {resent} requests were resent and {retryable} \
                 failures were retryable",
                m.retries
            );
            assert!(m.batches >= self.batches.len() as u64, "metrics: batches");
            assert_eq!(
                (m.in_flight, m.pending_batches),
                (0, 0),
                "metrics after close"
            );
            assert_eq!(
                m.memory_budget, self.s.config.memory_budget,
                "metrics: budget"
            );
        }
    }

    /// Once the driver completed: no request outstanding, no timer armed, no task left.
    fn nothing_is_left_running(&self) {
        assert_eq!(
            self.t.transport_in_flight_at_end, 0,
            "requests left in flight"
        );
        assert_eq!(self.t.pending_timers_at_end, 0, "timers left armed");
        assert_eq!(
            self.t.executor.spawned, self.t.executor.completed,
            "tasks left pending"
        );
    }

    fn summary(&self) -> Summary {
        let mut stored: HashMap<u64, u32> = HashMap::new();
        for (body, d) in self.bodies.iter().zip(&self.t.decisions) {
            if d.stored {
                for &id in &body.ids {
                    *stored.entry(id).or_default() += 1;
                }
            }
        }
        let duplicates = stored
            .iter()
            .map(|(id, n)| u64::from(*n) - u64::from(self.is_delivered(*id)))
            .sum();
        for (i, d) in self.t.decisions.iter().enumerate() {
            match d.auth {
                Some(AuthFailure::Expired) => self.hit("server: 401 for an expired key"),
                Some(AuthFailure::Revoked) => self.hit("server: 401 for a revoked key"),
                _ => {}
            }
            if d.fault == Some(Fault::LostAfterStore) {
                self.hit("server: stored, then the response was lost");
            }
            if d.stored && d.fault.is_none() && !self.processed[i] {
                self.hit("server: stored, 200 still in flight at the close deadline");
            }
        }
        let accepted = self.owner.len() as u64;
        let delivered = self.delivered.len() as u64;
        Summary {
            scenarios: 1,
            sends: self.t.sends.len() as u64,
            accepted_logs: accepted,
            delivered_logs: delivered,
            failed_logs: accepted - delivered,
            refused_sends: self.t.sends.iter().filter(|s| !s.accepted()).count() as u64,
            requests: self.t.exchanges.len() as u64,
            retries: self.batches.values().map(|e| e.len() as u64 - 1).sum(),
            duplicates,
            close_deadlines_hit: u64::from(
                self.t
                    .sends
                    .iter()
                    .flat_map(|s| &s.outcomes)
                    .any(|(_, r)| matches!(r.failure, Some(DeliveryFailure::Closed { .. }))),
            ),
            simulated: Duration::from_nanos(self.t.end.as_nanos()),
            paths: self.paths.take(),
        }
    }
}

/// What one kept attempt of a result should say.
struct ExpectedAttempt {
    success: bool,
    http_status: Option<u16>,
    request_id: Option<String>,
    /// `Some("")` when an SLS code must be present, whatever it is.
    error_code: Option<String>,
    timestamp: UnixTime,
    duration: Duration,
}
