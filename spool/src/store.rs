//! The spool as a producer's [`BatchStore`] (feature `producer`): the runtime crates'
//! `with_spool` opens one, giving it their blocking pool ([`Unblock`]) and clock.

use core::time::Duration;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use sls_producer_core::durable::{
    BatchStore, BodyRead, Recovered, Replay, SpooledBatch, StoreError, StoreErrorKind, StoreKey,
    Written,
};
use sls_producer_core::rt::{BoxFuture, Bytes, Clock, Instant};

use crate::{AppendError, Durability, Seq, Spool, SpoolConfig, SpoolError};

/// Runs blocking work off the async executor: tokio's `spawn_blocking`, smol's
/// `unblock`.
pub trait Unblock: Send + Sync + 'static {
    /// Run `work` on the blocking pool; the future resolves to its result.
    fn unblock<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> BoxFuture<'static, T>;
}

/// A [`Spool`] serving a producer: every call runs on `U`'s blocking pool.
pub struct SpoolStore<U> {
    inner: Arc<Mutex<Inner>>,
    recovered: Recovered,
    unblock: U,
}

struct Inner {
    spool: Spool,
    /// Batches of earlier runs not handed out yet, oldest first.
    replay: VecDeque<Seq>,
    clock: Arc<dyn Clock>,
    /// With [`Durability::Interval`]: the period, and when the spool was last synced.
    interval: Option<(Duration, Instant)>,
    /// With [`Durability::PerBatch`]: sync once after each write of several batches
    /// (group commit) instead of after each batch.
    sync_each_write: bool,
}

/// The period the spool is opened with under [`Durability::PerBatch`]: the store syncs
/// after every write itself, and the spool only syncs segments it closes (and the
/// directory for new ones), never on this period.
const GROUP_COMMIT_PERIOD: Duration = Duration::from_secs(3600);

impl<U: Unblock> SpoolStore<U> {
    /// Open the spool `config` describes (blocking: call it at start-up), reading what
    /// earlier runs left. `clock` times [`Durability::Interval`] syncs, which happen when
    /// the producer next writes or acknowledges once the interval has passed.
    ///
    /// # Errors
    ///
    /// As [`Spool::open`], as a [`StoreError`]: [`StoreErrorKind::Locked`] if another
    /// producer holds the directory, [`StoreErrorKind::Io`] if it cannot be created, read
    /// or written, [`StoreErrorKind::Config`] for an invalid configuration.
    pub fn open(
        mut config: SpoolConfig,
        unblock: U,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let interval = match config.durability() {
            Durability::Interval(period) => Some((period, clock.now())),
            Durability::PerBatch | Durability::Os => None,
        };
        let sync_each_write = config.durability() == Durability::PerBatch;
        if sync_each_write {
            config = config.with_durability(Durability::Interval(GROUP_COMMIT_PERIOD));
        }
        let (spool, recovery) = Spool::open(config).map_err(store_error)?;
        let mut seqs: Vec<Seq> = recovery.batches.iter().map(|b| b.seq).collect();
        seqs.sort_unstable();
        let recovered = Recovered {
            batches: seqs.len() as u64,
            corrupt: recovery.damage.len() as u64,
        };
        Ok(Self {
            inner: Arc::new(Mutex::new(Inner {
                spool,
                replay: seqs.into(),
                clock,
                interval,
                sync_each_write,
            })),
            recovered,
            unblock,
        })
    }

    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Inner) -> T + Send + 'static,
    ) -> BoxFuture<'static, T> {
        let inner = self.inner.clone();
        self.unblock.unblock(move || {
            let mut inner = inner.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut inner)
        })
    }
}

impl<U: Unblock> BatchStore for SpoolStore<U> {
    fn recovered(&self) -> Recovered {
        self.recovered
    }

