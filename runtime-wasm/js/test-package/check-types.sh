#!/usr/bin/env bash
# Type-check the npm package's .d.ts as users meet it: `tsc --noEmit --strict` on
# test-package/usage.mts (and any extra .mts files given), with the built package
# importable as "sls-producer-js".
#
#   runtime-wasm/js/test-package/check-types.sh PKG_DIR [FILE.mts ...]
#
# TSC: the compiler (default $target/js-tools/node_modules/.bin/tsc, installed by ci.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkg=$(cd "$1" && pwd)
shift
root=$(cd "$here/../../.." && pwd)
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target="$root/$target" ;; esac
tsc=${TSC:-$target/js-tools/node_modules/.bin/tsc}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/node_modules"
ln -s "$pkg" "$dir/node_modules/sls-producer-js"
cp "$here/usage.mts" "$dir/"
for f in "$@"; do cp "$f" "$dir/"; done
cat >"$dir/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "target": "esnext",
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "lib": ["esnext", "dom"],
    "types": [],
    "skipLibCheck": false
  },
  "include": ["*.mts"]
}
JSON
(cd "$dir" && "$tsc" -p tsconfig.json)
echo "tsc --noEmit: the package's types check ($("$tsc" --version))"
