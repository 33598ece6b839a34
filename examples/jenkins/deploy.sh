#!/usr/bin/env bash
# Job 3, after job 2 passed: a healthy environment of GIT_COMMIT with its preview hostname. The
# preview URL is printed as "Preview: <url>" (a description-setter regex: ^Preview: (.*)$) and
# written to $WORKSPACE/preview-url.txt (the Jenkinsfile puts it in the build description).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
require GIT_COMMIT 'GIT_COMMIT is not set (the Git plugin sets it)'
rm -f "$WORKSPACE/preview-url.txt"

rc=0
deployer deploy "$GIT_COMMIT" --json >"$WORKSPACE/deploy.json" || rc=$?
if [ "$rc" -ne 0 ]; then explain_exit "$rc"; exit "$rc"; fi

jq -r '"environment \(.environment.id): \(.environment.healthy)/\(.environment.wanted) healthy (\(.scheduler))"' "$WORKSPACE/deploy.json"
url=$(jq -r '.previewUrl // empty' "$WORKSPACE/deploy.json")
if [ -n "$url" ]; then
  echo "Preview: $url"
  printf '%s\n' "$url" >"$WORKSPACE/preview-url.txt"
else
  echo "jenkins: no preview section in deployer.yaml, so no preview URL"
fi
