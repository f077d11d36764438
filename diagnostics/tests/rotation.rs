//! The diagnostics file: rotation at the size, only N backups kept, gzip of rotated files,
//! the level filter, JSON lines, and the producer's real diagnostics reaching it.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use sls_producer_core::sim::{ScriptedReply, SimRuntime};
use sls_producer_core::{Credentials, Log, Producer, ProducerConfig, Route};
use sls_producer_diagnostics::{DiagnosticsError, DiagnosticsFile, Level};
use tracing_subscriber::layer::SubscriberExt as _;

const DIAG: &str = "sls_producer_core::producer::diag";

/// A fresh, empty directory for one test.
fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sls-diag-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    GzDecoder::new(fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The `attempt=N` values of a text file's lines.
fn attempts(text: &str) -> Vec<u32> {
    text.lines()
        .map(|line| {
            let at = line.find("attempt=").expect("an attempt line") + "attempt=".len();
            line[at..]
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

#[test]
fn the_file_rotates_at_the_size_keeps_n_backups_and_gzips_them() {
    let dir = dir("rotate");
    let max_size = 500;
    let layer = DiagnosticsFile::new(dir.join("producer.log"))
        .with_max_size(max_size)
        .with_max_backups(3)
        .with_compress(true)
        .layer()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        for attempt in 0..100 {
            tracing::warn!(target: DIAG, attempt, "attempt failed");
            tracing::debug!(target: DIAG, "below the level: not written");
            tracing::error!(target: "my_app", "another target: not written");
        }
    });
    assert_eq!(
        names(&dir),
        [
            "producer.log",
            "producer.log.1.gz",
            "producer.log.2.gz",
            "producer.log.3.gz"
        ],
        "only the 3 newest backups remain, gzipped"
    );
    let current = fs::read_to_string(dir.join("producer.log")).unwrap();
    let longest = current.lines().map(str::len).max().unwrap() + 1;
    let mut kept = Vec::new();
    for n in [3, 2, 1] {
        let backup = gunzip(&dir.join(format!("producer.log.{n}.gz")));
        assert!(
            (max_size..max_size + longest).contains(&backup.len()),
            "a backup is rotated once it reaches the size: {} bytes",
            backup.len()
        );
        kept.extend(attempts(&backup));
    }
    assert!(current.len() < max_size + longest);
    kept.extend(attempts(&current));
    // The newest events, in order, without a gap: older files were deleted whole.
    let first = kept[0];
    assert_eq!(kept, (first..100).collect::<Vec<_>>());
    assert!(first > 0, "the oldest events were rotated away");
    assert!(!current.contains("not written"));
}

#[test]
fn json_lines_carry_the_producers_own_retry_diagnostics() {
    let dir = dir("json");
    let path = dir.join("diag.json");
    let layer = DiagnosticsFile::new(&path)
        .with_json(true)
        .with_level(Level::WARN)
        .layer()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let sim = SimRuntime::new(7);
        sim.transport().push_replies([
            ScriptedReply::sls_error(503, "ServerBusy", "busy"),
            ScriptedReply::ok(),
        ]);
        let producer = Producer::builder(ProducerConfig::new("http://127.0.0.1:8080"))
            .with_credentials(Credentials::new("id", "secret"))
            .build_on(sim.runtime())
            .unwrap();
        let route = Route::new("proj", "store").unwrap();
        producer
            .send(&route, Log::new(1_700_000_000).with_content("k", "v"))
            .unwrap();
        let metrics = sim.block_on(producer.close(None)).unwrap();
        assert_eq!(metrics.delivered_logs, 1);
    });
    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "one retry at WARN; the INFO close summary filtered: {text}"
    );
    let line = lines[0];
    assert!(line.starts_with('{') && line.ends_with('}'), "{line}");
    assert!(line.contains(r#""level":"WARN""#), "{line}");
    assert!(line.contains(r#""message":"attempt failed""#), "{line}");
    assert!(line.contains(r#""error_code":"ServerBusy""#), "{line}");
    assert!(!line.contains("secret"));
}

#[test]
fn a_zero_size_is_refused() {
    let e = DiagnosticsFile::new(dir("zero").join("x.log"))
        .with_max_size(0)
        .layer::<tracing_subscriber::Registry>()
        .err()
        .unwrap();
    assert!(matches!(e, DiagnosticsError::ZeroMaxSize), "{e}");
}
