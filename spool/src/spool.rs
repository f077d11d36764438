//! The spool: appending batches, reading them back, acknowledging them, and recovering
//! what an earlier run left.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;

use crate::Seq;
use crate::config::{Durability, SpoolConfig, WhenFull};
use crate::error::{AppendError, Op, SpoolError};
use crate::frame::{self, Item};
use crate::record::{self, BATCH_PREFIX};
use crate::recovery::{Damage, DamageKind, Recovered, Recovery};
use crate::segment::{self, Header, SegmentId};

/// Bytes of an acknowledgement's frame.
const ACK_FRAME: u64 = frame::frame_len(9) as u64;

/// Where a batch's frame is.
#[derive(Debug, Clone, Copy)]
struct Location {
    segment: SegmentId,
    offset: u64,
    len: u64,
}

/// A segment's bookkeeping.
#[derive(Debug)]
struct Segment {
    /// Bytes of the segment file.
    len: u64,
    /// Bytes of its ack file.
    ack_len: u64,
    /// Batches in it not yet acknowledged.
    live: usize,
}

/// The segment being appended to.
#[derive(Debug)]
struct Active {
    id: SegmentId,
    file: File,
    /// A write or sync failed: what the file holds past `len` is unknown, so the next
    /// append starts a new segment.
    poisoned: bool,
}

/// A batch stored by [`Spool::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Its sequence number.
    pub seq: Seq,
    /// The batches deleted to make room for it ([`WhenFull::DropOldest`]): the owner
    /// reports them lost. Empty otherwise.
    pub dropped: Vec<Seq>,
}

/// A batch read back by [`Spool::read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBatch {
    /// The metadata it was appended with.
    pub meta: Vec<u8>,
    /// Its body.
    pub body: Vec<u8>,
}

/// A disk spool of batches: see the [crate docs](crate).
///
/// Every method does blocking file I/O: call them where blocking is allowed (a thread of
/// the runtime's blocking pool).
#[derive(Debug)]
pub struct Spool {
    config: SpoolConfig,
    /// Held, and locked, for the spool's life.
    _lock: File,
    segments: BTreeMap<SegmentId, Segment>,
    active: Active,
    /// Every batch not yet acknowledged or dropped.
    index: BTreeMap<Seq, Location>,
    next_seq: u64,
    /// Bytes of all segment and ack files.
    bytes: u64,
    /// Reused for encoding frames.
    scratch: Vec<u8>,
}

impl Spool {
    /// Open the spool in `config`'s directory (creating it if missing): lock it, read
    /// what an earlier run left ([`Recovery`]), delete what is fully acknowledged, and
    /// start a new segment for this run's batches.
    pub fn open(config: SpoolConfig) -> Result<(Self, Recovery), SpoolError> {
        config.validate().map_err(SpoolError::Config)?;
        let dir = config.dir.clone();
        fs::create_dir_all(&dir).map_err(SpoolError::io(Op::CreateDir, &dir))?;
        let lock = lock(&dir)?;
        let mut recovery = Recovery::default();
        let mut segments = BTreeMap::new();
        let mut index = BTreeMap::new();
        let mut next_seq = 0;
        let mut last_id = None;
        for id in segment::list(&dir)? {
            last_id = Some(id);
            let found = recover_segment(&dir, id, &mut recovery)?;
            next_seq = next_seq.max(found.next_seq);
            if found.live.is_empty() {
                remove_if_present(&id.path(&dir))?;
                remove_if_present(&id.ack_path(&dir))?;
                continue;
            }
            for &(seq, location) in &found.live {
                index.insert(seq, location);
            }
            segments.insert(
                id,
                Segment {
                    len: found.len,
                    ack_len: found.ack_len,
                    live: found.live.len(),
                },
            );
        }
        recovery.batches.sort_by_key(|b| b.seq);
        let bytes = segments.values().map(|s| s.len + s.ack_len).sum();
        let id = SegmentId(last_id.map_or(0, |id| id.0 + 1));
        let mut spool = Self {
            active: create_segment(&dir, id, config.durability)?,
            config,
            _lock: lock,
            segments,
            index,
            next_seq,
            bytes,
            scratch: Vec::new(),
        };
        spool.segments.insert(
            id,
            Segment {
                len: segment::HEADER_LEN,
                ack_len: 0,
                live: 0,
            },
        );
        spool.bytes += segment::HEADER_LEN;
        Ok((spool, recovery))
    }

