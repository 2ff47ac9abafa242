#!/usr/bin/env bash
# `npm test`: the typecheck runs beside the workerd tests (tsc is one core's work for ~30 s, and
# vitest waits on workerd and the Stripe stand-in much of its time); both must pass before the
# Chromium flows run. The typecheck's output is printed after vitest's, so the two do not interleave.
set -uo pipefail
cd "$(dirname "$0")/.."
typecheck_log="$(mktemp)"
npm run typecheck >"$typecheck_log" 2>&1 &
typecheck_pid=$!
npm run test:unit
unit=$?
wait "$typecheck_pid"
typecheck=$?
cat "$typecheck_log"
rm -f "$typecheck_log"
if [ "$typecheck" -ne 0 ] || [ "$unit" -ne 0 ]; then
  echo "typecheck exited $typecheck, workerd tests exited $unit: the Chromium flows were not run" >&2
  exit 1
fi
npm run test:e2e
