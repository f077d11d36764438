//! What SLS accepts in a PutLogs request, as constants and pure checks. The sources (the
//! service's documentation, the official SDKs' own checks and their issue threads) are
//! quoted in `docs/limits.md`.

/// Largest uncompressed `LogGroup` (`x-log-bodyrawsize`) the producer builds: 5 MiB.
///
/// The service documents two bounds: "a log group has a maximum size of 5 MB" (the log
/// group page) and 10 MB of raw logs per PutLogs request (the PutLogs page); a body
/// within the smaller one is within both. The server's own refusal in 2020 read "body size
/// 14258404 must little than 5M" (aliyun-log-go-sdk#74).
pub const MAX_LOG_GROUP_BYTES: usize = 5 * 1024 * 1024;

/// Most logs in one `LogGroup` the producer builds: 40,960, the bound of the Java SDK
/// (`CONST_MAX_PUT_LINES`) and of the Go producer's `MaxBatchCount`.
pub const MAX_LOG_GROUP_LOGS: usize = 40_960;

/// The largest `Time_ns`: the nanoseconds within a second (the service stores it as
/// `__time_ns_part__`, "0 to 999,999,999").
pub const MAX_TIME_NS: u32 = 999_999_999;

/// Content keys the service reserves: "you cannot use the following fields" (the log
/// data model page), and the field the nanoseconds are stored in.
pub const RESERVED_CONTENT_KEYS: [&str; 7] = [
    "__time__",
    "__source__",
    "__topic__",
    "__partition_time__",
    "_extract_others_",
    "__extract_others__",
    "__time_ns_part__",
];

/// The prefix of the service's tag fields (`__tag__:__client_ip__`, …): a content key
/// starting with it would read as a tag.
pub const TAG_FIELD_PREFIX: &str = "__tag__:";

/// Tag keys the service sets itself on arrival (`__tag__:__client_ip__`,
/// `__tag__:__receive_time__`); a LogGroup tag with one of these names collides with them.
pub const SERVICE_TAG_KEYS: [&str; 2] = ["__client_ip__", "__receive_time__"];

/// Why a content key is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyDefect {
    /// The key is empty (the service requires 1 to 128 bytes).
    Empty,
    /// The key is one the service reserves (or starts with [`TAG_FIELD_PREFIX`]): the
    /// reserved name, as listed in [`RESERVED_CONTENT_KEYS`].
    Reserved(&'static str),
}

/// Why `key` cannot be a content key, if it cannot. Cheap for ordinary keys: only an
/// empty key or one starting with `_` is looked at further.
#[inline]
pub fn content_key_defect(key: &str) -> Option<KeyDefect> {
    match key.as_bytes().first() {
        None => Some(KeyDefect::Empty),
        Some(b'_') => reserved_content_key(key).map(KeyDefect::Reserved),
        Some(_) => None,
    }
}

/// Whether `key` is empty or starts with `_`: the only keys [`content_key_defect`] can
/// refuse.
#[inline]
pub fn may_be_refused(key: &str) -> bool {
    matches!(key.as_bytes().first(), None | Some(b'_'))
}

#[cold]
fn reserved_content_key(key: &str) -> Option<&'static str> {
    if key.starts_with(TAG_FIELD_PREFIX) {
        return Some(TAG_FIELD_PREFIX);
    }
    RESERVED_CONTENT_KEYS.iter().copied().find(|r| *r == key)
}

/// What is wrong with a log's time, if anything: the field, its value and what is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeDefect {
    /// `"time"` or `"time_ns"`.
    pub field: &'static str,
    /// The refused value.
    pub value: u32,
    /// What is allowed.
    pub allowed: &'static str,
}

/// Check a log's `Time` (Unix seconds) and `Time_ns`.
///
/// `time_ns` must be a sub-second part (at most [`MAX_TIME_NS`]). `time` must be a
/// plausible log time: the service refuses a whole request when one log's time is out of
/// its window around the server's clock, which the producer cannot know, so only the two
/// values that are never a real time are refused here: 0 (a time never set) and
/// `u32::MAX` (what a time after 2106 saturates to).
#[inline]
pub fn time_defect(time: u32, time_ns: Option<u32>) -> Option<TimeDefect> {
    if time == 0 || time == u32::MAX {
        return Some(TimeDefect {
            field: "time",
            value: time,
            allowed: "Unix seconds in [1, 4294967294]",
        });
    }
    match time_ns {
        Some(ns) if ns > MAX_TIME_NS => Some(TimeDefect {
            field: "time_ns",
            value: ns,
            allowed: "nanoseconds in [0, 999999999]",
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_keys_pass_and_reserved_or_empty_ones_are_named() {
        for key in ["a", "msg", "_private", "__custom__", "content_key_1", "é"] {
            assert_eq!(content_key_defect(key), None, "{key:?}");
        }
        assert_eq!(content_key_defect(""), Some(KeyDefect::Empty));
        for key in RESERVED_CONTENT_KEYS {
            assert_eq!(
                content_key_defect(key),
                Some(KeyDefect::Reserved(key)),
                "{key}"
            );
        }
        assert_eq!(
            content_key_defect("__tag__:__client_ip__"),
            Some(KeyDefect::Reserved(TAG_FIELD_PREFIX))
        );
        assert_eq!(content_key_defect("__time"), None, "only the exact name");
        assert!(may_be_refused("") && may_be_refused("_x") && !may_be_refused("x_"));
    }

    #[test]
    fn times_are_refused_only_where_they_can_never_be_right() {
        assert_eq!(time_defect(1, None), None);
        assert_eq!(time_defect(1_700_000_000, Some(MAX_TIME_NS)), None);
        assert_eq!(time_defect(u32::MAX - 1, Some(0)), None);
        for time in [0, u32::MAX] {
            let d = time_defect(time, None).expect("refused");
            assert_eq!((d.field, d.value), ("time", time));
        }
        let d = time_defect(1_700_000_000, Some(1_000_000_000)).expect("refused");
        assert_eq!((d.field, d.value), ("time_ns", 1_000_000_000));
    }
}
