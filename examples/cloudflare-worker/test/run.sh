#!/usr/bin/env bash
# Build the example Worker and run it in workerd (`workerd test`) against the local SLS
# server: test/test.mjs calls the Worker and checks that each request's log arrives.
#
#   examples/cloudflare-worker/test/run.sh
#
# Needs: the pinned toolchain of runtime-wasm/shrink.sh (`install_wasm_toolchain`),
# wasm-bindgen (the Cargo.lock version), and workerd (WORKERD, or
# $target/js-tools/node_modules/.bin/workerd as installed by runtime-wasm/ci.sh). sls-local is started unless SLS_LOCAL_URL is set. $target is cargo's
# target directory: CARGO_TARGET_DIR, or target/ of the workspace.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target="$root/$target" ;; esac
workerd=${WORKERD:-$target/js-tools/node_modules/.bin/workerd}
[[ -x "$workerd" ]] || { echo "workerd not found at $workerd (npm install workerd, or set WORKERD)" >&2; exit 1; }

if [[ -z "${SLS_LOCAL_URL:-}" ]]; then
  # shellcheck source=../../../runtime-wasm/tests/support/servers.sh
  source runtime-wasm/tests/support/servers.sh
  [[ -x "${SLS_LOCAL_BIN:-$target/debug/sls-local}" ]] ||
    cargo build -p sls-producer-tests --bin sls-local
  start_wasm_test_servers
fi

out="$target/cloudflare-worker"
crate=sls_producer_example_cloudflare_worker
# shellcheck source=../../../runtime-wasm/shrink.sh
source runtime-wasm/shrink.sh
# As the npm package (runtime-wasm/js/build.sh): built on the pinned nightly that rebuilds std
# for size, then the wasm-opt setting that gives the smallest gzip, and short import
# names.
cargo "+$SLS_WASM_TOOLCHAIN" build -p sls-producer-example-cloudflare-worker \
  --target wasm32-unknown-unknown --profile wasm-release "${wasm_build_args[@]}"
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out/pkg" "$target/wasm32-unknown-unknown/wasm-release/$crate.wasm"
wasm="$out/pkg/${crate}_bg.wasm"
wasm_opt=${WASM_OPT:-$target/js-tools/node_modules/.bin/wasm-opt}
note="wasm-opt not found: names kept"
if [[ -x "$wasm_opt" ]]; then
  note=$(shrink_wasm "$wasm" "$wasm_opt" | sed -n 's/^kept: //p')
fi
minify_names "$wasm" "$out/pkg/$crate.js" "$out"/pkg/*.d.ts
cp examples/cloudflare-worker/worker.mjs examples/cloudflare-worker/test/test.mjs "$out/"
sed "s|@SLS_LOCAL_URL@|$SLS_LOCAL_URL|g" examples/cloudflare-worker/test/config.capnp.in >"$out/config.capnp"
echo "=== workerd test ($("$workerd" --version)), Worker wasm $(wc -c <"$wasm") bytes raw, $(gzip -9 -c <"$wasm" | wc -c) gzip -9 ($note; $SLS_WASM_TOOLCHAIN)"
timeout 300 "$workerd" test "$out/config.capnp"
