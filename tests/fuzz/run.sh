#!/usr/bin/env bash
# run.sh [SECONDS] [BUILD_DIR] — run every fuzz harness for SECONDS (default 3600) from its corpus, one after
# another, and print each one's executions; a crash, hang or out-of-memory input is kept in BUILD_DIR/tests/fuzz
# (crash-*, timeout-*, oom-*) and makes the exit status 1. Build first:
#   CC=clang cmake -S . -B build-fuzz -DDSIM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build-fuzz
set -u
seconds=${1:-3600}
build=${2:-build-fuzz}
status=0
cmake -S "$(dirname "$0")/../.." -B "$build" -DDSIM_FUZZ_SECONDS="$seconds" >/dev/null
for t in $(ctest --test-dir "$build" -L fuzz -N | sed -n 's/^ *Test *#[0-9]*: //p'); do
    ctest --test-dir "$build" -R "^$t\$" --output-on-failure >"$build/tests/fuzz/$t.log" 2>&1 || status=1
    echo "$t: $(grep -oE 'stat::number_of_executed_units: [0-9]+' "$build/tests/fuzz/$t.log" | grep -oE '[0-9]+$') executions, $(grep -qE 'ERROR|SUMMARY' "$build/tests/fuzz/$t.log" && echo FOUND A PROBLEM || echo no crash, hang or OOM)"
done
cmake -S "$(dirname "$0")/../.." -B "$build" -DDSIM_FUZZ_SECONDS=20 >/dev/null
exit $status
