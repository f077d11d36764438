//! [`LogGroups`]: whether this build writes PutLogs' protobuf `LogGroup`s at all.
//!
//! PutLogs needs the `signing` feature (a configuration without it is refused). Without
//! it, [`LogGroups`] has no value, so the `LogGroup` variants that carry it
//! ([`Format::LogGroup`](super::encoder::Format), the batch encoder's) cannot exist, and
//! the compiler drops every path behind them: the `LogGroup` encoder, the pre-encoding of a
//! contended send, and prost's decoding of a failed batch's logs. The shared paths match
//! on those variants as usual and carry no `cfg`.

/// Proof that PutLogs' `LogGroup`s are compiled in (the `signing` feature).
#[cfg(feature = "signing")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LogGroups;

/// Without the `signing` feature: no value, no `LogGroup` is ever written or read.
#[cfg(not(feature = "signing"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogGroups {}

impl LogGroups {
    /// The proof, if PutLogs is compiled in: `None` without the `signing` feature.
    pub(crate) const fn compiled() -> Option<Self> {
        #[cfg(feature = "signing")]
        return Some(Self);
        #[cfg(not(feature = "signing"))]
        None
    }
}
