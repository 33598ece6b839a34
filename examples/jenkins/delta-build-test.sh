#!/usr/bin/env bash
# Job 2, on every push: the delta image of GIT_COMMIT (seconds; an infra change runs a full build),
# then the test suite inside that image. The JUnit report lands in $WORKSPACE/junit_output.xml
# (JUNIT_FILE overrides) for the JUnit publisher, also when the tests fail (exit 1).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
require GIT_COMMIT 'GIT_COMMIT is not set (the Git plugin sets it)'
junit=${JUNIT_FILE:-$WORKSPACE/junit_output.xml}

rc=0
deployer delta-build "$GIT_COMMIT" || rc=$?
if [ "$rc" -ne 0 ]; then explain_exit "$rc"; exit "$rc"; fi

deployer test-image "$GIT_COMMIT" --junit "$junit" --json >"$WORKSPACE/test-image.json" || rc=$?
if jq -e 'has("passed")' "$WORKSPACE/test-image.json" >/dev/null 2>&1; then
  jq -r '"tests \(if .passed then "passed" else "FAILED" end): \(.headline) (JUnit report: \(.junit))"' "$WORKSPACE/test-image.json"
fi
explain_exit "$rc"
exit "$rc"