    /// Store a batch: `meta` is whatever the owner needs to resend it (route, pack id,
    /// sizes), `body` its compressed body. With [`Durability::PerBatch`] it is on disk
    /// when this returns.
    ///
    /// On error nothing of the batch is stored (it will not be replayed) and the spool
    /// stays usable.
    pub fn append(&mut self, meta: &[u8], body: &[u8]) -> Result<Appended, AppendError> {
        let payload_len = BATCH_PREFIX + meta.len() + body.len();
        let needed = frame::frame_len(payload_len) as u64;
        let max = (frame::MAX_PAYLOAD as u64)
            .min(self.config.max_bytes - 2 * segment::HEADER_LEN - ACK_FRAME);
        if payload_len > frame::MAX_PAYLOAD || needed > max {
            return Err(AppendError::TooLarge { needed, max });
        }
        let dropped = self.make_room(needed)?;
        let active_len = self.segments[&self.active.id].len;
        if self.active.poisoned
            || (active_len > segment::HEADER_LEN && active_len + needed > self.config.segment_bytes)
        {
            self.rotate().map_err(AppendError::Io)?;
        }
        let seq = Seq(self.next_seq);
        let meta_len = u32::try_from(meta.len()).expect("checked against MAX_PAYLOAD");
        self.scratch.clear();
        frame::encode(
            &mut self.scratch,
            &[&record::batch_prefix(seq, meta_len), meta, body],
        );
        let id = self.active.id;
        let path = id.path(&self.config.dir);
        let written = self
            .active
            .file
            .write_all(&self.scratch)
            .map_err(SpoolError::io(Op::Write, &path));
        let synced = written.and_then(|()| match self.config.durability {
            Durability::PerBatch => self
                .active
                .file
                .sync_data()
                .map_err(SpoolError::io(Op::Sync, &path)),
            Durability::Interval(_) | Durability::Os => Ok(()),
        });
        if let Err(e) = synced {
            // The file may hold part or all of the frame, not known to be on disk: a later
            // run skips it as torn or replays it (at least once). This run forgets it.
            self.active.poisoned = true;
            return Err(AppendError::Io(e));
        }
        self.next_seq += 1;
        let segment = self.segments.get_mut(&id).expect("the active segment");
        self.index.insert(
            seq,
            Location {
                segment: id,
                offset: segment.len,
                len: needed,
            },
        );
        segment.len += needed;
        segment.live += 1;
        self.bytes += needed;
        Ok(Appended { seq, dropped })
    }

    /// Read a batch back (one appended in this run or recovered from an earlier one).
    pub fn read(&self, seq: Seq) -> Result<StoredBatch, SpoolError> {
        let mut batch = StoredBatch {
            meta: Vec::new(),
            body: Vec::new(),
        };
        self.read_into(seq, &mut batch.meta, &mut batch.body)?;
        Ok(batch)
    }

    /// [`Spool::read`] into buffers of the caller's: the metadata into `meta` and the body
    /// into `body`, each cleared first and grown only if its capacity is short. A caller
    /// that knows the body's length sizes `body` for it, and so decides which thread's
    /// allocator holds the body; nothing as large is allocated here. The record is
    /// verified by its checksum before this returns `Ok`.
    pub fn read_into(
        &self,
        seq: Seq,
        meta: &mut Vec<u8>,
        body: &mut Vec<u8>,
    ) -> Result<(), SpoolError> {
        let location = *self.index.get(&seq).ok_or(SpoolError::UnknownSeq(seq))?;
        let path = location.segment.path(&self.config.dir);
        let mut file = File::open(&path).map_err(SpoolError::io(Op::Read, &path))?;
        let mut head = [0; frame::HEADER_LEN + BATCH_PREFIX];
        file.seek(SeekFrom::Start(location.offset))
            .and_then(|_| file.read_exact(&mut head))
            .map_err(SpoolError::io(Op::Read, &path))?;
        let (frame_head, prefix) = head.split_at(frame::HEADER_LEN);
        let prefix: &[u8; BATCH_PREFIX] = prefix.try_into().expect("the prefix's length");
        let lengths = frame::header(frame_head.try_into().expect("the header's length"))
            .filter(|h| frame::frame_len(h.len) as u64 == location.len)
            .zip(record::decode_batch_prefix(prefix).filter(|&(found, _)| found == seq))
            .and_then(|(h, (_, meta_len))| {
                let body_len = h.len.checked_sub(BATCH_PREFIX + meta_len)?;
                Some((h, meta_len, body_len))
            });
        let Some((frame_header, meta_len, body_len)) = lengths else {
            return Err(SpoolError::Damaged { path, seq });
        };
        meta.clear();
        meta.resize(meta_len, 0);
        body.clear();
        body.resize(body_len, 0);
        file.read_exact(meta)
            .and_then(|()| file.read_exact(body))
            .map_err(SpoolError::io(Op::Read, &path))?;
        if !frame::verify(frame_header.len, frame_header.crc, &[prefix, meta, body]) {
            return Err(SpoolError::Damaged { path, seq });
        }
        Ok(())
    }

