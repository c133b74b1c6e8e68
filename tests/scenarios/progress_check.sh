#!/usr/bin/env bash
# Usage: progress_check.sh MESHSIM PASSING FAILING BAD SLOW FOLDER
# Checks the progress output of `meshsim run` on stderr, for scenario files that pass, fail, are
# invalid, one that takes a while (SLOW, some tens of milliseconds), and a folder of passing
# scenarios that takes most of a second (run twice to exceed one):
#   - --progress=always without a terminal: one plain line per file, in file order, even with -j 2;
#   - --progress=auto (the default) and never without a terminal: nothing but the errors, even for
#     a run longer than a second;
#   - --progress=always on a terminal (a pseudo-terminal from script(1)): "[1/1] FILE ..." written
#     in place after a carriage return, and cleared before the report.
# Prints "ok: ..." lines; fails with the difference otherwise.
set -u
meshsim="$1"
passing="$2"
failing="$3"
bad="$4"
slow="$5"
folder="$6"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAILED: $*"; exit 1; }

"$meshsim" run --progress=always -j 2 "$passing" "$failing" "$bad" >"$tmp/out" 2>"$tmp/err"
code=$?
[ "$code" -eq 2 ] || fail "always: exit $code, expected 2"
error_line=$(grep '^error: ' "$tmp/err")
[[ "$error_line" == "error: $bad:"* ]] || fail "always: no error line for $bad"
printf '%s\n' "[1/3] $passing PASS" "[2/3] $failing FAIL" "$error_line" "[3/3] $bad ERROR" \
  >"$tmp/want"
diff "$tmp/want" "$tmp/err" || fail "always: unexpected stderr (above: - expected, + got)"
grep -q '\[' "$tmp/out" && fail "always: progress on stdout"
echo "ok: --progress=always without a terminal prints plain lines in file order"

for mode in auto never; do
  start=$(date +%s%N)
  "$meshsim" run --progress=$mode -j 1 "$folder" "$folder" "$failing" >"$tmp/out" 2>"$tmp/err"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ -s "$tmp/err" ] && { cat "$tmp/err"; fail "$mode: stderr is not empty"; }
  grep -q 'FAIL  failing' "$tmp/out" || fail "$mode: no report on stdout"
  echo "ok: --progress=$mode without a terminal prints nothing (run took ${ms} ms)"
done
(( ms >= 1000 )) || echo "note: the run took under a second, so auto was not put to the test"

# script(1) runs the command on a pseudo-terminal and copies what it wrote (stdout and stderr).
if ! command -v script >/dev/null; then
  echo "SKIPPED: script(1) not found (Debian package bsdutils)"
  exit 77
fi
# A fresh container may have no /dev/pts: then no pseudo-terminal can be opened, and the terminal
# case is skipped with the reason rather than failed.
if ! script -qec true /dev/null </dev/null >/dev/null 2>"$tmp/pty"; then
  echo "SKIPPED: no pseudo-terminal can be opened ($(head -1 "$tmp/pty"))"
  exit 77
fi
cmd="$(printf '%q ' "$meshsim" run --progress=always "$slow")"
script -qec "$cmd" /dev/null </dev/null >"$tmp/tty" 2>&1 || fail "on a terminal: meshsim failed"
# (A long path is shortened from the left to fit the terminal; the file name stays.)
tr '\r' '\n' <"$tmp/tty" | grep -qx "\[1/1\] .*${slow##*/} \.\.\." ||
  { cat -A "$tmp/tty" | head -5; fail "on a terminal: no in-place progress line"; }
# Cleared: the line is overwritten with spaces and a carriage return before the report starts.
tr -d '\n' <"$tmp/tty" | grep -q $'\r'" \+"$'\r'"scenario " ||
  { cat -A "$tmp/tty" | head -5; fail "on a terminal: progress line not cleared before the report"; }
echo "ok: --progress=always on a terminal draws the line in place and clears it"
