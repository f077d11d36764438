//! The SLS protocol as pure functions and data: the `LogGroup` protobuf and its streaming
//! encoder, compression, request signing, PutLogs and web-tracking requests, endpoints,
//! error bodies, shard keys, pack ids and calendar dates. Nothing here holds state or
//! reads a clock; everything is tested with golden vectors.

// Without `__internals` this module is private: its `pub` items are the crate's, and the
// few that users name are re-exported elsewhere.
#![cfg_attr(
    not(feature = "__internals"),
    allow(unreachable_pub, dead_code, unused_imports)
)]

pub mod compress;
pub(crate) mod decimal;
pub(crate) mod encoding;
pub mod endpoint;
pub mod http;
pub(crate) mod json;
pub mod limits;
pub mod pack_id;
pub mod proto;
pub mod request;
pub mod response;
pub mod shard;
pub mod sign;
pub mod time;
