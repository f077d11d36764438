//! The errors the JS API throws: `Error`s named `SlsProducerError` with a stable `code`.

use sls_producer_wasm::SendError;
use wasm_bindgen::JsValue;

use crate::js::set;

/// Why an option or a call was refused, as thrown to JS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    /// An option is missing, of the wrong type or out of range.
    InvalidOptions,
    /// A static AccessKey without `allowStaticAccessKey: true` (the signed package only).
    #[cfg_attr(not(feature = "signed"), allow(dead_code))]
    StaticAccessKeyRefused,
    /// A send's target is not an object, names a project or logstore SLS refuses, or
    /// names no logstore when the producer has no default one.
    InvalidTarget,
    /// A log is not an object, or a value cannot be turned into text.
    InvalidLog,
    /// The producer is closed.
    Closed,
    /// The memory budget is full right now.
    BufferFull,
    /// A log can never fit a batch, or a list the whole budget.
    TooLarge,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Self::InvalidOptions => "InvalidOptions",
            Self::StaticAccessKeyRefused => "StaticAccessKeyRefused",
            Self::InvalidTarget => "InvalidTarget",
            Self::InvalidLog => "InvalidLog",
            Self::Closed => "Closed",
            Self::BufferFull => "BufferFull",
            Self::TooLarge => "TooLarge",
        }
    }
}

/// An `Error` named `SlsProducerError` with `code` and `message`.
pub(crate) fn error(code: Code, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    e.set_name("SlsProducerError");
    set(&e, "code", code.as_str());
    e.into()
}

/// `prefix` followed by `detail`, without the formatting machinery.
pub(crate) fn join(prefix: &str, detail: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + detail.len());
    s.push_str(prefix);
    s.push_str(detail);
    s
}

/// "`name`" followed by `rest`: the messages about one option or field.
pub(crate) fn quoted(name: &str, rest: &str) -> String {
    let mut s = String::from("`");
    s.push_str(name);
    s.push_str(rest);
    s
}

/// The error thrown for a refused send.
pub(crate) fn send_error(e: &SendError) -> JsValue {
    let (code, message) = match e {
        SendError::Closed { .. } => (
            Code::Closed,
            "the producer is closed and accepts no more logs",
        ),
        SendError::BufferFull { .. } => (
            Code::BufferFull,
            "the producer's memory budget (memoryBudgetBytes) is full: earlier logs are still being delivered; try again later or drop the log",
        ),
        SendError::LogTooLarge { .. } => (
            Code::TooLarge,
            "a log is larger than a whole batch (maxBatchBytes): shorten or split it",
        ),
        SendError::ExceedsBuffer { .. } => (
            Code::TooLarge,
            "the list is larger than the whole memory budget (memoryBudgetBytes): send it in smaller lists",
        ),
        SendError::EmptyKey { .. } => (
            Code::InvalidLog,
            "a log has a field with an empty name, which SLS refuses: give every field a name",
        ),
        SendError::ReservedKey { .. } => (
            Code::InvalidLog,
            "a log has a field name SLS reserves (__time__, __topic__, __source__, __tag__:…): rename the field",
        ),
        SendError::InvalidTime { .. } => (
            Code::InvalidLog,
            "a log's time is out of range (seconds must be set and before 2106, nanoseconds below 1e9)",
        ),
        // `CannotBlock` comes from `send_blocking`, which this package never calls; a
        // refusal added later is not taken now either, so the advice is the same.
        _ => (
            Code::BufferFull,
            "the producer cannot take the log now: try again later or drop the log",
        ),
    };
    error(code, message)
}
