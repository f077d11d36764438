//! The messages say what the core's `Display` impls say.

use sls_producer_core::config::{EndpointError, ProducerConfig};
use sls_producer_core::{BuildError, ConfigError, Route};

use super::{build_error, config_error, invalid_name};

fn same_as_display(e: &ConfigError) {
    assert_eq!(config_error(e), e.to_string());
}

#[test]
fn config_errors_read_as_their_display() {
    same_as_display(&ConfigError::OutOfRange {
        field: "max_batch_bytes",
        value: 18_446_744_073_709_551_615,
        allowed: "[1 B, 10 MiB]",
    });
    same_as_display(&ConfigError::OutOfRange {
        field: "linger",
        value: 0,
        allowed: "≥ 1 ms",
    });
    same_as_display(&ConfigError::RegionRequired);
    same_as_display(&ConfigError::InvalidText {
        field: "region",
        allowed: "a region name",
    });
    same_as_display(&ConfigError::FeatureDisabled {
        field: "compression",
        feature: "zstd",
    });
    same_as_display(&ConfigError::Unsupported {
        field: "date_header",
        reason: "fetch owns it",
    });
    for reason in [
        EndpointError::Empty,
        EndpointError::UnsupportedScheme("ftp".into()),
        EndpointError::InvalidHost("a b".into()),
        EndpointError::InvalidPort("99999".into()),
        EndpointError::UnexpectedPath("/x?y".into()),
    ] {
        same_as_display(&ConfigError::InvalidEndpoint {
            endpoint: "ftp://a b:99999/x?y".into(),
            reason,
        });
    }
    same_as_display(&ConfigError::Project {
        project: "other".into(),
        error: Box::new(ConfigError::RegionRequired),
    });
}

#[test]
fn config_errors_of_validation_read_as_their_display() {
    let bad = [
        ProducerConfig::new("ftp://example.com"),
        ProducerConfig::new("example.com:0"),
        ProducerConfig::new("example.com").with_max_batch_bytes(0),
        ProducerConfig::new("example.com").with_memory_budget(1),
    ];
    for config in bad {
        let e = config.validate().unwrap_err();
        assert_eq!(config_error(&e), e.to_string());
    }
}

#[test]
fn build_errors_read_as_their_display() {
    let errors = [
        BuildError::Config(ConfigError::RegionRequired),
        BuildError::MissingCredentials,
        BuildError::MissingTransport,
        BuildError::InvalidCredentials {
            reason: "the AccessKey ID is empty",
        },
    ];
    for e in errors {
        assert_eq!(build_error(&e), e.to_string());
    }
}

#[test]
fn invalid_names_read_as_their_display() {
    for (project, logstore) in [
        ("ab", "store"),
        ("a", "store"),
        ("-project", "store"),
        ("proj_ect", "store"),
        ("projé", "store"),
        ("project", "s"),
        ("project", &"s".repeat(64)),
        ("project", "store-"),
        ("project", "Store"),
    ] {
        let e = Route::new(project, logstore).unwrap_err();
        assert_eq!(invalid_name(&e), e.to_string(), "{project} {logstore}");
    }
}
