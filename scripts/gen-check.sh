#!/usr/bin/env bash
# Fails when the committed generated code (libs/proto/src/gen) differs from what proto/ generates.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PATH="$PWD/node_modules/.bin:$PATH" buf generate proto -o "$out"
if ! diff -r "$out/libs/proto/src/gen" libs/proto/src/gen >/dev/null; then
  echo "generated code is stale: run 'pnpm gen' and commit libs/proto/src/gen" >&2
  diff -r "$out/libs/proto/src/gen" libs/proto/src/gen | head -40 >&2
  exit 1
fi
echo "generated code is up to date"
