//! [`ManualClock`]: simulated time that moves only when told to.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use super::lock::Lock;
use crate::protocol::time::{Instant, UnixTime};
use alloc::boxed::Box;

use async_trait::async_trait;

use crate::rt::{Clock, MaybeSend, Timer};

/// A shared, manually driven clock and timer queue.
///
/// * **Monotonic time** ([`Clock::now`]) starts at the instant given to
///   [`ManualClock::starting_at`] ([`Instant::ZERO`] for [`ManualClock::new`]) and moves
///   only through [`advance`](Self::advance), [`advance_to`](Self::advance_to) and
///   [`advance_to_next_deadline`](Self::advance_to_next_deadline) — usually called by the
///   [`SimExecutor`](super::SimExecutor) when every task is stalled.
/// * **Wall-clock time** ([`Clock::unix_time`]) is a fixed epoch plus the simulated time
///   elapsed since the start, so dates in signed requests are reproducible.
///   [`set_unix_time`](Self::set_unix_time) makes it jump (as NTP would) without touching
///   the monotonic clock.
/// * **Timers** ([`Timer::sleep_until`]) are kept in a queue ordered by
///   `(deadline, sequence)`, where the sequence number is the order in which the sleeps
///   were created. Timers with equal deadlines therefore fire in creation order. Dropping a
///   sleep removes its entry at once: it never fires and never keeps a simulation alive.
///
/// Cloning the clock clones a handle: every clone sees the same time and timers.
///
/// ```
/// use core::time::Duration;
/// use sls_producer_core::rt::{Clock, Timer};
/// use sls_producer_core::sim::ManualClock;
/// use sls_producer_core::protocol::time::Instant;
///
/// let clock = ManualClock::new();
/// let _sleep = clock.sleep_until(Instant::from_secs(5));
/// assert_eq!(clock.next_deadline(), Some(Instant::from_secs(5)));
/// assert_eq!(clock.advance(Duration::from_secs(5)), 1); // one timer fired
/// assert_eq!(clock.now(), Instant::from_secs(5));
/// assert_eq!(clock.pending_timers(), 0);
/// ```
#[derive(Clone)]
pub struct ManualClock {
    state: Arc<Lock<ClockState>>,
}

/// Where a timer sits in the queue. Ordered by deadline, then by creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TimerKey {
    deadline: Instant,
    sequence: u64,
}

struct ClockState {
    now: Instant,
    /// The wall clock reads `epoch` when the monotonic clock reads `wall_base`.
    wall_base: Instant,
    epoch: UnixTime,
    next_sequence: u64,
    /// The timer queue. A `BTreeMap` rather than a binary heap because a dropped `Sleep`
    /// must leave the queue at once (exact `pending_timers`, no stale entries). The value
    /// is the waker of the last poll, `None` until the sleep is first polled.
    timers: BTreeMap<TimerKey, Option<Waker>>,
    fired: u64,
}

impl ClockState {
    /// Remove every timer due at `now`, in `(deadline, sequence)` order.
    fn take_due(&mut self) -> Vec<Option<Waker>> {
        let mut due = Vec::new();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().deadline > self.now {
                break;
            }
            due.push(entry.remove());
        }
        self.fired += due.len() as u64;
        due
    }
}

impl ManualClock {
    /// The default wall-clock reading at the start of a simulation:
    /// 2026-01-01T00:00:00Z.
    pub const DEFAULT_EPOCH: UnixTime = UnixTime::from_secs(1_767_225_600);

    /// A clock at [`Instant::ZERO`] whose wall clock reads [`ManualClock::DEFAULT_EPOCH`].
    pub fn new() -> Self {
        Self::starting_at(Instant::ZERO, Self::DEFAULT_EPOCH)
    }

    /// A clock at `now` whose wall clock reads `epoch` at that moment.
    pub fn starting_at(now: Instant, epoch: UnixTime) -> Self {
        Self {
            state: Arc::new(Lock::new(ClockState {
                now,
                wall_base: now,
                epoch,
                next_sequence: 0,
                timers: BTreeMap::new(),
                fired: 0,
            })),
        }
    }

