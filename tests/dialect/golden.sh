#!/bin/sh
# golden.sh - dialect golden files: tests/dialect/<dialect>/NNNN-what.log through dump_events
# (zone UTC, --year 2021) must print exactly NNNN-what.expect: one line per input line that
# gave events or none, starting with that input line's number ("12: kind=... || kind=..."
# for a line naming several recipients), so a reader pairs every expectation with its line.
# Regenerate after an intended change:  UPDATE=1 sh tests/dialect/golden.sh
BUILD=${BUILD:-build}
tool="$BUILD/tests/tools/dump_events"
pass=0 fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for log in tests/dialect/*/*.log; do
    [ -f "$log" ] || continue
    exp="${log%.log}.expect"
    "$tool" --year 2021 --per-line --line-numbers "$log" >"$tmp" 2>&1
    if [ -n "$UPDATE" ]; then
        cp "$tmp" "$exp"
    fi
    if [ -f "$exp" ] && diff -u "$exp" "$tmp" >/dev/null; then
        pass=$((pass + 1))
    else
        echo "FAIL $log"
        diff -u "$exp" "$tmp" | head -20
        fail=$((fail + 1))
    fi
done
echo "dialect golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
