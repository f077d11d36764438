#!/usr/bin/env bash
# Run the wasm-bindgen-test suites of sls-producer-wasm and sls-producer-js (the JS API) in
# JS environments, against the local SLS server (sls-local) and the CORS sink.
#
#   runtime-wasm/tests/support/run-wasm-tests.sh [node] [browser] [worker] [service-worker]
#
# No argument runs all four (service-worker runs the sls-producer-wasm suite only). Per
# environment:
#   sls-producer-wasm  tests/fetch.rs, tests/runtime.rs   (FetchTransport, WasmRuntime)
#   sls-producer-wasm  tests/producer.rs                  (build() on WasmRuntime vs sls-local)
#   sls-producer-wasm  tests/helpers.rs                   (WaitUntil, credentials, page listener)
#   sls-producer-js    tests/api.rs                       (the Producer class vs sls-local)
#   sls-producer-js    tests/page.rs                      (page life; browser only)
#
# Needs: the wasm32-unknown-unknown target, node >= 18, wasm-bindgen-test-runner of exactly
# the wasm-bindgen version in Cargo.lock, chromium + chromedriver on PATH for the browser
# environments. runtime-wasm/ci.sh installs all of that. Servers: started here (sls-local
# from $CARGO_TARGET_DIR/debug or target/debug, built if missing) unless SLS_LOCAL_URL and
# SLS_WASM_TEST_SINK are set.
# Extra cargo arguments can be given in CARGO_TEST_ARGS (never `-q`: the runner rejects
# `--quiet`).
set -euo pipefail
cd "$(dirname "$0")/../../.."

lock_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
runner_version=$(wasm-bindgen-test-runner --version | awk '{print $2}')
if [[ "$lock_version" != "$runner_version" ]]; then
  echo "wasm-bindgen-test-runner is $runner_version, Cargo.lock has wasm-bindgen $lock_version:" >&2
  echo "  cargo install wasm-bindgen-cli --version $lock_version" >&2
  exit 1
fi

if [[ -z "${SLS_LOCAL_URL:-}" || -z "${SLS_WASM_TEST_SINK:-}" ]]; then
  # shellcheck source=servers.sh
  source runtime-wasm/tests/support/servers.sh
  [[ -x "${SLS_LOCAL_BIN:-$(_wasm_target_dir)/debug/sls-local}" ]] ||
    cargo build -p sls-producer-tests --bin sls-local
  start_wasm_test_servers
fi

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-300}
envs=("$@")
[[ ${#envs[@]} -gt 0 ]] || envs=(node browser worker service-worker)
for e in "${envs[@]}"; do
  case "$e" in
    node) vars=() ;;
    browser) vars=(WASM_BINDGEN_USE_BROWSER=1) ;;
    worker) vars=(WASM_BINDGEN_USE_DEDICATED_WORKER=1) ;;
    service-worker) vars=(WASM_BINDGEN_USE_SERVICE_WORKER=1) ;;
    *) echo "unknown environment: $e (node|browser|worker|service-worker)" >&2; exit 2 ;;
  esac
  echo "=== sls-producer-wasm tests in $e"
  # shellcheck disable=SC2086
  env "${vars[@]}" cargo test -p sls-producer-wasm --target wasm32-unknown-unknown ${CARGO_TEST_ARGS:-}
  if [[ "$e" != service-worker ]]; then
    echo "=== sls-producer-js API tests in $e"
    # shellcheck disable=SC2086
    env "${vars[@]}" cargo test -p sls-producer-js --target wasm32-unknown-unknown --test api ${CARGO_TEST_ARGS:-}
  fi
  if [[ "$e" == browser ]]; then
    echo "=== sls-producer-js page-life tests in a browser page"
    # shellcheck disable=SC2086
    cargo test -p sls-producer-js --target wasm32-unknown-unknown --test page ${CARGO_TEST_ARGS:-}
  fi
done
