//! Engine tests: literal instants, no executor. Test names follow the checklist of the Go
//! producer specification (§9) where one applies.

#[path = "engine/support.rs"]
mod support;

#[path = "engine/batching.rs"]
mod batching;

#[path = "engine/retry.rs"]
mod retry;

#[path = "engine/close.rs"]
mod close;

#[path = "engine/wire.rs"]
mod wire;

#[path = "engine/invariants.rs"]
mod invariants;

#[path = "engine/projects.rs"]
mod projects;

#[path = "engine/clock.rs"]
mod clock;

#[path = "engine/tracking.rs"]
mod tracking;
