#!/usr/bin/env bash
# Usage: junit_check.sh XSD EXIT MESHSIM [RUN-ARGS...]
#        junit_check.sh --reject XSD FILE
# Runs `MESHSIM run -o junit RUN-ARGS...`, expects exit code EXIT, validates the report
# against XSD with xmllint, and checks that the counts in it add up (suites and test cases
# present, `tests`, `failures` and `errors` equal to the elements). Prints "valid: ..." on
# success. With --reject, succeeds only when xmllint finds FILE well formed but not valid (the
# schema is not so loose that anything passes). Exits 77 (ctest: skipped) when xmllint is
# missing (Debian package libxml2-utils, which tools/setup installs).
set -u
if ! command -v xmllint >/dev/null; then
  echo "SKIPPED: xmllint not found (Debian package libxml2-utils)"
  exit 77
fi
if [ "$1" = "--reject" ]; then
  xmllint --noout "$3" || { echo "$3 is not well formed"; exit 1; }
  xmllint --noout --schema "$2" "$3" 2>&1
  got=$?
  [ "$got" -eq 3 ] || { echo "xmllint exited $got, expected 3 (not valid)"; exit 1; }
  echo "rejected"
  exit 0
fi
xsd="$1"
want="$2"
meshsim="$3"
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
report="$tmp/report.xml"

"$meshsim" run -o junit --output-file "$report" "$@" 2>"$tmp/stderr"
got=$?
cat "$tmp/stderr"
if [ "$got" -ne "$want" ]; then
  echo "meshsim exited $got, expected $want"
  exit 1
fi
cat "$report"
xmllint --noout --schema "$xsd" "$report" || exit 1

count() { xmllint --xpath "$1" "$report"; }
suites=$(count 'count(/testsuites/testsuite)')
cases=$(count 'count(//testcase)')
failures=$(count 'count(//testcase/failure)')
errors=$(count 'count(//testcase/error)')
[ "$suites" -gt 0 ] && [ "$cases" -gt 0 ] || { echo "no test suites or test cases"; exit 1; }
check() {  # check WHAT XPATH-OF-DECLARED ACTUAL
  local declared
  declared=$(count "$2")
  [ "$declared" = "$3" ] || { echo "$1: the report says $declared, it holds $3"; exit 1; }
}
check tests 'string(/testsuites/@tests)' "$cases"
check failures 'string(/testsuites/@failures)' "$failures"
check errors 'string(/testsuites/@errors)' "$errors"
check "suite tests" 'sum(/testsuites/testsuite/@tests)' "$cases"
check "suite failures" 'sum(/testsuites/testsuite/@failures)' "$failures"
check "suite errors" 'sum(/testsuites/testsuite/@errors)' "$errors"
echo "valid: $suites suites, $cases test cases, $failures failures, $errors errors"
