//! The spool against a real directory: what a crash leaves is replayed in order, what was
//! acknowledged is not, damage costs only the damaged record, and every way it can refuse
//! says why.

use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sls_producer_spool::{
    AppendError, ConfigError, DamageKind, Durability, Op, Seq, Spool, SpoolConfig, SpoolError,
    WhenFull,
};

const SEGMENT: u64 = 64 << 10;

fn config(dir: &Path) -> SpoolConfig {
    SpoolConfig::new(dir)
        .with_segment_bytes(SEGMENT)
        .with_max_bytes(16 * SEGMENT)
        .with_durability(Durability::Os)
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

fn body(i: u64, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i as usize * 31 + j) as u8).collect()
}

#[test]
fn what_was_not_acknowledged_comes_back_in_order_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, recovery) = Spool::open(config(dir.path())).unwrap();
    assert!(recovery.batches.is_empty() && recovery.damage.is_empty());
    let seqs: Vec<Seq> = (0..10)
        .map(|i| {
            let a = spool
                .append(format!("route-{i}").as_bytes(), &body(i, 1000))
                .unwrap();
            assert!(a.dropped.is_empty());
            a.seq
        })
        .collect();
    for seq in [seqs[0], seqs[3], seqs[9]] {
        spool.ack(seq).unwrap();
    }
    assert_eq!(spool.pending(), 7);
    drop(spool);

    let (mut spool, recovery) = Spool::open(config(dir.path())).unwrap();
    let back: Vec<u64> = recovery.batches.iter().map(|b| b.seq.0).collect();
    assert_eq!(back, [1, 2, 4, 5, 6, 7, 8]);
    for b in &recovery.batches {
        assert_eq!(b.meta, format!("route-{}", b.seq.0).as_bytes());
        assert_eq!(b.body_len, 1000);
        let stored = spool.read(b.seq).unwrap();
        assert_eq!(stored.body, body(b.seq.0, 1000));
    }
    // New batches continue the numbering: a replayed batch and a new one never share it.
    assert_eq!(spool.append(b"m", b"b").unwrap().seq, Seq(10));
    for b in &recovery.batches {
        spool.ack(b.seq).unwrap();
    }
    assert_eq!(
        spool.ack(recovery.batches[0].seq).unwrap_err().to_string(),
        "the spool holds no batch 1"
    );
    drop(spool);
    let (_spool, recovery) = Spool::open(config(dir.path())).unwrap();
    assert_eq!(recovery.batches.len(), 1, "only the new one");
    // The first run's segment was fully acknowledged: deleted at this open.
    assert_eq!(files(dir.path(), "seg").len(), 2);
}

#[test]
fn segments_rotate_and_go_when_every_batch_in_them_is_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, _) = Spool::open(config(dir.path())).unwrap();
    // 20 KB records: three to a 64 KiB segment.
    let seqs: Vec<Seq> = (0..9)
        .map(|i| spool.append(b"m", &body(i, 20_000)).unwrap().seq)
        .collect();
    assert_eq!(files(dir.path(), "seg").len(), 3);
    let before = spool.bytes();
    spool.ack(seqs[0]).unwrap();
    spool.ack(seqs[1]).unwrap();
    assert_eq!(
        files(dir.path(), "seg").len(),
        3,
        "one batch left in the first"
    );
    assert_eq!(files(dir.path(), "ack").len(), 1);
    spool.ack(seqs[2]).unwrap();
    assert_eq!(files(dir.path(), "seg").len(), 2);
    assert_eq!(files(dir.path(), "ack").len(), 0);
    assert!(
        spool.bytes() < before - 60_000,
        "{} vs {before}",
        spool.bytes()
    );
    // The bytes counted are the files' bytes.
    let on_disk: u64 = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name() != "lock")
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert_eq!(spool.bytes(), on_disk);
}

