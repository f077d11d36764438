//! The quickstart, scaled down: its command line and environment checks, a run against its
//! in-process local server (every log delivered, the summary adds up), and a run against a
//! closed port (the summary names the error).

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/quickstart.rs"]
mod quickstart;

use core::time::Duration;

use indicatif::ProgressBar;
use quickstart::{Command, LastErrors, Options, OptionsError, Target};
use sls_producer_examples::report;
use sls_producer_tokio::ProducerConfig;
use tracing_subscriber::prelude::*;

/// `Command::parse` with `args` and the variables `vars`.
fn parse(args: &[&str], vars: &[(&str, &str)]) -> Result<Command, OptionsError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Command::parse(args.iter().map(|a| a.to_string()), move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

fn options(args: &[&str], vars: &[(&str, &str)]) -> Options {
    match parse(args, vars) {
        Ok(Command::Run(options)) => options,
        other => panic!("{other:?}"),
    }
}

/// The message `main` prints for bad input.
fn message(args: &[&str], vars: &[(&str, &str)]) -> String {
    report(&parse(args, vars).expect_err("the input is rejected"))
}

const SERVICE: [(&str, &str); 5] = [
    ("SLS_ENDPOINT", "cn-hangzhou.log.aliyuncs.com"),
    ("SLS_PROJECT", "my-project"),
    ("SLS_LOGSTORE", "app"),
    ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-id"),
    ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "TOP-SECRET"),
];

