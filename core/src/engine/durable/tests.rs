use alloc::format;
use alloc::vec::Vec;

use super::super::{DeliveryFailure, Engine, Route};
use crate::config::ProducerConfig;
use crate::credentials::Credentials;
use crate::durable::{
    Recovered, Replay, SpooledBatch, StoreError, StoreErrorKind, StoreKey, Written,
};
use crate::protocol::compress::Compressor;
use crate::protocol::http::HttpResponse;
use crate::protocol::proto::Log;
use crate::protocol::time::{Instant, UnixTime};

const WALL: UnixTime = UnixTime::from_secs(1_700_000_000);
const NOW: Instant = Instant::from_secs(1);

fn engine(recovered: u64) -> Engine<u32> {
    let config = ProducerConfig::new("http://127.0.0.1:8080").with_max_in_flight(4);
    let mut e = Engine::new(&config, WALL, Some(Credentials::new("id", "secret"))).unwrap();
    e.enable_durable(Recovered {
        batches: recovered,
        corrupt: 0,
    });
    e
}

fn route() -> Route {
    Route::new("proj", "store").unwrap()
}

fn log(i: u32) -> Log {
    Log::new(1_700_000_000).with_content("i", format!("{i:06}"))
}

/// What a driver does after a flush: compress every sealed batch (outside the lock).
fn compress(e: &mut Engine<u32>) {
    let mut compressor = Compressor::new();
    while let Some(job) = e.poll_compress() {
        e.handle_compressed(job.run(&mut compressor));
    }
}

fn written(key: u64) -> Result<Written, StoreError> {
    Ok(Written {
        key: StoreKey(key),
        dropped: Vec::new(),
    })
}

#[test]
fn a_batch_is_sent_only_once_written_and_acknowledged_once_delivered() {
    let mut e = engine(0);
    e.push(NOW, log(1), &route(), Some(1)).unwrap();
    e.flush(NOW);
    assert!(e.poll_transmit(NOW, WALL).is_none(), "not written yet");
    let to_store = e.poll_store(8);
    assert_eq!(to_store.len(), 1);
    let (id, spooled) = &to_store[0];
    assert_eq!((spooled.logs, spooled.route.clone()), (1, route()));
    assert!(e.has_store_work());
    e.handle_written(Vec::from([(*id, written(7))]));
    let t = e.poll_transmit(NOW, WALL).expect("written: sent");
    assert_eq!(
        t.request.body, spooled.body,
        "the body written is the body sent"
    );
    assert!(e.poll_acks().is_empty(), "not delivered yet");
    e.handle_response(NOW, WALL, t.attempt, Ok(HttpResponse::new(200)));
    assert_eq!(e.poll_acks(), [StoreKey(7)]);
    assert!(e.has_store_work(), "until the acknowledgement is reported");
    e.handle_acked();
    assert!(!e.has_store_work());
    assert_eq!(e.metrics().spooled_batches, 1);
}

#[test]
fn a_batch_the_spool_cannot_take_fails_and_hands_its_logs_back() {
    let mut e = engine(0);
    e.push(NOW, Vec::from([log(1), log(2)]), &route(), Some(3))
        .unwrap();
    e.flush(NOW);
    let _ = e.poll_transmit(NOW, WALL);
    let (id, _) = e.poll_store(8).pop().unwrap();
    e.handle_written(Vec::from([(
        id,
        Err(StoreError::new(StoreErrorKind::Io, "disk full")),
    )]));
    let event = e.poll_event().unwrap();
    assert_eq!(event.tag, 3);
    assert_eq!(
        event.result.failure,
        Some(DeliveryFailure::Spool {
            kind: StoreErrorKind::Io
        })
    );
    assert_eq!(event.result.logs(), [log(1), log(2)]);
    assert!(e.poll_transmit(NOW, WALL).is_none(), "never sent");
    assert!(e.poll_acks().is_empty());
    assert_eq!(e.metrics().spool_failed_batches, 1);
    assert!(e.is_idle());
}

#[test]
fn a_batch_given_up_by_the_close_deadline_stays_in_the_spool() {
    let mut e = engine(0);
    e.push(NOW, log(1), &route(), None).unwrap();
    e.flush(NOW);
    compress(&mut e);
    let (id, _) = e.poll_store(8).pop().unwrap();
    e.handle_written(Vec::from([(id, written(1))]));
    let _in_flight = e.poll_transmit(NOW, WALL).unwrap();
    e.close(NOW, Some(NOW));
    assert!(e.is_idle());
    assert!(e.poll_acks().is_empty(), "the next run sends it");
}

