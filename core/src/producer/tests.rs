use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::Log;
use crate::credentials::Credentials;
use crate::engine::DeliveryFailure;
use crate::sim::SimRuntime;

fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:8080").with_generate_pack_id(false)
}

fn start(sim: &SimRuntime) -> Producer {
    Producer::builder(config())
        .with_credentials(Credentials::new("id", "secret"))
        .build_on(sim.runtime())
        .unwrap()
}

fn sent_logs(sim: &SimRuntime) -> Vec<Log> {
    sim.transport()
        .requests()
        .iter()
        .flat_map(|r| r.logs().expect("a LogGroup"))
        .collect()
}

/// A small log, and one larger than what is encoded on the stack before locking.
fn small_and_big_logs() -> [Log; 2] {
    let big = String::from_utf8(vec![b'b'; 2 * PRE_ENCODE_MAX]).unwrap();
    [
        Log::new(1_700_000_000)
            .with_content("k", "v")
            .with_content("msg", "hello")
            .with_time_ns(5),
        Log::new(1).with_content("big", big),
    ]
}

fn pairs(log: &Log) -> Vec<(&str, &str)> {
    log.contents().collect()
}

fn parts<'a>(log: &Log, pairs: &'a [(&'a str, &'a str)]) -> LogParts<'a, &'a str, &'a str> {
    let parts = LogParts::new(log.time(), pairs);
    match log.time_ns() {
        Some(ns) => parts.with_time_ns(ns),
        None => parts,
    }
}

/// Each log sent once by every path `send` takes, and what the server received.
fn send_every_way(send: impl Fn(&Producer, &Route, &Log)) {
    let sim = SimRuntime::new(1);
    let producer = start(&sim);
    let route = Route::new("proj", "store").unwrap();
    let logs = small_and_big_logs();
    for log in &logs {
        send(&producer, &route, log);
    }
    let metrics = sim.block_on(producer.close(None)).unwrap();
    assert_eq!(metrics.delivered_logs, metrics.accepted_logs);
    assert!(metrics.delivered_logs >= 4);
    assert_eq!(sim.transport().requests().len(), 1, "one batch");
    let copies = sent_logs(&sim).len() / logs.len();
    let expected: Vec<Log> = logs
        .iter()
        .flat_map(|l| core::iter::repeat_n(l.clone(), copies))
        .collect();
    assert_eq!(sent_logs(&sim), expected);
}

#[test]
fn send_parts_delivers_the_same_log_as_send() {
    send_every_way(|producer, route, log| {
        let pairs = pairs(log);
        producer.send_parts(route, parts(log, &pairs)).unwrap();
        producer.send(route, log.clone()).unwrap();
    });
}

#[test]
fn a_list_is_delivered_as_its_logs_in_order() {
    send_every_way(|producer, route, log| {
        producer
            .send(route, vec![log.clone(), log.clone()])
            .unwrap();
    });
}

#[test]
fn tracked_and_waiting_sends_deliver_the_same_logs() {
    send_every_way(|producer, route, log| {
        let handle = producer.send_tracked(route, log.clone()).unwrap();
        drop(handle);
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        let untracked = producer.send_async(route, log.clone());
        let mut untracked = core::pin::pin!(untracked);
        assert!(matches!(
            untracked.as_mut().poll(&mut cx),
            core::task::Poll::Ready(Ok(_))
        ));
        let tracked = producer.send_async(route, log.clone()).tracked();
        let mut tracked = core::pin::pin!(tracked);
        let core::task::Poll::Ready(Ok(mut handle)) = tracked.as_mut().poll(&mut cx) else {
            panic!("accepted at once");
        };
        assert!(handle.try_result().is_none(), "no outcome yet");
    });
}

#[test]
fn a_send_that_finds_the_lock_taken_delivers_the_same_log() {
    // The path `send_parts` takes when another sender holds the lock: encoded on the
    // stack first (or, when too large for that, under the lock), then pushed. (A `Log`
    // just waits for the lock: it is encoded already.)
    send_every_way(|producer, route, log| {
        let pairs = pairs(log);
        producer
            .push_one_contended(
                LogGroups::compiled().unwrap(),
                &RouteRef::from(route),
                &parts(log, &pairs),
                |_| None,
            )
            .unwrap();
        assert!(Record::Log(log.clone()).is_encoded(0));
        producer.send(route, log.clone()).unwrap();
    });
}

#[test]
fn a_topic_or_source_on_parts_goes_to_that_route_s_batch() {
    let sim = SimRuntime::new(4);
    let producer = start(&sim);
    let route = Route::new("proj", "store").unwrap().with_topic("base");
    let p = [("k", "v")];
    producer.send_parts(&route, LogParts::new(1, &p)).unwrap();
    producer
        .send_parts(&route, LogParts::new(2, &p).with_topic("other"))
        .unwrap();
    producer
        .send_parts(&route, LogParts::new(3, &p).with_topic("base"))
        .unwrap();
    producer
        .send_parts(&route, LogParts::new(4, &p).with_source("10.0.0.1"))
        .unwrap();
    sim.block_on(producer.close(None)).unwrap();
    let mut batches: Vec<(String, String, Vec<u32>)> = sim
        .transport()
        .requests()
        .iter()
        .map(|r| {
            let raw = r.logs().unwrap();
            let group = crate::protocol::proto::decode_log_group(
                &crate::protocol::compress::decompress(
                    crate::config::Compression::Lz4,
                    &r.request.body,
                    r.request
                        .header("x-log-bodyrawsize")
                        .unwrap()
                        .parse()
                        .unwrap(),
                )
                .unwrap(),
            )
            .unwrap();
            (
                group.topic.unwrap_or_default(),
                group.source.unwrap_or_default(),
                raw.iter().map(Log::time).collect(),
            )
        })
        .collect();
    batches.sort();
    assert_eq!(
        batches,
        [
            (String::from("base"), String::new(), vec![1, 3]),
            (String::from("base"), String::from("10.0.0.1"), vec![4]),
            (String::from("other"), String::new(), vec![2]),
        ]
    );
}

