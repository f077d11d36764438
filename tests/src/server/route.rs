//! Which operation a request asks for, from its method, path and query.

use http::Method;

use super::error::SlsError;

/// The shard a PutLogs request writes to, as its path says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ShardTarget {
    /// `POST /logstores/{ls}`: any shard.
    Default,
    /// `POST /logstores/{ls}/shards/lb`: any shard, load-balanced.
    LoadBalance,
    /// `POST /logstores/{ls}/shards/route?key={hash}`: the shard whose range holds the key.
    HashKey(String),
}

impl ShardTarget {
    /// The hash key of a routed request.
    pub fn hash_key(&self) -> Option<&str> {
        match self {
            Self::HashKey(k) => Some(k),
            Self::Default | Self::LoadBalance => None,
        }
    }
}

/// The flavour of a web-tracking GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TrackPixel {
    /// `/track`: answered with an empty body.
    None,
    /// `/track.gif`: answered with a 1×1 GIF.
    Gif,
    /// `/track_ua.gif`: a 1×1 GIF, and the User-Agent and Referer are recorded as fields.
    GifWithUserAgent,
}

/// The control API of the local server (`/_sls_local/...`), not part of SLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ControlRoute {
    /// `POST /_sls_local/faults`: set faults from JSON.
    SetFaults,
    /// `DELETE /_sls_local/faults`: clear every fault.
    ClearFaults,
    /// `GET /_sls_local/faults`: the faults now in force, as JSON.
    GetFaults,
    /// `GET /_sls_local/stats`: counters, as JSON.
    Stats,
    /// `GET /_sls_local/logs?project=..&logstore=..`: stored log groups, as JSON.
    Logs,
    /// `POST /_sls_local/reset`: forget stored logs and counters.
    Reset,
}

/// A routed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// PutLogs (protobuf, or the JSON flavour used by the web STS plugin).
    PutLogs {
        /// Logstore name from the path.
        logstore: String,
        /// Shard selection from the path.
        target: ShardTarget,
    },
    /// `POST /logstores/{ls}/track` with a JSON body.
    TrackPost {
        /// Logstore name from the path.
        logstore: String,
    },
    /// `GET /logstores/{ls}/track?APIVersion=0.6.0&k=v...`.
    TrackGet {
        /// Logstore name from the path.
        logstore: String,
        /// Which GET form.
        pixel: TrackPixel,
    },
    /// A CORS preflight (`OPTIONS`, any path).
    Preflight,
    /// The control API.
    Control(ControlRoute),
}

/// The path prefix of the control API.
pub(crate) const CONTROL_PREFIX: &str = "/_sls_local/";

/// Route a request, or say why SLS would refuse it.
pub(crate) fn route(
    method: &Method,
    path: &str,
    query: &[(String, String)],
) -> Result<Route, SlsError> {
    if method == Method::OPTIONS {
        return Ok(Route::Preflight);
    }
    if let Some(rest) = path.strip_prefix(CONTROL_PREFIX) {
        let r = match (method.as_str(), rest.trim_end_matches('/')) {
            ("POST", "faults") => ControlRoute::SetFaults,
            ("DELETE", "faults") => ControlRoute::ClearFaults,
            ("GET", "faults") => ControlRoute::GetFaults,
            ("GET", "stats") => ControlRoute::Stats,
            ("GET", "logs") => ControlRoute::Logs,
            ("POST", "reset") => ControlRoute::Reset,
            _ => return Err(SlsError::not_supported(method.as_str(), path)),
        };
        return Ok(Route::Control(r));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let unsupported = || SlsError::not_supported(method.as_str(), path);
    let ["logstores", logstore, rest @ ..] = segments.as_slice() else {
        return Err(unsupported());
    };
    if logstore.is_empty() {
        return Err(unsupported());
    }
    let logstore = (*logstore).to_owned();
    match (method.as_str(), rest) {
        ("POST", []) => Ok(Route::PutLogs {
            logstore,
            target: ShardTarget::Default,
        }),
        ("POST", ["shards", "lb"]) => Ok(Route::PutLogs {
            logstore,
            target: ShardTarget::LoadBalance,
        }),
        ("POST", ["shards", "route"]) => {
            let key = query
                .iter()
                .find(|(k, _)| k == "key")
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    SlsError::parameter_invalid(
                        "the query parameter key is required for shards/route",
                    )
                })?;
            Ok(Route::PutLogs {
                logstore,
                target: ShardTarget::HashKey(key),
            })
        }
        ("POST", ["track"]) => Ok(Route::TrackPost { logstore }),
        ("GET", [form]) => {
            let pixel = match *form {
                "track" => TrackPixel::None,
                "track.gif" => TrackPixel::Gif,
                "track_ua.gif" => TrackPixel::GifWithUserAgent,
                _ => return Err(unsupported()),
            };
            Ok(Route::TrackGet { logstore, pixel })
        }
        _ => Err(unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: Method, path: &str, query: &[(&str, &str)]) -> Result<Route, SlsError> {
        let q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        route(&method, path, &q)
    }

    #[test]
    fn putlogs_forms() {
        assert_eq!(
            r(Method::POST, "/logstores/app", &[]),
            Ok(Route::PutLogs {
                logstore: "app".into(),
                target: ShardTarget::Default
            })
        );
        assert_eq!(
            r(Method::POST, "/logstores/app/shards/lb", &[]),
            Ok(Route::PutLogs {
                logstore: "app".into(),
                target: ShardTarget::LoadBalance
            })
        );
        assert_eq!(
            r(
                Method::POST,
                "/logstores/app/shards/route",
                &[("key", "f0")]
            ),
            Ok(Route::PutLogs {
                logstore: "app".into(),
                target: ShardTarget::HashKey("f0".into())
            })
        );
        assert_eq!(
            r(Method::POST, "/logstores/app/shards/route", &[])
                .unwrap_err()
                .code,
            "ParameterInvalid"
        );
    }

    #[test]
    fn tracking_forms() {
        assert_eq!(
            r(Method::POST, "/logstores/web/track", &[]),
            Ok(Route::TrackPost {
                logstore: "web".into()
            })
        );
        for (p, pixel) in [
            ("track", TrackPixel::None),
            ("track.gif", TrackPixel::Gif),
            ("track_ua.gif", TrackPixel::GifWithUserAgent),
        ] {
            assert_eq!(
                r(Method::GET, &format!("/logstores/web/{p}"), &[]),
                Ok(Route::TrackGet {
                    logstore: "web".into(),
                    pixel
                })
            );
        }
    }

    #[test]
    fn control_preflight_and_unknown() {
        assert_eq!(r(Method::OPTIONS, "/anything", &[]), Ok(Route::Preflight));
        assert_eq!(
            r(Method::GET, "/_sls_local/stats", &[]),
            Ok(Route::Control(ControlRoute::Stats))
        );
        assert_eq!(
            r(Method::POST, "/_sls_local/faults/", &[]),
            Ok(Route::Control(ControlRoute::SetFaults))
        );
        for (m, p) in [
            (Method::GET, "/logstores/app"),
            (Method::POST, "/"),
            (Method::POST, "/logstores//shards/lb"),
            (Method::PUT, "/logstores/app"),
            (Method::GET, "/_sls_local/nothing"),
        ] {
            assert_eq!(r(m, p, &[]).unwrap_err().code, "NotSupported", "{p}");
        }
    }
}
