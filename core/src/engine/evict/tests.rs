use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;
use core::time::Duration;

use super::super::{Engine, Route};
use crate::config::ProducerConfig;
use crate::credentials::Credentials;
use crate::durable::{Recovered, StoreError, StoreErrorKind, StoreKey, Written};
use crate::protocol::compress::Compressor;
use crate::protocol::http::{Bytes, HttpResponse};
use crate::protocol::proto::Log;
use crate::protocol::time::{Instant, UnixTime};

const WALL: UnixTime = UnixTime::from_secs(1_700_000_000);
const NOW: Instant = Instant::from_secs(1);
const BUDGET: usize = 256 * 1024;
/// Logs per batch (about 1 KiB each, in batches of at most 64 KiB).
const PER: u32 = 48;

fn engine() -> Engine<u32> {
    let config = ProducerConfig::new("http://127.0.0.1:8080")
        .with_max_in_flight(4)
        .with_memory_budget(BUDGET)
        .with_max_batch_bytes(64 * 1024)
        .with_max_retries(1000);
    let mut e = Engine::new(&config, WALL, Some(Credentials::new("id", "secret"))).unwrap();
    e.enable_durable(Recovered::default());
    e
}

fn route() -> Route {
    Route::new("proj", "store").unwrap()
}

/// A log of about 1 KiB that LZ4 hardly compresses (pseudo-random hex), numbered `i`.
fn log(i: u32) -> Log {
    let mut x = u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut text = String::with_capacity(1024);
    while text.len() < 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text.push_str(&alloc::format!("{x:016x}"));
    }
    Log::new(1_700_000_000)
        .with_content("i", alloc::format!("{i:06}"))
        .with_content("pad", text)
}

/// The store: what was written, by key.
#[derive(Default)]
struct Disk {
    records: BTreeMap<u64, Bytes>,
    next: u64,
}

impl Disk {
    /// Compress, then write every sealed batch (as a driver does).
    fn write_all(&mut self, e: &mut Engine<u32>) {
        let mut compressor = Compressor::new();
        while let Some(job) = e.poll_compress() {
            e.handle_compressed(job.run(&mut compressor));
        }
        loop {
            let batches = e.poll_store(64);
            if batches.is_empty() {
                return;
            }
            let results = batches
                .into_iter()
                .map(|(id, batch)| {
                    self.next += 1;
                    self.records.insert(self.next, batch.body);
                    let written = Written {
                        key: StoreKey(self.next),
                        dropped: Vec::new(),
                    };
                    (id, Ok(written))
                })
                .collect();
            e.handle_written(results);
        }
    }

    /// Read back every body the engine asks for.
    fn read_all(&self, e: &mut Engine<u32>) -> usize {
        let mut read = 0;
        loop {
            let reads = e.poll_read(16);
            if reads.is_empty() {
                return read;
            }
            read += reads.len();
            let results = reads
                .into_iter()
                .map(|(id, read)| {
                    let record = &self.records[&read.key.0];
                    assert!(read.into.is_empty());
                    assert_eq!(read.into.capacity(), record.len(), "sized for the body");
                    (id, Ok(record.clone()))
                })
                .collect();
            e.handle_read(results);
        }
    }
}

/// Send every request the engine has, answering each with `status`; the bodies sent.
fn answer_all(e: &mut Engine<u32>, now: Instant, status: u16) -> Vec<Bytes> {
    let mut bodies = Vec::new();
    while let Some(t) = e.poll_transmit(now, WALL) {
        bodies.push(t.request.body.clone());
        e.handle_response(now, WALL, t.attempt, Ok(HttpResponse::new(status)));
    }
    bodies
}

/// One sealed, written batch of `PER` logs from `first`, failed once (waiting for its
/// retry).
fn failed_batch(e: &mut Engine<u32>, disk: &mut Disk, first: u32, tag: Option<u32>) {
    failed_batch_of(e, disk, first..first + PER, tag);
}

/// One sealed, written batch of logs `numbers`, failed once.
fn failed_batch_of(e: &mut Engine<u32>, disk: &mut Disk, numbers: Range<u32>, tag: Option<u32>) {
    let logs: Vec<Log> = numbers.map(log).collect();
    e.push(NOW, logs, &route(), tag).unwrap();
    e.flush(NOW);
    disk.write_all(e);
    assert_eq!(answer_all(e, NOW, 503).len(), 1);
}

