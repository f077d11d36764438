//! The open batch's body in the wire's format: a protobuf `LogGroup` (PutLogs) or a
//! web-tracking JSON body, each written straight into the batch's buffer.

use alloc::vec::Vec;

use super::log_groups::LogGroups;
use crate::config::WireMode;
use crate::protocol::proto::{self, Log, LogGroupEncoder};
use crate::protocol::request::TrackEncoder;

/// What a batch's body is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// A protobuf `LogGroup` (never without the `signing` feature: see [`LogGroups`]).
    LogGroup(LogGroups),
    /// A web-tracking JSON body.
    Track,
}

impl Format {
    /// The format of `mode`'s requests.
    pub(crate) fn of(mode: WireMode) -> Self {
        match mode {
            WireMode::PutLogs => match LogGroups::compiled() {
                Some(groups) => Self::LogGroup(groups),
                None => unreachable!("PutLogs needs the `signing` feature (validated)"),
            },
            WireMode::WebTracking(_) => Self::Track,
        }
    }

    /// The proof that this is [`Format::LogGroup`]: batches go out as PutLogs, signed.
    /// Always `None` without the `signing` feature, so what follows from it is not linked.
    pub(crate) fn log_groups(self) -> Option<LogGroups> {
        match self {
            Self::LogGroup(groups) => Some(groups),
            Self::Track => None,
        }
    }

    /// Bytes `log` adds to a body.
    pub(crate) fn log_len(self, log: &Log) -> usize {
        match self {
            Self::LogGroup(_) => log.entry_len(),
            Self::Track => TrackEncoder::log_entry_len(log),
        }
    }

    /// Bytes a log of these parts adds to a body.
    pub(crate) fn parts_len<K: AsRef<str>, V: AsRef<str>>(
        self,
        time: u32,
        time_ns: Option<u32>,
        contents: &[(K, V)],
    ) -> usize {
        match self {
            Self::LogGroup(_) => LogGroupEncoder::encoded_parts_len(time, time_ns, contents),
            Self::Track => TrackEncoder::entry_len(time, pairs(contents)),
        }
    }

    /// Bytes `tags` take in a body.
    pub(crate) fn tags_len<'a>(self, tags: impl Iterator<Item = (&'a str, &'a str)>) -> usize {
        match self {
            Self::LogGroup(_) => proto::tags_len(tags),
            Self::Track => TrackEncoder::tags_len(tags),
        }
    }

    /// Bytes finishing a body appends: topic, source, and tags of `tags_len` bytes.
    pub(crate) fn trailer_len(self, topic: &str, source: &str, tags_len: usize) -> usize {
        match self {
            Self::LogGroup(_) => proto::trailer_len_with(topic, source, tags_len),
            Self::Track => TrackEncoder::trailer_len_with(topic, source, tags_len),
        }
    }
}

fn pairs<K: AsRef<str>, V: AsRef<str>>(
    contents: &[(K, V)],
) -> impl Iterator<Item = (&str, &str)> + Clone {
    contents.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
}

/// An open batch's body.
#[derive(Debug)]
pub(crate) enum BatchEncoder {
    /// PutLogs (never without the `signing` feature: see [`LogGroups`]).
    LogGroup(LogGroupEncoder, LogGroups),
    /// Web tracking.
    Track(TrackEncoder),
}

impl BatchEncoder {
    /// An empty body of `format` in `buffer`'s allocation.
    pub(crate) fn new(format: Format, buffer: Vec<u8>) -> Self {
        match format {
            Format::LogGroup(g) => Self::LogGroup(LogGroupEncoder::with_buffer(buffer), g),
            Format::Track => Self::Track(TrackEncoder::with_buffer(buffer)),
        }
    }

    /// Append `log`.
    pub(crate) fn push_log(&mut self, log: &Log) {
        match self {
            Self::LogGroup(e, _) => e.push(log),
            Self::Track(e) => e.push_log(log),
        }
    }

    /// Append a log of parts, `entry` bytes long (as [`Format::parts_len`] said).
    pub(crate) fn push_parts<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        entry: usize,
        time: u32,
        time_ns: Option<u32>,
        contents: &[(K, V)],
    ) {
        match self {
            Self::LogGroup(e, _) => e.push_parts_sized(entry, time, time_ns, contents),
            Self::Track(e) => e.push_parts(time, pairs(contents)),
        }
    }

    /// Append one log's entry encoded earlier in this body's format.
    pub(crate) fn push_encoded(&mut self, entry: &[u8]) {
        match self {
            Self::LogGroup(e, _) => e.push_encoded(entry),
            Self::Track(e) => e.push_entry(entry),
        }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::LogGroup(e, _) => e.len(),
            Self::Track(e) => e.len(),
        }
    }

    /// Logs appended.
    pub(crate) fn log_count(&self) -> usize {
        match self {
            Self::LogGroup(e, _) => e.log_count(),
            Self::Track(e) => e.log_count(),
        }
    }

    /// Bytes the buffer holds before it reallocates.
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Self::LogGroup(e, _) => e.capacity(),
            Self::Track(e) => e.capacity(),
        }
    }

    /// Grow the buffer to exactly `capacity` bytes if it is smaller.
    pub(crate) fn grow_to(&mut self, capacity: usize) {
        match self {
            Self::LogGroup(e, _) => e.grow_to(capacity),
            Self::Track(e) => e.grow_to(capacity),
        }
    }

    /// The finished body, with topic, source and `tags`.
    pub(crate) fn finish<'a>(
        self,
        topic: &str,
        source: &str,
        tags: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Vec<u8> {
        match self {
            Self::LogGroup(e, _) => e.finish(topic, source, tags),
            Self::Track(e) => e.finish(topic, source, tags),
        }
    }
}
