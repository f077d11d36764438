//! [`SimExecutor`]: a single-threaded, FIFO, run-until-stalled executor on a
//! [`ManualClock`].

use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use alloc::task::Wake;
use core::fmt;
use core::future::Future;
use core::pin::{Pin, pin};
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use super::clock::ManualClock;
use super::lock::Lock;
use crate::protocol::time::Instant;
use crate::rt::{BoxFuture, Clock, Spawner};

/// Why a simulation run stopped before its goal.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimError {
    /// [`SimExecutor::block_on`]'s future is still pending, no task is runnable and no
    /// timer is pending, so nothing can ever wake it.
    ///
    /// Typical causes: a [`ScriptedReply::Hang`](super::ScriptedReply::Hang) with no
    /// timeout around it, a channel whose sender was forgotten, a waker that was dropped
    /// instead of stored. Caller action: fix the scenario or the code under test; this is
    /// the simulated equivalent of a program that hangs forever.
    Deadlock {
        /// Simulated time when the run stalled for good.
        now: Instant,
        /// Spawned tasks that had not completed.
        pending_tasks: usize,
    },
    /// More than [`SimLimits::max_polls_per_instant`] polls happened without simulated
    /// time moving: tasks keep waking each other (or themselves) and never wait on a
    /// timer. Caller action: look for a busy loop (a task that re-wakes itself on every
    /// poll) or raise the limit if the workload really is that large.
    Livelock {
        /// The instant at which time stood still.
        now: Instant,
        /// Polls counted at that instant.
        polls: u64,
    },
    /// Finishing the run would need to move the clock past [`SimLimits::horizon`].
    /// The clock stays at or before the horizon. Caller action: this usually means a
    /// periodic timer keeps the simulation alive while the awaited result never comes;
    /// raise the horizon if the scenario really lasts that long.
    HorizonReached {
        /// The configured horizon.
        horizon: Instant,
        /// The earliest pending deadline (or the requested end of the run).
        next_deadline: Instant,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deadlock { now, pending_tasks } => write!(
                f,
                "simulation deadlocked at {now:?}: the awaited future is pending, \
                 no task is runnable ({pending_tasks} spawned tasks pending) and no timer is set"
            ),
            Self::Livelock { now, polls } => write!(
                f,
                "simulation livelocked at {now:?}: {polls} polls without time advancing"
            ),
            Self::HorizonReached {
                horizon,
                next_deadline,
            } => write!(
                f,
                "simulation horizon {horizon:?} reached: next deadline is {next_deadline:?}"
            ),
        }
    }
}

impl core::error::Error for SimError {}

/// Guards against simulations that never end. See [`SimExecutor::set_limits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimLimits {
    max_polls_per_instant: u64,
    horizon: Instant,
}

impl SimLimits {
    /// The default livelock guard: one million polls at one simulated instant.
    pub const DEFAULT_MAX_POLLS_PER_INSTANT: u64 = 1_000_000;

    /// Stop with [`SimError::Livelock`] after `polls` task polls without simulated time
    /// moving. Must be at least 1.
    pub const fn with_max_polls_per_instant(mut self, polls: u64) -> Self {
        self.max_polls_per_instant = if polls == 0 { 1 } else { polls };
        self
    }

    /// Never move the clock past `horizon`; stop with [`SimError::HorizonReached`]
    /// instead. Default [`Instant::MAX`] (no horizon).
    pub const fn with_horizon(mut self, horizon: Instant) -> Self {
        self.horizon = horizon;
        self
    }

    /// The livelock guard.
    pub const fn max_polls_per_instant(&self) -> u64 {
        self.max_polls_per_instant
    }

    /// The time horizon.
    pub const fn horizon(&self) -> Instant {
        self.horizon
    }
}

impl Default for SimLimits {
    fn default() -> Self {
        Self {
            max_polls_per_instant: Self::DEFAULT_MAX_POLLS_PER_INSTANT,
            horizon: Instant::MAX,
        }
    }
}

