//! Batching: keys, seal rules, linger, LogGroup contents, pack ids, memory budget.

use core::time::Duration;

use sls_producer_core::ShardKey;
use sls_producer_core::engine::{LogParts, Record, Route, SendError};
use sls_producer_core::protocol::proto::{Log, LogGroupEncoder};
use sls_producer_core::protocol::request::NameKind;

use crate::support::*;

#[test]
fn batch_key_differing_in_any_one_field_gives_separate_requests() {
    let mut e = engine(&config());
    let base = route();
    let routes = [
        base.clone(),
        Route::new("proj2", "store").unwrap(),
        Route::new("proj", "store2").unwrap(),
        base.clone().with_topic("t"),
        base.clone().with_source("s"),
        base.clone().with_shard_key(ShardKey::from_hash("k")),
    ];
    for (i, r) in routes.iter().enumerate() {
        e.push(ms(0), log(i as u32), r, None).unwrap();
        // Same key again: joins the batch of the first push.
        e.push(ms(1), log(100 + i as u32), r, None).unwrap();
    }
    assert_eq!(e.metrics().pending_batches, routes.len());
    e.flush(ms(2));
    let sent = transmits(&mut e, ms(2));
    assert_eq!(sent.len(), routes.len());
    for t in &sent {
        assert_eq!(
            group(&t.request).logs.len(),
            2,
            "both pushes of a key share a batch"
        );
    }
}

#[test]
fn tuple_key_does_not_collide_where_go_joined_key_does() {
    // Go joins project|logstore|topic|hash|source: these two give the same string.
    let mut e = engine(&config());
    let a = route().with_topic("a|b").with_source("c");
    let b = route().with_topic("a").with_source("b|c");
    e.push(ms(0), log(1), &a, None).unwrap();
    e.push(ms(0), log(2), &b, None).unwrap();
    e.flush(ms(0));
    let mut seen: Vec<(String, String, Vec<u32>)> = transmits(&mut e, ms(0))
        .iter()
        .map(|t| {
            let g = group(&t.request);
            (g.topic.unwrap(), g.source.unwrap(), ids(&g.logs))
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("a".into(), "b|c".into(), vec![2]),
            ("a|b".into(), "c".into(), vec![1]),
        ]
    );
}

#[test]
fn batch_never_exceeds_max_batch_bytes_it_rolls_over_before() {
    let max = 1024;
    let cfg = config()
        .with_max_batch_bytes(max)
        .with_log_tag("env", "test");
    let mut e = engine(&cfg);
    let r = route().with_topic("topic").with_source("10.0.0.1");
    let big = |i: u32| Log::new(1_700_000_000).with_content("i", format!("{i:0>100}"));
    for i in 0..40 {
        e.push(ms(0), big(i), &r, None).unwrap();
    }
    e.flush(ms(0));
    let sent = transmits(&mut e, ms(0));
    assert!(sent.len() > 1);
    let mut total = 0;
    for t in &sent {
        let raw = raw_body(&t.request);
        assert!(raw.len() <= max, "batch of {} bytes > {max}", raw.len());
        let g = group(&t.request);
        total += g.logs.len();
        // Every batch but the last is full: one more log would not have fitted.
        let one_more = LogGroupEncoder::encoded_log_len(&big(0));
        if t.attempt != sent.last().unwrap().attempt {
            assert!(raw.len() + one_more > max);
        }
    }
    assert_eq!(total, 40);
}

#[test]
fn batch_is_sent_when_its_size_fills_right_after_an_append() {
    // A batch that cannot take even the smallest further log is sealed at once.
    let cfg = config().with_max_batch_bytes(1024);
    let mut e = engine(&cfg);
    let empty_group = LogGroupEncoder::new().finished_len("", "", [("", ""); 0]);
    let filler_len = 1024 - empty_group;
    // Content sized so that the log's encoding is exactly `filler_len` bytes.
    let mut value = String::new();
    let make = |v: &str| Log::new(1_700_000_000).with_content("k", v);
    while LogGroupEncoder::encoded_log_len(&make(&value)) < filler_len {
        value.push('x');
    }
    assert_eq!(LogGroupEncoder::encoded_log_len(&make(&value)), filler_len);
    e.push(ms(0), make(&value), &route(), None).unwrap();
    let t = one_transmit(&mut e, ms(0));
    assert_eq!(raw_body(&t.request).len(), 1024);
}

