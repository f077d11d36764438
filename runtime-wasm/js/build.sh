#!/usr/bin/env bash
# Build the npm package `sls-producer-js` and print the size of its .wasm.
#
#   runtime-wasm/js/build.sh [OUT_DIR]         (default $target/sls-producer-js/pkg)
#
# $target is cargo's target directory: CARGO_TARGET_DIR, or target/ of the workspace.
#
# 1. wasm-pack build --target web, offline (--mode no-install: the wasm-bindgen CLI on PATH,
#    which must match Cargo.lock; --no-opt), with the workspace's `wasm-release` profile
#    (opt-level "z", LTO, one codegen unit, panic=abort) and without zstd;
# 2. wasm-opt -Oz from npm binaryen (WASM_OPT, or $target/js-tools/node_modules/.bin/wasm-opt as
#    installed by runtime-wasm/ci.sh). Debian's binaryen breaks wasm-bindgen output: not used.
# 3. Prints the .wasm size: raw and gzip -9, before (names stripped) and after wasm-opt.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target="$root/$target" ;; esac
out=${1:-$target/sls-producer-js/pkg}
case "$out" in /*) ;; *) out="$root/$out" ;; esac
wasm_opt=${WASM_OPT:-$target/js-tools/node_modules/.bin/wasm-opt}
[[ -x "$wasm_opt" ]] || { echo "wasm-opt not found at $wasm_opt (npm binaryen; runtime-wasm/ci.sh installs it)" >&2; exit 1; }

rm -rf "$out"
wasm-pack build runtime-wasm/js --target web --mode no-install --no-opt \
  --profile wasm-release --out-dir "$out"
rm -f "$out/.gitignore"
# wasm-pack writes package.json before it copies LICENSE-MIT and LICENSE-APACHE, so its
# "files" list misses them and npm would leave them out of the tarball: list them.
node - "$out" <<'JS'
const fs = require("fs"), path = require("path");
const out = process.argv[2], manifest = path.join(out, "package.json");
const pkg = JSON.parse(fs.readFileSync(manifest, "utf8"));
const licences = fs.readdirSync(out).filter((f) => f.startsWith("LICENSE"));
if (licences.length === 0) throw new Error(`no LICENSE files in ${out}`);
pkg.files = [...new Set([...(pkg.files ?? []), ...licences])];
fs.writeFileSync(manifest, JSON.stringify(pkg, null, 2) + "\n");
JS

wasm="$out/sls_producer_js_bg.wasm"
# For comparison: the same module with only its name section dropped (no optimization).
"$wasm_opt" -O0 --strip-debug --strip-producers "$wasm" -o "$wasm.stripped"
raw_before=$(wc -c <"$wasm.stripped")
gzip_before=$(gzip -9 -c "$wasm.stripped" | wc -c)
rm -f "$wasm.stripped"
"$wasm_opt" -Oz --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
js=$(wc -c <"$out/sls_producer_js.js")
js_gz=$(gzip -9 -c "$out/sls_producer_js.js" | wc -c)

echo "=== sls-producer-js package in $out"
printf '%-50s %10s %10s\n' "bytes" "raw" "gzip -9"
printf '%-50s %10d %10d\n' "sls_producer_js_bg.wasm before wasm-opt (no names)" "$raw_before" "$gzip_before"
printf '%-50s %10d %10d\n' "sls_producer_js_bg.wasm after wasm-opt -Oz (shipped)" "$raw" "$gz"
printf '%-50s %10d %10d\n' "sls_producer_js.js (JS glue, shipped)" "$js" "$js_gz"
echo "wasm-opt: $("$wasm_opt" --version)"
