//! Durable storage of sealed batches: the seam between the producer and a disk spool.
//!
//! The core does no I/O, so it only defines what it needs from storage ([`BatchStore`])
//! and the record it stores ([`SpooledBatch`]); the native runtime crates implement the
//! trait on top of `sls-producer-spool`, running every call on their blocking pools
//! (never on the async executor, never under the engine's lock).
//!
//! With a store, the driver writes each sealed, compressed batch before its first attempt
//! (the body as it will be sent, so replay needs no re-encoding and keeps its pack id),
//! acknowledges it once it is delivered or given up for good, and at start-up hands the
//! batches an earlier run left behind to the engine, which sends them before any new one.
//! A batch given up only because the producer closed ([`DeliveryFailure::Closed`]) stays
//! stored: the next run sends it. Delivery is therefore **at least once**: a batch the
//! server stored just before a crash, whose acknowledgement did not reach the disk, is
//! sent again by the next run, with the same `__pack_id__` tag.
//!
//! During a long outage, the bodies of written batches waiting for a retry leave memory
//! when the memory budget is short and are read back ([`BatchStore::read`]) before their
//! next attempt, so the application keeps sending until the store is full, not until
//! the budget is.
//!
//! [`DeliveryFailure::Closed`]: crate::engine::DeliveryFailure::Closed

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::engine::Route;
use crate::protocol::compress::Compression;
use crate::protocol::shard::ShardKey;
use crate::rt::{BoxFuture, Bytes, MaybeSend, MaybeSync};

/// Where a store keeps a batch: the key it is acknowledged by. Keys increase in write
/// order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreKey(pub u64);

/// A sealed batch as a store keeps it: the compressed body exactly as sent and what is
/// needed to send it again.
#[derive(Clone, PartialEq, Eq)]
pub struct SpooledBatch {
    /// Where the batch goes (project, logstore, topic, source, shard key).
    pub route: Route,
    /// How `body` is compressed.
    pub compression: Compression,
    /// Bytes of the uncompressed LogGroup (`x-log-bodyrawsize`).
    pub raw_len: usize,
    /// Logs in the batch.
    pub logs: u32,
    /// The request body as sent (its LogGroup carries the batch's `__pack_id__`).
    pub body: Bytes,
}

/// `Debug` shows sizes and the route, never log contents.
impl fmt::Debug for SpooledBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpooledBatch")
            .field("route", &self.route)
            .field("compression", &self.compression)
            .field("raw_len", &self.raw_len)
            .field("logs", &self.logs)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Version of the [`SpooledBatch::encode_meta`] layout.
const META_VERSION: u8 = 1;

