#!/usr/bin/env bash
# Fills .gpu/ with what scripts/gpu-check.sh needs on a GPU machine that has no Node, no npm and no
# network, from this (build) machine: node.xz (this machine's node, xz'd), the compiled dist/ and
# package.json, the header-only packages the plain-cmake build needs (node-api-headers,
# node-addon-api) and the addon loader (node-gyp-build), and the PyTorch reference scripts
# (../shared/reference: oracle.py, models.py, compare.py). .gpu/ is kept out of git.
#
#   scripts/gpu-pack.sh          # then carry the repository's tracked files plus these paths:
#                                #   .gpu/node.xz .gpu/package.json .gpu/dist .gpu/node_modules .gpu/reference
# (.gpu/build is a local build cache of `gpu-check.sh --cpu`; it is not carried.)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
stage=${VGG2_GPU_STAGE:-$repo/.gpu}
reference=${VGG2_REFERENCE:-$repo/../shared/reference}
limit=$((60 * 1024 * 1024))  # the carried tree must stay under 64 MiB with the sources

cd "$repo"
for pkg in node-api-headers node-addon-api node-gyp-build typescript; do
  [ -d "node_modules/$pkg" ] || { echo "gpu-pack: node_modules/$pkg is missing: run npm ci first" >&2; exit 1; }
done
for f in oracle.py models.py compare.py; do
  [ -f "$reference/$f" ] || { echo "gpu-pack: $reference/$f is missing (set VGG2_REFERENCE)" >&2; exit 1; }
done

echo "gpu-pack: compiling TypeScript" >&2
npx tsc -p tsconfig.json

mkdir -p "$stage"
rm -rf "$stage/dist" "$stage/node_modules" "$stage/reference" "$stage/node"
cp -r dist "$stage/dist"
cp package.json "$stage/"
mkdir -p "$stage/node_modules/node-api-headers" "$stage/reference"
cp -r node_modules/node-api-headers/include node_modules/node-api-headers/package.json "$stage/node_modules/node-api-headers/"
cp -r node_modules/node-addon-api node_modules/node-gyp-build "$stage/node_modules/"
cp "$reference"/{oracle.py,models.py,compare.py} "$stage/reference/"

node_bin=$(command -v node)
if [ ! -f "$stage/node.xz" ] || [ "$node_bin" -nt "$stage/node.xz" ] \
   || [ "$(cat "$stage/node.version" 2>/dev/null)" != "$(node --version)" ]; then
  echo "gpu-pack: compressing $node_bin ($(node --version))" >&2
  xz -T0 -6 -c "$node_bin" >"$stage/node.xz.part" && mv "$stage/node.xz.part" "$stage/node.xz"
  node --version >"$stage/node.version"
fi

carried=(node.xz package.json dist node_modules reference)
bytes=$(cd "$stage" && du -cb "${carried[@]}" | tail -n1 | cut -f1)
sources=$(git ls-files -z | du -cb --files0-from=- 2>/dev/null | tail -n1 | cut -f1)
echo "gpu-pack: .gpu/{$(IFS=,; echo "${carried[*]}")} = $((bytes / 1024 / 1024)) MiB, tracked sources $((sources / 1024 / 1024)) MiB" >&2
if [ $((bytes + sources)) -ge "$limit" ]; then
  echo "gpu-pack: over $((limit / 1024 / 1024)) MiB: too big to carry" >&2
  exit 1
fi
