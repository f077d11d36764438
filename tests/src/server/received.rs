//! One accepted log group, as tests read it back.

use core::fmt;

use sls_producer_core::config::Compression;
use sls_producer_core::config::SignatureVersion;
use sls_producer_core::credentials::Secret;
use sls_producer_core::protocol::proto::LogGroup;

use super::route::ShardTarget;
use super::store::GroupSize;

/// Which API delivered a log group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ingest {
    /// PutLogs with a protobuf `LogGroup` body.
    PutLogs,
    /// PutLogs with the JSON body of the web STS plugin (`Content-Type: application/json`).
    PutLogsJson,
    /// `POST /logstores/{ls}/track` (web tracking, JSON body).
    TrackPost,
    /// `GET /logstores/{ls}/track?...` (web tracking, one log in the query).
    TrackGet,
}

impl Ingest {
    /// A short name: `putlogs`, `putlogs-json`, `track-post`, `track-get`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PutLogs => "putlogs",
            Self::PutLogsJson => "putlogs-json",
            Self::TrackPost => "track-post",
            Self::TrackGet => "track-get",
        }
    }
}

/// How a request was authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// No signature: anonymous web tracking.
    Anonymous,
    /// Not checked: the server runs in "accept any AccessKey" mode.
    Unchecked,
    /// A valid signature of this version.
    Signed(SignatureVersion),
}

impl AuthKind {
    /// `anonymous`, `unchecked`, `v1` or `v4`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Unchecked => "unchecked",
            Self::Signed(SignatureVersion::V1) => "v1",
            Self::Signed(SignatureVersion::V4) => "v4",
        }
    }
}

/// An accepted log group with everything the request said about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedLogGroup {
    /// The `x-log-requestid` the server answered with.
    pub request_id: String,
    /// Project, from the Host header.
    pub project: String,
    /// Logstore, from the path.
    pub logstore: String,
    /// Shard selection from the path (`shards/route?key=` gives the hash key).
    pub target: ShardTarget,
    /// Which API delivered it.
    pub ingest: Ingest,
    /// How the body was compressed.
    pub compression: Compression,
    /// How the request was authenticated.
    pub auth: AuthKind,
    /// The AccessKey id of a signed request.
    pub access_key_id: Option<String>,
    /// The STS token of the request (`x-acs-security-token`), if any (redacted in `Debug`).
    pub security_token: Option<Secret>,
    /// Bytes on the wire (the compressed body).
    pub wire_bytes: usize,
    /// Bytes after decompression.
    pub raw_bytes: usize,
    /// The decoded log group (topic, source, tags and logs).
    pub log_group: LogGroup,
}

impl ReceivedLogGroup {
    /// The topic, `""` when absent.
    pub fn topic(&self) -> &str {
        self.log_group.topic.as_deref().unwrap_or("")
    }

    /// The source, `""` when absent.
    pub fn source(&self) -> &str {
        self.log_group.source.as_deref().unwrap_or("")
    }

    /// The value of tag `key`, if present.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.log_group
            .log_tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    }

    /// The hash key of a `shards/route` request.
    pub fn hash_key(&self) -> Option<&str> {
        self.target.hash_key()
    }

    /// Number of logs.
    pub fn log_count(&self) -> usize {
        self.log_group.logs.len()
    }

    /// What the counters learn from this group.
    pub(crate) fn size(&self) -> GroupSize {
        GroupSize {
            logs: self.log_count(),
            raw_bytes: self.raw_bytes,
            wire_bytes: self.wire_bytes,
        }
    }

    /// The JSON form served by `GET /_sls_local/logs`.
    pub fn to_json(&self) -> serde_json::Value {
        let pairs = |it: &mut dyn Iterator<Item = (&str, &str)>| -> serde_json::Value {
            it.map(|(k, v)| serde_json::json!([k, v])).collect()
        };
        let shard = match &self.target {
            ShardTarget::Default => serde_json::json!("default"),
            ShardTarget::LoadBalance => serde_json::json!("lb"),
            ShardTarget::HashKey(k) => serde_json::json!({ "key": k }),
        };
        let logs: Vec<serde_json::Value> = self
            .log_group
            .logs
            .iter()
            .map(|l| {
                serde_json::json!({
                    "time": l.time(),
                    "timeNs": l.time_ns(),
                    "contents": pairs(&mut l.contents()),
                })
            })
            .collect();
        serde_json::json!({
            "requestId": self.request_id,
            "project": self.project,
            "logstore": self.logstore,
            "shard": shard,
            "ingest": self.ingest.as_str(),
            "compression": self.compression.header_value().unwrap_or("none"),
            "auth": self.auth.as_str(),
            "accessKeyId": self.access_key_id,
            "wireBytes": self.wire_bytes,
            "rawBytes": self.raw_bytes,
            "topic": self.log_group.topic,
            "source": self.log_group.source,
            "tags": pairs(&mut self.log_group.log_tags.iter().map(|t| (t.key.as_str(), t.value.as_str()))),
            "logs": logs,
        })
    }
}

