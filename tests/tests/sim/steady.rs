//! One simulated hour of steady traffic through the real producer: every log delivered
//! exactly once, and the wall time it took printed (a figure, not an assertion).

use std::sync::{Arc, Mutex};

use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

use sls_producer_core::rt::Instant;
use sls_producer_core::rt::Spawner as _;
use sls_producer_core::sim::{ScriptedReply, SimRuntime};
use sls_producer_core::{Credentials, Producer, ProducerConfig, Route};

use crate::server::{MemoryProbe, Observed, ObservingTransport};
use crate::support::{Stamper, id_of, log_with_id, timed, wall_clock};

const HOUR: Duration = Duration::from_secs(3600);
/// Ten logs a second: one every 100 ms.
const INTERVAL: Duration = Duration::from_millis(100);

#[test]
fn one_simulated_hour_of_steady_traffic_delivers_every_log_exactly_once() {
    timed(steady_hour);
}

fn steady_hour() {
    let started = wall_clock();
    let mut sim = SimRuntime::new(2026);
    let mut rng = sim.rng().fork();
    // 20–80 ms answers; one request in a hundred gets a 503 and is retried.
    sim.transport().set_responder(move |_, _| {
        let reply = if rng.chance(1, 100) {
            ScriptedReply::sls_error(503, "ServerBusy", "busy")
        } else {
            ScriptedReply::ok()
        };
        reply.delayed(Duration::from_millis(20) + rng.duration_up_to(Duration::from_millis(60)))
    });
    let transport = ObservingTransport::new(
        sim.transport().clone(),
        Stamper::new(sim.clock().clone()),
        MemoryProbe::default(),
    );
    let config = ProducerConfig::new("http://127.0.0.1:8080");
    let producer = Producer::builder(config)
        .with_credentials(Credentials::new("id", "secret"))
        .with_transport(transport.clone())
        .build_on(sim.runtime())
        .unwrap();

    let logs = (HOUR.as_nanos() / INTERVAL.as_nanos()) as u64;
    let delivered = Arc::new(AtomicU64::new(0));
    let failed: Arc<Mutex<Vec<u64>>> = Arc::default();
    let route = Route::new("proj", "store").unwrap();
    let timer = sim.timer_handle();
    let sender = producer.clone();
    let (ok, bad) = (delivered.clone(), failed.clone());
    sim.executor().spawn(Box::pin(async move {
        for id in 0..logs {
            timer.sleep_until(timer.now() + INTERVAL).await;
            let (ok, bad) = (ok.clone(), bad.clone());
            sender
                .send_tracked(&route, log_with_id(id, 40))
                .unwrap()
                .on_complete(move |r| {
                    if r.is_success() {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        bad.lock().unwrap().push(id);
                    }
                });
        }
    }));
    sim.run_until(Instant::ZERO + HOUR).unwrap();
    let report = sim.block_on(producer.close(None)).unwrap();
    let simulated = wall_clock().duration_since(started);

    assert_eq!(failed.lock().unwrap().as_slice(), &[] as &[u64]);
    assert_eq!(delivered.load(Ordering::Relaxed), logs);
    assert_eq!(report.delivered_logs, logs);
    // The server accepted (and the producer saw accepted) each log exactly once. The
    // scripted transport recorded the same requests, in the same order, as the observing
    // one around it.
    let exchanges = transport.exchanges();
    let requests = sim.transport().requests();
    assert_eq!(requests.len(), exchanges.len());
    let mut ids: Vec<u64> = exchanges
        .iter()
        .zip(&requests)
        .filter(|(e, _)| matches!(e.completed, Some((_, Observed::Status(200)))))
        .flat_map(|(e, r)| {
            assert_eq!(e.request, r.request);
            r.logs().expect("a LogGroup")
        })
        .map(|l| id_of(&l))
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..logs).collect::<Vec<_>>());
    let retries = count_failures(&exchanges);
    eprintln!(
        "sim: one simulated hour of steady traffic ({logs} logs at 10/s, {} requests, \
         {retries} retried after a 503) ran in {:.3} s wall time (checks included: {:.3} s)",
        exchanges.len(),
        simulated.as_secs_f64(),
        wall_clock().duration_since(started).as_secs_f64(),
    );
}

fn count_failures(exchanges: &[crate::server::Exchange]) -> usize {
    exchanges
        .iter()
        .filter(|e| !matches!(e.completed, Some((_, Observed::Status(200)))))
        .count()
}
