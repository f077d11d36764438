# Sourced by run-wasm-tests.sh and runtime-wasm/ci.sh (bash): start the servers the wasm
# suites talk to, export their addresses, and stop them on exit.
#
#   start_wasm_test_servers      # needs the sls-local binary built: SLS_LOCAL_BIN, default
#                                # $CARGO_TARGET_DIR/debug/sls-local (target/ if unset)
#
# Exports SLS_LOCAL_URL (sls-local: the local SLS server, for producer tests) and
# SLS_WASM_TEST_SINK / SINK_PORT (cors_sink.js: echo/hang/status endpoints for the
# transport tests). Both listen on 127.0.0.1 on free ports. sls-local runs with:
#   --auto-create                     any project and logstore, web tracking enabled
#   --access-key testAccessKeyId:testAccessKeySecret
#   --sts STS.old:oldSecret:oldToken:1              (expired)
#   --sts STS.new:newSecret:newToken:4102444800     (valid until 2100)

_wasm_servers_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
_wasm_server_pids=()
_wasm_server_logs=()

# Cargo's target directory: CARGO_TARGET_DIR (relative to the workspace root), or target/.
_wasm_target_dir() {
  local dir=${CARGO_TARGET_DIR:-target}
  case "$dir" in /*) echo "$dir" ;; *) echo "$_wasm_servers_root/$dir" ;; esac
}

_wasm_stop_servers() {
  local pid
  for pid in "${_wasm_server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  _wasm_server_pids=()
  rm -f "${_wasm_server_logs[@]}"
}

# _wasm_wait_for_line LOG PID PATTERN: wait up to 30 s for PATTERN in LOG.
_wasm_wait_for_line() {
  local log=$1 pid=$2 pattern=$3
  for _ in $(seq 300); do
    grep -q "$pattern" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for '$pattern'" >&2
  cat "$log" >&2
  return 1
}

start_wasm_test_servers() {
  local bin=${SLS_LOCAL_BIN:-$(_wasm_target_dir)/debug/sls-local}
  [[ -x "$bin" ]] || { echo "sls-local not built: cargo build -p sls-producer-tests --bin sls-local" >&2; return 1; }
  trap _wasm_stop_servers EXIT

  local sls_log sink_log
  sls_log=$(mktemp) sink_log=$(mktemp)
  _wasm_server_logs+=("$sls_log" "$sink_log")

  "$bin" --port 0 --auto-create --quiet \
    --access-key testAccessKeyId:testAccessKeySecret \
    --sts STS.old:oldSecret:oldToken:1 \
    --sts STS.new:newSecret:newToken:4102444800 >"$sls_log" 2>&1 &
  _wasm_server_pids+=($!)
  _wasm_wait_for_line "$sls_log" "$!" '^sls-local listening on ' || return 1
  SLS_LOCAL_URL=$(sed -n 's/^sls-local listening on \(http:[^ ]*\).*/\1/p' "$sls_log" | head -1)
  export SLS_LOCAL_URL

  node "$_wasm_servers_root/runtime-wasm/tests/support/cors_sink.js" 0 >"$sink_log" 2>&1 &
  _wasm_server_pids+=($!)
  _wasm_wait_for_line "$sink_log" "$!" '^listening' || return 1
  SINK_PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$sink_log" | head -1)
  export SINK_PORT SLS_WASM_TEST_SINK="127.0.0.1:$SINK_PORT"
  echo "sls-local at $SLS_LOCAL_URL, CORS sink at $SLS_WASM_TEST_SINK"
}
