# Sourced by every job script here. Jenkins gives WORKSPACE (the checkout) and, with the Git
# plugin, GIT_COMMIT; deployer.yaml sits at the top of the checkout unless DEPLOYER_CONFIG says
# otherwise. The deployer on PATH is used unless DEPLOYER names another (e.g. "npx deployer");
# `command` runs it, not this function of the same name.
set -euo pipefail

# A missing job parameter or Jenkins variable is a usage error: exit 2, as deployer's own.
require() {
  if [ -z "${!1:-}" ]; then echo "jenkins: $2" >&2; exit 2; fi
}
require WORKSPACE 'WORKSPACE is not set (Jenkins sets it to the checkout)'
cd "$WORKSPACE"
read -r -a DEPLOYER_CMD <<<"${DEPLOYER:-deployer}"
deployer() { command "${DEPLOYER_CMD[@]}" --config "${DEPLOYER_CONFIG:-$WORKSPACE/deployer.yaml}" "$@"; }
command -v jq >/dev/null || { echo "jenkins: jq is needed to read deployer's --json output (apt-get install jq)" >&2; exit 2; }

# The exit codes every deployer command shares (README, "Exit codes"), said once for the log.
explain_exit() {
  case "$1" in
    0) ;;
    1) echo "jenkins: a step failed (build, tests, health or verification); deployer cleaned up" >&2 ;;
    2) echo "jenkins: usage or config error; nothing was changed" >&2 ;;
    3) echo "jenkins: another run holds the switch lock; try again when it is done (deployer status shows the holder)" >&2 ;;
    4) echo "jenkins: deployer refused (unhealthy, untested, unknown revision, infra change or drift); nothing was changed" >&2 ;;
    130) echo "jenkins: interrupted; deployer cleaned up" >&2 ;;
  esac
}