/// One readable line: `project/logstore [shard] topic=.. source=.. tags{..} N logs: {first log}`
/// (control characters in keys and values are escaped, so it stays one line).
impl fmt::Display for ReceivedLogGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.project, self.logstore)?;
        match &self.target {
            ShardTarget::Default => {}
            ShardTarget::LoadBalance => f.write_str(" [lb]")?,
            ShardTarget::HashKey(k) => write!(f, " [key={k}]")?,
        }
        write!(
            f,
            " {} {} {}",
            self.ingest.as_str(),
            self.auth.as_str(),
            self.compression.header_value().unwrap_or("none")
        )?;
        write!(f, " topic={:?} source={:?}", self.topic(), self.source())?;
        if !self.log_group.log_tags.is_empty() {
            f.write_str(" tags{")?;
            for (i, t) in self.log_group.log_tags.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                write!(
                    f,
                    "{sep}{}={}",
                    t.key.escape_debug(),
                    t.value.escape_debug()
                )?;
            }
            f.write_str("}")?;
        }
        let n = self.log_group.logs.len();
        write!(f, " {n} log{}", if n == 1 { "" } else { "s" })?;
        if let Some(first) = self.log_group.logs.first() {
            write!(f, ": t={} {{", first.time())?;
            for (i, (key, value)) in first.contents().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                write!(f, "{sep}{}={}", key.escape_debug(), value.escape_debug())?;
            }
            f.write_str("}")?;
            if n > 1 {
                write!(f, " (+{} more)", n - 1)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sls_producer_core::protocol::proto::{Log, LogTag};

    use super::*;

    fn sample() -> ReceivedLogGroup {
        ReceivedLogGroup {
            request_id: "5AAB34CF0000000000000001".into(),
            project: "p".into(),
            logstore: "ls".into(),
            target: ShardTarget::HashKey("f0".into()),
            ingest: Ingest::PutLogs,
            compression: Compression::Lz4,
            auth: AuthKind::Signed(SignatureVersion::V1),
            access_key_id: Some("id".into()),
            security_token: Some(Secret::new("token-value")),
            wire_bytes: 10,
            raw_bytes: 20,
            log_group: LogGroup {
                logs: vec![
                    Log::new(1_700_000_000).with_content("msg", "two\nlines"),
                    Log::new(1_700_000_001),
                ],
                category: None,
                topic: Some("t".into()),
                source: Some("s".into()),
                machine_uuid: None,
                log_tags: vec![LogTag::new("k", "v")],
            },
        }
    }

    #[test]
    fn display_is_one_readable_line() {
        let line = sample().to_string();
        assert_eq!(
            line,
            "p/ls [key=f0] putlogs v1 lz4 topic=\"t\" source=\"s\" tags{k=v} 2 logs: \
             t=1700000000 {msg=two\\nlines} (+1 more)"
        );
    }

    #[test]
    fn token_is_redacted_and_json_has_the_group() {
        let g = sample();
        assert!(!format!("{g:?}").contains("token-value"));
        let j = g.to_json();
        assert!(!j.to_string().contains("token-value"));
        assert_eq!(j["shard"], serde_json::json!({"key": "f0"}));
        assert_eq!(
            j["logs"][0]["contents"][0],
            serde_json::json!(["msg", "two\nlines"])
        );
        assert_eq!(j["logs"][0]["timeNs"], serde_json::Value::Null);
        assert_eq!(j["auth"], "v1");
    }
}