/// Three 500-byte batches appended to a new spool in `dir`, then the process gone; the
/// segment that holds them.
fn three_batches_then_a_crash(dir: &Path) -> PathBuf {
    let (mut spool, _) = Spool::open(config(dir)).unwrap();
    for i in 0..3 {
        spool.append(b"m", &body(i, 500)).unwrap();
    }
    drop(spool);
    files(dir, "seg").pop().unwrap()
}

#[test]
fn a_torn_last_write_is_skipped_and_everything_before_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let seg = three_batches_then_a_crash(dir.path());
    let len = fs::metadata(&seg).unwrap().len();
    let f = fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(len - 100).unwrap();
    drop(f);

    let (spool, recovery) = Spool::open(config(dir.path())).unwrap();
    let back: Vec<u64> = recovery.batches.iter().map(|b| b.seq.0).collect();
    assert_eq!(back, [0, 1]);
    assert_eq!(recovery.damage.len(), 1);
    assert_eq!(recovery.damage[0].kind, DamageKind::Torn);
    assert_eq!(recovery.damage[0].path, seg);
    assert_eq!(recovery.damage[0].range.end, len - 100);
    // Numbering continues after the last batch that verified.
    assert_eq!(spool.pending(), 2);
}

#[test]
fn a_record_damaged_in_place_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let seg = three_batches_then_a_crash(dir.path());
    let mut bytes = fs::read(&seg).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    fs::write(&seg, &bytes).unwrap();

    let (spool, recovery) = Spool::open(config(dir.path())).unwrap();
    let back: Vec<u64> = recovery.batches.iter().map(|b| b.seq.0).collect();
    assert_eq!(back, [0, 2]);
    assert_eq!(recovery.damage.len(), 1);
    assert_eq!(recovery.damage[0].kind, DamageKind::Corrupt);
    assert!(recovery.damage[0].range.contains(&(middle as u64)));
    // Damage after opening is caught when the batch is read.
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&seg, &bytes).unwrap();
    let e = spool.read(Seq(2)).unwrap_err();
    assert!(
        matches!(e, SpoolError::Damaged { seq: Seq(2), .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("batch 2 in "), "{e}");
    assert_eq!(spool.read(Seq(0)).unwrap().body, body(0, 500));
}

#[test]
fn a_body_is_read_into_the_callers_buffer_and_every_damaged_byte_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, _) = Spool::open(config(dir.path())).unwrap();
    let seq = spool.append(b"meta", &body(7, 500)).unwrap().seq;
    let seg = files(dir.path(), "seg").pop().unwrap();

    let (mut meta, mut into) = (Vec::new(), Vec::with_capacity(500));
    let at = into.as_ptr();
    spool.read_into(seq, &mut meta, &mut into).unwrap();
    assert_eq!((meta.as_slice(), &into), (&b"meta"[..], &body(7, 500)));
    assert_eq!(
        (into.as_ptr(), into.capacity()),
        (at, 500),
        "no other allocation"
    );

    // Every byte of the record (the segment's own 12-byte header comes first), flipped.
    let bytes = fs::read(&seg).unwrap();
    for i in 12..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x80;
        fs::write(&seg, &bad).unwrap();
        let e = spool.read_into(seq, &mut meta, &mut into).unwrap_err();
        assert!(matches!(e, SpoolError::Damaged { .. }), "byte {i}: {e:?}");
    }
    fs::write(&seg, &bytes).unwrap();
    assert_eq!(spool.read(seq).unwrap().body, body(7, 500));
}

#[test]
fn a_second_spool_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _) = Spool::open(config(dir.path())).unwrap();
    let e = Spool::open(config(dir.path())).unwrap_err();
    assert!(
        matches!(&e, SpoolError::Locked { dir: d } if d == dir.path()),
        "{e:?}"
    );
    assert!(e.to_string().contains("in use by another producer"), "{e}");
    drop(spool);
    Spool::open(config(dir.path())).unwrap();
}