    /// With [`Durability::PerBatch`], every batch of the call is on disk when its result
    /// is `Ok`: one sync covers them all (group commit); if it fails, they all fail.
    fn append(
        &self,
        batches: Vec<SpooledBatch>,
    ) -> BoxFuture<'static, Vec<Result<Written, StoreError>>> {
        self.run(move |inner| {
            let mut results: Vec<Result<Written, StoreError>> = batches
                .iter()
                .map(|batch| {
                    let appended = inner
                        .spool
                        .append(&batch.encode_meta(), &batch.body)
                        .map_err(append_error)?;
                    inner.replay.retain(|seq| !appended.dropped.contains(seq));
                    Ok(Written {
                        key: StoreKey(appended.seq.0),
                        dropped: appended.dropped.iter().map(|s| StoreKey(s.0)).collect(),
                    })
                })
                .collect();
            let synced = if inner.sync_each_write && results.iter().any(Result::is_ok) {
                inner.spool.sync()
            } else {
                Ok(())
            };
            if let Err(e) = synced {
                let error = store_error(e);
                for result in &mut results {
                    if let Ok(written) = result {
                        // Not durable: its batch fails now, so it must not come back.
                        let _ = inner.spool.ack(Seq(written.key.0));
                        *result = Err(error.clone());
                    }
                }
            }
            inner.sync_if_due();
            results
        })
    }

    fn ack(&self, keys: Vec<StoreKey>) -> BoxFuture<'static, Result<(), StoreError>> {
        self.run(move |inner| {
            let mut first_error = None;
            for key in keys {
                match inner.spool.ack(Seq(key.0)) {
                    // Dropped to make room meanwhile: nothing left to acknowledge.
                    Ok(()) | Err(SpoolError::UnknownSeq(_)) => {}
                    Err(e) => {
                        first_error.get_or_insert(store_error(e));
                    }
                }
            }
            inner.sync_if_due();
            first_error.map_or(Ok(()), Err)
        })
    }

    fn replay(&self, max: usize) -> BoxFuture<'static, Replay> {
        self.run(move |inner| {
            let mut replay = Replay::default();
            while replay.batches.len() < max {
                let Some(seq) = inner.replay.pop_front() else {
                    break;
                };
                let batch = inner
                    .spool
                    .read(seq)
                    .map_err(store_error)
                    .and_then(|stored| {
                        SpooledBatch::decode(&stored.meta, Bytes::from(stored.body))
                            .map_err(|e| StoreError::new(StoreErrorKind::Io, e.to_string()))
                    });
                match batch {
                    Ok(batch) => replay.batches.push((StoreKey(seq.0), batch)),
                    Err(_) => {
                        // Unreadable: counted, and acknowledged so it is not met again.
                        replay.skipped += 1;
                        let _ = inner.spool.ack(seq);
                    }
                }
            }
            replay
        })
    }

    /// Each body is read into the buffer the producer sized for it (the metadata, small,
    /// into one scratch buffer): this blocking pool's threads allocate no body.
    fn read(&self, reads: Vec<BodyRead>) -> BoxFuture<'static, Vec<Result<Bytes, StoreError>>> {
        self.run(move |inner| {
            let mut meta = Vec::new();
            reads
                .into_iter()
                .map(|BodyRead { key, mut into }| {
                    inner
                        .spool
                        .read_into(Seq(key.0), &mut meta, &mut into)
                        .map_err(store_error)?;
                    Ok(Bytes::from(into))
                })
                .collect()
        })
    }
}

impl Inner {
    /// With [`Durability::Interval`], sync once the period has passed since the last sync.
    fn sync_if_due(&mut self) {
        let Some((period, last)) = self.interval else {
            return;
        };
        let now = self.clock.now();
        if now.saturating_duration_since(last) >= period {
            // A failed sync is retried at the next call; the writes stay in the page cache.
            if self.spool.sync().is_ok() {
                self.interval = Some((period, now));
            }
        }
    }
}

fn store_error(e: SpoolError) -> StoreError {
    let kind = match e {
        SpoolError::Locked { .. } => StoreErrorKind::Locked,
        SpoolError::Config(_) => StoreErrorKind::Config,
        _ => StoreErrorKind::Io,
    };
    StoreError::new(kind, e.to_string())
}

fn append_error(e: AppendError) -> StoreError {
    match e {
        AppendError::Io(e) => store_error(e),
        e @ (AppendError::Full { .. } | AppendError::TooLarge { .. }) => {
            StoreError::new(StoreErrorKind::Full, e.to_string())
        }
    }
}
