#!/usr/bin/env bash
# The fault suite (`npm run faults`, also run by .ci/run): every case in test/faults/ injects one
# fault into real services and checks the exit code, the message and that nothing was lost; then
# the table of test/support/fault-case.ts's records. scripts/services.sh must have run.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
DEPLOYER_FAULTS_OUT="$out" npx vitest run --config vitest.faults.config.ts "$@"
status=$?
node scripts/faults-table.mjs "$out"
table=$?
rm -rf "$out"
[ "$status" -eq 0 ] && [ "$table" -eq 0 ]