#[test]
fn only_written_untracked_batches_waiting_for_an_attempt_are_evicted() {
    let mut e = engine();
    let mut disk = Disk::default();
    failed_batch(&mut e, &mut disk, 0, Some(1)); // tracked: keeps its body
    failed_batch(&mut e, &mut disk, PER, None); // the one to evict
    // In flight.
    e.push(NOW, log(20), &route().with_topic("a"), None)
        .unwrap();
    e.flush(NOW);
    disk.write_all(&mut e);
    let in_flight = e.poll_transmit(NOW, WALL).expect("written: sent");
    // Being written.
    e.push(NOW, log(30), &route().with_topic("b"), None)
        .unwrap();
    e.flush(NOW);
    let mut compressor = Compressor::new();
    while let Some(job) = e.poll_compress() {
        e.handle_compressed(job.run(&mut compressor));
    }
    let writing = e.poll_store(8);
    assert_eq!(writing.len(), 1);
    // Open.
    e.push(NOW, log(40), &route().with_topic("c"), None)
        .unwrap();

    let before = e.metrics().buffered_bytes;
    let body_len = disk.records[&2].len();
    assert!(e.evict_one());
    assert!(!e.evict_one(), "nothing else may leave memory");
    let m = e.metrics();
    assert_eq!((m.evicted_batches, m.evicted_bytes), (1, body_len as u64));
    assert_eq!(
        m.buffered_bytes,
        before - body_len,
        "its body's charge is given back"
    );
    assert_eq!(m.pending_batches, 5, "the batch itself stays");

    // Finishing the in-flight one and writing the other does not make them evictable
    // while they are not waiting; once failed and written, they are.
    e.handle_response(NOW, WALL, in_flight.attempt, Ok(HttpResponse::new(503)));
    assert!(e.evict_one(), "the failed one now waits for its retry");
    e.handle_written(
        writing
            .into_iter()
            .map(|(id, _)| {
                (
                    id,
                    Ok(Written {
                        key: StoreKey(99),
                        dropped: Vec::new(),
                    }),
                )
            })
            .collect(),
    );
    assert!(e.evict_one(), "written and queued");
    assert!(!e.evict_one(), "the tracked and the open batch keep theirs");
}

#[test]
fn without_a_spool_nothing_is_evicted() {
    let config = ProducerConfig::new("http://127.0.0.1:8080");
    let mut e: Engine<u32> =
        Engine::new(&config, WALL, Some(Credentials::new("id", "secret"))).unwrap();
    e.push(NOW, log(1), &route(), None).unwrap();
    e.flush(NOW);
    let t = e.poll_transmit(NOW, WALL).unwrap();
    e.handle_response(NOW, WALL, t.attempt, Ok(HttpResponse::new(503)));
    assert!(!e.evict_one());
    assert!(e.poll_read(16).is_empty());
}

#[test]
fn an_outage_of_several_budgets_is_accepted_within_the_budget_and_delivered_byte_for_byte() {
    let mut e = engine();
    let mut disk = Disk::default();
    let mut written_bodies = Vec::new();
    // Five budgets' worth of logs while every attempt fails.
    let logs = (5 * BUDGET as u32 / 1024).next_multiple_of(PER);
    for i in (0..logs).step_by(PER as usize) {
        failed_batch(&mut e, &mut disk, i, None);
        assert!(
            e.memory.used() <= BUDGET,
            "the budget holds: {} > {BUDGET}",
            e.memory.used()
        );
    }
    written_bodies.extend(disk.records.values().cloned());
    let m = e.metrics();
    assert_eq!(m.accepted_logs, u64::from(logs));
    assert!(m.evicted_batches > 0);
    assert!(m.buffered_bytes <= BUDGET);

    // The service is back: due batches are read back (within the budget) and sent as
    // they were written.
    let mut now = NOW;
    let mut sent = Vec::new();
    for _ in 0..100 {
        now = now.saturating_add(Duration::from_secs(3600));
        e.handle_timeout(now);
        loop {
            let mut progress = disk.read_all(&mut e) > 0;
            assert!(e.memory.used() <= BUDGET);
            let bodies = answer_all(&mut e, now, 200);
            progress |= !bodies.is_empty();
            sent.extend(bodies);
            if !progress {
                break;
            }
        }
        if e.is_idle() {
            break;
        }
    }
    assert!(e.is_idle(), "everything delivered");
    let m = e.metrics();
    assert_eq!(m.delivered_logs, u64::from(logs));
    assert_eq!(m.read_back_batches, m.evicted_batches);
    assert_eq!(m.buffered_bytes, 0, "every charge given back");
    // Every body sent last is one written, byte for byte, and each is sent.
    sent.sort();
    written_bodies.sort();
    assert_eq!(sent.len(), written_bodies.len());
    assert_eq!(sent, written_bodies);
    assert_eq!(
        e.poll_acks().len(),
        written_bodies.len(),
        "each acknowledged"
    );
}