#[test]
fn a_full_spool_refuses_or_drops_the_oldest_as_configured() {
    let dir = tempfile::tempdir().unwrap();
    let cap = 2 * SEGMENT;
    let small = |when| config(dir.path()).with_max_bytes(cap).with_when_full(when);
    let (mut spool, _) = Spool::open(small(WhenFull::Refuse)).unwrap();
    let mut stored = 0;
    let e = loop {
        match spool.append(b"m", &body(stored, 20_000)) {
            Ok(_) => stored += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(stored, 6, "three to a segment, two segments");
    match &e {
        AppendError::Full {
            needed,
            used,
            max_bytes,
        } => {
            assert_eq!(*max_bytes, cap);
            assert!(used + needed > cap);
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().starts_with("the spool is full: "), "{e}");
    assert_eq!(spool.pending(), 6, "nothing spooled was lost");
    drop(spool);

    let (mut spool, recovery) = Spool::open(small(WhenFull::DropOldest)).unwrap();
    assert_eq!(recovery.batches.len(), 6);
    let a = spool.append(b"m", &body(6, 20_000)).unwrap();
    assert_eq!(a.dropped, [Seq(0), Seq(1), Seq(2)], "the oldest segment");
    assert!(spool.read(Seq(0)).is_err());
    assert_eq!(spool.read(a.seq).unwrap().body, body(6, 20_000));
    assert!(spool.bytes() <= cap);

    let e = spool.append(b"m", &vec![0; cap as usize]).unwrap_err();
    assert!(matches!(e, AppendError::TooLarge { .. }), "{e:?}");
    assert!(e.to_string().contains("can never fit"), "{e}");
}

#[test]
fn a_directory_that_cannot_be_created_says_which_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, b"").unwrap();
    let e = Spool::open(config(&file.join("spool"))).unwrap_err();
    match &e {
        SpoolError::Io { op, path, .. } => {
            assert_eq!(*op, Op::CreateDir);
            assert_eq!(path, &file.join("spool"));
        }
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.starts_with("could not create the directory "),
        "{text}"
    );
    assert!(core::error::Error::source(&e).is_some());
}

#[test]
fn other_files_and_formats_are_not_taken_for_batches() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path()).unwrap();
    fs::write(
        dir.path().join("00000000000000000003.seg"),
        b"something else entirely",
    )
    .unwrap();
    fs::write(dir.path().join("00000000000000000004.seg"), b"SLS").unwrap();
    fs::write(dir.path().join("notes.txt"), b"kept").unwrap();
    let (mut spool, recovery) = Spool::open(config(dir.path())).unwrap();
    let kinds: Vec<DamageKind> = recovery.damage.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [DamageKind::Foreign, DamageKind::Empty]);
    assert!(dir.path().join("00000000000000000003.foreign").exists());
    assert!(dir.path().join("notes.txt").exists());
    assert_eq!(files(dir.path(), "seg").len(), 1, "this run's, after both");
    assert_eq!(spool.append(b"m", b"b").unwrap().seq, Seq(0));
    drop(spool);

    let newer = dir.path().join("00000000000000000009.seg");
    fs::write(&newer, b"SLSSPOOL\x02\0\0\0").unwrap();
    let e = Spool::open(config(dir.path())).unwrap_err();
    assert!(
        matches!(&e, SpoolError::UnknownFormat { version: 2, path } if *path == newer),
        "{e:?}"
    );
}

#[test]
fn bad_settings_are_refused_with_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let e = Spool::open(SpoolConfig::new(dir.path()).with_segment_bytes(1000)).unwrap_err();
    assert!(
        matches!(
            e,
            SpoolError::Config(ConfigError::SegmentTooSmall {
                segment_bytes: 1000
            })
        ),
        "{e:?}"
    );
    let e = Spool::open(
        SpoolConfig::new(dir.path())
            .with_segment_bytes(SEGMENT)
            .with_max_bytes(SEGMENT),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "spool max_bytes is 65536; it must hold at least two segments of 65536 bytes"
    );
    let e = Spool::open(
        SpoolConfig::new(dir.path()).with_durability(Durability::Interval(Default::default())),
    )
    .unwrap_err();
    assert!(matches!(e, SpoolError::Config(ConfigError::ZeroInterval)));
}

