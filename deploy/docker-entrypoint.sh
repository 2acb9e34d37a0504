#!/bin/sh
# Entry point of the image: the first argument chooses the service. The same commands run the services outside a
# container (see tests/integration/test_deploy.py, which starts them exactly this way).
set -eu
command="${1:-ingest}"
[ "$#" -gt 0 ] && shift
case "$command" in
  ingest) exec idlib-ingest "$@" ;;
  worker | processor) exec idlib-processor worker "$@" ;;
  tail) exec idlib-processor tail "$@" ;;
  extract | eval | events | export | sink) exec idlib-processor "$command" "$@" ;;
  *) exec "$command" "$@" ;;
esac
