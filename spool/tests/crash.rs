//! Crash consistency against a real process crash: a child process appends and
//! acknowledges batches as fast as it can and is killed with SIGKILL at a random moment
//! (50 seeded trials); the directory it leaves must give back every batch whose `append`
//! had returned and that was not acknowledged, and nothing that was acknowledged.
//!
//! The child is this test binary itself, run again with `SPOOL_CRASH_CHILD` set: it prints
//! `appended N` after each `append` returns, and `acking N` / `acked N` around each `ack`,
//! so the parent knows what the spool had promised when the process died (and which one
//! operation was in progress).

#![cfg(unix)]

use core::time::Duration;
use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use sls_producer_spool::{Durability, Seq, Spool, SpoolConfig};

const CHILD: &str = "SPOOL_CRASH_CHILD";
const TRIALS: u64 = 50;

fn config(dir: &Path) -> SpoolConfig {
    // Small segments, so that trials cross segment boundaries and deletions too.
    SpoolConfig::new(dir)
        .with_segment_bytes(64 << 10)
        .with_max_bytes(64 << 20)
        .with_durability(Durability::Os)
}

/// A small deterministic generator (xorshift64*), so that a failing trial can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The child's loop: append batches of random sizes, acknowledge some older ones, report
/// each step on stdout once it has returned. Runs until it is killed.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD) else {
        return; // only the parent's child runs this
    };
    let seed: u64 = std::env::var("SPOOL_CRASH_SEED").unwrap().parse().unwrap();
    let mut rng = Rng(seed | 1);
    let (mut spool, _) = Spool::open(config(Path::new(&dir))).unwrap();
    let mut out = std::io::stdout().lock();
    let mut live = Vec::new();
    loop {
        let len = rng.below(20_000) as usize;
        let body = vec![(len % 251) as u8; len];
        let seq = spool
            .append(&(len as u64).to_le_bytes(), &body)
            .unwrap()
            .seq;
        writeln!(out, "appended {}", seq.0).unwrap();
        live.push(seq);
        if live.len() > 4 && rng.below(3) == 0 {
            let seq = live.remove(rng.below(live.len() as u64) as usize);
            writeln!(out, "acking {}", seq.0).unwrap();
            spool.ack(seq).unwrap();
            writeln!(out, "acked {}", seq.0).unwrap();
        }
        out.flush().unwrap();
    }
}

#[test]
fn a_killed_process_loses_nothing_it_was_promised() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let (mut total_appended, mut total_torn) = (0, 0);
    for trial in 0..TRIALS {
        let seed = 0x5eed_0000 + trial;
        let mut rng = Rng(seed);
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, dir.path())
            .env("SPOOL_CRASH_SEED", seed.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        std::thread::sleep(Duration::from_millis(20 + rng.below(120)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let lines = reader.join().unwrap();

        let mut promised = BTreeSet::new();
        let mut acked = BTreeSet::new();
        let mut acking = BTreeSet::new();
        for line in &lines {
            // The test harness's "test crash_child ... " may share the first line.
            let report = |word: &str| {
                let at = line.find(word)?;
                line[at + word.len()..].parse::<u64>().ok()
            };
            if let Some(n) = report("appended ") {
                promised.insert(n);
            } else if let Some(n) = report("acked ") {
                acked.insert(n);
            } else if let Some(n) = report("acking ") {
                acking.insert(n);
            }
        }
        let (spool, recovery) = Spool::open(config(dir.path())).unwrap();
        let recovered: BTreeSet<u64> = recovery.batches.iter().map(|b| b.seq.0).collect();
        let expected: BTreeSet<u64> = promised.difference(&acked).copied().collect();
        // An acknowledgement the process died in may or may not have reached the file.
        let in_doubt: BTreeSet<u64> = acking.difference(&acked).copied().collect();
        assert!(in_doubt.len() <= 1, "trial {trial}: {in_doubt:?}");
        let missing: Vec<_> = expected
            .difference(&recovered)
            .filter(|seq| !in_doubt.contains(seq))
            .collect();
        assert!(
            missing.is_empty(),
            "trial {trial} (seed {seed:#x}): lost {missing:?}"
        );
        let resurrected: Vec<_> = recovered.intersection(&acked).collect();
        assert!(
            resurrected.is_empty(),
            "trial {trial}: acknowledged batches came back: {resurrected:?}"
        );
        // At most the one append in progress when the process died was not reported; it is
        // either recovered whole or skipped as torn.
        let unreported: Vec<_> = recovered.difference(&promised).collect();
        assert!(unreported.len() <= 1, "trial {trial}: {unreported:?}");
        for b in &recovery.batches {
            let stored = spool.read(Seq(b.seq.0)).unwrap();
            let len = u64::from_le_bytes(stored.meta.as_slice().try_into().unwrap()) as usize;
            assert_eq!(stored.body, vec![(len % 251) as u8; len], "trial {trial}");
        }
        total_appended += promised.len();
        total_torn += recovery.damage.len();
    }
    // What the trials exercised (visible with --nocapture).
    println!(
        "{TRIALS} SIGKILL trials: {total_appended} batches promised, all recovered or \
         acknowledged; {total_torn} torn or damaged tails skipped"
    );
    assert!(
        total_appended > TRIALS as usize,
        "the child appended too little to test"
    );
}