#[test]
fn batch_is_sent_when_its_log_count_reaches_max_batch_count() {
    let mut e = engine(&config().with_max_batch_count(3));
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.push(ms(0), log(1), &route(), None).unwrap();
    assert!(transmits(&mut e, ms(0)).is_empty(), "2 < 3: still open");
    e.push(ms(0), log(2), &route(), None).unwrap();
    let t = one_transmit(&mut e, ms(0));
    assert_eq!(ids(&group(&t.request).logs), [0, 1, 2]);
}

#[test]
fn list_larger_than_max_batch_count_is_split_with_one_outcome() {
    // Go sends such a list as one oversized request; we split it (documented deviation).
    let mut e = engine(&config().with_max_batch_count(4));
    let ticket = e.push(ms(0), logs(0..10), &route(), Some(7)).unwrap();
    e.flush(ms(0));
    let sent = transmits(&mut e, ms(0));
    let sizes: Vec<usize> = sent.iter().map(|t| group(&t.request).logs.len()).collect();
    assert_eq!(sizes, [4, 4, 2]);
    for t in &sent[..2] {
        respond(&mut e, ms(5), t, ok());
        assert!(
            events(&mut e).is_empty(),
            "one outcome, once all parts are done"
        );
    }
    respond(&mut e, ms(6), &sent[2], ok());
    let ev = events(&mut e);
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].ticket, ev[0].tag), (ticket, 7));
    assert!(ev[0].result.is_success());
}

#[test]
fn spanning_list_that_partly_fails_hands_back_exactly_the_failed_logs_in_order() {
    let cfg = config().with_max_batch_count(3).with_max_retries(0);
    let mut e = engine(&cfg);
    e.push(ms(0), logs(0..8), &route(), Some(1)).unwrap();
    e.flush(ms(0));
    let sent = transmits(&mut e, ms(0));
    assert_eq!(sent.len(), 3);
    // Last part fails first, middle succeeds, first fails.
    respond(
        &mut e,
        ms(1),
        &sent[2],
        sls_error(500, "InternalServerError"),
    );
    respond(&mut e, ms(2), &sent[1], ok());
    respond(
        &mut e,
        ms(3),
        &sent[0],
        sls_error(500, "InternalServerError"),
    );
    let ev = events(&mut e);
    assert_eq!(ev.len(), 1);
    assert!(!ev[0].result.is_success());
    assert_eq!(ids(&ev[0].result.logs()), [0, 1, 2, 6, 7]);
}

#[test]
fn single_log_that_cannot_fit_an_empty_batch_is_rejected_and_handed_back() {
    let mut e = engine(&config().with_max_batch_bytes(1024));
    let huge = Log::new(1).with_content("k", "v".repeat(2000));
    let err = e.push(ms(0), huge.clone(), &route(), Some(1)).unwrap_err();
    let SendError::LogTooLarge {
        index, log_bytes, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*index, 0);
    assert!(*log_bytes > 1024);
    assert!(!err.is_transient());
    assert_eq!(err.into_record(), Record::Log(huge));
    assert_eq!(e.metrics().buffered_bytes, 0, "nothing reserved");
    assert!(e.is_idle());
}

#[test]
fn list_with_one_oversized_log_is_rejected_whole() {
    let mut e = engine(&config().with_max_batch_bytes(1024));
    let mut list = logs(0..3);
    list.push(Log::new(1).with_content("k", "v".repeat(2000)));
    let err = e.push(ms(0), list.clone(), &route(), None).unwrap_err();
    assert!(matches!(err, SendError::LogTooLarge { index: 3, .. }));
    assert_eq!(err.into_record().into_logs(), list);
    assert_eq!(e.metrics().pending_batches, 0);
}

