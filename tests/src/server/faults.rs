//! Fault injection: scripted answers, latency, dropped or reset connections, a rate limit
//! and STS token expiry, controllable from Rust and over HTTP (`/_sls_local/faults`).

use core::fmt;
use core::time::Duration;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sls_producer_core::rt::UnixTime;

use super::clock::ClockSkew;
use super::error::SlsError;

/// What the server does with one data request (PutLogs or web tracking) instead of, or
/// before, handling it normally. Faults are consumed in order, one per data request;
/// preflights and control calls never consume one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this SLS error (JSON body, `x-log-requestid`) without looking further.
    Respond(SlsError),
    /// Answer like a proxy in front of SLS would: this status and a non-JSON body, no
    /// `x-log-requestid`.
    RespondRaw {
        /// HTTP status.
        status: u16,
        /// The `Content-Type` of `body`.
        content_type: String,
        /// The body, e.g. an nginx HTML error page.
        body: String,
    },
    /// Wait, then handle the request normally.
    Delay(Duration),
    /// Close the connection without answering (FIN), after reading the request.
    Drop,
    /// Reset the connection without answering (RST), after reading the request.
    Reset,
    /// Handle and store the request normally, then close the connection without answering:
    /// the logs were accepted but the client cannot know (a retry duplicates them).
    DropAfterAccept,
}

impl Fault {
    /// The usual answer for an HTTP status:
    ///
    /// | status | answer |
    /// |---|---|
    /// | 500 | `InternalServerError` (JSON) |
    /// | 502 | nginx-style HTML `502 Bad Gateway` (not JSON, no request id) |
    /// | 503 | `ServerBusy` (JSON) |
    /// | 504 | nginx-style HTML `504 Gateway Time-out` |
    /// | 429 | `TooManyRequests` (JSON) |
    /// | 403 | `WriteQuotaExceed` (JSON) |
    /// | 401 | `Unauthorized` (JSON) |
    /// | other | `InjectedFault` (JSON) |
    pub fn status(status: u16) -> Self {
        let json = |code: &str, message: &str| Self::Respond(SlsError::new(status, code, message));
        match status {
            500 => Self::Respond(SlsError::internal_server_error()),
            503 => Self::Respond(SlsError::server_busy()),
            502 | 504 => {
                let reason = if status == 502 {
                    "Bad Gateway"
                } else {
                    "Gateway Time-out"
                };
                Self::RespondRaw {
                    status,
                    content_type: "text/html".to_owned(),
                    body: format!(
                        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                    ),
                }
            }
            429 => json(
                "TooManyRequests",
                "too many requests, injected by the local server",
            ),
            403 => Self::Respond(SlsError::write_quota_exceed(
                "Project write quota exceed, injected by the local server",
            )),
            401 => Self::Respond(SlsError::unauthorized("injected by the local server")),
            _ => json("InjectedFault", "injected by the local server"),
        }
    }
}

/// A fixed-window limit on accepted data requests; requests over it are answered
/// `403 WriteQuotaExceed`. Windows are aligned on the server clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub max_requests: u32,
    /// Window length (non-zero).
    pub per: Duration,
}

#[derive(Default)]
struct State {
    script: VecDeque<Fault>,
    latency: Duration,
    rate_limit: Option<RateLimit>,
    window: (u64, u32),
    sts_expired: bool,
    clock_skew: ClockSkew,
    injected: u64,
}

/// What the server decided for one data request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// Sleep this long first.
    pub(crate) delay: Duration,
    /// The scripted fault, if any (never `Delay`; that is folded into `delay`).
    pub(crate) fault: Option<Fault>,
}

