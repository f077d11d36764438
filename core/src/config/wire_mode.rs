//! [`WireMode`]: which SLS API the producer's requests use.

use super::{Compression, ConfigError, ProducerConfig};
use crate::engine::LogGroups;
pub use crate::protocol::request::TrackStyle;

/// Which SLS API the producer sends its batches to.
///
/// ```
/// use sls_producer_core::config::{Compression, ProducerConfig, TrackStyle, WireMode};
///
/// // Anonymous, for a logstore with web tracking enabled: no credentials.
/// let config = ProducerConfig::new("cn-hangzhou.log.aliyuncs.com")
///     .with_wire(WireMode::WebTracking(TrackStyle::CorsSimple))
///     .with_compression(Compression::None);
/// assert!(config.validate().is_ok());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WireMode {
    /// PutLogs: protobuf `LogGroup`s, signed with the producer's credentials (required).
    /// Needs the `signing` feature (on by default).
    #[default]
    PutLogs,
    /// PutWebtracking: `POST /logstores/{logstore}/track` with a JSON body, anonymous (the
    /// logstore must have web tracking enabled; no credentials are taken), dressed as the
    /// [`TrackStyle`] says. SLS stamps tracked logs with their arrival time. Shard keys,
    /// processors and metricstores do not exist for web tracking; compression is LZ4 or
    /// none, and none with [`TrackStyle::CorsSimple`] (which sends no compression header).
    WebTracking(TrackStyle),
}

impl WireMode {
    /// Whether requests are signed (and so need credentials).
    pub fn is_signed(self) -> bool {
        matches!(self, Self::PutLogs)
    }

    /// The proof that this mode's requests are signed and that this build signs
    /// (`signing`): `None` for web tracking, and always `None` without the feature, so that
    /// what only signing needs (signature settings, credentials sources) is not linked.
    pub(crate) fn signs(self) -> Option<LogGroups> {
        match self {
            Self::PutLogs => LogGroups::compiled(),
            Self::WebTracking(_) => None,
        }
    }

    /// What `config` sets that this mode cannot send.
    pub(super) fn check(self, config: &ProducerConfig) -> Result<(), ConfigError> {
        let Self::WebTracking(style) = self else {
            #[cfg(not(feature = "signing"))]
            return Err(ConfigError::FeatureDisabled {
                field: "wire",
                feature: "signing",
            });
            #[cfg(feature = "signing")]
            return Ok(());
        };
        let unsupported = |field, reason| Err(ConfigError::Unsupported { field, reason });
        match (config.compression, style) {
            (Compression::None, _) | (Compression::Lz4, TrackStyle::Headers) => {}
            (Compression::Lz4, _) => {
                return unsupported(
                    "compression",
                    "CORS-simple web tracking sends no x-log-compresstype header: use \
                     Compression::None, or TrackStyle::Headers to compress",
                );
            }
            _ => {
                return unsupported("compression", "web tracking accepts LZ4 or no compression");
            }
        }
        if config.use_metric_store_url {
            return unsupported(
                "use_metric_store_url",
                "web tracking writes to logstores only",
            );
        }
        if config.processor.is_some() {
            return unsupported("processor", "web tracking has no ingest processors");
        }
        Ok(())
    }
}