/// Counters of what a [`SimExecutor`] did, for assertions and for spotting busy loops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecutorStats {
    /// Tasks handed to [`Spawner::spawn`].
    pub spawned: u64,
    /// Spawned tasks that ran to completion.
    pub completed: u64,
    /// Polls of spawned tasks and of `block_on` futures.
    pub polls: u64,
    /// Times the executor moved the clock to the next timer deadline.
    pub time_jumps: u64,
}

/// A deterministic single-threaded executor that drives simulated time.
///
/// Tasks run in FIFO order of their wake-ups; a task spawned or woken from inside another
/// task goes to the back of the queue. Nothing runs in parallel and nothing depends on
/// real time, so the same inputs always give the same interleaving.
///
/// **The simulation loop** (shared by [`block_on`](Self::block_on) and
/// [`run_until`](Self::run_until)): poll runnable tasks until none is left (*stalled*);
/// then, if a timer is pending, jump the [`ManualClock`] to the earliest deadline, wake
/// the timers due then, and repeat. Time therefore advances **only** when every task
/// waits, and only as far as the next thing that can happen: an hour of simulated
/// timeouts costs as much as the code that runs in it.
///
/// Two guards stop runaway simulations (see [`SimLimits`]): a maximum number of polls
/// without time moving ([`SimError::Livelock`]) and an optional time horizon
/// ([`SimError::HorizonReached`]).
///
/// `SimExecutor` is a cheap `Clone` handle. Runs must not be nested: calling `block_on`
/// or `run_*` from inside a simulated task panics.
#[derive(Clone)]
pub struct SimExecutor {
    shared: Arc<Shared>,
}

type TaskId = u64;

struct Shared {
    clock: ManualClock,
    ready: Arc<Lock<VecDeque<TaskId>>>,
    tasks: Lock<Tasks>,
    running: AtomicBool,
}

struct Tasks {
    next_id: TaskId,
    /// Spawned, unfinished tasks. `future` is `None` while the task is being polled.
    slots: BTreeMap<TaskId, Slot>,
    limits: SimLimits,
    stats: ExecutorStats,
}

struct Slot {
    future: Option<BoxFuture<'static, ()>>,
    waker: Arc<TaskWaker>,
}

/// Wakes a task by queueing its id, at most once until it is polled again.
struct TaskWaker {
    id: TaskId,
    queued: AtomicBool,
    ready: Arc<Lock<VecDeque<TaskId>>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.ready.lock().push_back(self.id);
        }
    }
}

/// Marks the executor as running for the guard's lifetime.
struct RunGuard<'a>(&'a AtomicBool);

impl<'a> RunGuard<'a> {
    fn enter(flag: &'a AtomicBool) -> Self {
        assert!(
            !flag.swap(true, Ordering::AcqRel),
            "SimExecutor runs must not be nested: block_on/run_* was called while the \
             executor was already running (from inside a simulated task?)"
        );
        Self(flag)
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// What a run should do with the `block_on` future.
struct Main<'a, T> {
    id: TaskId,
    flag: &'a TaskWaker,
    waker: &'a Waker,
    poll: &'a mut dyn FnMut(&mut Context<'_>) -> Poll<T>,
}

impl SimExecutor {
    /// An executor driving `clock`, with default [`SimLimits`].
    pub fn new(clock: ManualClock) -> Self {
        Self {
            shared: Arc::new(Shared {
                clock,
                ready: Arc::new(Lock::new(VecDeque::new())),
                tasks: Lock::new(Tasks {
                    next_id: 0,
                    slots: BTreeMap::new(),
                    limits: SimLimits::default(),
                    stats: ExecutorStats::default(),
                }),
                running: AtomicBool::new(false),
            }),
        }
    }

    /// The clock this executor advances.
    pub fn clock(&self) -> &ManualClock {
        &self.shared.clock
    }

    /// Replace the runaway guards.
    pub fn set_limits(&self, limits: SimLimits) {
        self.shared.tasks.lock().limits = limits;
    }

    /// The runaway guards in force.
    pub fn limits(&self) -> SimLimits {
        self.shared.tasks.lock().limits
    }

