#!/bin/sh
# A log compressed more than once (a .gz of a .gz, an .xz of a .bz2 ...) is read whole:
# the outer layer by the direct decoder, the rest by libarchive's filters.  A file
# compressed 200 times over is named for what it is: more layers than libarchive stacks
# (its filter limit), not "truncated or corrupt".  Input: the real Postfix capture.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
LINES=$(wc -l <"$CAP" | tr -d ' ')
lines() { "$MS" summary -q -f json --tz UTC "$1" | jq '.inputs.sources[0].lines'; }

cp "$CAP" "$TMPD/g3"
for i in 1 2 3; do gzip -c "$TMPD/g3" >"$TMPD/t" && mv "$TMPD/t" "$TMPD/g3"; done
check "gzip three deep: every line" "$(lines "$TMPD/g3")" "$LINES"

zstd -q -c "$CAP" | bzip2 -c | xz -c | gzip -c >"$TMPD/mixed"
check "gzip of xz of bzip2 of zstd: every line" "$(lines "$TMPD/mixed")" "$LINES"
for c in xz bzip2 zstd; do
    gzip -c "$CAP" | $c -c >"$TMPD/two.$c"
    check "gzip inside $c: every line" "$(lines "$TMPD/two.$c")" "$LINES"
done

mkdir -p "$TMPD/d" && cp "$CAP" "$TMPD/d/maillog"
tar -czf - -C "$TMPD/d" maillog | gzip -c >"$TMPD/b.tar.gz.gz"
check "a .tar.gz inside a .gz: its member" \
    "$("$MS" summary -q -f json --tz UTC "$TMPD/b.tar.gz.gz" | jq -r '.inputs.sources[0].name')" \
    "$TMPD/b.tar.gz.gz!maillog"

cp "$CAP" "$TMPD/deep"
i=0
while [ $i -lt 200 ]; do gzip -c "$TMPD/deep" >"$TMPD/t" && mv "$TMPD/t" "$TMPD/deep"; i=$((i + 1)); done
"$MS" summary -q -f json --tz UTC "$TMPD/deep" >"$TMPD/deep.json" 2>"$TMPD/deep.err"
check_rc "gzip 200 deep" $? 3
check_grep "gzip 200 deep: names libarchive's filter limit" \
    "more layers than libarchive decodes (its limit on stacked filters" "$TMPD/deep.err"
check "gzip 200 deep: not called corrupt" "$(grep -c 'truncated or corrupt' "$TMPD/deep.err")" 0
check "gzip 200 deep: the source is marked incomplete" \
    "$(jq '.inputs.sources[0].complete' "$TMPD/deep.json")" false
finish "nested compression"
