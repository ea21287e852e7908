#!/bin/sh
# tools/check-format.sh - the C lines a change touches follow .clang-format.
#   sh tools/check-format.sh [BASE]    (default BASE: HEAD~1, i.e. the last commit; CI runs this)
# Only changed lines are judged (clang-format-diff), so older code is reformatted as it is
# edited, never in one sweeping commit. Prints the reformatting it wants, or "format: N files
# checked, clean". Advisory (exit 0) unless FORMAT_STRICT=1 (exit 1 on a difference):
# clang-format 14 moves the trailing block comments this code puts on #define lines and
# struct fields onto lines of their own, so a hard gate would make the code worse. Skips
# without clang-format-diff or git.
BASE=${1:-HEAD~1}
CFD=$(command -v clang-format-diff || command -v clang-format-diff-14 || true)
if [ -z "$CFD" ] || ! command -v git >/dev/null 2>&1; then
    echo "format: skipped (clang-format-diff or git not installed)"
    exit 0
fi
if ! git rev-parse --verify -q "$BASE" >/dev/null; then
    echo "format: skipped (no $BASE to compare with)"
    exit 0
fi
files=$(git diff --name-only --diff-filter=AM "$BASE" -- '*.c' '*.h' | wc -l | tr -d ' ')
out=$(git diff -U0 --no-color "$BASE" -- '*.c' '*.h' | "$CFD" -p1 2>&1)
if [ -n "$out" ]; then
    printf '%s\n' "$out"
    echo "format: lines changed since $BASE do not follow .clang-format (apply what helps: git diff -U0 $BASE | $CFD -p1 -i)"
    [ "${FORMAT_STRICT:-0}" = 1 ] && exit 1
    exit 0
fi
echo "format: $files files checked, clean"