impl SpooledBatch {
    /// The batch's metadata (everything but the body) as bytes for a store to keep next
    /// to the body: version, compression, raw size, log count and the route's names.
    pub fn encode_meta(&self) -> Vec<u8> {
        let r = &self.route;
        let mut out = Vec::with_capacity(32 + r.project().len() + r.logstore().len());
        out.push(META_VERSION);
        out.push(match self.compression {
            Compression::None => 0,
            Compression::Lz4 => 1,
            Compression::Zstd => 2,
        });
        out.extend_from_slice(&(self.raw_len as u64).to_le_bytes());
        out.extend_from_slice(&self.logs.to_le_bytes());
        let shard = r.shard_key();
        out.push(u8::from(shard.is_some()));
        for text in [r.project(), r.logstore(), r.topic(), r.source()]
            .into_iter()
            .chain(shard)
        {
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        out
    }

    /// The batch `meta` (from [`encode_meta`](Self::encode_meta)) and `body` describe.
    ///
    /// # Errors
    ///
    /// [`MetaError`] if `meta` is not a metadata record this version wrote (another
    /// version, truncated, an invalid name).
    pub fn decode(meta: &[u8], body: Bytes) -> Result<Self, MetaError> {
        let mut r = Reader(meta);
        if r.u8()? != META_VERSION {
            return Err(MetaError("unknown metadata version"));
        }
        let compression = match r.u8()? {
            0 => Compression::None,
            1 => Compression::Lz4,
            2 => Compression::Zstd,
            _ => return Err(MetaError("unknown compression")),
        };
        let raw_len = usize::try_from(r.u64()?).map_err(|_| MetaError("raw size too large"))?;
        let logs = r.u32()?;
        let has_shard = r.u8()? == 1;
        let (project, logstore) = (r.text()?, r.text()?);
        let (topic, source) = (r.text()?, r.text()?);
        let mut route = Route::new(project, logstore)
            .map_err(|_| MetaError("invalid project or logstore name"))?
            .with_topic(topic)
            .with_source(source);
        if has_shard {
            route = route.with_shard_key(ShardKey::exact(r.text()?));
        }
        if !r.0.is_empty() {
            return Err(MetaError("trailing bytes"));
        }
        Ok(Self {
            route,
            compression,
            raw_len,
            logs,
            body,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MetaError> {
        if self.0.len() < n {
            return Err(MetaError("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, MetaError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, MetaError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, MetaError> {
        let mut a = [0; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    fn text(&mut self) -> Result<&'a str, MetaError> {
        let len = self.u32()? as usize;
        core::str::from_utf8(self.take(len)?).map_err(|_| MetaError("a name is not UTF-8"))
    }
}

/// Batch metadata that [`SpooledBatch::decode`] cannot read; says what is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetaError(pub &'static str);

impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable spooled batch metadata: {}", self.0)
    }
}

impl core::error::Error for MetaError {}

/// What went wrong in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// Another producer holds the store (its directory is locked).
    Locked,
    /// The store is at its size cap and refuses new batches (`WhenFull::Refuse`).
    Full,
    /// The storage failed: a read-only or missing directory, a full disk, an I/O error.
    Io,
    /// The store's configuration is invalid.
    Config,
}

/// A store operation failed: its kind and a message naming the file or limit involved
/// (never log contents or secrets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    /// What kind of failure.
    pub kind: StoreErrorKind,
    /// What happened, for people.
    pub message: String,
}

impl StoreError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for StoreError {}

/// A batch written by [`BatchStore::append`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Its key, for [`BatchStore::ack`].
    pub key: StoreKey,
    /// Older batches the store deleted to make room (`WhenFull::DropOldest`): they will
    /// not be replayed; the producer counts those it no longer holds in memory as lost.
    pub dropped: Vec<StoreKey>,
}

/// A body for [`BatchStore::read`] to read back.
#[derive(Debug, PartialEq, Eq)]
pub struct BodyRead {
    /// The batch's record.
    pub key: StoreKey,
    /// The buffer to read the body into: empty, with the capacity of the body as it was
    /// written. The producer allocates it where it charges the body to the memory
    /// budget; a store that reads into it allocates nothing as large on its own threads,
    /// whose allocators would keep the freed bodies apart from the producer's.
    pub into: Vec<u8>,
}

/// What an opened store found from earlier runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Batches waiting to be sent again.
    pub batches: u64,
    /// Records skipped because they failed their checksum (damaged or torn by a crash).
    pub corrupt: u64,
}

/// Durable storage of sealed batches, for [`ProducerBuilder::with_store`].
///
/// Each method returns a future the driver polls; an implementation does its blocking
/// I/O on a blocking pool (tokio's `spawn_blocking`, smol's `unblock`), never on the
/// executor. The driver runs one operation at a time, so calls never overlap and appends
/// reach the store in seal order (which is order per route).
///
/// [`ProducerBuilder::with_store`]: crate::ProducerBuilder::with_store
pub trait BatchStore: MaybeSend + MaybeSync {
    /// What the store found at open.
    fn recovered(&self) -> Recovered;

    /// Write `batches`, in order, each durably as the store's policy says, before the
    /// future completes: one result per batch, in the same order.
    fn append(
        &self,
        batches: Vec<SpooledBatch>,
    ) -> BoxFuture<'static, Vec<Result<Written, StoreError>>>;

    /// Forget the batches of `keys`: delivered, or given up for good.
    fn ack(&self, keys: Vec<StoreKey>) -> BoxFuture<'static, Result<(), StoreError>>;

    /// The next (at most `max`) batches left by earlier runs, oldest first; an empty list
    /// once all were handed out. A record that cannot be read back is skipped (counted in
    /// `skipped`) and acknowledged.
    fn replay(&self, max: usize) -> BoxFuture<'static, Replay>;

    /// The bodies of the batches of `reads` (written by this run and not acknowledged),
    /// verified, in the same order, each read into its [`BodyRead::into`]: the producer
    /// dropped them from memory while they waited during an outage and reads them back
    /// before their next attempt. A record that cannot be read back is an error (the
    /// batch then fails), never a panic.
    fn read(&self, reads: Vec<BodyRead>) -> BoxFuture<'static, Vec<Result<Bytes, StoreError>>>;
}

/// Batches from [`BatchStore::replay`].
#[derive(Debug, Default)]
pub struct Replay {
    /// The batches, oldest first.
    pub batches: Vec<(StoreKey, SpooledBatch)>,
    /// Records skipped since the last call: their body or metadata could not be read.
    pub skipped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_every_route_field_and_rejects_damage() {
        let route = Route::new("proj", "store")
            .unwrap()
            .with_topic("topic")
            .with_source("10.0.0.1")
            .with_shard_key(ShardKey::exact("0123456789abcdef0123456789abcdef"));
        for (route, compression) in [
            (route.clone(), Compression::Zstd),
            (route.without_shard_key(), Compression::None),
        ] {
            let batch = SpooledBatch {
                route,
                compression,
                raw_len: 123_456,
                logs: 42,
                body: Bytes::from_static(b"body"),
            };
            let meta = batch.encode_meta();
            assert_eq!(SpooledBatch::decode(&meta, batch.body.clone()), Ok(batch));
            for cut in 0..meta.len() {
                assert!(SpooledBatch::decode(&meta[..cut], Bytes::new()).is_err());
            }
            let mut longer = meta.clone();
            longer.push(0);
            assert_eq!(
                SpooledBatch::decode(&longer, Bytes::new()),
                Err(MetaError("trailing bytes"))
            );
            let mut other_version = meta;
            other_version[0] = 9;
            assert!(SpooledBatch::decode(&other_version, Bytes::new()).is_err());
        }
    }
}