#[test]
fn open_batch_is_sent_linger_after_its_creation_not_after_its_last_append() {
    let mut e = engine(&config().with_linger(Duration::from_millis(2000)));
    e.push(ms(100), log(0), &route(), None).unwrap();
    assert_eq!(e.poll_timeout(), Some(ms(2100)));
    e.push(ms(2000), log(1), &route(), None).unwrap();
    assert_eq!(
        e.poll_timeout(),
        Some(ms(2100)),
        "later appends do not extend it"
    );
    tick(&mut e, ms(2099));
    assert!(transmits(&mut e, ms(2099)).is_empty());
    tick(&mut e, ms(2100));
    let t = one_transmit(&mut e, ms(2100));
    assert_eq!(ids(&group(&t.request).logs), [0, 1]);
}

#[test]
fn sealed_batch_leaves_the_map_and_the_next_append_creates_a_new_batch_with_a_new_pack_id() {
    let cfg = config().with_generate_pack_id(true).with_max_batch_count(1);
    let mut e = engine(&cfg);
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.push(ms(0), log(1), &route(), None).unwrap();
    let sent = transmits(&mut e, ms(0));
    assert_eq!(sent.len(), 2);
    let ids: Vec<String> = sent
        .iter()
        .map(|t| group(&t.request).log_tags.last().unwrap().value.clone())
        .collect();
    let (p0, c0) = ids[0].split_once('-').unwrap();
    let (p1, c1) = ids[1].split_once('-').unwrap();
    assert_eq!(p0, p1, "same logstore, same prefix");
    assert_eq!((c0, c1), ("0", "1"));
}

#[test]
fn topic_and_source_are_encoded_even_when_empty() {
    let mut e = engine(&config());
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(0));
    let raw = raw_body(&t.request);
    assert!(raw.ends_with(&[0x1a, 0x00, 0x22, 0x00]), "{raw:02x?}");
    let g = group(&t.request);
    assert_eq!(
        (g.topic.as_deref(), g.source.as_deref()),
        (Some(""), Some(""))
    );
    assert_eq!((g.category, g.machine_uuid), (None, None));
}

#[test]
fn pack_id_is_the_last_tag_after_the_config_log_tags() {
    let cfg = config()
        .with_generate_pack_id(true)
        .with_log_tag("env", "prod")
        .with_log_tag("app", "web");
    let mut e = engine(&cfg);
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.flush(ms(0));
    let g = group(&one_transmit(&mut e, ms(0)).request);
    let keys: Vec<&str> = g.log_tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["env", "app", "__pack_id__"]);
    let pack = &g.log_tags[2].value;
    let (prefix, counter) = pack.split_once('-').unwrap();
    assert_eq!(prefix.len(), 16);
    assert!(
        prefix
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    );
    assert_eq!(counter, "0");
}

#[test]
fn two_logstores_get_different_prefixes_and_independent_counters() {
    let cfg = config().with_generate_pack_id(true).with_max_batch_count(1);
    let mut e = engine(&cfg);
    let a = route();
    let b = Route::new("proj", "other").unwrap();
    for r in [&a, &b, &a, &a.clone().with_topic("t"), &b] {
        e.push(ms(0), log(0), r, None).unwrap();
    }
    let packs: Vec<(String, String)> = transmits(&mut e, ms(0))
        .iter()
        .map(|t| {
            let g = group(&t.request);
            let v = g.log_tags.last().unwrap().value.clone();
            let (p, c) = v.split_once('-').unwrap();
            (p.to_string(), c.to_string())
        })
        .collect();
    let (pa, pb) = (&packs[0].0, &packs[1].0);
    assert_ne!(pa, pb);
    let counters: Vec<(&str, &str)> = packs
        .iter()
        .map(|(p, c)| (if p == pa { "a" } else { "b" }, c.as_str()))
        .collect();
    // Topics of one logstore share its counter.
    assert_eq!(
        counters,
        [("a", "0"), ("b", "0"), ("a", "1"), ("a", "2"), ("b", "1")]
    );
}

