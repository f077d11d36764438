//! The seeded random scenarios: thousands of runs, every invariant of [`crate::check`]
//! on each, the failing seed printed.
//!
//! * `SIM_SCENARIOS=<n>` runs `n` scenarios (default [`DEFAULT_SCENARIOS`]).
//! * `SIM_SEED_BASE=<s>` starts at seed `s` (default 0): seeds `s..s+n`.
//! * `SIM_SEED=<n>` replays only seed `n`, printing the scenario first.

use std::panic;
use std::sync::Mutex;

use core::panic::AssertUnwindSafe;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::check::{Summary, check};
use crate::run::run;
use crate::scenario::Scenario;
use crate::support::{timed, wall_clock};

/// Scenarios in the normal test run.
pub(crate) const DEFAULT_SCENARIOS: u64 = 10_000;

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
    )
}

/// Run and check the scenario of `seed`.
pub(crate) fn run_seed(seed: u64) -> Summary {
    let scenario = Scenario::generate(seed);
    let trace = run(&scenario);
    check(&scenario, &trace)
}

#[test]
fn seeded_random_scenarios_hold_every_invariant() {
    if let Some(seed) = env_u64("SIM_SEED") {
        let scenario = Scenario::generate(seed);
        eprintln!("{scenario:?}");
        let trace = run(&scenario);
        eprintln!("{}", trace.dump());
        let summary = check(&scenario, &trace);
        eprintln!("sim: seed {seed} passed: {summary:?}");
        return;
    }
    timed(run_scenarios);
}

fn run_scenarios() {
    let count = env_u64("SIM_SCENARIOS").unwrap_or(DEFAULT_SCENARIOS);
    let base = env_u64("SIM_SEED_BASE").unwrap_or(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<(u64, String)>> = Mutex::new(None);
    let total = Mutex::new(Summary::default());
    let started = wall_clock();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut mine = Summary::default();
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let seed = base + i;
                    match panic::catch_unwind(AssertUnwindSafe(|| run_seed(seed))) {
                        Ok(summary) => mine.add(&summary),
                        Err(payload) => {
                            let message = payload
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            stop.store(true, Ordering::Relaxed);
                            let mut f = failure.lock().unwrap();
                            if f.as_ref().is_none_or(|(s, _)| seed < *s) {
                                *f = Some((seed, message));
                            }
                        }
                    }
                }
                total.lock().unwrap().add(&mine);
            });
        }
    });
    let wall = wall_clock().duration_since(started);
    if let Some((seed, message)) = failure.into_inner().unwrap() {
        panic!(
            "simulation scenario with seed {seed} failed: {message}\n\
             replay it with: SIM_SEED={seed} cargo test -p sls-producer-tests --test sim \
             seeded_random_scenarios -- --nocapture"
        );
    }
    let s = total.into_inner().unwrap();
    assert_eq!(s.scenarios, count, "every scenario ran");
    eprintln!(
        "sim: {} scenarios (seeds {base}..{}) in {:.2} s wall time on {threads} threads; \
         {} sends ({} refused), {} logs accepted, {} delivered, {} failed with their logs \
         handed back or counted, {} requests ({} retries), {} at-least-once duplicates on \
         the server, {} runs hit a close deadline, {:.1} h simulated",
        s.scenarios,
        base + count,
        wall.as_secs_f64(),
        s.sends,
        s.refused_sends,
        s.accepted_logs,
        s.delivered_logs,
        s.failed_logs,
        s.requests,
        s.retries,
        s.duplicates,
        s.close_deadlines_hit,
        s.simulated.as_secs_f64() / 3600.0,
    );
    for (path, n) in &s.paths {
        eprintln!("sim:   {n:>7} × {path}");
    }
}

#[test]
fn the_same_seed_replays_the_same_run() {
    for seed in [3, 17, 4242] {
        let scenario = Scenario::generate(seed);
        let a = run(&scenario);
        let b = run(&scenario);
        let trace = |t: &crate::run::Trace| {
            t.exchanges
                .iter()
                .map(|e| (e.sent, e.request.clone(), e.completed))
                .collect::<Vec<_>>()
        };
        assert_eq!(trace(&a), trace(&b), "seed {seed}: requests differ");
        let outcomes = |t: &crate::run::Trace| {
            t.sends
                .iter()
                .map(|s| (s.resolved, s.result.clone(), s.outcomes.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(outcomes(&a), outcomes(&b), "seed {seed}: outcomes differ");
    }
}