    /// What the executor has done so far.
    pub fn stats(&self) -> ExecutorStats {
        self.shared.tasks.lock().stats
    }

    /// Spawned tasks that have not completed (runnable or waiting).
    pub fn pending_tasks(&self) -> usize {
        self.shared.tasks.lock().slots.len()
    }

    /// Whether some task is queued to run.
    pub fn has_runnable(&self) -> bool {
        !self.shared.ready.lock().is_empty()
    }

    /// Drive `future` and every spawned task until `future` completes, advancing simulated
    /// time whenever everything is stalled (see the type docs). Returns as soon as
    /// `future` is ready; spawned tasks that are still pending stay in the executor and
    /// run on the next `block_on` / `run_*` call.
    ///
    /// `future` need not be `Send`: it is polled right here.
    ///
    /// # Errors
    ///
    /// [`SimError::Deadlock`] when `future` can never complete, [`SimError::Livelock`] and
    /// [`SimError::HorizonReached`] when a guard of [`SimLimits`] trips. `future` is
    /// dropped in every case.
    ///
    /// # Panics
    ///
    /// When called from inside a task of this executor.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, SimError> {
        let _running = RunGuard::enter(&self.shared.running);
        let mut future = pin!(future);
        let id = {
            let mut t = self.shared.tasks.lock();
            let id = t.next_id;
            t.next_id += 1;
            id
        };
        let flag = Arc::new(TaskWaker {
            id,
            queued: AtomicBool::new(true),
            ready: self.shared.ready.clone(),
        });
        self.shared.ready.lock().push_back(id);
        let waker = Waker::from(flag.clone());
        let mut poll = |cx: &mut Context<'_>| future.as_mut().poll(cx);
        let mut main = Main {
            id,
            flag: &flag,
            waker: &waker,
            poll: &mut poll,
        };
        let mut polls = 0;
        loop {
            if let Some(output) = self.run_ready(Some(&mut main), &mut polls)? {
                return Ok(output);
            }
            let Some(deadline) = self.shared.clock.next_deadline() else {
                return Err(SimError::Deadlock {
                    now: self.shared.clock.now(),
                    pending_tasks: self.pending_tasks(),
                });
            };
            self.jump_to_next_deadline(deadline)?;
            polls = 0;
        }
    }

    /// Poll runnable tasks until none is left. Simulated time does not move.
    ///
    /// # Errors
    ///
    /// [`SimError::Livelock`] when tasks keep waking each other past the poll limit.
    ///
    /// # Panics
    ///
    /// When called from inside a task of this executor.
    pub fn run_until_stalled(&self) -> Result<(), SimError> {
        let _running = RunGuard::enter(&self.shared.running);
        self.run_ready::<()>(None, &mut 0).map(|_| ())
    }

    /// Run the simulation loop until simulated time reaches `end`: tasks run, the clock
    /// jumps from deadline to deadline up to `end`, and finally moves to `end` itself (if
    /// it is later than now) after everything due by then has run.
    ///
    /// # Errors
    ///
    /// [`SimError::Livelock`], or [`SimError::HorizonReached`] when `end` lies beyond the
    /// horizon (the run then stops at the last deadline before the horizon).
    ///
    /// # Panics
    ///
    /// When called from inside a task of this executor.
    pub fn run_until(&self, end: Instant) -> Result<(), SimError> {
        let _running = RunGuard::enter(&self.shared.running);
        let mut polls = 0;
        loop {
            self.run_ready::<()>(None, &mut polls)?;
            match self.shared.clock.next_deadline() {
                Some(deadline) if deadline <= end => {
                    self.jump_to_next_deadline(deadline)?;
                    polls = 0;
                }
                _ => {
                    let horizon = self.limits().horizon;
                    if end > horizon {
                        return Err(SimError::HorizonReached {
                            horizon,
                            next_deadline: end,
                        });
                    }
                    self.shared.clock.advance_to(end);
                    return Ok(());
                }
            }
        }
    }

    /// [`run_until`](Self::run_until) `now + d`.
    ///
    /// # Errors
    ///
    /// As [`run_until`](Self::run_until).
    ///
    /// # Panics
    ///
    /// When called from inside a task of this executor.
    pub fn run_for(&self, d: Duration) -> Result<(), SimError> {
        self.run_until(self.shared.clock.now().saturating_add(d))
    }

    /// Drop every spawned task and forget queued wake-ups: the runtime shuts down.
    /// The executor stays usable; tasks spawned afterwards run normally.
    ///
    /// Tasks that hold a handle to their own executor (a spawner) keep it alive in a
    /// reference cycle until they complete or this is called.
    pub fn shutdown(&self) {
        let slots = core::mem::take(&mut self.shared.tasks.lock().slots);
        self.shared.ready.lock().clear();
        // Task futures (user code) are dropped outside the lock.
        drop(slots);
    }

    fn jump_to_next_deadline(&self, deadline: Instant) -> Result<(), SimError> {
        let horizon = self.limits().horizon;
        if deadline > horizon {
            return Err(SimError::HorizonReached {
                horizon,
                next_deadline: deadline,
            });
        }
        self.shared.clock.advance_to_next_deadline();
        self.shared.tasks.lock().stats.time_jumps += 1;
        Ok(())
    }

    /// Poll queued tasks in FIFO order until the queue is empty (`Ok(None)`) or `main`
    /// completes (`Ok(Some(output))`). `polls` counts polls since time last moved.
    fn run_ready<T>(
        &self,
        mut main: Option<&mut Main<'_, T>>,
        polls: &mut u64,
    ) -> Result<Option<T>, SimError> {
        let limit = self.limits().max_polls_per_instant;
        loop {
            let Some(id) = self.shared.ready.lock().pop_front() else {
                return Ok(None);
            };
            if *polls >= limit {
                // Leave the task queued: the caller may raise the limit and resume.
                self.shared.ready.lock().push_front(id);
                return Err(SimError::Livelock {
                    now: self.shared.clock.now(),
                    polls: *polls,
                });
            }
            match main.as_deref_mut() {
                Some(m) if m.id == id => {
                    *polls += 1;
                    self.shared.tasks.lock().stats.polls += 1;
                    m.flag.queued.store(false, Ordering::Release);
                    if let Poll::Ready(output) = (m.poll)(&mut Context::from_waker(m.waker)) {
                        return Ok(Some(output));
                    }
                }
                _ => {
                    if self.poll_task(id) {
                        *polls += 1;
                    }
                }
            }
        }
    }

    /// Poll spawned task `id` once. Returns `false` if there is no such task (a stale
    /// wake-up of a finished task or of an earlier `block_on` future).
    fn poll_task(&self, id: TaskId) -> bool {
        let taken = {
            let mut t = self.shared.tasks.lock();
            let taken = t
                .slots
                .get_mut(&id)
                .and_then(|slot| Some((slot.future.take()?, slot.waker.clone())));
            if taken.is_some() {
                t.stats.polls += 1;
            }
            taken
        };
        let Some((mut future, flag)) = taken else {
            return false;
        };
        flag.queued.store(false, Ordering::Release);
        let waker = Waker::from(flag);
        let poll = Pin::new(&mut future).poll(&mut Context::from_waker(&waker));
        let finished = {
            let mut t = self.shared.tasks.lock();
            match poll {
                Poll::Ready(()) => {
                    t.stats.completed += 1;
                    t.slots.remove(&id)
                }
                Poll::Pending => match t.slots.get_mut(&id) {
                    Some(slot) => {
                        slot.future = Some(future);
                        return true;
                    }
                    // Shut down while it was being polled.
                    None => None,
                },
            }
        };
        drop(finished);
        true
    }
}