#[test]
fn durable_policies_write_the_same_records() {
    for durability in [
        Durability::PerBatch,
        Durability::Interval(core::time::Duration::from_secs(1)),
        Durability::Os,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path()).with_durability(durability);
        let (mut spool, _) = Spool::open(config.clone()).unwrap();
        for i in 0..5 {
            spool.append(b"m", &body(i, 30_000)).unwrap();
        }
        spool.sync().unwrap();
        drop(spool);
        let (_, recovery) = Spool::open(config).unwrap();
        assert_eq!(recovery.batches.len(), 5, "{durability:?}");
    }
}

#[derive(Debug, Clone)]
enum Step {
    Append(usize),
    Ack(usize),
    Reopen,
    /// A crash in the middle of the last write: the newest segment loses its last bytes.
    Tear(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..30_000).prop_map(Step::Append),
        4 => (0usize..64).prop_map(Step::Ack),
        1 => Just(Step::Reopen),
        1 => (1u16..2000).prop_map(Step::Tear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Against a model: after any sequence of appends, acknowledgements, crashes and torn
    /// last writes, a reopened spool holds exactly the batches appended and not
    /// acknowledged, minus only the one a tear cut, with their bodies intact; its files
    /// never exceed the cap.
    #[test]
    fn reopening_recovers_exactly_the_unacknowledged(steps in proptest::collection::vec(step(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path()).with_max_bytes(8 * SEGMENT);
        let (mut spool, _) = Spool::open(config.clone()).unwrap();
        // seq -> body length, for every batch the spool should hold
        let mut model = std::collections::BTreeMap::<u64, usize>::new();
        let mut last_appended: Option<u64> = None;
        for step in steps {
            match step {
                Step::Append(len) => match spool.append(b"meta", &body(len as u64, len)) {
                    Ok(a) => {
                        prop_assert!(a.dropped.is_empty());
                        model.insert(a.seq.0, len);
                        last_appended = Some(a.seq.0);
                    }
                    Err(AppendError::Full { .. }) => {}
                    Err(e) => panic!("{e}"),
                },
                Step::Ack(i) => {
                    if let Some(&seq) = model.keys().nth(i % model.len().max(1)) {
                        spool.ack(Seq(seq)).unwrap();
                        model.remove(&seq);
                    }
                }
                Step::Reopen | Step::Tear(_) => {
                    drop(spool);
                    if let (Step::Tear(cut), Some(seq)) = (&step, last_appended)
                        && model.contains_key(&seq)
                    {
                            let seg = files(dir.path(), "seg").pop().unwrap();
                            let len = fs::metadata(&seg).unwrap().len();
                            let cut = u64::from(*cut).min(len - 12);
                            let f = fs::OpenOptions::new().write(true).open(&seg).unwrap();
                            f.set_len(len - cut).unwrap();
                            // Only the last batch of the last segment can be cut.
                            let last_len = 12 + 13 + 4 + model[&seq] as u64;
                            if cut > 0 && cut <= last_len {
                                model.remove(&seq);
                            } else if cut > last_len {
                                // Cut into earlier records: lose every batch in the cut.
                                prop_assume!(false);
                            }
                    }
                    let (s, recovery) = Spool::open(config.clone()).unwrap();
                    spool = s;
                    last_appended = None;
                    let back: Vec<u64> = recovery.batches.iter().map(|b| b.seq.0).collect();
                    prop_assert_eq!(&back, &model.keys().copied().collect::<Vec<_>>());
                    for b in &recovery.batches {
                        prop_assert_eq!(b.body_len, model[&b.seq.0]);
                        prop_assert_eq!(spool.read(b.seq).unwrap().body, body(model[&b.seq.0] as u64, model[&b.seq.0]));
                    }
                }
            }
            prop_assert!(spool.bytes() <= 8 * SEGMENT);
        }
    }
}