/// The fault controls of a running server; cheap to clone, shared with the server.
#[derive(Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Append one fault to the script.
    pub fn push(&self, fault: Fault) -> &Self {
        self.lock().script.push_back(fault);
        self
    }

    /// Replace the script: the next data requests get these faults, in order; later ones
    /// are handled normally.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) -> &Self {
        self.lock().script = faults.into_iter().collect();
        self
    }

    /// Script `n` answers with the usual error for `status` (see [`Fault::status`]).
    pub fn fail_next(&self, n: usize, status: u16) -> &Self {
        let mut s = self.lock();
        s.script
            .extend(core::iter::repeat_with(|| Fault::status(status)).take(n));
        drop(s);
        self
    }

    /// Faults still scripted.
    pub fn pending(&self) -> usize {
        self.lock().script.len()
    }

    /// Faults applied so far (scripted faults and rate-limit refusals).
    pub fn injected(&self) -> u64 {
        self.lock().injected
    }

    /// Delay every data request by `latency` (zero to stop).
    pub fn set_latency(&self, latency: Duration) -> &Self {
        self.lock().latency = latency;
        self
    }

    /// Limit accepted data requests (`None` to lift the limit).
    ///
    /// # Panics
    /// If `limit.per` is zero.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) -> &Self {
        if let Some(l) = limit {
            assert!(!l.per.is_zero(), "RateLimit::per must be non-zero");
        }
        let mut s = self.lock();
        s.rate_limit = limit;
        s.window = (0, 0);
        drop(s);
        self
    }

    /// Treat every STS token as expired (`401 SecurityTokenExpired`) until
    /// [`Faults::restore_sts_tokens`], whatever their configured expiry.
    pub fn expire_sts_tokens(&self) -> &Self {
        self.lock().sts_expired = true;
        self
    }

    /// Undo [`Faults::expire_sts_tokens`].
    pub fn restore_sts_tokens(&self) -> &Self {
        self.lock().sts_expired = false;
        self
    }

    /// Skew the server's clock: it refuses requests whose date is farther than
    /// [`Limits::max_time_skew`](super::Limits::max_time_skew) (15 minutes) from its
    /// skewed time with `400 RequestTimeExpired`, and every answer's `Date` tells the
    /// skewed time. [`ClockSkew::None`] puts the clock right.
    pub fn set_clock_skew(&self, skew: ClockSkew) -> &Self {
        self.lock().clock_skew = skew;
        self
    }

    /// The time by the server's clock, `now` skewed as set.
    pub(crate) fn server_time(&self, now: UnixTime) -> UnixTime {
        self.lock().clock_skew.apply(now)
    }

    /// Remove every fault: script, latency, rate limit, forced token expiry and clock
    /// skew.
    pub fn clear(&self) -> &Self {
        let mut s = self.lock();
        let injected = s.injected;
        *s = State {
            injected,
            ..State::default()
        };
        drop(s);
        self
    }

    pub(crate) fn sts_tokens_expired(&self) -> bool {
        self.lock().sts_expired
    }

    /// Take the fault for the next data request.
    pub(crate) fn next_request(&self) -> Decision {
        let mut s = self.lock();
        let mut d = Decision {
            delay: s.latency,
            fault: None,
        };
        match s.script.pop_front() {
            Some(Fault::Delay(extra)) => {
                s.injected += 1;
                d.delay = d.delay.saturating_add(extra);
            }
            Some(f) => {
                s.injected += 1;
                d.fault = Some(f);
            }
            None => {}
        }
        d
    }

    /// Count one request against the rate limit; `false` if it is over the limit.
    pub(crate) fn admit(&self, now: UnixTime) -> bool {
        let mut s = self.lock();
        let Some(limit) = s.rate_limit else {
            return true;
        };
        let per = u64::try_from(limit.per.as_nanos())
            .unwrap_or(u64::MAX)
            .max(1);
        let window = now.as_nanos() / per;
        if s.window.0 != window {
            s.window = (window, 0);
        }
        if s.window.1 >= limit.max_requests {
            s.injected += 1;
            return false;
        }
        s.window.1 += 1;
        true
    }

    /// Apply a JSON control document (see `tests/README.md`): `script`, `append`,
    /// `latency_ms`, `rate_limit`, `sts_tokens_expired`, `clock_skew_ms`.
    pub fn apply_json(&self, doc: &serde_json::Value) -> Result<(), String> {
        let obj = doc.as_object().ok_or("expected a JSON object")?;
        for key in obj.keys() {
            if ![
                "script",
                "append",
                "latency_ms",
                "rate_limit",
                "sts_tokens_expired",
                "clock_skew_ms",
            ]
            .contains(&key.as_str())
            {
                return Err(format!("unknown field {key:?}"));
            }
        }
        let parse_list = |v: &serde_json::Value| -> Result<Vec<Fault>, String> {
            v.as_array()
                .ok_or("script/append must be an array")?
                .iter()
                .map(fault_from_json)
                .collect()
        };
        let script = obj.get("script").map(parse_list).transpose()?;
        let append = obj.get("append").map(parse_list).transpose()?;
        let latency = obj
            .get("latency_ms")
            .map(|v| {
                v.as_u64()
                    .ok_or("latency_ms must be a non-negative integer")
            })
            .transpose()?;
        let rate_limit = match obj.get("rate_limit") {
            None => None,
            Some(serde_json::Value::Null) => Some(None),
            Some(v) => {
                let requests = v
                    .get("requests")
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or("rate_limit.requests must be an integer")?;
                let per_ms = v
                    .get("per_ms")
                    .and_then(serde_json::Value::as_u64)
                    .filter(|&ms| ms > 0)
                    .ok_or("rate_limit.per_ms must be a positive integer")?;
                Some(Some(RateLimit {
                    max_requests: requests,
                    per: Duration::from_millis(per_ms),
                }))
            }
        };
        let expired = obj
            .get("sts_tokens_expired")
            .map(|v| v.as_bool().ok_or("sts_tokens_expired must be a boolean"))
            .transpose()?;
        let skew = obj
            .get("clock_skew_ms")
            .map(|v| {
                v.as_i64()
                    .map(ClockSkew::from_millis)
                    .ok_or("clock_skew_ms must be an integer")
            })
            .transpose()?;
        // Everything parsed: apply at once.
        if let Some(s) = script {
            self.script(s);
        }
        for f in append.into_iter().flatten() {
            self.push(f);
        }
        if let Some(ms) = latency {
            self.set_latency(Duration::from_millis(ms));
        }
        if let Some(l) = rate_limit {
            self.set_rate_limit(l);
        }
        if let Some(skew) = skew {
            self.set_clock_skew(skew);
        }
        match expired {
            Some(true) => {
                self.expire_sts_tokens();
            }
            Some(false) => {
                self.restore_sts_tokens();
            }
            None => {}
        }
        Ok(())
    }

    /// The faults in force, as JSON (`GET /_sls_local/faults`).
    pub fn to_json(&self) -> serde_json::Value {
        let s = self.lock();
        let script: Vec<serde_json::Value> = s.script.iter().map(fault_to_json).collect();
        serde_json::json!({
            "script": script,
            "latency_ms": u64::try_from(s.latency.as_millis()).unwrap_or(u64::MAX),
            "rate_limit": s.rate_limit.map(|l| serde_json::json!({
                "requests": l.max_requests,
                "per_ms": u64::try_from(l.per.as_millis()).unwrap_or(u64::MAX),
            })),
            "sts_tokens_expired": s.sts_expired,
            "clock_skew_ms": s.clock_skew.as_millis(),
            "injected": s.injected,
        })
    }
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faults")
            .field("state", &self.to_json())
            .finish()
    }
}