#[test]
fn a_body_that_cannot_be_read_back_fails_its_batch_and_is_counted() {
    for failure in [
        Err(StoreError::new(
            StoreErrorKind::Io,
            "segment 3: checksum mismatch",
        )),
        Ok(Bytes::from_static(b"short")),
    ] {
        let mut e = engine();
        let mut disk = Disk::default();
        failed_batch(&mut e, &mut disk, 0, None);
        assert!(e.evict_one());
        let later = NOW.saturating_add(Duration::from_secs(3600));
        e.handle_timeout(later);
        assert!(e.poll_transmit(later, WALL).is_none(), "waits for its body");
        let reads = e.poll_read(16);
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].1.key, StoreKey(1));
        let used = e.memory.used();
        e.handle_read(Vec::from([(reads[0].0, failure.clone())]));
        assert!(e.is_idle(), "failed, not lost in the engine");
        assert!(e.memory.used() < used);
        let spare = e.pool.spare_bytes();
        assert_eq!(e.memory.used(), spare, "reservation and charge given back");
        let m = e.metrics();
        assert_eq!(
            (m.spool_read_failed_batches, m.failed_logs),
            (1, u64::from(PER))
        );
        assert_eq!(e.poll_acks(), [StoreKey(1)], "the useless record goes");
        assert!(e.poll_transmit(later, WALL).is_none());
    }
}

#[test]
fn a_read_waits_for_room_a_delivery_frees() {
    let mut e = engine();
    let mut disk = Disk::default();
    failed_batch(&mut e, &mut disk, 0, None);
    failed_batch(&mut e, &mut disk, PER, None);
    assert!(e.evict_one() && e.evict_one());
    // Fill the budget with an open batch's logs, until a send is refused.
    let mut i = 1000;
    while e
        .push(NOW, log(i), &route().with_topic("open"), None)
        .is_ok()
    {
        i += 1;
        if i > 2000 {
            panic!("the budget never filled");
        }
    }
    // A refused send may leave room for less than a whole batch buffer: other sends take
    // it.
    while e.pool.drop_one(&mut e.memory) {}
    let rest = BUDGET - e.memory.used();
    assert!(e.memory.try_reserve(rest));
    let later = NOW.saturating_add(Duration::from_secs(3600));
    e.handle_timeout(later);
    assert!(e.poll_transmit(later, WALL).is_none());
    assert!(e.poll_read(16).is_empty(), "no room: wait");
    assert!(e.memory.used() <= BUDGET);
    e.memory.release(rest);
    // Room comes back (the open batch is sent and delivered): the reads go out, one at a
    // time (a body is a quarter of the budget: `READ_BELOW`).
    e.flush(later);
    disk.write_all(&mut e);
    answer_all(&mut e, later, 200);
    for _ in 0..2 {
        assert_eq!(disk.read_all(&mut e), 1);
        assert!(e.memory.used() <= BUDGET);
        assert_eq!(answer_all(&mut e, later, 200).len(), 1);
    }
    assert!(e.is_idle());
}

