#!/bin/sh
# verify --against reads the manifest back as JSON: a file whose name holds a bidi control
# (U+202E) or a zero-width space, which the manifest writes as \u202e / \u200b, is found
# unchanged, not reported MISSING under a mangled name and NEW under its own.  A manifest
# is a case file from anyone: read with a JSON library, bounded (lib/util/manifest_read.c).
# Input: copies of the real Postfix capture.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
RLO=$(printf '\342\200\256') ZWSP=$(printf '\342\200\213')
mkdir "$TMPD/ev"
cp "$CAP" "$TMPD/ev/evil${RLO}gol.log"
cp "$CAP" "$TMPD/ev/zero${ZWSP}width.log"
cp "$CAP" "$TMPD/ev/plain.log"
(cd "$TMPD/ev" && "$MS" verify -q -f json --tz UTC .) >"$TMPD/m.json"
check "the manifest escapes the bidi name" "$(grep -c 'evil\\u202egol.log' "$TMPD/m.json")" 2
(cd "$TMPD/ev" && "$MS" verify -q --tz UTC --against "$TMPD/m.json" .) >"$TMPD/a.txt" 2>&1
check_rc "unchanged evidence" $? 0
check_grep "every file unchanged" "3 unchanged, 0 changed, 0 missing, 0 new" "$TMPD/a.txt"
printf 'x' >>"$TMPD/ev/evil${RLO}gol.log"
(cd "$TMPD/ev" && "$MS" verify -q --tz UTC --against "$TMPD/m.json" .) >"$TMPD/c.txt" 2>&1
check_rc "a changed file" $? 1
check_grep "the changed file is the bidi one, shown escaped" 'evil\u202egol.log' "$TMPD/c.txt"
check_grep "one changed, none missing or new" "2 unchanged, 1 changed, 0 missing, 0 new" \
    "$TMPD/c.txt"
# a manifest is a case file from anyone: a 70 kB name (cut to 4 KiB) names no file, and is
# reported missing, never overflows; JSON that does not parse is refused with where it breaks
python3 -c 'import sys
open(sys.argv[1], "w").write("{\"kind\":\"mailsleuth-manifest\",\"inputs\":[\n{\"name\":\"" + "a" * 70000 + "\",\"sha256\":\"00\"}]}\n")' "$TMPD/long.json"
"$MS" verify -q --tz UTC --against "$TMPD/long.json" "$CAP" >"$TMPD/l.txt" 2>"$TMPD/l.err"
check_rc "a manifest with a 70 kB name" $? 1
check_grep "a manifest with a 70 kB name: missing, the real file new" "0 unchanged, 0 changed, 1 missing, 1 new" "$TMPD/l.txt"
printf '{"kind":"mailsleuth-manifest","inputs":[\n{"name":"x"' >"$TMPD/broken.json"
"$MS" verify -q --tz UTC --against "$TMPD/broken.json" "$CAP" >/dev/null 2>"$TMPD/b.err"
check_rc "a manifest cut short" $? 2
check_grep "a manifest cut short: where" "not JSON (line 2" "$TMPD/b.err"
finish "verify against names"
