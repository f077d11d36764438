//! What a spool is opened with: its directory, its size cap, its segment size, when it
//! forces writes to disk, and what it does when full.

use core::fmt;
use core::time::Duration;
use std::path::{Path, PathBuf};

/// When the spool forces what it wrote to stable storage (`fsync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// After every batch, before [`Spool::append`](crate::Spool::append) returns: a batch
    /// the spool accepted survives a power loss. The safest and the slowest.
    PerBatch,
    /// When the owner calls [`Spool::sync`](crate::Spool::sync), which it does on a timer
    /// of this period: a power loss loses at most the last period's batches. A crash of
    /// the process alone loses nothing (the OS holds the writes).
    Interval(Duration),
    /// Never: the OS writes back when it chooses. A crash of the process loses nothing; a
    /// power loss or a kernel panic can lose what the OS had not written yet.
    Os,
}

/// What [`Spool::append`](crate::Spool::append) does when the spool is at its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Refuse the new batch ([`AppendError::Full`](crate::AppendError::Full)): the owner
    /// keeps it in memory or refuses new logs. Nothing already spooled is lost.
    Refuse,
    /// Delete the oldest segment's batches to make room, and name them in
    /// [`Appended::dropped`](crate::Appended::dropped) so the owner reports them lost.
    DropOldest,
}

/// The smallest segment size [`SpoolConfig::with_segment_bytes`] accepts.
pub const MIN_SEGMENT_BYTES: u64 = 64 << 10;

/// The settings of a [`Spool`](crate::Spool).
///
/// | setting | default |
/// |---|---|
/// | directory | required ([`SpoolConfig::new`]) |
/// | `max_bytes` | 1 GiB |
/// | `segment_bytes` | 16 MiB |
/// | `durability` | [`Durability::Interval`] of 1 s |
/// | `when_full` | [`WhenFull::Refuse`] |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    pub(crate) dir: PathBuf,
    pub(crate) max_bytes: u64,
    pub(crate) segment_bytes: u64,
    pub(crate) durability: Durability,
    pub(crate) when_full: WhenFull,
}

impl SpoolConfig {
    /// A spool in `dir` (created if missing) with the defaults above.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            max_bytes: 1 << 30,
            segment_bytes: 16 << 20,
            durability: Durability::Interval(Duration::from_secs(1)),
            when_full: WhenFull::Refuse,
        }
    }

    /// The most bytes the spool's files may hold together (segments and their ack files).
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The size at which the spool starts a new segment file. A segment's space is
    /// reclaimed when every batch in it has been acknowledged, so smaller segments
    /// reclaim sooner and cost more files. At least [`MIN_SEGMENT_BYTES`].
    pub fn with_segment_bytes(mut self, segment_bytes: u64) -> Self {
        self.segment_bytes = segment_bytes;
        self
    }

    /// When writes are forced to disk.
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// What happens to a new batch when the spool is full.
    pub fn with_when_full(mut self, when_full: WhenFull) -> Self {
        self.when_full = when_full;
        self
    }

    /// The spool's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The durability policy.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.segment_bytes < MIN_SEGMENT_BYTES {
            return Err(ConfigError::SegmentTooSmall {
                segment_bytes: self.segment_bytes,
            });
        }
        if self.max_bytes < 2 * self.segment_bytes {
            return Err(ConfigError::CapBelowTwoSegments {
                max_bytes: self.max_bytes,
                segment_bytes: self.segment_bytes,
            });
        }
        if self.durability == Durability::Interval(Duration::ZERO) {
            return Err(ConfigError::ZeroInterval);
        }
        Ok(())
    }
}

/// A [`SpoolConfig`] that cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `segment_bytes` is below [`MIN_SEGMENT_BYTES`].
    SegmentTooSmall {
        /// The value given.
        segment_bytes: u64,
    },
    /// `max_bytes` must hold at least two segments: the one being written and one being
    /// drained.
    CapBelowTwoSegments {
        /// The cap given.
        max_bytes: u64,
        /// The segment size.
        segment_bytes: u64,
    },
    /// [`Durability::Interval`] of zero: use [`Durability::PerBatch`].
    ZeroInterval,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SegmentTooSmall { segment_bytes } => write!(
                f,
                "spool segment_bytes is {segment_bytes}; it must be at least {MIN_SEGMENT_BYTES}"
            ),
            Self::CapBelowTwoSegments {
                max_bytes,
                segment_bytes,
            } => write!(
                f,
                "spool max_bytes is {max_bytes}; it must hold at least two segments of \
                 {segment_bytes} bytes"
            ),
            Self::ZeroInterval => f.write_str(
                "spool durability Interval(0) would sync after every batch: use PerBatch",
            ),
        }
    }
}

impl core::error::Error for ConfigError {}
