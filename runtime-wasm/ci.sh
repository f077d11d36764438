#!/usr/bin/env bash
# The wasm side of CI, from a fresh machine (rustup/cargo, node >= 18, npm, apt), without
# input (CI=true is fine):
#
#   runtime-wasm/ci.sh
#
#  1. installs what is missing: the wasm32-unknown-unknown target, the pinned nightly that
#     builds the shipped .wasm files (runtime-wasm/shrink.sh), wasm-bindgen-cli at the
#     Cargo.lock version, wasm-pack, chromium + chromedriver (apt), and the pinned npm tools of
#     runtime-wasm/js-tools (binaryen's wasm-opt, terser, workerd, tsc) into $target/js-tools;
#  2. starts sls-local (the local SLS server) and the CORS sink on free ports;
#  3. runs the wasm-bindgen-test suites in Node, a headless Chromium page, a dedicated worker
#     (and the transport suite in a service worker): tests/support/run-wasm-tests.sh;
#  4. builds the npm package with wasm-pack + wasm-opt (js/build.sh) in its two flavours
#     (signed, and web tracking only), prints their sizes and fails past their limits,
#     type-checks a usage file against its .d.ts (tsc --noEmit), uses both packages from
#     Node and the signed one from JS Workers in workerd, and runs every code block of the package README
#     where it says it runs (Node, workerd, tsc; `page` blocks in step 5);
#  5. runs the browser example (examples/browser) in headless Chromium against sls-local,
#     checking that its events arrive, the last by the page-hide flush, and then the
#     README's `page` blocks;
#  6. builds the Rust Cloudflare Worker example and runs it in workerd (`workerd test`).
#
# Everything built goes to cargo's target directory ($target: CARGO_TARGET_DIR, default
# target/ of the workspace).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target="$root/$target" ;; esac
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
start=$(date +%s)
step() { echo; echo "=== [wasm $(($(date +%s) - start))s] $*"; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

step "toolchains: wasm32-unknown-unknown, and the pinned nightly of the shipped .wasm files"
rustup target add wasm32-unknown-unknown
# shellcheck source=shrink.sh
source runtime-wasm/shrink.sh
install_wasm_toolchain

lock_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if [[ "$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}')" != "$lock_version" ||
      "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$lock_version" ]]; then
  step "install wasm-bindgen-cli $lock_version (the Cargo.lock version; --locked fails on this registry)"
  cargo install wasm-bindgen-cli --version "$lock_version" --force
fi

if ! command -v wasm-pack >/dev/null; then
  step "install wasm-pack"
  cargo install wasm-pack --version 0.15.1 --locked
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  step "install chromium + chromedriver (apt)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver
fi
export CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver)}

step "npm tools (binaryen wasm-opt, terser, workerd, tsc) into $target/js-tools"
tools="$target/js-tools"
mkdir -p "$tools"
if ! cmp -s runtime-wasm/js-tools/package-lock.json "$tools/package-lock.json" ||
   [[ ! -x "$tools/node_modules/.bin/wasm-opt" || ! -x "$tools/node_modules/.bin/workerd" ||
      ! -x "$tools/node_modules/.bin/tsc" || ! -x "$tools/node_modules/.bin/terser" ]]; then
  cp runtime-wasm/js-tools/package.json runtime-wasm/js-tools/package-lock.json "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund)
fi
export WASM_OPT="$tools/node_modules/.bin/wasm-opt"
export WORKERD="$tools/node_modules/.bin/workerd"
export TSC="$tools/node_modules/.bin/tsc"
export TERSER="$tools/node_modules/.bin/terser"
"$WASM_OPT" --version
"$WORKERD" --version
"$TSC" --version
"$TERSER" --version

step "sls-local and the CORS sink"
# The builds below and the scripts they call all use $target.
export CARGO_TARGET_DIR="$target" SLS_LOCAL_BIN="$target/debug/sls-local"
cargo build -p sls-producer-tests --bin sls-local
# shellcheck source=tests/support/servers.sh
source runtime-wasm/tests/support/servers.sh
start_wasm_test_servers

step "wasm-bindgen-test suites: node, Chromium page, dedicated worker, service worker"
runtime-wasm/tests/support/run-wasm-tests.sh node browser worker service-worker

step "npm package, signed and tracking-only: wasm-pack build (+ wasm-opt -O1 or -Oz, whichever gzips smallest)"
mkdir -p "$target/sls-producer-js"
runtime-wasm/js/build.sh "$target/sls-producer-js/pkg" | tee "$target/sls-producer-js/build.log"
pkg="$target/sls-producer-js/pkg"

snippets="$target/sls-producer-js/readme-snippets"
rm -rf "$snippets"
node runtime-wasm/js/test-package/readme-snippets.mjs extract runtime-wasm/js/README.md "$snippets"

step "npm package types: tsc --noEmit on a usage file and the README's ts blocks"
runtime-wasm/js/test-package/check-types.sh "$pkg" "$snippets"/tsc-*.mts

step "npm package from Node (signed and tracking-only), and the README's Node snippets"
node runtime-wasm/js/test-package/node-smoke.mjs "$pkg" "$SLS_LOCAL_URL"
node runtime-wasm/js/test-package/node-tracking.mjs "$pkg-tracking" "$SLS_LOCAL_URL"
node runtime-wasm/js/test-package/readme-snippets.mjs node "$pkg" "$SLS_LOCAL_URL" "$snippets"

step "npm package in JS Workers (ours and the README's): workerd test"
wd="$target/sls-producer-js/workerd"
rm -rf "$wd" && mkdir -p "$wd"
cp -r "$pkg" "$wd/pkg"
[[ $(ls "$snippets"/worker-*.mjs | wc -l) -eq 1 ]] || { echo "expected one README Worker snippet" >&2; exit 1; }
cp "$snippets"/worker-1.mjs "$wd/readme-worker.mjs"
cp runtime-wasm/js/test-package/worker.mjs runtime-wasm/js/test-package/workerd-test.mjs "$wd/"
sed "s|@SLS_LOCAL_URL@|$SLS_LOCAL_URL|g" runtime-wasm/js/test-package/config.capnp.in >"$wd/config.capnp"
# A hung test (e.g. an unread request body) must fail, not stall CI.
timeout 300 "$WORKERD" test "$wd/config.capnp"

step "browser example and the README's page snippets in headless Chromium"
timeout 300 node examples/browser/test.mjs "$pkg" "$SLS_LOCAL_URL" "$snippets"

step "Rust Cloudflare Worker example: workerd test"
examples/cloudflare-worker/test/run.sh

step "done in $(($(date +%s) - start))s; the shipped npm package:"
sed -n '/^=== sls-producer-js package/,$p' "$target/sls-producer-js/build.log"
