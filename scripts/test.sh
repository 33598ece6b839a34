#!/usr/bin/env bash
# The test command (README Quick start and .ci/run): type-check, then every test file against real
# services (scripts/services.sh must have run). Prints a plain "N passed, N failed" closing line.
set -uo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit || { echo "typecheck failed"; echo "0 passed, 1 failed"; exit 1; }
report=$(mktemp)
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0)} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$report" 2>/dev/null || echo "0 passed, 1 failed"
rm -f "$report"
exit $status