#[test]
fn generate_pack_id_false_gives_the_config_tags_only() {
    let cfg = config().with_log_tag("env", "prod");
    let mut e = engine(&cfg);
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.flush(ms(0));
    let g = group(&one_transmit(&mut e, ms(0)).request);
    let tags: Vec<(&str, &str)> = g
        .log_tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    assert_eq!(tags, [("env", "prod")]);
}

#[test]
fn empty_list_send_succeeds_without_a_request() {
    let mut e = engine(&config());
    let t = e.push(ms(0), Vec::<Log>::new(), &route(), Some(3)).unwrap();
    let ev = events(&mut e);
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].ticket, ev[0].tag), (t, 3));
    assert!(ev[0].result.is_success());
    assert!(ev[0].result.attempts.is_empty());
    e.flush(ms(0));
    assert!(transmits(&mut e, ms(0)).is_empty());
    assert!(e.is_idle());
}

#[test]
fn invalid_project_or_logstore_names_are_rejected_before_any_push() {
    for p in ["", "ab", "Proj", "-proj", "proj-", "pr_oj", &"p".repeat(64)] {
        assert_eq!(
            Route::new(p, "store").unwrap_err().kind,
            NameKind::Project,
            "{p:?}"
        );
    }
    for l in ["", "s", "Store", "_store", "store-", "st.ore"] {
        assert_eq!(
            Route::new("proj", l).unwrap_err().kind,
            NameKind::Logstore,
            "{l:?}"
        );
    }
    assert!(Route::new("my-proj-1", "app_log-2").is_ok());
}

#[test]
fn memory_is_reserved_at_push_and_released_when_the_outcome_is_known() {
    let mut e = engine(&config());
    let one = LogGroupEncoder::encoded_log_len(&log(0));
    e.push(ms(0), log(0), &route(), None).unwrap();
    let first = e.metrics().buffered_bytes;
    assert!(
        first > 1024 + one,
        "a new batch is charged its bookkeeping and its buffer: {first}"
    );
    e.push(ms(0), log(1), &route(), None).unwrap();
    let open = e.metrics().buffered_bytes;
    assert!(open >= first + one, "its buffer grew for the second log");
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(0));
    let in_flight = e.metrics().buffered_bytes;
    assert!(
        in_flight > 1024 && in_flight <= open,
        "held while in flight, as its compressed body: {in_flight}"
    );
    respond(&mut e, ms(10), &t, ok());
    assert_eq!(e.metrics().buffered_bytes, 0);
}

#[test]
fn memory_is_released_on_final_failure_too() {
    let mut e = engine(&config().with_max_retries(0));
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(0));
    respond(&mut e, ms(10), &t, sls_error(500, "InternalServerError"));
    assert_eq!(e.metrics().buffered_bytes, 0);
    assert_eq!(e.metrics().failed_logs, 1);
}

#[test]
fn push_beyond_the_budget_is_refused_and_handed_back_never_overshooting() {
    let one = LogGroupEncoder::encoded_log_len(&log(0));
    let cfg = config()
        .with_max_batch_bytes(1024)
        .with_memory_budget(8 * 1024);
    let budget = cfg.memory_budget;
    let mut e = engine(&cfg);
    let mut accepted = 0;
    let err = loop {
        match e.push(ms(0), log(accepted), &route(), None) {
            Ok(_) => accepted += 1,
            Err(err) => break err,
        }
        assert!(
            e.metrics().buffered_bytes <= budget,
            "never over the budget"
        );
    };
    assert!(
        accepted as usize > 1024 / one,
        "more than a batch of logs taken: {accepted}"
    );
    assert!(err.is_transient());
    let err = e
        .push(ms(0), err.into_record(), &route(), Some(1))
        .unwrap_err();
    assert!(matches!(err, SendError::BufferFull { bytes, .. } if bytes >= one));
    assert_eq!(err.into_record(), Record::Log(log(accepted)));
    assert!(e.metrics().buffered_bytes <= budget);
    assert!(
        events(&mut e).is_empty(),
        "a refused push has no outcome event"
    );
}

