#!/bin/sh
# helm rollback of one environment: to REVISION when given, else to the revision before the current.
#   RELEASE, NAMESPACE   the release; REVISION   a revision number from `helm history` (optional)
set -eu

case "${REVISION:-}" in
  "") ;;
  *[!0-9]*) echo "rollback: REVISION must be a revision number from helm history, not '$REVISION'" >&2; exit 2 ;;
esac
helm history "$RELEASE" --namespace "$NAMESPACE" --max 10
if [ -n "${REVISION:-}" ]; then
  helm rollback "$RELEASE" "$REVISION" --namespace "$NAMESPACE" --wait --timeout 15m
else
  helm rollback "$RELEASE" --namespace "$NAMESPACE" --wait --timeout 15m
fi
helm status "$RELEASE" --namespace "$NAMESPACE"
