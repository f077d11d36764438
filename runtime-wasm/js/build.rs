//! One name for the wasm cfg the crate tests: `wasm_browser` is `wasm32-unknown-unknown`
//! (browsers, Node, Workers), where runtime handles are not `Send`.
fn main() {
    cfg_aliases::cfg_aliases! {
        wasm_browser: { all(target_family = "wasm", target_os = "unknown") },
    }
}