    /// Make the wall clock read `time` from now on (it keeps advancing with simulated
    /// time). Models an NTP step or a skewed host clock; the monotonic clock and the
    /// timers are not affected.
    pub fn set_unix_time(&self, time: UnixTime) {
        let mut s = self.state.lock();
        s.wall_base = s.now;
        s.epoch = time;
    }

    /// Move time forward by `d` and wake every timer that is now due; see
    /// [`advance_to`](Self::advance_to). Returns how many timers fired.
    pub fn advance(&self, d: Duration) -> usize {
        let target = self.now().saturating_add(d);
        self.advance_to(target)
    }

    /// Move time forward to `target` (never backwards: an earlier `target` leaves `now`
    /// unchanged) and wake every timer whose deadline is at or before the new `now`, in
    /// `(deadline, sequence)` order. Returns how many timers fired.
    ///
    /// All due timers fire at once and the woken tasks observe the *new* `now`. To let
    /// tasks run at each deadline in turn, use
    /// [`advance_to_next_deadline`](Self::advance_to_next_deadline) between executor runs
    /// (what [`SimExecutor::run_until`](super::SimExecutor::run_until) does).
    pub fn advance_to(&self, target: Instant) -> usize {
        let due = {
            let mut s = self.state.lock();
            if target > s.now {
                s.now = target;
            }
            s.take_due()
        };
        wake_all(due)
    }

    /// Jump to the earliest pending deadline and wake the timers due then (all timers
    /// sharing that deadline, in creation order). Returns the new `now`, or `None` (and
    /// leaves time alone) when no timer is pending.
    pub fn advance_to_next_deadline(&self) -> Option<Instant> {
        let (now, due) = {
            let mut s = self.state.lock();
            let next = s.timers.first_key_value()?.0.deadline;
            if next > s.now {
                s.now = next;
            }
            (s.now, s.take_due())
        };
        wake_all(due);
        Some(now)
    }

    /// The earliest deadline among pending timers.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.state
            .lock()
            .timers
            .first_key_value()
            .map(|(k, _)| k.deadline)
    }

    /// How many timers are registered and have neither fired nor been dropped.
    pub fn pending_timers(&self) -> usize {
        self.state.lock().timers.len()
    }

    /// How many timers have fired since the clock was created.
    pub fn fired_timers(&self) -> u64 {
        self.state.lock().fired
    }

    /// A sleep that completes `d` after the current instant.
    pub fn sleep(&self, d: Duration) -> impl Future<Output = ()> + MaybeSend + 'static {
        self.sleep_until(self.now().saturating_add(d))
    }

    /// A sleep that completes once the clock reaches `deadline`, registered now (its place
    /// among timers with the same deadline is taken here, not at the first poll). A
    /// deadline at or before `now` gives a sleep that is ready at once and registers
    /// nothing. [`Timer::sleep_until`] is this, registered at its first poll.
    pub fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + MaybeSend + 'static {
        let key = {
            let mut s = self.state.lock();
            if deadline <= s.now {
                None
            } else {
                let key = TimerKey {
                    deadline,
                    sequence: s.next_sequence,
                };
                s.next_sequence += 1;
                s.timers.insert(key, None);
                Some(key)
            }
        };
        SimSleep {
            clock: self.clone(),
            key,
        }
    }
}

fn wake_all(due: Vec<Option<Waker>>) -> usize {
    let fired = due.len();
    for waker in due.into_iter().flatten() {
        waker.wake();
    }
    fired
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        let unix_time = s
            .epoch
            .saturating_add(s.now.saturating_duration_since(s.wall_base));
        f.debug_struct("ManualClock")
            .field("now", &s.now)
            .field("unix_time", &unix_time)
            .field("pending_timers", &s.timers.len())
            .field(
                "next_deadline",
                &s.timers.first_key_value().map(|(k, _)| k.deadline),
            )
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.state.lock().now
    }

    fn unix_time(&self) -> UnixTime {
        let s = self.state.lock();
        s.epoch
            .saturating_add(s.now.saturating_duration_since(s.wall_base))
    }
}

