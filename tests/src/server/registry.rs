//! The projects and logstores the server knows.

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

use super::config::LogstoreOptions;
use super::error::SlsError;

/// Projects and their logstores; with `auto_create`, unknown ones spring into existence
/// (with web tracking enabled) on first use.
#[derive(Default)]
pub(crate) struct Registry {
    projects: RwLock<BTreeMap<String, BTreeMap<String, LogstoreOptions>>>,
    auto_create: bool,
}

impl Registry {
    pub(crate) fn new(auto_create: bool) -> Self {
        Self {
            projects: RwLock::default(),
            auto_create,
        }
    }

    pub(crate) fn add_project(&self, project: &str) {
        self.projects
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(project.to_owned())
            .or_default();
    }

    pub(crate) fn add_logstore(&self, project: &str, logstore: &str, opts: LogstoreOptions) {
        self.projects
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(project.to_owned())
            .or_default()
            .insert(logstore.to_owned(), opts);
    }

    /// `ProjectNotExist` unless the project exists (or is auto-created).
    pub(crate) fn check_project(&self, project: &str) -> Result<(), SlsError> {
        let known = self
            .projects
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(project);
        if known {
            return Ok(());
        }
        if self.auto_create {
            self.add_project(project);
            return Ok(());
        }
        Err(SlsError::project_not_exist(project))
    }

    /// The logstore's options; `LogStoreNotExist` unless it exists (or is auto-created).
    pub(crate) fn logstore(
        &self,
        project: &str,
        logstore: &str,
    ) -> Result<LogstoreOptions, SlsError> {
        self.check_project(project)?;
        let found = self
            .projects
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(project)
            .and_then(|p| p.get(logstore))
            .copied();
        match found {
            Some(o) => Ok(o),
            None if self.auto_create => {
                let o = LogstoreOptions::web_tracking();
                self.add_logstore(project, logstore, o);
                Ok(o)
            }
            None => Err(SlsError::logstore_not_exist(logstore)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_registry_knows_only_what_was_added() {
        let r = Registry::new(false);
        r.add_logstore("p", "ls", LogstoreOptions::default());
        r.add_project("empty");
        assert_eq!(r.logstore("p", "ls"), Ok(LogstoreOptions::default()));
        assert_eq!(
            r.logstore("p", "nope").unwrap_err().code,
            "LogStoreNotExist"
        );
        assert_eq!(
            r.logstore("empty", "ls").unwrap_err().code,
            "LogStoreNotExist"
        );
        assert_eq!(r.logstore("q", "ls").unwrap_err().code, "ProjectNotExist");
        assert_eq!(r.check_project("q").unwrap_err().status, 404);
    }

    #[test]
    fn auto_create_accepts_anything_with_tracking() {
        let r = Registry::new(true);
        assert_eq!(
            r.logstore("new", "web"),
            Ok(LogstoreOptions::web_tracking())
        );
        r.add_logstore("p", "closed", LogstoreOptions::default());
        assert_eq!(r.logstore("p", "closed"), Ok(LogstoreOptions::default()));
    }
}
