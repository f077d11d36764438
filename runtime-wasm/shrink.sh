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
# 2. Then wasm-opt with a few settings, keeping whichever gzips smallest (or none).
# 3. Then short names for wasm-bindgen's imports and closure shims, in the .wasm, its JS glue
#    and its .d.ts files (runtime-wasm/minify-names.mjs): wasm-bindgen's carry hashes, written
#    in each file.
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

# The wasm-opt settings tried; "-O0" is names and producers stripped alone. On this code the
# fewest passes gzip best: -Oz gives the fewest raw bytes, -O1 with functions that differ
# only in constants merged the fewest gzip bytes.
wasm_opt_settings=(-O0 -O1 -Oz "-O1 --merge-similar-functions --converge")

# shrink_wasm FILE WASM_OPT: optimise FILE in place with the wasm-opt setting that gives the
# smallest gzip -9. Prints one line per setting tried ("RAW GZIP SETTING"), then
# "kept: WHAT".
shrink_wasm() {
  local wasm=$1 wasm_opt=$2 i best=0 best_gz=0 raw gz setting
  for i in "${!wasm_opt_settings[@]}"; do
    read -ra setting <<<"${wasm_opt_settings[$i]}"
    "$wasm_opt" "${setting[@]}" --strip-debug --strip-producers "$wasm" -o "$wasm.$i"
    raw=$(wc -c <"$wasm.$i") gz=$(gzip -9 -c <"$wasm.$i" | wc -c)
    echo "$raw $gz ${wasm_opt_settings[$i]}"
    if ((i == 0 || gz < best_gz)); then best=$i best_gz=$gz; fi
  done
  mv "$wasm.$best" "$wasm"
  for i in "${!wasm_opt_settings[@]}"; do rm -f "$wasm.$i"; done
  if ((best == 0)); then
    echo "kept: no wasm-opt (its gzip is larger)"
  else
    echo "kept: wasm-opt ${wasm_opt_settings[$best]}"
  fi
}

# minify_names FILE_bg.wasm FILE.js [FILE.d.ts ...]: short names in all of them (step 3).
# Prints one line: what was renamed and the bytes before and after.
minify_names() {
  node runtime-wasm/minify-names.mjs "$@"
}
