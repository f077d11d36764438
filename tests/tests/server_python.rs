//! The independent cross-check: the official Aliyun SLS Python SDK
//! (aliyun-log-python-sdk) sends logs to the local server, which must accept and decode them
//! intact, and must refuse altered bodies and signatures with SLS's error codes
//! (`tests/python/crosscheck.py` holds the checks).
//!
//! The SDK lives in a virtualenv, by default `target/sls-python-venv` of the workspace
//! (override with `SLS_PYTHON_VENV`):
//!
//! ```sh
//! python3 -m venv target/sls-python-venv
//! target/sls-python-venv/bin/pip install -r tests/python/requirements.txt
//! cargo test -p sls-producer-tests --test server_python
//! ```
//!
//! When the virtualenv is missing the test creates it (`python3 -m venv` + `pip install`
//! from PyPI, about 20 s once). If that is impossible (no `python3`, no network) the test is
//! skipped with a message, unless `CI` is set (to anything but `false` or `0`): then it fails.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

use sls_producer_core::config::SignatureVersion;
use sls_producer_tests::server::{AuthKind, LocalSls, LogstoreOptions};

fn venv() -> PathBuf {
    std::env::var_os("SLS_PYTHON_VENV").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/sls-python-venv"),
        PathBuf::from,
    )
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Create the virtualenv and install the SDK into it (once; later runs reuse it).
fn create_venv() -> Result<(), String> {
    let dir = venv();
    let requirements = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/requirements.txt");
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{cmd:?} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    run(Command::new("python3").arg("-m").arg("venv").arg(&dir))?;
    run(Command::new(dir.join("bin/pip"))
        .args(["install", "--disable-pip-version-check", "-q", "-r"])
        .arg(&requirements))
}

/// The venv's interpreter if it can import the SDK (creating the venv if there is none);
/// otherwise why not. Found once for the tests of this file, which run in parallel.
fn python() -> Result<PathBuf, String> {
    static PYTHON: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    PYTHON.get_or_init(find_python).clone()
}

fn find_python() -> Result<PathBuf, String> {
    let python = venv().join("bin/python");
    if !python.exists() {
        create_venv().map_err(|e| {
            format!(
                "no Python virtualenv at {} and creating it failed: {e}",
                venv().display()
            )
        })?;
    }
    let probe = Command::new(&python)
        .args(["-c", "import aliyun.log, lz4, zstd"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !probe.status.success() {
        return Err(format!(
            "{} cannot import the SDK: {}",
            python.display(),
            String::from_utf8_lossy(&probe.stderr).trim()
        ));
    }
    Ok(python)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_is_accepted_and_tampering_is_refused() {
    let python = match python() {
        Ok(p) => p,
        Err(why) => {
            let how = "create it with: python3 -m venv target/sls-python-venv && \
                       target/sls-python-venv/bin/pip install -r tests/python/requirements.txt";
            assert!(
                !in_ci(),
                "CI is set but the Python cross-check cannot run: {why}; {how}"
            );
            // Written to the real stderr, not through the test harness's capture, so the
            // skip is visible in a normal `cargo test` run.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED python_sdk_is_accepted_and_tampering_is_refused: {why}; {how}"
            );
            return;
        }
    };
    // The SDK signs with the real clock, so the server uses the system clock (its default).
    let sls = LocalSls::builder()
        .logstore("pyproj", "pylogs", LogstoreOptions::default())
        .access_key("pyAccessKeyId", "pyAccessKeySecret")
        .sts_token("STS.pyId", "pyStsSecret", "py-sts-token", None)
        .start()
        .await
        .expect("server starts");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/crosscheck.py");
    let endpoint = sls.endpoint();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args(["--endpoint", &endpoint])
            .args(["--project", "pyproj", "--logstore", "pylogs"])
            .args(["--access-key", "pyAccessKeyId:pyAccessKeySecret"])
            .args(["--sts", "STS.pyId:pyStsSecret:py-sts-token"])
            .output()
    })
    .await
    .unwrap()
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "crosscheck.py failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    // The same log groups, seen from Rust.
    let groups = sls.log_groups("pyproj", "pylogs");
    let auth: Vec<AuthKind> = groups.iter().map(|g| g.auth).collect();
    let v1 = AuthKind::Signed(SignatureVersion::V1);
    let v4 = AuthKind::Signed(SignatureVersion::V4);
    assert_eq!(auth, [v1, v1, v1, v1, v4, v1]);
    for g in &groups {
        assert_eq!(g.log_count(), 3);
        assert_eq!(g.tag("origin"), Some("python"));
        let first = &g.log_group.logs[0];
        assert_eq!((first.time(), first.time_ns()), (1_700_000_000, Some(1000)));
        assert_eq!(
            first.contents().nth(1).unwrap().1,
            "caf\u{e9} \u{4f60}\u{597d}"
        );
    }
    assert_eq!(
        groups[3].hash_key(),
        Some("f4000000000000000000000000000000")
    );
    assert_eq!(
        groups[5].security_token.as_ref().map(|t| t.expose()),
        Some("py-sts-token")
    );
    let stats = sls.stats();
    assert_eq!(stats.accepted, 6);
    assert_eq!(stats.errors_with_code("SignatureNotMatch"), 4);
    sls.shutdown().await;
}

