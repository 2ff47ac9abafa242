#!/usr/bin/env bash
# `npm test`: the typecheck runs beside the workerd tests (tsc is one core's work for ~30 s, and
# vitest waits on workerd and the Stripe stand-in much of its time), and once it passed the Chromium
# flows' build and D1 migrations run there too (`run.mjs --prepare`); all must pass before the
# Chromium flows run. The side job's output is printed after vitest's, so the two do not interleave.
set -uo pipefail
cd "$(dirname "$0")/.."
side_log="$(mktemp)"
prepared="$(mktemp -d "${TMPDIR:-/tmp}/enclave-e2e-XXXXXX")"
(
  npm run typecheck || exit 10
  npm run test:e2e -- --prepare "$prepared" || exit 20
) >"$side_log" 2>&1 &
side_pid=$!
npm run test:unit
unit=$?
wait "$side_pid"
side=$?
cat "$side_log"
rm -f "$side_log"
if [ "$side" -eq 10 ] || [ "$unit" -ne 0 ]; then
  echo "typecheck exited $([ "$side" -eq 10 ] && echo non-zero || echo 0), workerd tests exited $unit: the Chromium flows were not run" >&2
  rm -rf "$prepared"
  exit 1
fi
if [ "$side" -ne 0 ]; then
  # the build or a migration failed beside vitest: the flows build and migrate again themselves (and say why it fails)
  rm -rf "$prepared"
  npm run test:e2e
else
  E2E_PREPARED="$prepared" npm run test:e2e
fi