#[test]
fn a_read_never_evicts_another_waiting_body() {
    let mut e = engine();
    let mut disk = Disk::default();
    failed_batch(&mut e, &mut disk, 0, None);
    failed_batch(&mut e, &mut disk, PER, None);
    assert!(e.evict_one(), "the older one leaves memory");
    // The rest of the budget is taken (by sends, say): no room for the read.
    while e.pool.drop_one(&mut e.memory) {}
    let room = BUDGET - e.memory.used();
    assert!(e.memory.try_reserve(room));
    let later = NOW.saturating_add(Duration::from_secs(3600));
    e.handle_timeout(later);
    let mut sent = Vec::new();
    while let Some(t) = e.poll_transmit(later, WALL) {
        sent.push(t.attempt);
    }
    assert_eq!(sent.len(), 1, "the body in memory goes out");
    assert!(e.poll_read(16).is_empty(), "no room: the read waits");
    let m = e.metrics();
    assert_eq!(
        m.evicted_batches, 1,
        "the body still in memory stays there for its own attempt"
    );
    e.memory.release(room);
    assert!(
        e.poll_read(16).is_empty(),
        "room in the budget, but with the body in flight the read would pass READ_BELOW"
    );
    e.handle_response(later, WALL, sent[0], Ok(HttpResponse::new(200)));
    assert_eq!(e.poll_read(16).len(), 1, "delivered: the read goes out");
}

#[test]
fn a_record_deleted_to_make_room_fails_its_evicted_batch() {
    let mut e = engine();
    let mut disk = Disk::default();
    failed_batch(&mut e, &mut disk, 0, None);
    assert!(e.evict_one());
    e.push(NOW, log(50), &route().with_topic("x"), None)
        .unwrap();
    e.flush(NOW);
    let mut compressor = Compressor::new();
    while let Some(job) = e.poll_compress() {
        e.handle_compressed(job.run(&mut compressor));
    }
    let (id, _) = e.poll_store(8).pop().unwrap();
    e.handle_written(Vec::from([(
        id,
        Ok(Written {
            key: StoreKey(2),
            dropped: Vec::from([StoreKey(1)]),
        }),
    )]));
    let m = e.metrics();
    assert_eq!(
        (m.spool_read_failed_batches, m.failed_logs),
        (1, u64::from(PER))
    );
    assert_eq!(m.pending_batches, 1, "only the new batch is left");
    assert!(e.poll_read(16).is_empty());
}

/// The bytes of the bodies in memory that could leave it.
fn resident_bytes(e: &Engine<u32>) -> usize {
    e.durable.as_ref().map_or(0, |d| d.resident.bytes())
}

/// Four batches of about a fifth of the budget each, failed once: the bodies waiting for
/// their retry never hold more than half the budget.
fn four_failed_batches() -> (Engine<u32>, Disk) {
    let mut e = engine();
    let mut disk = Disk::default();
    for i in 0..4 {
        failed_batch(&mut e, &mut disk, i * PER, None);
        assert!(resident_bytes(&e) <= BUDGET / 2);
    }
    (e, disk)
}

#[test]
fn bodies_waiting_for_a_retry_leave_memory_above_half_the_budget_oldest_first() {
    let (e, disk) = four_failed_batches();
    // Each body is about a fifth of the budget: two fit under half of it.
    let len = |key: u64| disk.records[&key].len() as u64;
    let m = e.metrics();
    assert_eq!(
        (m.evicted_batches, m.evicted_bytes),
        (2, len(1) + len(2)),
        "the two oldest left, and no more"
    );
    assert_eq!(resident_bytes(&e) as u64, len(3) + len(4));
    assert!(
        m.buffered_bytes < BUDGET / 2,
        "no send needed the room: {}",
        m.buffered_bytes
    );
}

#[test]
fn queued_bodies_stay_in_memory_above_half_the_budget() {
    let mut e = engine();
    let mut disk = Disk::default();
    for (i, topic) in (0..4).zip(["a", "b", "c", "d"]) {
        let logs: Vec<Log> = (i * PER..(i + 1) * PER).map(log).collect();
        e.push(NOW, logs, &route().with_topic(topic), None).unwrap();
        e.flush(NOW);
        disk.write_all(&mut e);
    }
    assert!(resident_bytes(&e) > BUDGET / 2);
    assert_eq!(
        e.metrics().evicted_batches,
        0,
        "only bodies waiting for a retry are spilled: these go out next"
    );
}