    /// Acknowledge a batch: SLS accepted it, or the owner gave it up. It is not replayed
    /// by a later run (unless a crash loses the acknowledgement first: acknowledgements
    /// are not synced, so a power loss can cause a duplicate, never a loss). A segment
    /// whose batches are all acknowledged is deleted.
    pub fn ack(&mut self, seq: Seq) -> Result<(), SpoolError> {
        let location = self.index.remove(&seq).ok_or(SpoolError::UnknownSeq(seq))?;
        let id = location.segment;
        let ack_path = id.ack_path(&self.config.dir);
        let segment = self.segments.get_mut(&id).expect("indexed segments exist");
        segment.live -= 1;
        if segment.live == 0 && id != self.active.id {
            return self.delete_segment(id);
        }
        self.scratch.clear();
        frame::encode(&mut self.scratch, &[&record::ack(seq)]);
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&ack_path)
            .and_then(|mut f| f.write_all(&self.scratch))
            .map_err(SpoolError::io(Op::Write, &ack_path))?;
        let n = self.scratch.len() as u64;
        segment.ack_len += n;
        self.bytes += n;
        Ok(())
    }

    /// Force what was appended to disk: for [`Durability::Interval`], the owner calls
    /// this on a timer of that period.
    pub fn sync(&mut self) -> Result<(), SpoolError> {
        let path = self.active.id.path(&self.config.dir);
        self.active.file.sync_data().map_err(|e| {
            self.active.poisoned = true;
            SpoolError::io(Op::Sync, path)(e)
        })
    }

    /// Batches stored and not yet acknowledged or dropped.
    pub fn pending(&self) -> usize {
        self.index.len()
    }

    /// Bytes of the spool's files.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &SpoolConfig {
        &self.config
    }

    /// Delete old segments until a record of `needed` bytes fits under the cap, if the
    /// policy allows; the sequence numbers of the batches deleted.
    fn make_room(&mut self, needed: u64) -> Result<Vec<Seq>, AppendError> {
        let mut dropped = Vec::new();
        // Every batch held may still write its acknowledgement: count those bytes now, so
        // that acknowledging never takes the files past the cap.
        let needed = needed + ACK_FRAME;
        while self.bytes + self.index.len() as u64 * ACK_FRAME + needed > self.config.max_bytes {
            let full = AppendError::Full {
                needed,
                used: self.bytes,
                max_bytes: self.config.max_bytes,
            };
            if self.config.when_full == WhenFull::Refuse {
                return Err(full);
            }
            let oldest = *self.segments.keys().next().expect("the active segment");
            if oldest == self.active.id {
                if self.segments[&oldest].live == 0 {
                    return Err(full);
                }
                self.rotate().map_err(AppendError::Io)?;
            }
            let seqs: Vec<Seq> = self
                .index
                .iter()
                .filter(|(_, l)| l.segment == oldest)
                .map(|(s, _)| *s)
                .collect();
            for seq in &seqs {
                self.index.remove(seq);
            }
            dropped.extend(seqs);
            self.delete_segment(oldest).map_err(AppendError::Io)?;
        }
        Ok(dropped)
    }

    /// Close the active segment and start the next one.
    fn rotate(&mut self) -> Result<(), SpoolError> {
        let old = self.active.id;
        let next = SegmentId(old.0 + 1);
        if self.config.durability != Durability::Os && !self.active.poisoned {
            self.sync()?;
        }
        self.active = create_segment(&self.config.dir, next, self.config.durability)?;
        self.segments.insert(
            next,
            Segment {
                len: segment::HEADER_LEN,
                ack_len: 0,
                live: 0,
            },
        );
        self.bytes += segment::HEADER_LEN;
        if self.segments[&old].live == 0 {
            self.delete_segment(old)?;
        }
        Ok(())
    }

    fn delete_segment(&mut self, id: SegmentId) -> Result<(), SpoolError> {
        let dir = &self.config.dir;
        remove(&id.path(dir))?;
        remove_if_present(&id.ack_path(dir))?;
        let segment = self.segments.remove(&id).expect("deleting a known segment");
        self.bytes -= segment.len + segment.ack_len;
        Ok(())
    }
}

