//! Deterministic simulation suite: the real `Producer` + `Driver` on the `sim` runtime
//! (manual clock, run-until-stalled executor, scripted transport answered by a seeded
//! simulated server), thousands of random scenarios, and the invariants every one of them
//! must hold. Modules:
//!
//! | Module | What |
//! |---|---|
//! | [`scenario`] | a seed → configuration, routes, credentials, faults, clients, finale |
//! | [`server`] | the simulated SLS (faults, keys, delays) and the observing transport |
//! | [`credentials`] | a provider that rotates expiring STS keys and sometimes fails |
//! | [`run`] | runs a scenario through the real producer and records a trace |
//! | [`check`] | the invariants, checked on the trace |
//! | [`random`] | the seeded scenarios (`SIM_SEED`, `SIM_SCENARIOS`, `SIM_SEED_BASE`) |
//! | [`steady`] | one simulated hour of steady traffic, timed |
//! | [`checklist`] | spec §9 items not pinned elsewhere (see `docs/checklist.md`) |
//!
//! Replay a failing seed with
//! `SIM_SEED=<n> cargo test -p sls-producer-tests --test sim -- --nocapture`.

#[path = "sim/check.rs"]
mod check;

#[path = "sim/checklist.rs"]
mod checklist;

#[path = "sim/credentials.rs"]
mod credentials;

#[path = "sim/random.rs"]
mod random;

#[path = "sim/run.rs"]
mod run;

#[path = "sim/scenario.rs"]
mod scenario;

#[path = "sim/server.rs"]
mod server;

#[path = "sim/steady.rs"]
mod steady;

#[path = "sim/support.rs"]
mod support;