impl Spawner for SimExecutor {
    /// Queue `task` behind every task already runnable. It first runs on the next
    /// `block_on` / `run_*` call (or later in the current one).
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        let id = {
            let mut t = self.shared.tasks.lock();
            let id = t.next_id;
            t.next_id += 1;
            t.stats.spawned += 1;
            t.slots.insert(
                id,
                Slot {
                    future: Some(task),
                    waker: Arc::new(TaskWaker {
                        id,
                        queued: AtomicBool::new(true),
                        ready: self.shared.ready.clone(),
                    }),
                },
            );
            id
        };
        self.shared.ready.lock().push_back(id);
    }
}

impl fmt::Debug for SimExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (pending, stats, limits) = {
            let t = self.shared.tasks.lock();
            (t.slots.len(), t.stats, t.limits)
        };
        f.debug_struct("SimExecutor")
            .field("clock", &self.shared.clock)
            .field("pending_tasks", &pending)
            .field("stats", &stats)
            .field("limits", &limits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::boxed::Box;
    use alloc::vec;
    use alloc::vec::Vec;

    /// Yields once: wakes itself and returns `Pending` the first time.
    struct YieldNow(bool);
    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    #[test]
    fn spawned_tasks_run_fifo_including_nested_spawns() {
        let exec = SimExecutor::new(ManualClock::new());
        let log = Arc::new(Lock::new(Vec::new()));
        for label in 0..3 {
            let log = log.clone();
            let exec2 = exec.clone();
            exec.spawn(Box::pin(async move {
                log.lock().push(label);
                if label == 0 {
                    let log = log.clone();
                    exec2.spawn(Box::pin(async move { log.lock().push(10) }));
                }
            }));
        }
        exec.run_until_stalled().unwrap();
        assert_eq!(*log.lock(), vec![0, 1, 2, 10]);
        assert_eq!(exec.pending_tasks(), 0);
        let stats = exec.stats();
        assert_eq!((stats.spawned, stats.completed, stats.polls), (4, 4, 4));
    }

    #[test]
    fn livelock_is_detected_and_resumable() {
        let exec = SimExecutor::new(ManualClock::new());
        exec.set_limits(SimLimits::default().with_max_polls_per_instant(10));
        exec.spawn(Box::pin(async {
            loop {
                YieldNow(false).await;
            }
        }));
        assert_eq!(
            exec.run_until_stalled(),
            Err(SimError::Livelock {
                now: Instant::ZERO,
                polls: 10
            })
        );
        assert!(exec.has_runnable(), "the busy task stays queued");
        exec.shutdown();
        assert_eq!(exec.pending_tasks(), 0);
        assert!(!exec.has_runnable());
        exec.run_until_stalled().unwrap();
    }

    #[test]
    fn horizon_stops_a_periodic_timer_that_would_run_forever() {
        let clock = ManualClock::new();
        let exec = SimExecutor::new(clock.clone());
        exec.set_limits(SimLimits::default().with_horizon(Instant::from_secs(10)));
        let c = clock.clone();
        exec.spawn(Box::pin(async move {
            loop {
                c.sleep(Duration::from_secs(3)).await;
            }
        }));
        let err = exec.block_on(core::future::pending::<()>()).unwrap_err();
        assert_eq!(
            err,
            SimError::HorizonReached {
                horizon: Instant::from_secs(10),
                next_deadline: Instant::from_secs(12)
            }
        );
        assert_eq!(clock.now(), Instant::from_secs(9));
    }

    #[test]
    #[should_panic(expected = "must not be nested")]
    fn nested_runs_panic() {
        let exec = SimExecutor::new(ManualClock::new());
        let inner = exec.clone();
        let _ = exec.block_on(async move {
            let _ = inner.run_until_stalled();
        });
    }

    #[test]
    fn stale_wakeups_of_finished_futures_are_ignored() {
        let exec = SimExecutor::new(ManualClock::new());
        let mut saved = None;
        exec.block_on(core::future::poll_fn(|cx| {
            saved = Some(cx.waker().clone());
            Poll::Ready(())
        }))
        .unwrap();
        saved.unwrap().wake();
        assert!(exec.has_runnable());
        exec.run_until_stalled().unwrap();
        assert_eq!(exec.stats().polls, 1);
        assert_eq!(exec.block_on(async { 5 }), Ok(5));
    }
}