/// [`SERVICE`] with `name` set to `value` (or removed when `value` is empty).
fn service_with(name: &str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    SERVICE
        .iter()
        .map(|&(k, v)| (k, if k == name { value } else { v }))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

#[test]
fn logs_come_from_the_flag_then_the_variable_then_the_default() {
    assert_eq!(options(&[], &[]).logs, 1_000_000);
    assert_eq!(options(&["--logs", "5000"], &[]).logs, 5000);
    assert_eq!(options(&["-n", "1_000"], &[]).logs, 1000);
    assert_eq!(options(&["--logs=2,500"], &[]).logs, 2500);
    assert_eq!(options(&[], &[("QUICKSTART_LOGS", "42")]).logs, 42);
    assert_eq!(
        options(&["--logs", "7"], &[("QUICKSTART_LOGS", "42")]).logs,
        7
    );
    assert!(options(&[], &[]).service.is_none());
    assert!(matches!(parse(&["--help"], &[]), Ok(Command::Help)));
    assert!(matches!(
        parse(&["--logs", "5", "-h"], &[]),
        Ok(Command::Help)
    ));
}

#[test]
fn bad_counts_and_arguments_are_named_with_what_is_accepted() {
    let accepted = "Give a whole number from 1 up, e.g. 5000 or 1_000_000.";
    for (args, vars, given) in [
        (&["--logs", "abc"][..], &[][..], "--logs \"abc\""),
        (&["--logs", "-5"], &[], "--logs \"-5\""),
        (&["--logs", "0"], &[], "--logs \"0\""),
        (&["--logs", "99999999999999999999999"], &[], "--logs \"9999"),
        (
            &[],
            &[("QUICKSTART_LOGS", "xyz")],
            "QUICKSTART_LOGS=\"xyz\"",
        ),
    ] {
        let printed = message(args, vars);
        assert!(printed.starts_with(&format!("error: {given}")), "{printed}");
        assert!(
            printed.ends_with(&format!("is not a number of logs. {accepted}")),
            "{printed}"
        );
    }
    assert_eq!(
        message(&["--logs"], &[]),
        "error: --logs needs a value: the number of logs to send, e.g. --logs 5000."
    );
    assert_eq!(
        message(&["--bogus"], &[]),
        "error: unknown argument \"--bogus\". The quickstart accepts --logs N and --help."
    );
}

#[test]
fn the_service_variables_are_checked_before_anything_starts() {
    let service = options(&[], &SERVICE).service.expect("SLS_ENDPOINT is set");
    assert_eq!(
        (service.project.as_str(), service.logstore.as_str()),
        ("my-project", "app")
    );

    let missing = message(&[], &service_with("SLS_PROJECT", ""));
    assert!(
        missing.starts_with("error: SLS_PROJECT is not set. SLS_ENDPOINT is set, so"),
        "{missing}"
    );
    let missing = message(&[], &service_with("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""));
    assert!(
        missing.starts_with("error: ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set."),
        "{missing}"
    );
    assert_eq!(
        message(&[], &service_with("SLS_PROJECT", "p")),
        "error: invalid project name \"p\": it is 1 character long; a project name has 3 to \
         63 (lowercase letters, digits and '-'). Set SLS_PROJECT to a valid name."
    );
    let logstore = message(&[], &service_with("SLS_LOGSTORE", "App"));
    assert!(
        logstore.starts_with("error: invalid logstore name \"App\"")
            && logstore.ends_with("Set SLS_LOGSTORE to a valid name."),
        "{logstore}"
    );
    assert_eq!(
        message(&[], &service_with("SLS_ENDPOINT", "ftp://x")),
        "error: SLS_ENDPOINT=\"ftp://x\" is not a valid endpoint (endpoint scheme `ftp` is not \
         supported (use http:// or https://)). Use host[:port], optionally after http:// or \
         https://, e.g. cn-hangzhou.log.aliyuncs.com."
    );
    // The secret is never part of a message.
    for name in ["SLS_PROJECT", "SLS_LOGSTORE", "SLS_ENDPOINT"] {
        assert!(!message(&[], &service_with(name, "-")).contains("TOP-SECRET"));
    }
}

#[test]
fn help_names_every_flag_and_variable_the_quickstart_reads() {
    let help = quickstart::options::help();
    for name in [
        "--logs",
        "--help",
        "QUICKSTART_LOGS",
        "SLS_ENDPOINT",
        "SLS_PROJECT",
        "SLS_LOGSTORE",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    ] {
        assert!(help.contains(name), "{name} missing from:\n{help}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_delivers_every_log_and_reports_it() {
    let target = Target::local().await.unwrap();
    let config = ProducerConfig::new(&target.endpoint);
    let bar = ProgressBar::hidden();
    let summary = quickstart::run(&target, config, 20_000, &bar, &LastErrors::default())
        .await
        .unwrap();
    assert_eq!(summary.sent, 20_000);
    assert_eq!((summary.delivered, summary.failed), (20_000, 0));
    assert_eq!(summary.server_logs, Some(20_000));
    // At most 4096 logs per batch; nothing failed, so one request per batch.
    assert!(summary.batches >= 5, "{summary:?}");
    assert_eq!((summary.requests, summary.retries), (summary.batches, 0));
    assert!(summary.raw_bytes > summary.body_bytes && summary.body_bytes > 0);
    assert_eq!(bar.position(), 20_000);
    let printed = summary.to_string();
    assert!(
        printed.contains("20,000 sent, 20,000 delivered, 0 failed"),
        "{printed}"
    );
    assert!(printed.contains("(lz4, "), "{printed}");
    assert!(
        printed.contains("20,000 logs stored by the local SLS server"),
        "{printed}"
    );
    assert!(!printed.contains("failed  "), "{printed}");
    target.shutdown().await;
}

/// A collector of the producer's diagnostics on this thread (where a current-thread
/// runtime runs the producer's driver), for as long as the guard lives.
fn collect_errors() -> (LastErrors, tracing::subscriber::DefaultGuard) {
    let errors = LastErrors::default();
    let guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(errors.layer()));
    (errors, guard)
}

#[tokio::test(flavor = "current_thread")]
async fn against_a_closed_port_the_summary_names_the_refused_connection() {
    let (errors, _collecting) = collect_errors();
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let target = Target::new(Some(
        sls_producer_examples::Service::from_vars(|name| match name {
            "SLS_ENDPOINT" => Some(endpoint.clone()),
            "SLS_PROJECT" => Some("my-project".into()),
            "SLS_LOGSTORE" => Some("app".into()),
            "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some("id".into()),
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some("secret".into()),
            _ => None,
        })
        .unwrap()
        .expect("SLS_ENDPOINT is set"),
    ))
    .await
    .unwrap();
    let config = ProducerConfig::new(&target.endpoint)
        .with_retry_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .with_delivery_timeout(Duration::from_millis(300));
    let bar = ProgressBar::hidden();
    let summary = quickstart::run(&target, config, 5000, &bar, &errors)
        .await
        .unwrap();

    assert_eq!((summary.delivered, summary.failed), (0, 5000));
    assert_eq!(bar.position(), 0, "no log is shown as delivered");
    let failures = &summary.failures;
    assert_eq!(
        failures.last.as_deref(),
        Some(format!("connection refused to 127.0.0.1:{port}").as_str())
    );
    // 5000 logs: a full batch of 4096 and the rest.
    assert_eq!((failures.batches, failures.last_count), (2, 2));
    let printed = summary.to_string();
    assert!(
        printed.contains(&format!(
            "failed      5,000 logs in 2 batches; last error (2 of them): connection refused \
             to 127.0.0.1:{port}"
        )),
        "{printed}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn with_a_wrong_secret_the_summary_names_the_servers_answer() {
    let (errors, _collecting) = collect_errors();
    let mut target = Target::local().await.unwrap();
    target.credentials = sls_producer_tokio::Credentials::new("quickstart-id", "wrong-secret");
    let config = ProducerConfig::new(&target.endpoint)
        .with_retry_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .with_delivery_timeout(Duration::from_millis(300));
    let summary = quickstart::run(&target, config, 100, &ProgressBar::hidden(), &errors)
        .await
        .unwrap();
    assert_eq!((summary.delivered, summary.failed), (0, 100));
    let printed = summary.to_string();
    assert!(
        printed.contains(
            "failed      100 logs in 1 batch; last error (1 of them): 401 SignatureNotMatch: "
        ),
        "{printed}"
    );
    assert!(!printed.contains("wrong-secret"), "{printed}");
    target.shutdown().await;
}
