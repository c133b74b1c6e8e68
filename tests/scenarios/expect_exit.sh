#!/usr/bin/env bash
# Usage: expect_exit.sh CODE COMMAND [ARGS...]
# Runs COMMAND, prints its output and "exit N", and fails unless N == CODE.
want="$1"
shift
"$@" 2>&1
got=$?
echo "exit $got"
[ "$got" -eq "$want" ]
