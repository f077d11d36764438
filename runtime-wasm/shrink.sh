# How the shipped .wasm files are made small: the npm package (runtime-wasm/js/build.sh) and
# the Rust Cloudflare Worker example (examples/cloudflare-worker/test/run.sh). Sourced, not run.
#
# 1. Compile with a pinned nightly that rebuilds the standard library for the package:
#    `-Zbuild-std` (std compiled with the `wasm-release` profile: opt-level "z", LTO across
#    std too), std's `optimize_for_size` feature (its smaller algorithms), and
#    `panic = "immediate-abort"` (a panic is a trap: no panic messages or formatting linked),
#    and `-Zlocation-detail=none` (no source paths kept for `#[track_caller]`). Stable Rust
#    cannot rebuild std, so it links the precompiled one.
#    `SLS_WASM_TOOLCHAIN=stable` builds on stable without these (a larger .wasm).
# 2. Then wasm-opt -O1 and -Oz, keeping whichever gzips smallest (or neither).
# 3. Then short import names in the .wasm and its JS glue (runtime-wasm/minify-imports.mjs):
#    wasm-bindgen's are `__wbg_<name>_<16 hex digits>`, each written in both files.
#
# `install_wasm_toolchain` installs the toolchain (rustup: minimal profile, rust-src, the wasm32
# target); runtime-wasm/ci.sh calls it.

# The nightly of rustc 1.97.0 (e50aa6fba 2026-05-19).
SLS_WASM_TOOLCHAIN=${SLS_WASM_TOOLCHAIN:-nightly-2026-05-20}

# Cargo arguments for `cargo build --profile wasm-release` with $SLS_WASM_TOOLCHAIN.
wasm_build_args=()
if [[ $SLS_WASM_TOOLCHAIN == nightly* ]]; then
  wasm_build_args=(
    -Zbuild-std=std,panic_abort
    -Zbuild-std-features=optimize_for_size
    -Zpanic-immediate-abort
    --config 'profile.wasm-release.panic="immediate-abort"'
    --config 'build.rustflags=["-Zlocation-detail=none"]'
  )
fi

install_wasm_toolchain() {
  rustup toolchain install "$SLS_WASM_TOOLCHAIN" --profile minimal --component rust-src \
    --target wasm32-unknown-unknown
}

# shrink_wasm FILE WASM_OPT: optimise FILE in place with wasm-opt -O1 or -Oz, whichever gives
# the smallest gzip -9 (names and producers stripped alone if neither is smaller). Prints one
# line per level tried ("LEVEL RAW GZIP"), then "kept: WHAT".
shrink_wasm() {
  local wasm=$1 wasm_opt=$2 level best="" best_gz=0 raw gz
  for level in -O0 -O1 -Oz; do
    "$wasm_opt" "$level" --strip-debug --strip-producers "$wasm" -o "$wasm$level"
    raw=$(wc -c <"$wasm$level") gz=$(gzip -9 -c <"$wasm$level" | wc -c)
    echo "$level $raw $gz"
    if [[ -z $best ]] || ((gz < best_gz)); then best=$level best_gz=$gz; fi
  done
  mv "$wasm$best" "$wasm"
  rm -f "$wasm"-O?
  if [[ $best == -O0 ]]; then
    echo "kept: no wasm-opt (its gzip is larger)"
  else
    echo "kept: wasm-opt $best"
  fi
}

# minify_imports FILE_bg.wasm FILE.js: give the imports short names in both (step 3). Prints
# one line: what was renamed and the bytes before and after.
minify_imports() {
  node runtime-wasm/minify-imports.mjs "$1" "$2"
}