#[test]
fn while_bodies_wait_for_a_retry_none_is_read_back_only_to_fail_again() {
    let (mut e, disk) = four_failed_batches();
    assert_eq!(e.metrics().evicted_batches, 2);
    let mut now = NOW;
    for _ in 0..5 {
        now = now.saturating_add(Duration::from_secs(3600));
        e.handle_timeout(now);
        assert_eq!(
            answer_all(&mut e, now, 503).len(),
            2,
            "the bodies in memory are retried"
        );
        assert_eq!(
            disk.read_all(&mut e),
            0,
            "the bodies waiting hold more than a quarter of the budget: no read"
        );
    }
    let m = e.metrics();
    assert_eq!((m.evicted_batches, m.read_back_batches), (2, 0));

    // The service is back: the bodies in memory go first, then the others are read.
    now = now.saturating_add(Duration::from_secs(3600));
    e.handle_timeout(now);
    let mut delivered = answer_all(&mut e, now, 200).len();
    assert_eq!(delivered, 2);
    while !e.is_idle() {
        assert_eq!(disk.read_all(&mut e), 1, "a body is a fifth of the budget");
        delivered += answer_all(&mut e, now, 200).len();
    }
    assert_eq!(delivered, 4);
    let m = e.metrics();
    assert_eq!(m.read_back_batches, 2);
    assert_eq!(m.delivered_logs, u64::from(4 * PER));
}

/// Evict every waiting body and make the batches due: they wait to be read back.
fn evict_all_and_make_due(e: &mut Engine<u32>) -> Instant {
    while e.evict_one() {}
    let later = NOW.saturating_add(Duration::from_secs(3600));
    e.handle_timeout(later);
    assert!(
        e.poll_transmit(later, WALL).is_none(),
        "all wait for their body"
    );
    later
}

/// Twelve batches of 8 logs (bodies of about 8 KiB), failed once, evicted and due.
fn small_bodies_waiting_to_be_read() -> (Engine<u32>, Disk) {
    let mut e = engine();
    let mut disk = Disk::default();
    for b in 0..12u32 {
        failed_batch_of(&mut e, &mut disk, b * 8..b * 8 + 8, None);
    }
    evict_all_and_make_due(&mut e);
    (e, disk)
}

#[test]
fn small_bodies_are_read_back_together_up_to_a_quarter_of_the_budget() {
    let (mut e, disk) = small_bodies_waiting_to_be_read();
    let mut fit = 0;
    let mut held = 0;
    for body in disk.records.values() {
        if held + body.len() > BUDGET / 4 {
            break;
        }
        held += body.len();
        fit += 1;
    }
    assert!(
        fit > 1 && fit < 12,
        "{fit} bodies of about 8 KiB fit 64 KiB"
    );
    assert_eq!(e.poll_read(16).len(), fit);

    let (mut e, _) = small_bodies_waiting_to_be_read();
    assert_eq!(e.poll_read(3).len(), 3, "at most `max` at once");
}

#[test]
fn a_body_larger_than_a_quarter_of_the_budget_is_read_when_no_other_is_held() {
    let config = ProducerConfig::new("http://127.0.0.1:8080")
        .with_memory_budget(BUDGET)
        .with_max_batch_bytes(128 * 1024)
        .with_max_retries(1000);
    let mut e = Engine::new(&config, WALL, Some(Credentials::new("id", "secret"))).unwrap();
    e.enable_durable(Recovered::default());
    let mut disk = Disk::default();
    let logs: Vec<Log> = (0..100).map(log).collect();
    e.push(NOW, logs, &route(), None).unwrap();
    e.flush(NOW);
    disk.write_all(&mut e);
    assert_eq!(answer_all(&mut e, NOW, 503).len(), 1);
    assert!(disk.records[&1].len() > BUDGET / 4);
    let later = evict_all_and_make_due(&mut e);
    assert_eq!(disk.read_all(&mut e), 1);
    assert_eq!(answer_all(&mut e, later, 200).len(), 1);
    assert!(e.is_idle());
}
