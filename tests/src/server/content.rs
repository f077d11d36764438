//! What SLS refuses inside a decoded log group: empty or reserved content keys, a `Time`
//! that is never a real log time (0, `u32::MAX`) and a `Time_ns` that is not a sub-second
//! part (see `docs/limits.md`): what the producer refuses at `send`, by the same checks.
//! One bad log fails the whole request, as on the service.

use sls_producer_core::protocol::limits::{RESERVED_CONTENT_KEYS, TAG_FIELD_PREFIX, time_defect};
use sls_producer_core::protocol::proto::LogGroup;

use super::error::SlsError;

/// `400 PostBodyInvalid` naming the first log and field SLS would refuse, if any.
pub(crate) fn check_contents(group: &LogGroup) -> Result<(), SlsError> {
    for (index, log) in group.logs.iter().enumerate() {
        if let Some(defect) = time_defect(log.time(), log.time_ns()) {
            return Err(SlsError::post_body_invalid(format!(
                "log {index}: {} {} is out of range: {}",
                defect.field, defect.value, defect.allowed
            )));
        }
        for (key, _) in log.contents() {
            if key.is_empty() || key.len() > 128 {
                return Err(SlsError::post_body_invalid(format!(
                    "log {index}: key length {} must be in [1, 128]",
                    key.len()
                )));
            }
            if RESERVED_CONTENT_KEYS.contains(&key) || key.starts_with(TAG_FIELD_PREFIX) {
                return Err(SlsError::post_body_invalid(format!(
                    "log {index}: key {key} is reserved"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sls_producer_core::Log;

    fn group(logs: Vec<Log>) -> LogGroup {
        LogGroup {
            logs,
            ..LogGroup::default()
        }
    }

    #[test]
    fn reserved_or_empty_keys_and_impossible_times_fail_the_whole_group() {
        let ok = Log::new(1).with_content("a", "b");
        assert!(check_contents(&group(vec![ok.clone()])).is_ok());
        let latest = Log::new(u32::MAX - 1)
            .with_content("a", "b")
            .with_time_ns(999_999_999);
        assert!(check_contents(&group(vec![latest])).is_ok());
        for bad in [
            Log::new(1).with_content("", "b"),
            Log::new(1).with_content("__time__", "b"),
            Log::new(1).with_content("__tag__:x", "b"),
            Log::new(1).with_content("k".repeat(129), "b"),
            Log::new(1)
                .with_content("a", "b")
                .with_time_ns(1_000_000_000),
            Log::new(0).with_content("a", "b"),
            Log::new(u32::MAX).with_content("a", "b"),
        ] {
            let e = check_contents(&group(vec![ok.clone(), bad])).unwrap_err();
            assert_eq!((e.status, e.code.as_str()), (400, "PostBodyInvalid"));
            assert!(e.message.contains("log 1"), "{}", e.message);
        }
    }
}