/// The other direction: zstd bodies from this crate's compressor as the tokio crate builds
/// it (libzstd, feature `zstd-native`, at several levels), and LZ4, decoded by the SDK's
/// own `Compressor.decompress` (which checks the raw size) and parsed by its LogGroup
/// protobuf (`tests/python/decode_bodies.py`).
///
/// The pure-Rust encoder's frames (`no_std` and wasm builds) are left out: they do not
/// declare their content size, and the SDK's `zstd.decompress` (python-zstd) refuses such
/// frames ("length mismatch -> decomp 0 != 131072 [header]"). The local server's decoder
/// takes them; libzstd's frames declare the size.
#[test]
fn python_sdk_decodes_our_bodies() {
    use base64::Engine as _;
    use sls_producer_core::protocol::compress::{Compression, Compressor, ZstdLevel, zstd};
    use sls_producer_core::protocol::proto::decode_log_group;
    use sls_producer_core::sim::BenchWorkload;

    let python = match python() {
        Ok(p) => p,
        Err(why) => {
            assert!(
                !in_ci(),
                "CI is set but the Python cross-check cannot run: {why}"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED python_sdk_decodes_our_bodies: {why}"
            );
            return;
        }
    };
    // A default-sized batch of the Go benchmark's logs.
    let workload = BenchWorkload::new(1, "pyproj", "pylogs", 1_700_000_000).unwrap();
    let (raw, logs) = workload.batch(3, 512 * 1024);
    let mut bodies = Vec::new();
    let mut compressor = Compressor::new();
    for level in [1, 3, 19] {
        let level = ZstdLevel::new(level).unwrap();
        let body = compressor.compress(Compression::Zstd, level, &raw).unwrap();
        bodies.push((format!("zstd level {level}"), "zstd", body));
    }
    let mut pure = Vec::new();
    zstd::compress_pure_rust(&raw, &mut pure);
    // The tokio crate's default build compresses with libzstd: smaller than the pure-Rust
    // encoder's body.
    assert!(
        bodies[0].2.len() < pure.len(),
        "level 1: {} bytes, pure Rust: {}",
        bodies[0].2.len(),
        pure.len()
    );
    let lz4 = compressor
        .compress(Compression::Lz4, ZstdLevel::DEFAULT, &raw)
        .unwrap();
    bodies.push(("lz4".into(), "lz4", lz4));

    let input: String = bodies
        .iter()
        .map(|(name, compression, body)| {
            let item = serde_json::json!({
                "name": name,
                "compression": compression,
                "rawSize": raw.len(),
                "body": base64::engine::general_purpose::STANDARD.encode(body),
            });
            format!("{item}\n")
        })
        .collect();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/decode_bodies.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    // Written from another thread: the script answers line by line, and its answers
    // (about 0.5 MB each) would fill the stdout pipe while this thread still writes.
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().expect("the script reads every body");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "decode_bodies.py failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    let group = decode_log_group(&raw).unwrap();
    assert_eq!(group.logs.len(), logs);
    let want_logs: Vec<serde_json::Value> = group
        .logs
        .iter()
        .map(|log| {
            let contents: Vec<[&str; 2]> = log.contents().map(|(k, v)| [k, v]).collect();
            serde_json::json!({ "time": log.time(), "contents": contents })
        })
        .collect();
    let want_tags: Vec<[&str; 2]> = group
        .log_tags
        .iter()
        .map(|t| [t.key.as_str(), t.value.as_str()])
        .collect();
    let decoded: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect();
    assert_eq!(decoded.len(), bodies.len(), "{stdout}");
    for ((name, _, _), got) in bodies.iter().zip(&decoded) {
        assert_eq!(got["name"], name.as_str());
        assert!(got.get("error").is_none(), "{name}: {}", got["error"]);
        assert_eq!(got["topic"], group.topic.as_deref().unwrap_or(""), "{name}");
        assert_eq!(
            got["source"],
            group.source.as_deref().unwrap_or(""),
            "{name}"
        );
        assert_eq!(got["tags"], serde_json::json!(want_tags), "{name}");
        assert_eq!(
            got["logs"].as_array().map(Vec::as_slice),
            Some(want_logs.as_slice()),
            "{name}: logs differ"
        );
    }
}
