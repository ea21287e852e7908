#!/bin/sh
# tests/run.sh - runs every test of the project and ends with one line "N passed, N failed".
#   unit tests      $BUILD/tests/t_*          (each prints "name: N passed, N failed")
#   fuzz replay     $BUILD/tests/replay_*     (replays tests/fuzz/corpus/<target>/*)
#   include rules   tools/check-includes.sh (modules include downward only)
#   shell tests     tests/cli/*.sh, tests/dialect/run.sh, tests/corpus/*_test.sh ...
#                   (each prints "name: N passed, N failed [, N skipped]")
# Usage: BUILD=build sh tests/run.sh   (make check does this)
BUILD=${BUILD:-build}
export BUILD
export MAILSLEUTH="$(pwd)/$BUILD/mailsleuth"
export SHARED="${SHARED:-$(cd .. && pwd)/shared}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() {
    "$@" >"$out.one" 2>&1
    rc=$?
    cat "$out.one"
    tail -n 1 "$out.one" >>"$out"
    line=$(tail -n 1 "$out.one")
    case "$line" in
    *" passed, "*" failed"*) ;;
    *) echo "$*: exited $rc without a result line: 0 passed, 1 failed" | tee -a "$out" ;;
    esac
    if [ $rc -ne 0 ]; then
        case "$line" in *", 0 failed"*) echo "$*: exit status $rc: 0 passed, 1 failed" | tee -a "$out" ;; esac
    fi
    rm -f "$out.one"
}

run sh tools/check-includes.sh # the module rule of doc/ARCHITECTURE.md
for t in "$BUILD"/tests/t_*; do [ -x "$t" ] && run "$t"; done
for t in "$BUILD"/tests/replay_*; do
    [ -x "$t" ] || continue
    name=${t##*/replay_}
    run "$t" "tests/fuzz/corpus/$name"
done
for t in tests/cli/*.sh tests/dialect/*.sh tests/corpus/*_test.sh; do
    [ -f "$t" ] && run sh "$t"
done

awk '
  { for (i = 1; i <= NF; i++) {
        if ($(i+1) ~ /^passed,?$/) p += $i
        if ($(i+1) ~ /^failed,?$/) f += $i
        if ($(i+1) ~ /^skipped,?$/) s += $i } }
  END { printf "%d passed, %d failed", p, f; if (s) printf ", %d skipped", s; printf "\n"; exit (f > 0) }
' "$out"