#[test]
fn a_refused_log_is_handed_back_unchanged() {
    let sim = SimRuntime::new(2);
    let producer = start(&sim);
    let route = Route::new("proj", "store").unwrap();
    drop(producer.close(None));
    let log = Log::new(7).with_content("a", "1");
    let err = producer.send(&route, log.clone()).unwrap_err();
    assert_eq!(err.into_record(), Record::Log(log.clone()));
    let err = producer.send_tracked(&route, log.clone()).unwrap_err();
    assert_eq!(err.into_record(), Record::Log(log));
}

#[test]
fn a_refused_send_parts_hands_the_log_back_as_an_owned_log() {
    let sim = SimRuntime::new(2);
    let producer = start(&sim);
    let route = Route::new("proj", "store").unwrap();
    drop(producer.close(None)); // closing starts at once; no need to wait
    let err = producer
        .send_parts(&route, LogParts::new(7, &[("a", "1"), ("b", "2")]))
        .unwrap_err();
    assert_eq!(
        err,
        SendError::Closed {
            record: Record::Log(Log::new(7).with_content("a", "1").with_content("b", "2"))
        }
    );
    // Too large for any batch: refused before anything is reserved.
    let sim = SimRuntime::new(3);
    let producer = start(&sim);
    let huge = String::from_utf8(vec![b'x'; 600 * 1024]).unwrap();
    let err = producer
        .send_parts(&route, LogParts::new(7, &[("big", huge.as_str())]))
        .unwrap_err();
    assert!(
        matches!(err, SendError::LogTooLarge { index: 0, .. }),
        "{err}"
    );
    let back = err.into_record().into_logs();
    assert_eq!(back[0].contents().next(), Some(("big", huge.as_str())));
    assert_eq!(producer.metrics().buffered_bytes, 0);
}

#[test]
fn a_tracked_send_s_callback_gets_the_failure_and_the_logs() {
    let sim = SimRuntime::new(5);
    sim.transport()
        .set_default_reply(crate::sim::ScriptedReply::sls_error(
            404,
            "ProjectNotExist",
            "no",
        ));
    let producer = start(&sim);
    let route = Route::new("proj", "store").unwrap();
    let log = Log::new(9).with_content("a", "1");
    let seen = Arc::new(crate::sync::Lock::new(None));
    let slot = seen.clone();
    producer
        .send_tracked(&route, log.clone())
        .unwrap()
        .on_complete(move |result| *slot.lock() = Some(result));
    let metrics = sim.block_on(producer.close(None)).unwrap();
    let result = seen.lock().take().expect("the callback ran");
    assert_eq!(
        result.failure,
        Some(DeliveryFailure::NotRetryable { http_status: 404 })
    );
    assert_eq!(result.logs(), [log]);
    assert_eq!(
        (metrics.failed_logs, metrics.handed_back_logs),
        (1, 1),
        "{metrics:?}"
    );
}

#[cfg(feature = "std")]
#[test]
fn blocking_is_refused_on_a_runtime_that_must_not_block() {
    let sim = SimRuntime::new(6);
    let producer = start(&sim);
    let route = Route::new("proj", "store").unwrap();
    assert_eq!(producer.flush_blocking(), Err(BlockingError::InsideRuntime));
    assert_eq!(
        producer.close_blocking(None).unwrap_err(),
        BlockingError::InsideRuntime
    );
    assert!(!producer.is_closed(), "a refused close closes nothing");
    let log = Log::new(1).with_content("a", "b");
    let err = producer.send_blocking(&route, log.clone()).unwrap_err();
    assert_eq!(
        producer
            .send_async(&route, log.clone())
            .tracked()
            .wait()
            .unwrap_err()
            .into_record(),
        Record::Log(log.clone())
    );
    assert_eq!(
        err,
        SendError::CannotBlock {
            record: Record::Log(log),
            reason: BlockingError::InsideRuntime
        }
    );
    assert_eq!(producer.metrics().accepted_logs, 0);
}

#[test]
fn static_credentials_that_can_never_sign_are_a_build_error() {
    let sim = SimRuntime::new(1);
    for (credentials, why) in [
        (Credentials::new("", ""), "AccessKey ID is empty"),
        (Credentials::new("id", ""), "AccessKey secret is empty"),
        (Credentials::new("i\nd", "secret"), "AccessKey ID"),
        (
            Credentials::new("id", "secret").with_security_token("to\r\nken"),
            "security token",
        ),
    ] {
        let e = Producer::builder(config())
            .with_credentials(credentials)
            .build_on(sim.runtime())
            .unwrap_err();
        assert!(
            matches!(e, BuildError::InvalidCredentials { reason } if reason.contains(why)),
            "{e:?}"
        );
        assert!(!e.to_string().contains("secret\""), "{e}");
    }
}