#[test]
fn tracked_sends_are_charged_for_their_tag_and_outcome_too() {
    // Logs of ~20 bytes into one route with a 64 KiB budget (several batches): an
    // untracked send costs its bytes in the buffer, a tracked one its handle and outcome
    // besides (well over its log), and a heavier tag more still.
    let cfg = config()
        .with_max_batch_bytes(16 * 1024)
        .with_memory_budget(64 * 1024)
        .with_linger(Duration::from_secs(60));
    let accepted = |tracked: bool, tag_heap: Option<usize>| {
        let mut e = engine(&cfg);
        if let Some(bytes) = tag_heap {
            e.set_tag_heap(bytes);
        }
        let mut n = 0;
        while e
            .push(ms(0), log(n), &route(), tracked.then_some(n))
            .is_ok()
        {
            n += 1;
        }
        n
    };
    let untracked = accepted(false, None);
    let tracked = accepted(true, None);
    let heavy = accepted(true, Some(4096));
    assert!(
        tracked * 3 < untracked,
        "a tracked send costs its handle: {tracked} tracked, {untracked} untracked"
    );
    assert!(
        heavy * 4 < tracked,
        "{heavy} with 4 KiB tags, {tracked} with 64 B"
    );
}

#[test]
fn a_busy_route_grows_its_next_batch_when_a_whole_one_does_not_fit() {
    // 64 KiB batches in a 100 KiB budget: the first batch fills its 64 KiB buffer; its
    // successor cannot get a whole batch-sized buffer (64 + 64 KiB > 100 KiB), so it
    // grows from nothing instead of the send being refused.
    let cfg = config()
        .with_max_batch_bytes(64 * 1024)
        .with_memory_budget(100 * 1024)
        .with_linger(Duration::from_secs(60));
    let mut e = engine(&cfg);
    let big = |i: u32| Log::new(1_700_000_000).with_content("k", format!("{i:0>1000}"));
    let mut i = 0;
    while e.metrics().pending_batches < 2 {
        e.push(ms(0), big(i), &route(), None)
            .unwrap_or_else(|err| panic!("log {i} refused: {err:?}"));
        i += 1;
    }
    assert!(i > 60, "the first batch took a batch of logs: {i}");
    assert!(e.metrics().buffered_bytes <= 100 * 1024);
}

