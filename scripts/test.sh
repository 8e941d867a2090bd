#!/usr/bin/env bash
# The test command (README: `npm test`): type-checks, then runs every bun test suite, and ends
# with one line CI reads: "N passed, N failed, N skipped". bun prints its own results on stderr
# and has no such line, so the totals are read from its JUnit report (toolchain.md §6).
set -u
cd "$(dirname "$0")/.."
BUN=./node_modules/.bin/bun

if ! ./node_modules/.bin/tsc -p .; then
  echo "type check failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && [ "${TEST_BACKENDS:-}" != "pglite" ]; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; the tests run the engine against it (TEST_BACKENDS=pglite to skip it)." >&2
fi

report=$(mktemp)
"$BUN" test --timeout 120000 --reporter=junit --reporter-outfile="$report" "$@"
rc=$?
head=$(grep -m1 -o '<testsuites [^>]*>' "$report" 2>/dev/null)
attr() { echo "$head" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
tests=$(attr tests); failures=$(attr failures); skipped=$(attr skipped)
if [ -n "$tests" ]; then
  echo "$((tests - failures - skipped)) passed, ${failures} failed, ${skipped} skipped"
else
  echo "0 passed, 0 failed"
  [ $rc -eq 0 ] && rc=1
fi
rm -f "$report"
exit $rc
