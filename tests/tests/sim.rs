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
//! | [`helpers`] | compression helpers next to the driver |
//!
//! Invariants checked on every scenario (details in [`check`]): each accepted send gets
//! exactly one outcome; the logs reported delivered are exactly the logs of requests the
//! server answered 200 *and the producer saw answered* (bodies decompressed and decoded),
//! and a failure hands back exactly the others; no body exceeds the batch limits; the
//! memory budget and the in-flight limit hold; retries follow the configured backoff
//! (jitter replayed from the seed) and leave late only for busy slots or fresh
//! credentials; nothing is accepted after close starts, nothing is sent after the close
//! deadline, close and the driver finish by it; every request carries the newest
//! credentials; counters, close reports and metrics agree with the server; nothing is
//! left running. A response lost after the server stored the logs, or a 200 still in
//! flight at the close deadline, is an at-least-once duplicate, never a delivery.
//!
//! Replay a failing seed with
//! `SIM_SEED=<n> cargo test -p sls-producer-tests --test sim -- --nocapture`
//! (prints the scenario and its timeline); run more with `SIM_SCENARIOS=<n>` and other
//! seeds with `SIM_SEED_BASE=<s>`.

#[path = "sim/check.rs"]
mod check;

#[path = "sim/checklist.rs"]
mod checklist;

#[path = "sim/credentials.rs"]
mod credentials;

#[path = "sim/helpers.rs"]
mod helpers;

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
