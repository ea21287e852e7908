#!/bin/sh
# A rotated log whose .gz or .xz was cut (a copy interrupted, a disk full) gives every line
# its decompressor can still produce — the same as gzip -dc / xz -dc — and the error says
# where the good data ends.  Multi-member gzip (cat a.gz b.gz) is read whole.
# Input: the real Postfix capture, small (one 64 KiB block) and repeated to ~8 MB.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d*1200)" "$CAP" "$TMPD/big.log"
for c in gzip xz; do
    for src in "$CAP" "$TMPD/big.log"; do
        name="$c $(basename "$src")"
        $c -c "$src" >"$TMPD/whole.$c"
        size=$(wc -c <"$TMPD/whole.$c")
        head -c $((size / 2)) "$TMPD/whole.$c" >"$TMPD/cut.$c"
        $c -dc "$TMPD/cut.$c" 2>/dev/null | awk 'END { print NR }' >"$TMPD/want"
        "$MS" summary -q -f json --tz UTC "$TMPD/cut.$c" >"$TMPD/s.json" 2>"$TMPD/s.err"
        check_rc "$name cut in half" $? 3
        check "$name cut in half: every recoverable line read" \
            "$(jq '.inputs.sources[0].lines' "$TMPD/s.json")" "$(cat "$TMPD/want")"
        check_grep "$name: where the good data ends" "lines, all read): the $c data ends early" "$TMPD/s.err"
        "$MS" summary -q -f json --tz UTC "$TMPD/whole.$c" >"$TMPD/w.json"
        check "$name whole: every line" "$(jq '.inputs.sources[0].lines' "$TMPD/w.json")" \
            "$(wc -l <"$src" | tr -d ' ')"
    done
done
gzip -c "$CAP" >"$TMPD/a.gz"
cat "$TMPD/a.gz" "$TMPD/a.gz" >"$TMPD/two.gz"
check "multi-member gzip read whole" \
    "$("$MS" summary -q -f json --tz UTC "$TMPD/two.gz" | jq '.inputs.sources[0].lines')" \
    "$((2 * $(wc -l <"$CAP")))"
mkdir -p "$TMPD/t" && cp "$CAP" "$TMPD/t/maillog" && tar -czf "$TMPD/b.tar.gz" -C "$TMPD/t" maillog
check "a .tar.gz is still a bundle of members" \
    "$("$MS" summary -q -f json --tz UTC "$TMPD/b.tar.gz" | jq -r '.inputs.sources[0].name')" \
    "$TMPD/b.tar.gz!maillog"
finish "truncated compressed"
