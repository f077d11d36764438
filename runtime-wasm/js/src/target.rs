//! Where a send goes: the producer's default route, or the route of a `SendTarget`.

use sls_producer_core::Route;
use sls_producer_core::protocol::request::validate_project;
use wasm_bindgen::JsValue;

use crate::describe::invalid_name;
use crate::error::{Code, error, join, quoted};
use crate::js::get;
use crate::options::{optional_string, required_string};

/// The producer's destinations: the default project, topic and source of every send, and
/// the default route when the options name a logstore.
pub(crate) struct Targets {
    project: String,
    topic: String,
    source: String,
    /// The route of a send without a target (or with an empty one).
    default: Option<Route>,
}

impl Targets {
    /// The defaults in `options` (`project`, `logstore`, `topic`, `source`).
    pub(crate) fn from_options(options: &JsValue) -> Result<Self, JsValue> {
        let project = required_string(options, "project")?;
        validate_project(&project).map_err(|e| {
            error(
                Code::InvalidOptions,
                &join("invalid project: ", &invalid_name(&e)),
            )
        })?;
        let topic = optional_string(options, "topic")?.unwrap_or_default();
        let source = optional_string(options, "source")?.unwrap_or_default();
        let default = match optional_string(options, "logstore")?.filter(|s| !s.is_empty()) {
            None => None,
            Some(logstore) => Some(route(&project, &logstore, &topic, &source).map_err(|e| {
                error(
                    Code::InvalidOptions,
                    &join("invalid logstore: ", &invalid_name(&e)),
                )
            })?),
        };
        Ok(Self {
            project,
            topic,
            source,
            default,
        })
    }

    /// The route of a send to `target` (a `SendTarget`, or undefined for the default).
    ///
    /// Throws `InvalidTarget` for a target that is not an object, names a project or
    /// logstore SLS would refuse, or names no logstore when the producer has no default.
    pub(crate) fn route(&self, target: &JsValue) -> Result<Route, JsValue> {
        if target.is_undefined() || target.is_null() {
            return self.default.clone().ok_or_else(no_logstore);
        }
        if !target.is_object() {
            return Err(invalid_target(
                "a send's target must be an object such as { logstore: \"errors\" }",
            ));
        }
        let field = |name: &str| -> Result<Option<String>, JsValue> {
            get(target, name)
                .map(|value| {
                    value.as_string().ok_or_else(|| {
                        invalid_target(&quoted(name, "` of a send's target must be a string"))
                    })
                })
                .transpose()
        };
        let project = field("project")?;
        let logstore = field("logstore")?;
        let topic = field("topic")?;
        let source = field("source")?;
        if let Some(default) = &self.default {
            if project.is_none() && logstore.is_none() && topic.is_none() && source.is_none() {
                return Ok(default.clone());
            }
        }
        let logstore = match logstore {
            Some(logstore) => logstore,
            None => match &self.default {
                Some(default) => default.logstore().into(),
                None => return Err(no_logstore()),
            },
        };
        route(
            project.as_deref().unwrap_or(&self.project),
            &logstore,
            topic.as_deref().unwrap_or(&self.topic),
            source.as_deref().unwrap_or(&self.source),
        )
        .map_err(|e| invalid_target(&join("invalid target: ", &invalid_name(&e))))
    }
}

fn route(
    project: &str,
    logstore: &str,
    topic: &str,
    source: &str,
) -> Result<Route, sls_producer_core::InvalidName> {
    Ok(Route::new(project, logstore)?
        .with_topic(topic)
        .with_source(source))
}

fn invalid_target(message: &str) -> JsValue {
    error(Code::InvalidTarget, message)
}

fn no_logstore() -> JsValue {
    invalid_target(
        "no logstore: the producer has no `logstore` option, so every send must name one, e.g. send(log, { logstore: \"app\" })",
    )
}
