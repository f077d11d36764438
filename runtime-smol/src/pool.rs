//! Keep-alive: idle HTTP/1.1 connections per `scheme://authority`.

use core::time::Duration;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use sls_producer_core::rt::Scheme;

/// Where a connection goes: requests may share it only if both match.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    pub(crate) scheme: Scheme,
    pub(crate) authority: String,
}

/// What the pool holds: something that can tell whether it is still usable.
pub(crate) trait Reusable {
    /// `true` once the connection can never carry another request.
    fn is_closed(&self) -> bool;
}

impl<B> Reusable for hyper::client::conn::http1::SendRequest<B> {
    fn is_closed(&self) -> bool {
        Self::is_closed(self)
    }
}

/// Idle connections, most recently used last. Connections past the idle timeout or
/// closed by the server are dropped (closing them) lazily, whenever the pool is used.
#[derive(Debug)]
pub(crate) struct Pool<C> {
    idle: Mutex<HashMap<PoolKey, Vec<Idle<C>>>>,
    max_idle_per_key: usize,
    idle_timeout: Duration,
}

#[derive(Debug)]
struct Idle<C> {
    connection: C,
    since: Instant,
}

impl<C> Idle<C> {
    fn usable(&self, now: Instant, idle_timeout: Duration) -> bool
    where
        C: Reusable,
    {
        now.saturating_duration_since(self.since) < idle_timeout && !self.connection.is_closed()
    }
}

impl<C: Reusable> Pool<C> {
    pub(crate) fn new(max_idle_per_key: usize, idle_timeout: Duration) -> Self {
        Self {
            idle: Mutex::new(HashMap::new()),
            max_idle_per_key,
            idle_timeout,
        }
    }

    /// The most recently used idle connection for `key` that is still usable at `now`.
    pub(crate) fn checkout(&self, key: &PoolKey, now: Instant) -> Option<C> {
        let mut idle = self.lock();
        let entries = idle.get_mut(key)?;
        let mut found = None;
        while let Some(entry) = entries.pop() {
            if entry.usable(now, self.idle_timeout) {
                found = Some(entry.connection);
                break;
            }
        }
        if entries.is_empty() {
            idle.remove(key);
        }
        found
    }

    /// Offer `connection` for reuse after a complete exchange at `now`. Also drops every
    /// idle connection that is no longer usable.
    pub(crate) fn checkin(&self, key: PoolKey, connection: C, now: Instant) {
        let mut idle = self.lock();
        idle.retain(|_, entries| {
            entries.retain(|e| e.usable(now, self.idle_timeout));
            !entries.is_empty()
        });
        if self.max_idle_per_key == 0 || connection.is_closed() {
            return;
        }
        let entries = idle.entry(key).or_default();
        if entries.len() < self.max_idle_per_key {
            entries.push(Idle {
                connection,
                since: now,
            });
        }
    }

    /// Idle connections held for `key`.
    #[cfg(test)]
    fn idle_count(&self, key: &PoolKey) -> usize {
        self.lock().get(key).map_or(0, Vec::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PoolKey, Vec<Idle<C>>>> {
        // The map stays consistent even if a holder panicked: every update is one call.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// A fake connection whose closedness the test controls.
    #[derive(Clone, Debug)]
    struct Conn(u32, Arc<AtomicBool>);

    impl Conn {
        fn open(id: u32) -> Self {
            Self(id, Arc::new(AtomicBool::new(false)))
        }
    }

    impl Reusable for Conn {
        fn is_closed(&self) -> bool {
            self.1.load(Ordering::SeqCst)
        }
    }

    fn key(authority: &str) -> PoolKey {
        PoolKey {
            scheme: Scheme::Https,
            authority: authority.into(),
        }
    }

    fn t0() -> Instant {
        crate::runtime::monotonic_now()
    }

    #[test]
    fn reuses_the_most_recently_used_connection_of_the_same_key() {
        let pool = Pool::new(8, Duration::from_secs(55));
        let now = t0();
        pool.checkin(key("a:443"), Conn::open(1), now);
        pool.checkin(key("a:443"), Conn::open(2), now);
        pool.checkin(key("b:443"), Conn::open(3), now);

        assert_eq!(pool.checkout(&key("a:443"), now).map(|c| c.0), Some(2));
        assert_eq!(pool.checkout(&key("a:443"), now).map(|c| c.0), Some(1));
        assert!(pool.checkout(&key("a:443"), now).is_none());
        let http = PoolKey {
            scheme: Scheme::Http,
            authority: "b:443".into(),
        };
        assert!(
            pool.checkout(&http, now).is_none(),
            "scheme is part of the key"
        );
        assert_eq!(pool.checkout(&key("b:443"), now).map(|c| c.0), Some(3));
    }

    #[test]
    fn expired_and_closed_connections_are_not_handed_out() {
        let pool = Pool::new(8, Duration::from_secs(55));
        let now = t0();
        let closed = Conn::open(1);
        pool.checkin(key("a"), Conn::open(0), now);
        pool.checkin(key("a"), closed.clone(), now + Duration::from_secs(10));
        closed.1.store(true, Ordering::SeqCst);

        // Conn 1 is closed; conn 0 has been idle for exactly the timeout.
        assert!(
            pool.checkout(&key("a"), now + Duration::from_secs(55))
                .is_none()
        );
        assert_eq!(pool.idle_count(&key("a")), 0);

        pool.checkin(key("a"), Conn::open(2), now);
        assert_eq!(
            pool.checkout(&key("a"), now + Duration::from_secs(54))
                .map(|c| c.0),
            Some(2)
        );
    }

    #[test]
    fn checkin_respects_the_per_key_limit_and_sweeps_stale_entries() {
        let pool = Pool::new(2, Duration::from_secs(55));
        let now = t0();
        for id in 0..3 {
            pool.checkin(key("a"), Conn::open(id), now);
        }
        assert_eq!(pool.idle_count(&key("a")), 2);

        // A later checkin for another key drops the expired ones.
        pool.checkin(key("b"), Conn::open(9), now + Duration::from_secs(60));
        assert_eq!(pool.idle_count(&key("a")), 0);
        assert_eq!(pool.idle_count(&key("b")), 1);
    }

    #[test]
    fn zero_idle_limit_keeps_nothing() {
        let pool = Pool::new(0, Duration::from_secs(55));
        pool.checkin(key("a"), Conn::open(1), t0());
        assert!(pool.checkout(&key("a"), t0()).is_none());
    }
}
