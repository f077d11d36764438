//! `send()` of one log: what the caller's thread pays.
//!
//! * `engine_push`: the engine alone, no lock (its requests are answered between timed
//!   chunks, untimed).
//! * `producer_send/1_thread`: `Producer::send` with the driver running on its own thread
//!   (sealing, compressing, signing and "sending" to a transport that answers 200 at once).
//! * `producer_send/2_threads`: two threads sending at once into one producer; the time is
//!   per send on each thread (both contend for the engine and with the driver).
//! * `producer_send_parts/*`: the same with `send_parts` (borrowed key/value pairs, no
//!   `Log` built or freed).
//! * `producer_send_tracked/*`: the same with `send_tracked` (a `DeliveryHandle` made per
//!   send; the handles are dropped after the chunk, untimed).
//! * `drop_log/*`: no send, only freeing the same `Log`s, which `send(&route, Log)` does
//!   on the caller's thread: `producer_send` minus `drop_log` is the producer's part.
//!
//! Only the `send` calls are timed: logs are built before each chunk of 256 sends (an
//! application pays that too, see `encode/build_log`), and whenever more than half of the
//! memory budget is in use the sender waits, untimed, for the driver to catch up.
//!
//! `cargo bench -p sls-producer-core --bench send`

// Real time is what a benchmark measures.
#![allow(clippy::disallowed_methods)]

use core::hint::black_box;
use core::time::Duration;
use std::thread;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sls_producer_core::engine::Engine;
use sls_producer_core::rt::HttpResponse;
use sls_producer_core::rt::{Instant as CoreInstant, UnixTime};
use sls_producer_core::{Log, LogParts, Producer, Record, Route};

#[allow(dead_code, reason = "shared by several benches, each uses a part")]
mod support;

use sls_producer_core::sim::BenchWorkload as Workload;
use support::{CHUNK, config, credentials, spawn_producer, timed_in_chunks};

/// Draws `first..first + n` of the workload's ring, each log built as an application
/// builds one; the routes are borrowed, as a hot path keeps its routes.
fn chunk(workload: &Workload, first: u64, n: u64) -> Vec<(&Route, Log)> {
    (first..first + n).map(|i| workload.draw_built(i)).collect()
}

/// How the bench hands a log to the producer.
#[derive(Clone, Copy)]
enum Api {
    /// `send(&route, Log)`: the log is built (untimed), copied into the batch and freed by
    /// `send`.
    Log,
    /// `send_parts(&route, LogParts::new(time, &pairs))`: pairs borrowed from a log built
    /// (untimed) like the `Log` case's, so the data is equally in cache.
    Parts,
    /// `send_tracked(&route, Log)`: as `Log`, plus a `DeliveryHandle` per send.
    Tracked,
    /// No send: only what `send(&route, Log)` also does for the caller, freeing the `Log`
    /// (its one buffer). `send(Log)` minus this is the producer's own cost.
    DropLog,
}

/// Time `send` of each of `logs`.
fn time_sends<R: Into<Record>>(producer: &Producer, logs: Vec<(&Route, R)>) -> Duration {
    let start = Instant::now();
    for (route, log) in logs {
        producer
            .send(route, log)
            .expect("room was made for the chunk");
    }
    start.elapsed()
}

/// Time `iters` sends into `producer`, excluding log building and waits for room.
fn timed_sends(
    producer: &Producer,
    workload: &Workload,
    api: Api,
    first: u64,
    iters: u64,
) -> Duration {
    timed_in_chunks(producer, iters, |done, n| {
        let first = first + done;
        match api {
            Api::Log => time_sends(producer, chunk(workload, first, n)),
            Api::Tracked => {
                let logs = chunk(workload, first, n);
                let mut handles = Vec::with_capacity(logs.len());
                let start = Instant::now();
                for (route, log) in logs {
                    let handle = producer
                        .send_tracked(route, log)
                        .expect("room was made for the chunk");
                    handles.push(handle);
                }
                let elapsed = start.elapsed();
                drop(handles);
                elapsed
            }
            Api::DropLog => {
                let logs = chunk(workload, first, n);
                let start = Instant::now();
                for (route, log) in logs {
                    black_box(route);
                    drop(black_box(log));
                }
                start.elapsed()
            }
            Api::Parts => {
                // The same logs, built (and so in cache) before timing like the `Log` case;
                // `send_parts` borrows their pairs.
                let logs = chunk(workload, first, n);
                let parts: Vec<(&Route, [(&str, &str); 8])> = logs
                    .iter()
                    .map(|(route, log)| {
                        let mut pairs = log.contents();
                        (
                            *route,
                            core::array::from_fn(|_| pairs.next().expect("8 pairs")),
                        )
                    })
                    .collect();
                let start = Instant::now();
                for (route, pairs) in &parts {
                    producer
                        .send_parts(route, LogParts::new(support::LOG_TIME, pairs))
                        .expect("room was made for the chunk");
                }
                start.elapsed()
            }
        }
    })
}

fn engine_push(c: &mut Criterion, workload: &Workload) {
    let mut group = c.benchmark_group("send");
    group.throughput(Throughput::Elements(1));
    group.bench_function("engine_push", |b| {
        b.iter_custom(|iters| {
            let wall = UnixTime::from_secs(1_795_570_830);
            let now = CoreInstant::from_secs(1);
            let mut engine: Engine<()> =
                Engine::new(&config(), wall, Some(credentials())).expect("valid config");
            let mut timed = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = CHUNK.min(iters - done);
                let logs = chunk(workload, done, n);
                let start = Instant::now();
                for (route, log) in logs {
                    engine.push(now, log, route, None).expect("room");
                }
                timed += start.elapsed();
                done += n;
                // Answer every request that is ready (untimed).
                while let Some(t) = engine.poll_transmit(now, wall) {
                    engine.handle_response(now, wall, t.attempt, Ok(HttpResponse::new(200)));
                }
                while engine.poll_event().is_some() {}
            }
            timed
        });
    });
    group.finish();
}

fn producer_send(c: &mut Criterion, workload: &Workload, name: &str, api: Api) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    let (producer, driver) = spawn_producer();
    group.bench_function("1_thread", |b| {
        b.iter_custom(|iters| timed_sends(&producer, workload, api, 0, iters));
    });
    group.bench_function("2_threads", |b| {
        b.iter_custom(|iters| {
            let per_thread = iters.div_ceil(2);
            let half = Workload::RING as u64 / 2;
            thread::scope(|s| {
                let other = s.spawn(|| timed_sends(&producer, workload, api, half, per_thread));
                let mine = timed_sends(&producer, workload, api, 0, per_thread);
                let other = other.join().expect("sender thread");
                // Per send on one thread, the two threads sending at the same time.
                (mine + other) / 2
            })
        });
    });
    group.finish();
    drop(producer);
    driver.join().expect("driver thread");
}

fn send(c: &mut Criterion) {
    let workload = support::workload();
    engine_push(c, &workload);
    producer_send(c, &workload, "producer_send", Api::Log);
    producer_send(c, &workload, "producer_send_parts", Api::Parts);
    producer_send(c, &workload, "producer_send_tracked", Api::Tracked);
    producer_send(c, &workload, "drop_log", Api::DropLog);
}

criterion_group!(benches, send);
criterion_main!(benches);
