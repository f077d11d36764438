//! The spool's errors: each names the file and the operation, and keeps the OS error as
//! its source.

use core::fmt;
use std::io;
use std::path::PathBuf;

use crate::Seq;
use crate::config::ConfigError;

/// The file operation that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// Creating the spool's directory.
    CreateDir,
    /// Creating or locking the lock file.
    Lock,
    /// Listing the directory.
    List,
    /// Creating a segment or ack file.
    Create,
    /// Reading a file.
    Read,
    /// Writing a file.
    Write,
    /// Forcing a file to disk.
    Sync,
    /// Deleting or renaming a file.
    Remove,
}

impl Op {
    fn verb(self) -> &'static str {
        match self {
            Self::CreateDir => "create the directory",
            Self::Lock => "lock",
            Self::List => "list",
            Self::Create => "create",
            Self::Read => "read",
            Self::Write => "write to",
            Self::Sync => "sync",
            Self::Remove => "remove",
        }
    }
}

/// What went wrong opening or using a spool.
#[derive(Debug)]
#[non_exhaustive]
pub enum SpoolError {
    /// The configuration cannot work.
    Config(ConfigError),
    /// Another spool (in this process or another) holds the directory's lock file.
    Locked {
        /// The directory.
        dir: PathBuf,
    },
    /// A file operation failed (a full disk, a read-only directory, a missing permission).
    Io {
        /// What the spool was doing.
        op: Op,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A segment file written by another version of the spool format.
    UnknownFormat {
        /// The segment file.
        path: PathBuf,
        /// The version it declares.
        version: u32,
    },
    /// A batch the spool holds no longer verifies on disk (it was damaged after it was
    /// written).
    Damaged {
        /// The segment file.
        path: PathBuf,
        /// The batch.
        seq: Seq,
    },
    /// A sequence number the spool does not hold (never appended, or already
    /// acknowledged or dropped).
    UnknownSeq(Seq),
}

impl SpoolError {
    pub(crate) fn io(op: Op, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { op, path, source }
    }
}

impl fmt::Display for SpoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => e.fmt(f),
            Self::Locked { dir } => write!(
                f,
                "the spool directory {} is in use by another producer (its lock file is held)",
                dir.display()
            ),
            Self::Io { op, path, source } => {
                write!(f, "could not {} {}: {source}", op.verb(), path.display())
            }
            Self::UnknownFormat { path, version } => write!(
                f,
                "{} is a spool segment of format version {version}; this version reads \
                 version {}",
                path.display(),
                crate::segment::VERSION
            ),
            Self::Damaged { path, seq } => write!(
                f,
                "batch {} in {} no longer verifies (damaged on disk)",
                seq.0,
                path.display()
            ),
            Self::UnknownSeq(seq) => write!(f, "the spool holds no batch {}", seq.0),
        }
    }
}

impl core::error::Error for SpoolError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Why [`Spool::append`](crate::Spool::append) did not store a batch. The spool is
/// unchanged (nothing of the batch will be replayed) and usable.
#[derive(Debug)]
#[non_exhaustive]
pub enum AppendError {
    /// The spool is at its cap and [`WhenFull::Refuse`](crate::WhenFull::Refuse) is set.
    Full {
        /// Bytes the batch's record needs.
        needed: u64,
        /// Bytes the spool's files hold now.
        used: u64,
        /// The cap.
        max_bytes: u64,
    },
    /// The record could never fit: larger than the cap, or than the format allows.
    TooLarge {
        /// Bytes the batch's record needs.
        needed: u64,
        /// The most a record may take.
        max: u64,
    },
    /// Writing or syncing failed.
    Io(SpoolError),
}

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full {
                needed,
                used,
                max_bytes,
            } => write!(
                f,
                "the spool is full: {used} of {max_bytes} bytes used, {needed} more needed"
            ),
            Self::TooLarge { needed, max } => write!(
                f,
                "a batch record of {needed} bytes can never fit the spool (at most {max})"
            ),
            Self::Io(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for AppendError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}
