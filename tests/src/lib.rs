//! Test support for the SLS producer: a local SLS-compatible server and shared suites.
#![forbid(unsafe_code)]
