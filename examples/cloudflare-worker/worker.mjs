// The Worker's entry module: instantiate the Rust code (built by test/run.sh or the README's
// commands with `wasm-bindgen --target web`) and hand it every request.
//
// workerd and Cloudflare give a `.wasm` import as a compiled WebAssembly.Module, so the
// module is instantiated synchronously (`initSync`); the default async `init()` would try
// to fetch the .wasm by URL.
import wasmModule from "./pkg/sls_producer_example_cloudflare_worker_bg.wasm";
import { initSync, fetch as handle } from "./pkg/sls_producer_example_cloudflare_worker.js";

initSync({ module: wasmModule });

export default {
  fetch(request, env, ctx) {
    return handle(request, env, ctx);
  },
};
