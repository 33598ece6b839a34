#!/usr/bin/env bash
# Job 4, parameterised, run by an operator: ACTION=switch makes REVISION live; ACTION=rollback goes
# back to REVISION, or (empty) to what was live before. REASON, if given, forces past the
# "untested" and "drift" refusals and is recorded in the history. Prints the live revision after.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
action=${ACTION:-switch}
force=()
[ -n "${REASON:-}" ] && force=(--force --reason "$REASON")

case "$action" in
  switch)
    require REVISION 'REVISION is required for ACTION=switch'
    args=(switch "$REVISION") ;;
  rollback)
    args=(rollback ${REVISION:+"$REVISION"}) ;;
  *)
    echo "jenkins: ACTION must be switch or rollback, got '$action'" >&2
    exit 2 ;;
esac

rc=0
deployer "${args[@]}" --yes "${force[@]}" --json >"$WORKSPACE/switch.json" || rc=$?
if [ "$rc" -ne 0 ]; then
  jq -r '.error.message // empty' "$WORKSPACE/switch.json" 2>/dev/null || true
  explain_exit "$rc"
  exit "$rc"
fi
jq -r '"Live: \(.revision[0:12]) (was \(.previous // "nothing" | .[0:12])) on \(.hosts | join(", "))"' "$WORKSPACE/switch.json"
