//! Where a PutLogs request goes: the path and query of a logstore (plain or routed to a
//! shard, with an optional ingest processor) or of a metricstore.

use alloc::string::String;

use super::name::{InvalidName, validate_logstore, validate_project};
use crate::protocol::compress::Compression;
use crate::protocol::encoding::{Space, percent_encode_into};

/// Where a PutLogs request goes: project, store and routing. Names are validated on
/// construction, so a target always yields a well-formed path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PutLogsTarget<'a> {
    project: &'a str,
    store: &'a str,
    metricstore: bool,
    shard_key: Option<&'a str>,
    processor: Option<&'a str>,
}

impl<'a> PutLogsTarget<'a> {
    /// A logstore of `project`.
    ///
    /// # Errors
    ///
    /// [`InvalidName`] if either name breaks the SLS naming rules.
    pub fn logstore(project: &'a str, logstore: &'a str) -> Result<Self, InvalidName> {
        validate_project(project)?;
        validate_logstore(logstore)?;
        Ok(Self {
            project,
            store: logstore,
            metricstore: false,
            shard_key: None,
            processor: None,
        })
    }

    /// A metricstore of `project`, written through the Prometheus remote-write path
    /// (always LZ4, see [`PutLogsTarget::compression`]; no shard key, no processor).
    ///
    /// # Errors
    ///
    /// [`InvalidName`] if either name breaks the SLS naming rules.
    pub fn metricstore(project: &'a str, metricstore: &'a str) -> Result<Self, InvalidName> {
        let mut t = Self::logstore(project, metricstore)?;
        t.metricstore = true;
        Ok(t)
    }

    /// Route to the shard whose hash range holds `key` (a 32-hex-digit MD5-style hash,
    /// sent as is). An empty key means no routing. Ignored for metricstores.
    pub fn with_shard_key(mut self, key: &'a str) -> Self {
        self.shard_key = (!key.is_empty()).then_some(key);
        self
    }

    /// Run the ingest processor `name` on the server. Empty means none. Ignored for
    /// metricstores.
    pub fn with_processor(mut self, name: &'a str) -> Self {
        self.processor = (!name.is_empty()).then_some(name);
        self
    }

    /// The project.
    pub fn project(&self) -> &'a str {
        self.project
    }

    /// The logstore or metricstore.
    pub fn store(&self) -> &'a str {
        self.store
    }

    /// `true` for a metricstore target.
    pub fn is_metricstore(&self) -> bool {
        self.metricstore
    }

    /// The shard key, if any (never for metricstores).
    pub fn shard_key(&self) -> Option<&'a str> {
        self.shard_key.filter(|_| !self.metricstore)
    }

    /// The processor, if any (never for metricstores).
    pub fn processor(&self) -> Option<&'a str> {
        self.processor.filter(|_| !self.metricstore)
    }

    /// The compression to use given the configured one: metricstores always take LZ4, as
    /// in the Go producer.
    pub fn compression(&self, configured: Compression) -> Compression {
        Self::compression_for(self.metricstore, configured)
    }

    /// [`compression`](Self::compression) of a target that is a metricstore or not,
    /// without building it.
    pub fn compression_for(metricstore: bool, configured: Compression) -> Compression {
        if metricstore {
            Compression::Lz4
        } else {
            configured
        }
    }

    /// The request path and query, e.g. `/logstores/app/shards/route?key=…&processor=…`.
    pub fn path_and_query(&self) -> String {
        let mut s = String::with_capacity(64);
        if self.metricstore {
            for part in [
                "/prometheus/",
                self.project,
                "/",
                self.store,
                "/api/v1/write",
            ] {
                s.push_str(part);
            }
            return s;
        }
        s.push_str("/logstores/");
        s.push_str(self.store);
        if self.shard_key.is_some() {
            s.push_str("/shards/route");
        }
        // Query keys in sorted order, as Go's url.Values.Encode writes them.
        let params = [("key", self.shard_key), ("processor", self.processor)];
        for (i, (k, v)) in params
            .iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .enumerate()
        {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            percent_encode_into(&mut s, v, Space::Plus);
        }
        s
    }
}