#[test]
fn replayed_batches_go_before_new_ones_unchanged() {
    // An earlier run's batch, as its engine handed it to the store.
    let mut earlier = engine(0);
    earlier.push(NOW, log(1), &route(), None).unwrap();
    earlier.flush(NOW);
    let _ = earlier.poll_transmit(NOW, WALL);
    let (_, old) = earlier.poll_store(8).pop().unwrap();
    let old = SpooledBatch::decode(&old.encode_meta(), old.body.clone()).unwrap();

    let mut e = engine(1);
    assert!(e.is_replaying());
    e.push(NOW, log(2), &route(), None).unwrap();
    e.flush(NOW);
    compress(&mut e);
    let (new_id, _) = e.poll_store(8).pop().unwrap();
    e.handle_written(Vec::from([(new_id, written(2))]));
    assert!(e.poll_transmit(NOW, WALL).is_none(), "new batches wait");
    let room = e.poll_replay().expect("read the earlier batches");
    assert_eq!(room, 8, "twice the in-flight limit");
    assert!(e.poll_replay().is_none(), "one read at a time");
    e.handle_replayed(
        NOW,
        Replay {
            batches: Vec::from([(StoreKey(1), old.clone())]),
            skipped: 2,
        },
    );
    let first = e.poll_transmit(NOW, WALL).expect("the replayed batch");
    assert_eq!(first.request.body, old.body, "not re-encoded: same pack id");
    assert!(e.poll_transmit(NOW, WALL).is_none(), "still replaying");
    assert!(e.poll_replay().is_some());
    e.handle_replayed(NOW, Replay::default());
    assert!(!e.is_replaying());
    let second = e.poll_transmit(NOW, WALL).expect("then the new one");
    assert_ne!(second.request.body, old.body);
    e.handle_response(NOW, WALL, first.attempt, Ok(HttpResponse::new(200)));
    e.handle_response(NOW, WALL, second.attempt, Ok(HttpResponse::new(200)));
    assert_eq!(e.poll_acks(), [StoreKey(1), StoreKey(2)]);
    let m = e.metrics();
    assert_eq!(
        (m.replayed_batches, m.replayed_logs, m.spool_skipped_records),
        (1, 1, 2)
    );
    assert_eq!((m.accepted_logs, m.delivered_logs), (2, 2));
}

#[test]
fn batches_dropped_to_make_room_count_as_lost_unless_still_in_memory() {
    let mut e = engine(0);
    for i in 0..2 {
        e.push(NOW, log(i), &route().with_topic(&format!("t{i}")), None)
            .unwrap();
    }
    e.flush(NOW);
    compress(&mut e);
    let mut ids = e.poll_store(8).into_iter().map(|(id, _)| id);
    let (a, b) = (ids.next().unwrap(), ids.next().unwrap());
    e.handle_written(Vec::from([(a, written(10))]));
    // Writing `b` dropped `a` (still in memory, to be sent) and an earlier run's batch 3.
    e.handle_written(Vec::from([(
        b,
        Ok(Written {
            key: StoreKey(11),
            dropped: Vec::from([StoreKey(3), StoreKey(10)]),
        }),
    )]));
    assert_eq!(e.metrics().spool_lost_batches, 1);
    while let Some(t) = e.poll_transmit(NOW, WALL) {
        e.handle_response(NOW, WALL, t.attempt, Ok(HttpResponse::new(200)));
    }
    assert_eq!(e.metrics().delivered_logs, 2);
    assert_eq!(
        e.poll_acks(),
        [StoreKey(11)],
        "the dropped record is not acknowledged"
    );
}

#[test]
fn a_write_still_running_at_the_close_deadline_does_not_hold_the_close() {
    let mut e = engine(0);
    e.push(NOW, log(1), &route(), None).unwrap();
    e.flush(NOW);
    compress(&mut e);
    let (id, _) = e.poll_store(8).pop().unwrap();
    assert!(e.has_store_work(), "the write is running");
    e.close(NOW, Some(NOW));
    assert!(e.is_idle());
    assert!(!e.has_store_work(), "a hung disk does not hold close");
    // When the write comes back after all, its record stays for the next run.
    e.handle_written(Vec::from([(id, written(5))]));
    assert!(e.poll_acks().is_empty());
}
