#!/usr/bin/env bash
# Build the npm package `sls-producer-js` in its two flavours and print their sizes.
#
#   runtime-wasm/js/build.sh [OUT_DIR]         (default $target/sls-producer-js/pkg)
#
# $target is cargo's target directory: CARGO_TARGET_DIR, or target/ of the workspace.
#
#   OUT_DIR            signed (default features: `credentials` / `accessKeyId`, LZ4, and web
#                      tracking): the package the tests use;
#   OUT_DIR-tracking   web tracking only (`--no-default-features`: no signing or digest code).
#
# For each: wasm-pack build --target web, offline (--mode no-install: the wasm-bindgen CLI
# on PATH, which must match Cargo.lock; --no-opt), with the workspace's `wasm-release`
# profile (opt-level "z", LTO, one codegen unit) and without zstd, on the pinned nightly that
# rebuilds std for size (runtime-wasm/shrink.sh: build-std, panic = "immediate-abort"); then
# wasm-opt from npm binaryen (WASM_OPT, or $target/js-tools/node_modules/.bin/wasm-opt as
# installed by runtime-wasm/ci.sh; Debian's binaryen breaks wasm-bindgen output) with the
# settings of shrink.sh, whichever gives the smallest gzip; short names for wasm-bindgen's
# imports and closure shims (runtime-wasm/minify-names.mjs); the JS glue minified with terser
# (TERSER, or the one of $target/js-tools). Prints raw and gzip -9 sizes of the shipped .wasm
# and JS glue, and fails if a flavour's shipped gzip total exceeds its limit (below).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# shellcheck source=../shrink.sh
source runtime-wasm/shrink.sh
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target="$root/$target" ;; esac
out=${1:-$target/sls-producer-js/pkg}
case "$out" in /*) ;; *) out="$root/$out" ;; esac
wasm_opt=${WASM_OPT:-$target/js-tools/node_modules/.bin/wasm-opt}
[[ -x "$wasm_opt" ]] || { echo "wasm-opt not found at $wasm_opt (npm binaryen; runtime-wasm/ci.sh installs it)" >&2; exit 1; }
terser=${TERSER:-$target/js-tools/node_modules/.bin/terser}
[[ -x "$terser" ]] || { echo "terser not found at $terser (npm terser; runtime-wasm/ci.sh installs it)" >&2; exit 1; }

# Ceilings on the shipped gzip -9 bytes (wasm + JS glue): ratchets that stop growth, lowered
# as bytes are removed. Issue 16's targets are 25 KB (tracking) and 40 KB (signed).
limit_signed=${SIZE_LIMIT_SIGNED:-100200}
limit_tracking=${SIZE_LIMIT_TRACKING:-77000}

gz() { gzip -9 -c <"$1" | wc -c; }

# build DIR [cargo args...]: one flavour into DIR; prints its size lines.
build() {
  local dir=$1
  shift
  rm -rf "$dir"
  RUSTUP_TOOLCHAIN=$SLS_WASM_TOOLCHAIN wasm-pack build runtime-wasm/js --target web \
    --mode no-install --no-opt --profile wasm-release --out-dir "$dir" -- \
    "${wasm_build_args[@]}" "$@" >&2
  rm -f "$dir/.gitignore"
  # wasm-pack writes package.json before it copies LICENSE-MIT and LICENSE-APACHE, so its
  # "files" list misses them and npm would leave them out of the tarball: list them.
  node - "$dir" <<'JS'
const fs = require("fs"), path = require("path");
const out = process.argv[2], manifest = path.join(out, "package.json");
const pkg = JSON.parse(fs.readFileSync(manifest, "utf8"));
const licences = fs.readdirSync(out).filter((f) => f.startsWith("LICENSE"));
if (licences.length === 0) throw new Error(`no LICENSE files in ${out}`);
pkg.files = [...new Set([...(pkg.files ?? []), ...licences])];
fs.writeFileSync(manifest, JSON.stringify(pkg, null, 2) + "\n");
JS
  local wasm="$dir/sls_producer_js_bg.wasm"
  # The settings wasm-opt tried ("RAW GZIP SETTING" lines), then "kept: WHAT".
  local tried="$dir/.wasm-opt" raw_l gz_l setting kept
  shrink_wasm "$wasm" "$wasm_opt" >"$tried"
  while read -r raw_l gz_l setting; do
    case $raw_l in
      kept:) kept="$gz_l $setting" ;;
      *) [[ $setting != -O0 ]] || setting="-O0 (names stripped alone)"
        printf '%-60s %10d %10d\n' "  .wasm, wasm-opt $setting" "$raw_l" "$gz_l" ;;
    esac
  done <"$tried"
  rm "$tried"
  echo "  $(minify_names "$wasm" "$dir/sls_producer_js.js" "$dir"/*.d.ts)"
  # The glue minified (an ES module: its exports keep their names; index.d.ts types them).
  "$terser" "$dir/sls_producer_js.js" --module --compress --mangle -o "$dir/sls_producer_js.js"
  local raw gzw js js_gz
  raw=$(wc -c <"$wasm") gzw=$(gz "$wasm")
  js=$(wc -c <"$dir/sls_producer_js.js") js_gz=$(gz "$dir/sls_producer_js.js")
  printf '%-60s %10d %10d   (%s)\n' "  .wasm shipped" "$raw" "$gzw" "$kept"
  printf '%-60s %10d %10d\n' "  sls_producer_js.js (JS glue, shipped)" "$js" "$js_gz"
  printf '%-60s %10d %10d\n' "  shipped total" "$((raw + js))" "$((gzw + js_gz))"
  echo "$((gzw + js_gz))" >"$dir/.shipped-gzip"
}

signed_lines=$(build "$out")
tracking_lines=$(build "$out-tracking" --no-default-features)
signed=$(cat "$out/.shipped-gzip") tracking=$(cat "$out-tracking/.shipped-gzip")
rm -f "$out/.shipped-gzip" "$out-tracking/.shipped-gzip"

echo "=== sls-producer-js package in $out (and $out-tracking)"
printf '%-60s %10s %10s\n' "bytes" "raw" "gzip -9"
echo "signed (STS / AccessKey, LZ4, web tracking): $out"
echo "$signed_lines"
echo "web tracking only (--no-default-features): $out-tracking"
echo "$tracking_lines"
echo "toolchain: $(rustc "+$SLS_WASM_TOOLCHAIN" --version); wasm-opt: $("$wasm_opt" --version)"
echo "shipped gzip -9: signed $signed bytes (limit $limit_signed), tracking-only $tracking bytes (limit $limit_tracking)"
fail=0
((signed <= limit_signed)) || { echo "the signed package grew past its limit" >&2; fail=1; }
((tracking <= limit_tracking)) || { echo "the tracking-only package grew past its limit" >&2; fail=1; }
exit $fail
