#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, checks the generated code,
# builds, then runs every unit suite and the end-to-end suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
pnpm install --frozen-lockfile
bash scripts/gen-check.sh
pnpm -s build
export NODE_OPTIONS=--experimental-vm-modules
pnpm exec jest --selectProjects unit
pnpm exec jest --selectProjects e2e --runInBand