fn fault_from_json(v: &serde_json::Value) -> Result<Fault, String> {
    if let Some(status) = v.as_u64() {
        return status_of(status).map(Fault::status);
    }
    let action = v
        .get("action")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("respond");
    let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
    match action {
        "respond" => {
            let status = v
                .get("status")
                .and_then(serde_json::Value::as_u64)
                .ok_or("a respond fault needs a status")?;
            let status = status_of(status)?;
            if let Some(body) = text("body") {
                return Ok(Fault::RespondRaw {
                    status,
                    content_type: text("content_type").unwrap_or("text/plain").to_owned(),
                    body: body.to_owned(),
                });
            }
            Ok(match (text("code"), text("message")) {
                (None, None) => Fault::status(status),
                (code, message) => Fault::Respond(SlsError::new(
                    status,
                    code.unwrap_or("InjectedFault"),
                    message.unwrap_or("injected by the local server"),
                )),
            })
        }
        "delay" => {
            let ms = v
                .get("ms")
                .and_then(serde_json::Value::as_u64)
                .ok_or("a delay fault needs ms")?;
            Ok(Fault::Delay(Duration::from_millis(ms)))
        }
        "drop" => Ok(Fault::Drop),
        "reset" => Ok(Fault::Reset),
        "drop_after_accept" => Ok(Fault::DropAfterAccept),
        other => Err(format!("unknown fault action {other:?}")),
    }
}

fn status_of(n: u64) -> Result<u16, String> {
    u16::try_from(n)
        .ok()
        .filter(|s| (200..=599).contains(s))
        .ok_or_else(|| format!("status {n} is not an HTTP status"))
}