#[test]
fn record_larger_than_the_whole_budget_is_refused_as_never_fitting() {
    let cfg = config().with_max_batch_bytes(1024).with_memory_budget(4096);
    let mut e = engine(&cfg);
    let err = e.push(ms(0), logs(0..200), &route(), None).unwrap_err();
    assert!(
        matches!(
            err,
            SendError::ExceedsBuffer {
                memory_budget: 4096,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_transient());
}

#[test]
fn push_error_debug_never_shows_log_contents() {
    let mut e = engine(&config().with_max_batch_bytes(1024));
    let secret = Log::new(1).with_content("password", "hunter2".repeat(300));
    let err = e.push(ms(0), secret, &route(), None).unwrap_err();
    let text = format!("{err:?} {err}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn logs_sls_would_refuse_are_refused_at_send_naming_the_field_and_handed_back() {
    let mut e = engine(&config());
    let t = 1_700_000_000;
    let reserved = Log::new(t)
        .with_content("a", "1")
        .with_content("__topic__", "x");
    let err = e
        .push(ms(0), reserved.clone(), &route(), Some(1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            SendError::ReservedKey {
                index: 0,
                pair: 1,
                key: "__topic__",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("__topic__"), "{err}");
    assert_eq!(err.into_record(), Record::Log(reserved));

    let tag_field = Log::new(t).with_content("__tag__:__path__", "x");
    let err = e.push(ms(0), tag_field, &route(), None).unwrap_err();
    assert!(
        matches!(
            err,
            SendError::ReservedKey {
                key: "__tag__:",
                ..
            }
        ),
        "{err:?}"
    );

    // In a list, the whole list is refused and the faulty log named.
    let mut list = logs(0..3);
    list.push(Log::new(t).with_content("", "no key"));
    let err = e.push(ms(0), list.clone(), &route(), None).unwrap_err();
    assert!(
        matches!(
            err,
            SendError::EmptyKey {
                index: 3,
                pair: 0,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.into_record().into_logs(), list);

    let mut nanos = log(0);
    nanos.set_time_ns(Some(1_000_000_000));
    let err = e.push(ms(0), nanos, &route(), None).unwrap_err();
    assert!(
        matches!(
            err,
            SendError::InvalidTime {
                field: "time_ns",
                value: 1_000_000_000,
                ..
            }
        ),
        "{err:?}"
    );
    for time in [0, u32::MAX] {
        let err = e
            .push(ms(0), Log::new(time).with_content("a", "b"), &route(), None)
            .unwrap_err();
        assert!(
            matches!(err, SendError::InvalidTime { field: "time", value, .. } if value == time),
            "{err:?}"
        );
        assert!(!err.is_transient());
    }
    assert_eq!(e.metrics().buffered_bytes, 0, "nothing reserved");
    assert!(e.is_idle());

    // Keys that only look special are fine.
    let fine = Log::new(t)
        .with_content("_private", "1")
        .with_content("__custom__", "2")
        .with_content("__time", "3");
    e.push(ms(0), fine, &route(), None).unwrap();
}

#[test]
fn parts_sls_would_refuse_are_refused_at_send_too() {
    let mut e = engine(&config());
    let pairs = [("msg", "hi"), ("__source__", "me")];
    let parts = LogParts::new(1_700_000_000, &pairs);
    let err = e.push_parts(ms(0), &route(), &parts, None).unwrap_err();
    assert!(
        matches!(
            err,
            SendError::ReservedKey {
                pair: 1,
                key: "__source__",
                ..
            }
        ),
        "{err:?}"
    );
    let back = err.into_record().into_logs();
    assert_eq!(back[0].get("__source__"), Some("me"), "handed back whole");

    let ok = [("msg", "hi")];
    let err = e
        .push_parts(
            ms(0),
            &route(),
            &LogParts::new(1_700_000_000, &ok).with_time_ns(2_000_000_000),
            None,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            SendError::InvalidTime {
                field: "time_ns",
                ..
            }
        ),
        "{err:?}"
    );
    e.push_parts(ms(0), &route(), &LogParts::new(1_700_000_000, &ok), None)
        .unwrap();
}

#[test]
fn a_budget_held_by_open_batches_seals_the_oldest_early_so_memory_turns_over() {
    // Three routes, batches of up to 2 KiB, an 8 KiB budget (each batch is charged 2 KiB of
    // bookkeeping beside its buffer) and a one-minute linger: the open batches fill the
    // budget long before any linger passes, and before any fills up.
    let cfg = config()
        .with_max_batch_bytes(2048)
        .with_memory_budget(8192)
        .with_linger(Duration::from_secs(60));
    let mut e = engine(&cfg);
    let routes = [
        route().with_topic("a"),
        route().with_topic("b"),
        route().with_topic("c"),
    ];
    let mut i = 0;
    let refused = loop {
        match e.push(ms(0), log(i), &routes[i as usize % 3], None) {
            Ok(_) => i += 1,
            Err(err) => break err,
        }
    };
    assert!(
        matches!(refused, SendError::BufferFull { .. }),
        "{refused:?}"
    );
    assert!(i > 6, "several logs per route were taken first");
    // The refusal sealed the oldest open batches (routes a and b, opened first) until
    // the open ones held at most half the budget; c stays open for its linger.
    let sent = transmits(&mut e, ms(0));
    let topics: Vec<Option<String>> = sent.iter().map(|t| group(&t.request).topic).collect();
    assert_eq!(
        topics,
        [Some("a".to_owned()), Some("b".to_owned())],
        "the oldest first, no linger waited for"
    );
    for t in &sent {
        respond(&mut e, ms(5), t, ok());
    }
    // Their answers freed the budget: the refused log now fits.
    e.push(ms(5), refused.into_record(), &routes[i as usize % 3], None)
        .unwrap();
}
