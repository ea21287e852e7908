# tests/cli/lib.sh - helpers for shell tests; source it, call check/skip, end with finish.
#   check NAME "$got" "$want"     compares two strings
#   check_rc NAME RC WANT         compares exit codes
#   finish SUITE                  prints "SUITE: N passed, N failed[, N skipped]", sets status
MS=${MAILSLEUTH:-$(pwd)/build/mailsleuth}
SHARED=${SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
CORPORA="$SHARED/corpora"
T_PASS=0 T_FAIL=0 T_SKIP=0
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

check() {
    if [ "$2" = "$3" ]; then
        T_PASS=$((T_PASS + 1))
    else
        T_FAIL=$((T_FAIL + 1))
        printf 'FAIL %s: got [%s] want [%s]\n' "$1" "$2" "$3"
    fi
}
check_rc() { check "$1 (exit status)" "$2" "$3"; }
# check_grep NAME PATTERN FILE: the file contains a line matching the fixed string
check_grep() {
    if grep -qF -- "$2" "$3"; then T_PASS=$((T_PASS + 1)); else
        T_FAIL=$((T_FAIL + 1)); printf 'FAIL %s: no line with [%s] in %s\n' "$1" "$2" "$3"
        head -c 2000 "$3"; fi
}
skip() { T_SKIP=$((T_SKIP + 1)); printf 'SKIP %s\n' "$1"; }
# jget FILE JQ-EXPR
jget() { jq -r "$2" "$1"; }
finish() {
    if [ "$T_SKIP" -gt 0 ]; then
        printf '%s: %d passed, %d failed, %d skipped\n' "$1" "$T_PASS" "$T_FAIL" "$T_SKIP"
    else
        printf '%s: %d passed, %d failed\n' "$1" "$T_PASS" "$T_FAIL"
    fi
    [ "$T_FAIL" -eq 0 ]
}
