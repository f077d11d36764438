#!/usr/bin/env bash
# Run the sls-producer-wasm test suites in JS environments, with the CORS sink running.
#
#   runtime-wasm/tests/support/run-wasm-tests.sh [node] [browser] [worker] [service-worker]
#
# No argument runs all four. Needs: the wasm32-unknown-unknown target, node >= 18,
# wasm-bindgen-test-runner of exactly the wasm-bindgen version in Cargo.lock, and for the
# browser environments chromium + chromedriver on PATH. SINK_PORT (default 18571) picks
# the sink's port. Extra cargo arguments can be given in CARGO_TEST_ARGS (never `-q`: the
# runner rejects `--quiet`).
set -euo pipefail
cd "$(dirname "$0")/../../.."

lock_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
runner_version=$(wasm-bindgen-test-runner --version | awk '{print $2}')
if [[ "$lock_version" != "$runner_version" ]]; then
  echo "wasm-bindgen-test-runner is $runner_version, Cargo.lock has wasm-bindgen $lock_version:" >&2
  echo "  cargo install wasm-bindgen-cli --version $lock_version" >&2
  exit 1
fi

port=${SINK_PORT:-18571}
log=$(mktemp)
node runtime-wasm/tests/support/cors_sink.js "$port" >"$log" 2>&1 &
sink=$!
trap 'kill "$sink" 2>/dev/null || true; wait "$sink" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q '^listening' "$log" && break
  kill -0 "$sink" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
grep -q '^listening' "$log" || { echo "sink did not start" >&2; cat "$log" >&2; exit 1; }

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export SLS_WASM_TEST_SINK="127.0.0.1:$port"
for env in "${@:-node browser worker service-worker}"; do
  for e in $env; do
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
  done
done