#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
impl Timer for ManualClock {
    async fn sleep_until(&self, deadline: Instant) {
        Self::sleep_until(self, deadline).await;
    }
}

/// The future behind a [`ManualClock`] sleep. `key` is `None` once it completed (or
/// if it was due on creation).
struct SimSleep {
    clock: ManualClock,
    key: Option<TimerKey>,
}

impl Future for SimSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(key) = this.key else {
            return Poll::Ready(());
        };
        let (ready, replaced) = {
            let mut s = this.clock.state.lock();
            if s.now >= key.deadline {
                // Fired already (entry gone) or due but not yet fired: either way done.
                (true, s.timers.remove(&key).flatten())
            } else {
                let slot = s.timers.entry(key).or_insert(None);
                let replaced = match slot {
                    Some(w) if w.will_wake(cx.waker()) => None,
                    _ => slot.replace(cx.waker().clone()),
                };
                (false, replaced)
            }
        };
        // Foreign wakers are dropped outside the lock.
        drop(replaced);
        if ready {
            this.key = None;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for SimSleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let removed = self.clock.state.lock().timers.remove(&key);
            drop(removed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::sync::Arc;
    use alloc::task::Wake;
    use alloc::vec;
    use core::sync::atomic::{AtomicUsize, Ordering};

    /// Records the order in which labelled wakers fire.
    struct Probe {
        label: usize,
        log: Arc<Lock<Vec<usize>>>,
        wakes: AtomicUsize,
    }

    impl Wake for Probe {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.wakes.fetch_add(1, Ordering::SeqCst);
            self.log.lock().push(self.label);
        }
    }

    fn probe(label: usize, log: &Arc<Lock<Vec<usize>>>) -> (Arc<Probe>, Waker) {
        let p = Arc::new(Probe {
            label,
            log: log.clone(),
            wakes: AtomicUsize::new(0),
        });
        let w = Waker::from(p.clone());
        (p, w)
    }

    type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn poll(sleep: &mut Sleep, waker: &Waker) -> Poll<()> {
        sleep.as_mut().poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn wall_clock_follows_simulated_time_from_the_epoch() {
        let clock = ManualClock::starting_at(Instant::from_secs(100), UnixTime::from_secs(1_000));
        assert_eq!(clock.now(), Instant::from_secs(100));
        assert_eq!(clock.unix_time(), UnixTime::from_secs(1_000));
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(clock.unix_time(), UnixTime::from_millis(1_001_500));
        clock.set_unix_time(UnixTime::from_secs(50));
        assert_eq!(clock.now(), Instant::from_millis(101_500));
        clock.advance(Duration::from_secs(2));
        assert_eq!(clock.unix_time(), UnixTime::from_secs(52));
        assert_eq!(
            ManualClock::new().unix_time().rfc1123(),
            "Thu, 01 Jan 2026 00:00:00 GMT"
        );
    }

    #[test]
    fn time_never_goes_backwards() {
        let clock = ManualClock::new();
        clock.advance_to(Instant::from_secs(10));
        assert_eq!(clock.advance_to(Instant::from_secs(3)), 0);
        assert_eq!(clock.now(), Instant::from_secs(10));
    }

    #[test]
    fn due_timers_fire_in_deadline_then_creation_order() {
        let clock = ManualClock::new();
        let log = Arc::new(Lock::new(Vec::new()));
        // label = index; deadlines 3,1,3,2,1 seconds
        let deadlines = [3, 1, 3, 2, 1];
        let mut sleeps: Vec<(Sleep, Waker)> = deadlines
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                (
                    Box::pin(clock.sleep_until(Instant::from_secs(d))) as Sleep,
                    probe(i, &log).1,
                )
            })
            .collect();
        // Poll in reverse so that poll order differs from creation order.
        for (s, w) in sleeps.iter_mut().rev() {
            assert_eq!(poll(s, w), Poll::Pending);
        }
        assert_eq!(clock.pending_timers(), 5);
        assert_eq!(clock.next_deadline(), Some(Instant::from_secs(1)));
        assert_eq!(clock.advance_to(Instant::from_secs(3)), 5);
        assert_eq!(*log.lock(), vec![1, 4, 3, 0, 2]);
        for (s, w) in &mut sleeps {
            assert_eq!(poll(s, w), Poll::Ready(()));
        }
        assert_eq!(clock.fired_timers(), 5);
    }

    #[test]
    fn advance_to_next_deadline_fires_one_deadline_at_a_time() {
        let clock = ManualClock::new();
        let log = Arc::new(Lock::new(Vec::new()));
        let mut a = Box::pin(clock.sleep_until(Instant::from_millis(20))) as Sleep;
        let mut b = Box::pin(clock.sleep_until(Instant::from_millis(10))) as Sleep;
        let mut c = Box::pin(clock.sleep_until(Instant::from_millis(20))) as Sleep;
        let (_, wa) = probe(0, &log);
        let (_, wb) = probe(1, &log);
        let (_, wc) = probe(2, &log);
        for (s, w) in [(&mut a, &wa), (&mut b, &wb), (&mut c, &wc)] {
            assert_eq!(poll(s, w), Poll::Pending);
        }
        assert_eq!(
            clock.advance_to_next_deadline(),
            Some(Instant::from_millis(10))
        );
        assert_eq!(*log.lock(), vec![1]);
        assert_eq!(poll(&mut a, &wa), Poll::Pending);
        assert_eq!(
            clock.advance_to_next_deadline(),
            Some(Instant::from_millis(20))
        );
        assert_eq!(*log.lock(), vec![1, 0, 2]);
        assert_eq!(clock.advance_to_next_deadline(), None);
        assert_eq!(clock.now(), Instant::from_millis(20));
    }

    #[test]
    fn dropped_sleep_deregisters_and_never_fires() {
        let clock = ManualClock::new();
        let log = Arc::new(Lock::new(Vec::new()));
        let (p, w) = probe(7, &log);
        let mut s = Box::pin(clock.sleep(Duration::from_secs(1))) as Sleep;
        assert_eq!(poll(&mut s, &w), Poll::Pending);
        let unpolled = Box::pin(clock.sleep(Duration::from_secs(2))) as Sleep;
        assert_eq!(clock.pending_timers(), 2);
        drop(s);
        drop(unpolled);
        assert_eq!(clock.pending_timers(), 0);
        assert_eq!(clock.next_deadline(), None);
        assert_eq!(clock.advance(Duration::from_secs(5)), 0);
        assert_eq!(p.wakes.load(Ordering::SeqCst), 0);
        assert_eq!(clock.fired_timers(), 0);
    }

    #[test]
    fn past_deadline_is_ready_without_registering() {
        let clock = ManualClock::new();
        clock.advance(Duration::from_secs(1));
        let log = Arc::new(Lock::new(Vec::new()));
        let (_, w) = probe(0, &log);
        let mut s = Box::pin(clock.sleep_until(Instant::from_millis(999))) as Sleep;
        assert_eq!(clock.pending_timers(), 0);
        assert_eq!(poll(&mut s, &w), Poll::Ready(()));
        let mut now = Box::pin(clock.sleep(Duration::ZERO)) as Sleep;
        assert_eq!(poll(&mut now, &w), Poll::Ready(()));
    }

    #[test]
    fn repolling_replaces_the_waker() {
        let clock = ManualClock::new();
        let log = Arc::new(Lock::new(Vec::new()));
        let (first, w1) = probe(1, &log);
        let (second, w2) = probe(2, &log);
        let mut s = Box::pin(clock.sleep(Duration::from_secs(1))) as Sleep;
        assert_eq!(poll(&mut s, &w1), Poll::Pending);
        assert_eq!(poll(&mut s, &w2), Poll::Pending);
        clock.advance(Duration::from_secs(1));
        assert_eq!(first.wakes.load(Ordering::SeqCst), 0);
        assert_eq!(second.wakes.load(Ordering::SeqCst), 1);
    }
}
