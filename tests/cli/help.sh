#!/bin/sh
# --help and the man page agree: every long option in the help is documented in
# doc/mailsleuth.1, and the man page passes mandoc's lint when mandoc is installed.
. "$(dirname "$0")/testlib.inc"
MAN=$(dirname "$0")/../../doc/mailsleuth.1
"$MS" --help >"$TMPD/help"
check_rc "--help" $? 0
for opt in $(grep -o -- '--[a-z][a-z-]*' "$TMPD/help" | sort -u); do
    o=${opt#--}
    if grep -q -- "Fl -$o" "$MAN"; then T_PASS=$((T_PASS + 1)); else
        T_FAIL=$((T_FAIL + 1)); echo "FAIL option $opt missing from the man page"; fi
done
for cmd in summary timeline trace search formats; do
    check_grep "command $cmd in help" "  $cmd " "$TMPD/help"
    check_grep "command $cmd in man page" "Cm $cmd" "$MAN"
done
if command -v mandoc >/dev/null; then
    mandoc -Tlint -Wwarning "$MAN" >"$TMPD/lint" 2>&1
    check "mandoc lint clean" "$(cat "$TMPD/lint")" ""
else
    skip "mandoc not installed"
fi
"$MS" formats >"$TMPD/formats"
check_grep "formats lists postfix" "postfix" "$TMPD/formats"
finish "cli help"
