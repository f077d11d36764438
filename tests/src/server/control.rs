//! The control API (`/_sls_local/...`): faults, counters and stored logs over HTTP, for
//! tests that cannot reach the Rust handle (browsers, Workers, other processes).

use http::StatusCode;

use super::route::ControlRoute;
use super::service::Shared;

/// Answer a control call with a status and a JSON document.
pub(crate) fn handle(
    shared: &Shared,
    route: ControlRoute,
    query: &[(String, String)],
    body: &[u8],
) -> (StatusCode, serde_json::Value) {
    match route {
        ControlRoute::SetFaults => {
            let applied = serde_json::from_slice::<serde_json::Value>(body)
                .map_err(|e| format!("not JSON: {e}"))
                .and_then(|doc| shared.faults.apply_json(&doc));
            match applied {
                Ok(()) => (StatusCode::OK, shared.faults.to_json()),
                Err(message) => (
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({ "errorCode": "ParameterInvalid", "errorMessage": message }),
                ),
            }
        }
        ControlRoute::ClearFaults => {
            shared.faults.clear();
            (StatusCode::OK, shared.faults.to_json())
        }
        ControlRoute::GetFaults => (StatusCode::OK, shared.faults.to_json()),
        ControlRoute::Stats => (StatusCode::OK, shared.store.stats().to_json()),
        ControlRoute::Logs => {
            let param = |name: &str| {
                query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            let (project, logstore) = (param("project"), param("logstore"));
            let groups: Vec<serde_json::Value> = shared
                .store
                .groups()
                .iter()
                .filter(|g| project.is_none_or(|p| g.project == p))
                .filter(|g| logstore.is_none_or(|l| g.logstore == l))
                .map(|g| g.to_json())
                .collect();
            (
                StatusCode::OK,
                serde_json::json!({ "countOnly": shared.store.count_only(), "logGroups": groups }),
            )
        }
        ControlRoute::Reset => {
            shared.store.clear();
            (StatusCode::OK, shared.store.stats().to_json())
        }
    }
}
