#!/usr/bin/env bash
# Job 1, periodic (e.g. nightly): a full image build from the Dockerfile, pushed as :<sha> and
# :latest, so delta builds start from a recent base. Skips (exit 0) while the full image is
# younger than FULL_BUILD_MAX_AGE (default 24h), so the trigger may fire more often than needed.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

rc=0
deployer full-build "${GIT_COMMIT:-HEAD}" --if-older-than "${FULL_BUILD_MAX_AGE:-24h}" || rc=$?
explain_exit "$rc"
exit "$rc"
