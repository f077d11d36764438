//! The messages of the core's errors, written here without `core::fmt`.
//!
//! The core's `Display` impls format with `write!`, which would link their formatting code
//! (and the integer and `Debug` formatting they use) into the package for messages that are
//! only ever thrown as text. These say the same from the errors' fields with plain string
//! pushes; the error's `code` is what JS code should branch on.

use sls_producer_core::config::EndpointError;
use sls_producer_core::{BuildError, ConfigError, InvalidName, InvalidNameReason, NameKind};

/// A message built by appending pieces.
struct Text(String);

impl Text {
    fn new() -> Self {
        Self(String::new())
    }

    fn s(mut self, piece: &str) -> Self {
        self.0.push_str(piece);
        self
    }

    /// `n` in decimal.
    fn n(mut self, n: u64) -> Self {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for &d in &digits[at..] {
            self.0.push(char::from(d));
        }
        self
    }
}

/// What `BuildError`'s `Display` says.
pub(crate) fn build_error(e: &BuildError) -> String {
    match e {
        BuildError::Config(e) => {
            config_text(Text::new().s("invalid producer configuration: "), e).0
        }
        BuildError::MissingCredentials => "no credentials given: call with_credentials (e.g. \
                                           Credentials::from_env()) or with_credentials_provider"
            .into(),
        BuildError::MissingTransport => {
            "this runtime has no HTTP transport of its own: call with_transport".into()
        }
        BuildError::InvalidCredentials { reason } => {
            Text::new().s("invalid credentials: ").s(reason).0
        }
        // Not reachable from this package (no runtime lookup, no spool); a variant added
        // later says what it is through the error code.
        _ => "the producer could not be built".into(),
    }
}

/// What `ConfigError`'s `Display` says.
pub(crate) fn config_error(e: &ConfigError) -> String {
    config_text(Text::new(), e).0
}

fn config_text(t: Text, e: &ConfigError) -> Text {
    match e {
        ConfigError::OutOfRange {
            field,
            value,
            allowed,
        } => t
            .s("invalid `")
            .s(field)
            .s("` = ")
            .n(*value)
            .s(": must be ")
            .s(allowed),
        ConfigError::InvalidEndpoint { endpoint, reason } => {
            endpoint_text(t.s("invalid `endpoint` = \"").s(endpoint).s("\": "), reason)
        }
        ConfigError::RegionRequired => t.s(
            "signature v4 needs a region: set `region` (e.g. \"cn-hangzhou\") or use a \
             {region}.log.aliyuncs.com endpoint",
        ),
        ConfigError::InvalidText { field, allowed } => {
            t.s("invalid `").s(field).s("`: must be ").s(allowed)
        }
        ConfigError::FeatureDisabled { field, feature } => t
            .s("`")
            .s(field)
            .s("` needs the `")
            .s(feature)
            .s("` feature of sls-producer-core"),
        ConfigError::Unsupported { field, reason } => {
            t.s("unsupported `").s(field).s("`: ").s(reason)
        }
        ConfigError::Project { project, error } => config_text(
            t.s("invalid configuration of project `")
                .s(project)
                .s("`: "),
            error,
        ),
        _ => t.s("invalid configuration"),
    }
}

fn endpoint_text(t: Text, e: &EndpointError) -> Text {
    match e {
        EndpointError::Empty => t.s("endpoint is empty"),
        EndpointError::UnsupportedScheme(s) => t
            .s("endpoint scheme `")
            .s(s)
            .s("` is not supported (use http:// or https://)"),
        EndpointError::InvalidHost(h) => {
            t.s("endpoint host `").s(h).s("` is not a valid host name")
        }
        EndpointError::InvalidPort(p) => t.s("endpoint port `").s(p).s("` is not in 1..=65535"),
        EndpointError::UnexpectedPath(p) => t
            .s("endpoint must be `[scheme://]host[:port]`, found trailing `")
            .s(p)
            .s("`"),
    }
}

/// What `InvalidName`'s `Display` says.
pub(crate) fn invalid_name(e: &InvalidName) -> String {
    let (kind, allowed) = match e.kind {
        NameKind::Project => ("project", "lowercase letters, digits and '-'"),
        NameKind::Logstore => ("logstore", "lowercase letters, digits, '-' and '_'"),
    };
    let t = Text::new()
        .s("invalid ")
        .s(kind)
        .s(" name \"")
        .s(&e.name)
        .s("\": ");
    match e.reason {
        InvalidNameReason::Length { len, min, max } => t
            .s("it is ")
            .n(len as u64)
            .s(if len == 1 {
                " character"
            } else {
                " characters"
            })
            .s(" long; a ")
            .s(kind)
            .s(" name has ")
            .n(min as u64)
            .s(" to ")
            .n(max as u64)
            .s(" (")
            .s(allowed)
            .s(")"),
        InvalidNameReason::Character { index, ch } => {
            let mut t = t.s("'");
            t.0.push(ch);
            t.s("' at offset ")
                .n(index as u64)
                .s(" is not allowed (use ")
                .s(allowed)
                .s(")")
        }
        InvalidNameReason::Edge => t.s("must start and end with a letter or digit"),
    }
    .0
}

#[cfg(test)]
mod tests;
