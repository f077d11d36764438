use super::*;

const WALL: u64 = 1_000;

fn expiring_in(secs: u64) -> Credentials {
    Credentials::new("id", "secret").with_expiration(UnixTime::from_secs(WALL + secs))
}

fn at(secs: u64) -> Instant {
    Instant::from_secs(secs)
}

fn wall() -> UnixTime {
    UnixTime::from_secs(WALL)
}

/// A backoff that doubles from one second.
fn doubling(failures: u32) -> Duration {
    Duration::from_secs(1 << (failures - 1))
}

#[test]
fn refresh_happens_before_expiry_but_never_in_a_tight_loop() {
    let now = at(100);
    // One hour left: refresh five minutes before expiry.
    assert_eq!(
        refresh_time(now, wall(), &expiring_in(3600)),
        Some(at(100 + 3300))
    );
    // Two minutes left: refresh at half of it.
    assert_eq!(refresh_time(now, wall(), &expiring_in(120)), Some(at(160)));
    // Already expired: not sooner than a second from now.
    let expired = Credentials::new("id", "s").with_expiration(UnixTime::from_secs(10));
    assert_eq!(refresh_time(now, wall(), &expired), Some(at(101)));
    assert_eq!(
        refresh_time(now, wall(), &Credentials::new("id", "s")),
        None
    );
}

#[test]
fn static_credentials_are_never_fetched() {
    let mut s = RefreshSchedule::fixed();
    s.reject();
    assert_eq!(s.start(at(0)), None);
    assert_eq!(s.start(at(1_000_000)), None);
    assert_eq!(s.deadline(), None);
    assert!(!s.is_provider());
}

#[test]
fn a_provider_is_asked_at_once_then_before_expiry() {
    let mut s = RefreshSchedule::provider();
    assert_eq!(s.deadline(), Some(Instant::ZERO));
    assert_eq!(s.start(at(5)), Some(FetchReason::Scheduled));
    // One fetch at a time.
    assert_eq!(s.start(at(5)), None);
    assert_eq!(s.deadline(), None);
    s.fetched(at(7), wall(), &expiring_in(3600));
    assert_eq!(s.deadline(), Some(at(7 + 3300)));
    assert_eq!(s.start(at(7 + 3299)), None);
    assert_eq!(s.start(at(7 + 3300)), Some(FetchReason::Scheduled));
    // Credentials without expiry are only fetched again after a rejection.
    s.fetched(at(4000), wall(), &Credentials::new("id", "s"));
    assert_eq!(s.deadline(), None);
    assert_eq!(s.start(at(1_000_000)), None);
}

#[test]
fn a_rejection_fetches_at_once_unless_a_failure_cools_down() {
    let mut s = RefreshSchedule::provider();
    assert_eq!(s.start(at(0)), Some(FetchReason::Scheduled));
    s.fetched(at(0), wall(), &Credentials::new("id", "s"));
    s.reject();
    assert_eq!(s.deadline(), Some(Instant::ZERO));
    assert_eq!(s.start(at(10)), Some(FetchReason::Rejected));
    // The fetch fails: the next one waits out the backoff, rejection or not.
    assert_eq!(s.failed(at(10), doubling), (1, Duration::from_secs(1)));
    assert_eq!(s.deadline(), Some(at(11)));
    assert_eq!(s.start(at(10)), None);
    assert_eq!(s.start(at(11)), Some(FetchReason::Rejected));
    assert_eq!(s.failed(at(11), doubling), (2, Duration::from_secs(2)));
    assert_eq!(s.start(at(12)), None);
    assert_eq!(s.start(at(13)), Some(FetchReason::Rejected));
    // Success clears the rejection and the failure count.
    s.fetched(at(13), wall(), &Credentials::new("id", "s"));
    assert_eq!(s.start(at(14)), None);
    s.reject();
    assert_eq!(s.start(at(14)), Some(FetchReason::Rejected));
    assert_eq!(s.failed(at(14), doubling), (1, Duration::from_secs(1)));
}

#[test]
fn a_failed_fetch_waits_at_least_the_minimum_interval() {
    let mut s = RefreshSchedule::provider();
    assert_eq!(s.start(at(3)), Some(FetchReason::Scheduled));
    let (failures, delay) = s.failed(at(3), |_| Duration::ZERO);
    assert_eq!((failures, delay), (1, MIN_REFRESH_INTERVAL));
    assert_eq!(s.deadline(), Some(at(4)));
    assert_eq!(s.start(at(4)), Some(FetchReason::Scheduled));
}