fn fault_to_json(f: &Fault) -> serde_json::Value {
    match f {
        Fault::Respond(e) => serde_json::json!({
            "action": "respond", "status": e.status, "code": e.code, "message": e.message,
        }),
        Fault::RespondRaw {
            status,
            content_type,
            body,
        } => serde_json::json!({
            "action": "respond", "status": status, "content_type": content_type, "body": body,
        }),
        Fault::Delay(d) => serde_json::json!({
            "action": "delay", "ms": u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
        }),
        Fault::Drop => serde_json::json!({ "action": "drop" }),
        Fault::Reset => serde_json::json!({ "action": "reset" }),
        Fault::DropAfterAccept => serde_json::json!({ "action": "drop_after_accept" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_is_consumed_in_order_and_delays_fold_into_latency() {
        let f = Faults::default();
        f.set_latency(Duration::from_millis(5));
        f.script([
            Fault::status(503),
            Fault::Delay(Duration::from_millis(7)),
            Fault::Drop,
        ]);
        let d = f.next_request();
        assert_eq!(d.fault, Some(Fault::Respond(SlsError::server_busy())));
        let d = f.next_request();
        assert_eq!((d.delay, d.fault), (Duration::from_millis(12), None));
        assert_eq!(f.next_request().fault, Some(Fault::Drop));
        let d = f.next_request();
        assert_eq!((d.delay, d.fault), (Duration::from_millis(5), None));
        assert_eq!(f.injected(), 3);
    }

    #[test]
    fn fail_next_appends_usual_answers() {
        let f = Faults::default();
        f.push(Fault::Drop).fail_next(2, 500);
        assert_eq!(f.pending(), 3);
        assert_eq!(f.next_request().fault, Some(Fault::Drop));
        assert_eq!(f.next_request().fault, Some(Fault::status(500)));
        assert_eq!(
            f.next_request().fault,
            Some(Fault::Respond(SlsError::internal_server_error()))
        );
        assert_eq!(f.next_request().fault, None);
    }

    #[test]
    fn rate_limit_windows_follow_the_clock() {
        let f = Faults::default();
        f.set_rate_limit(Some(RateLimit {
            max_requests: 2,
            per: Duration::from_secs(1),
        }));
        let t = UnixTime::from_secs(100);
        assert!(f.admit(t));
        assert!(f.admit(t));
        assert!(!f.admit(t.saturating_add(Duration::from_millis(999))));
        assert!(f.admit(UnixTime::from_secs(101)));
        f.set_rate_limit(None);
        assert!(f.admit(UnixTime::from_secs(101)));
        assert!(f.admit(UnixTime::from_secs(101)));
    }

    #[test]
    fn json_controls_round_trip() {
        let f = Faults::default();
        let doc = serde_json::json!({
            "script": [503, {"action": "drop"}, {"status": 403, "code": "ShardWriteQuotaExceed", "message": "m"},
                       {"status": 502, "body": "<html/>", "content_type": "text/html"}, {"action": "delay", "ms": 10}],
            "latency_ms": 3,
            "rate_limit": {"requests": 4, "per_ms": 1000},
            "sts_tokens_expired": true,
        });
        f.apply_json(&doc).unwrap();
        assert_eq!(f.pending(), 5);
        assert!(f.sts_tokens_expired());
        let j = f.to_json();
        assert_eq!(j["latency_ms"], 3);
        assert_eq!(j["rate_limit"]["requests"], 4);
        assert_eq!(j["script"][2]["code"], "ShardWriteQuotaExceed");
        assert_eq!(j["script"][3]["body"], "<html/>");
        f.apply_json(
            &serde_json::json!({"rate_limit": null, "sts_tokens_expired": false, "append": [500]}),
        )
        .unwrap();
        assert_eq!(f.pending(), 6);
        assert_eq!(f.to_json()["rate_limit"], serde_json::Value::Null);
        assert!(!f.sts_tokens_expired());
    }

    #[test]
    fn bad_json_changes_nothing() {
        let f = Faults::default();
        for bad in [
            serde_json::json!({"script": [503], "latency_ms": -1}),
            serde_json::json!({"script": [{"action": "explode"}]}),
            serde_json::json!({"script": [99]}),
            serde_json::json!({"rate_limit": {"requests": 1, "per_ms": 0}}),
            serde_json::json!({"typo": 1}),
            serde_json::json!([1]),
        ] {
            assert!(f.apply_json(&bad).is_err(), "{bad}");
        }
        assert_eq!(f.pending(), 0);
    }
}
