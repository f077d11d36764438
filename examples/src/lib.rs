//! Examples for the SLS producer; see the `examples/` directory.