fn lock(dir: &Path) -> Result<File, SpoolError> {
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(SpoolError::io(Op::Lock, &path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(SpoolError::Locked {
            dir: dir.to_path_buf(),
        }),
        Err(TryLockError::Error(e)) => Err(SpoolError::io(Op::Lock, path)(e)),
    }
}

fn create_segment(dir: &Path, id: SegmentId, durability: Durability) -> Result<Active, SpoolError> {
    let path = id.path(dir);
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(SpoolError::io(Op::Create, &path))?;
    file.write_all(&segment::header())
        .map_err(SpoolError::io(Op::Write, &path))?;
    if durability != Durability::Os {
        file.sync_data().map_err(SpoolError::io(Op::Sync, &path))?;
        sync_dir(dir)?;
    }
    Ok(Active {
        id,
        file,
        poisoned: false,
    })
}

/// Make a new file's directory entry durable (POSIX: syncing the file does not).
fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(SpoolError::io(Op::Sync, dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn remove(path: &Path) -> Result<(), SpoolError> {
    fs::remove_file(path).map_err(SpoolError::io(Op::Remove, path))
}

fn remove_if_present(path: &Path) -> Result<(), SpoolError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other.map_err(SpoolError::io(Op::Remove, path)),
    }
}

/// What one segment of an earlier run holds.
struct Found {
    len: u64,
    ack_len: u64,
    /// Its unacknowledged batches.
    live: Vec<(Seq, Location)>,
    /// One past the largest sequence number in it.
    next_seq: u64,
}

fn read_file(path: &Path) -> Result<Option<Vec<u8>>, SpoolError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SpoolError::io(Op::Read, path)(e)),
    }
}

fn recover_segment(
    dir: &Path,
    id: SegmentId,
    recovery: &mut Recovery,
) -> Result<Found, SpoolError> {
    let path = id.path(dir);
    let bytes = read_file(&path)?.unwrap_or_default();
    let mut found = Found {
        len: bytes.len() as u64,
        ack_len: 0,
        live: Vec::new(),
        next_seq: 0,
    };
    let whole = 0..bytes.len() as u64;
    match segment::check_header(&bytes) {
        Header::Ours => {}
        Header::Short => {
            recovery.damage.push(Damage {
                path,
                range: whole,
                kind: DamageKind::Empty,
            });
            return Ok(found);
        }
        Header::Foreign => {
            let aside = path.with_extension("foreign");
            fs::rename(&path, &aside).map_err(SpoolError::io(Op::Remove, &path))?;
            recovery.damage.push(Damage {
                path: aside,
                range: whole,
                kind: DamageKind::Foreign,
            });
            found.len = 0;
            return Ok(found);
        }
        Header::Version(version) => return Err(SpoolError::UnknownFormat { path, version }),
    }
    let ack_path = id.ack_path(dir);
    let acks = read_file(&ack_path)?.unwrap_or_default();
    found.ack_len = acks.len() as u64;
    let mut acked = std::collections::BTreeSet::new();
    for item in frame::read_all(&acks) {
        match item {
            Item::Frame { payload, .. } => acked.extend(record::decode_ack(&acks[payload])),
            Item::Damage(d) => recovery
                .damage
                .push(damage(&ack_path, 0, d, DamageKind::Acks)),
        }
    }
    let base = segment::HEADER_LEN as usize;
    for item in frame::read_all(&bytes[base..]) {
        match item {
            Item::Frame { offset, payload } => {
                let payload = &bytes[base + payload.start..base + payload.end];
                let Some(batch) = record::decode_batch(payload) else {
                    continue;
                };
                found.next_seq = found.next_seq.max(batch.seq.0 + 1);
                if acked.contains(&batch.seq) {
                    continue;
                }
                let location = Location {
                    segment: id,
                    offset: (base + offset) as u64,
                    len: frame::frame_len(payload.len()) as u64,
                };
                found.live.push((batch.seq, location));
                recovery.batches.push(Recovered {
                    seq: batch.seq,
                    meta: batch.meta.to_vec(),
                    body_len: batch.body.len(),
                });
            }
            Item::Damage(d) => {
                let kind = match d {
                    frame::Damage::Corrupt(_) => DamageKind::Corrupt,
                    frame::Damage::Torn(_) => DamageKind::Torn,
                };
                recovery.damage.push(damage(&path, base, d, kind));
            }
        }
    }
    Ok(found)
}

fn damage(path: &Path, base: usize, d: frame::Damage, kind: DamageKind) -> Damage {
    let (frame::Damage::Corrupt(r) | frame::Damage::Torn(r)) = d;
    Damage {
        path: path.to_path_buf(),
        range: (base + r.start) as u64..(base + r.end) as u64,
        kind,
    }
}
