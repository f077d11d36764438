//! The JSON body of web tracking and of the web STS plugin, and the GET tracking form.

use sls_producer_core::protocol::proto::{Log, LogGroup, LogTag};
use sls_producer_core::rt::UnixTime;

use super::error::SlsError;

/// Where log times come from when decoding a JSON body.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LogTimes {
    /// Anonymous tracking: every log gets the arrival time; `__time__` is dropped.
    Arrival(UnixTime),
    /// Signed JSON PutLogs: a numeric `__time__` (number or digits) is the log time,
    /// otherwise the arrival time.
    FromField(UnixTime),
}

/// Decode `{"__topic__", "__source__", "__logs__": [{..}], "__tags__": {..}}` into a
/// `LogGroup`. Values that are not strings are stored as their JSON text (a number `1` as
/// `"1"`). `default_source` fills an absent `__source__` (SLS uses the client's address).
pub(crate) fn log_group_from_json(
    body: &[u8],
    times: LogTimes,
    default_source: &str,
) -> Result<LogGroup, SlsError> {
    let doc: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| SlsError::post_body_invalid(format!("not JSON: {e}")))?;
    let obj = doc
        .as_object()
        .ok_or_else(|| SlsError::post_body_invalid("the JSON body must be an object"))?;
    let logs = obj
        .get("__logs__")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| SlsError::post_body_invalid("__logs__ must be an array"))?;
    let topic = obj.get("__topic__").map(text).unwrap_or_default();
    let source = obj
        .get("__source__")
        .map(text)
        .unwrap_or_else(|| default_source.to_owned());
    let log_tags = match obj.get("__tags__") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Object(tags)) => tags
            .iter()
            .map(|(k, v)| LogTag::new(k.as_str(), text(v)))
            .collect(),
        Some(_) => return Err(SlsError::post_body_invalid("__tags__ must be an object")),
    };
    let logs = logs
        .iter()
        .map(|l| {
            let fields = l
                .as_object()
                .ok_or_else(|| SlsError::post_body_invalid("each log must be an object"))?;
            let (arrival, honour) = match times {
                LogTimes::Arrival(t) => (t, false),
                LogTimes::FromField(t) => (t, true),
            };
            let mut log = Log::new(u32::try_from(arrival.as_secs()).unwrap_or(u32::MAX));
            for (k, v) in fields {
                if k == "__time__" {
                    if honour {
                        log.set_time(log_time(v).ok_or_else(|| {
                            SlsError::post_body_invalid(format!("__time__ {v} is not a Unix time"))
                        })?);
                    }
                    continue;
                }
                log.push(k, text(v));
            }
            Ok(log)
        })
        .collect::<Result<Vec<_>, SlsError>>()?;
    Ok(LogGroup {
        logs,
        category: None,
        topic: Some(topic),
        source: Some(source),
        machine_uuid: None,
        log_tags,
    })
}

/// The one log of a GET tracking request: every query parameter but `APIVersion` and
/// `__topic__` is a field, in order; `extra` fields (User-Agent, Referer) are appended.
pub(crate) fn log_group_from_query(
    query: &[(String, String)],
    arrival: UnixTime,
    source: &str,
    extra: &[(&str, String)],
) -> LogGroup {
    let mut log = Log::new(u32::try_from(arrival.as_secs()).unwrap_or(u32::MAX));
    let mut topic = String::new();
    for (k, v) in query {
        match k.as_str() {
            "APIVersion" | "__time__" => {}
            "__topic__" => topic.clone_from(v),
            _ => log.push(k, v),
        }
    }
    for (k, v) in extra {
        log.push(k, v);
    }
    LogGroup {
        logs: vec![log],
        category: None,
        topic: Some(topic),
        source: Some(source.to_owned()),
        machine_uuid: None,
        log_tags: Vec::new(),
    }
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn log_time(v: &serde_json::Value) -> Option<u32> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: UnixTime = UnixTime::from_secs(1_700_000_000);

    #[test]
    fn tracking_body_uses_arrival_time_and_coerces_values() {
        let body = br#"{"__topic__":"t","__logs__":[{"a":"1","n":2,"o":{"x":true},"__time__":5}],"__tags__":{"tk":"tv"}}"#;
        let g = log_group_from_json(body, LogTimes::Arrival(T), "10.0.0.1").unwrap();
        assert_eq!(g.topic.as_deref(), Some("t"));
        assert_eq!(g.source.as_deref(), Some("10.0.0.1"));
        assert_eq!(g.log_tags, vec![LogTag::new("tk", "tv")]);
        assert_eq!(g.logs.len(), 1);
        assert_eq!(g.logs[0].time(), 1_700_000_000);
        let kv: Vec<(&str, &str)> = g.logs[0].contents().collect();
        assert_eq!(kv, [("a", "1"), ("n", "2"), ("o", r#"{"x":true}"#)]);
    }

    #[test]
    fn signed_json_honours_time_field() {
        let body = br#"{"__source__":"s","__logs__":[{"__time__":1600000000,"k":"v"},{"__time__":"1600000001"},{"k":"w"}]}"#;
        let g = log_group_from_json(body, LogTimes::FromField(T), "ip").unwrap();
        assert_eq!(g.source.as_deref(), Some("s"));
        let times: Vec<u32> = g.logs.iter().map(|l| l.time()).collect();
        assert_eq!(times, [1_600_000_000, 1_600_000_001, 1_700_000_000]);
        assert!(g.logs[1].content_count() == 0);
    }

    #[test]
    fn malformed_bodies_are_post_body_invalid() {
        for bad in [
            &b"not json"[..],
            br#"[1]"#,
            br#"{"__logs__":{}}"#,
            br#"{"__logs__":[1]}"#,
            br#"{"__logs__":[],"__tags__":[1]}"#,
            br#"{"__logs__":[{"__time__":"soon"}]}"#,
        ] {
            let e = log_group_from_json(bad, LogTimes::FromField(T), "").unwrap_err();
            assert_eq!(
                e.code,
                "PostBodyInvalid",
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn query_form_is_one_log() {
        let q = vec![
            ("APIVersion".to_owned(), "0.6.0".to_owned()),
            ("k1".to_owned(), "v1".to_owned()),
            ("__topic__".to_owned(), "web".to_owned()),
            ("k2".to_owned(), "v 2".to_owned()),
        ];
        let g = log_group_from_query(&q, T, "1.2.3.4", &[("__userAgent__", "UA".to_owned())]);
        assert_eq!(g.topic.as_deref(), Some("web"));
        let kv: Vec<(&str, &str)> = g.logs[0].contents().collect();
        assert_eq!(kv, [("k1", "v1"), ("k2", "v 2"), ("__userAgent__", "UA")]);
    }
}
