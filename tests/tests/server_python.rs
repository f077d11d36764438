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
/// otherwise why not.
fn python() -> Result<PathBuf, String> {
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
