#!/bin/sh
# A rotated log whose .gz, .xz, .bz2 or .zst was cut (a copy interrupted, a disk full) gives
# every line its decompressor can still produce — the same as gzip -dc / xz -dc / zstd -dc —
# and the error says where the good data ends.  The byte-exact reference is the library's
# own stream API (Python's zlib, lzma and bz2 modules; zstd -dc): the command-line tools
# hold back a little at the cut (bzip2 -dc its last 5000-byte buffer, gzip -dc a byte),
# so they are only a floor.  Multi-member gzip/bzip2 and multi-frame
# zstd (cat a b) are read whole.
# Input: the real Postfix capture, small (one 64 KiB block) and repeated to ~8 MB.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
# what the decoding library gives for a cut file, up to the damage
PYDEC='import sys, zlib, lzma, bz2
c, p = sys.argv[1], sys.argv[2]
d = {"gzip": lambda: zlib.decompressobj(31), "xz": lzma.LZMADecompressor,
     "bzip2": bz2.BZ2Decompressor}[c]()
sys.stdout.buffer.write(d.decompress(open(p, "rb").read()))'
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d*1200)" \
    "$CAP" "$TMPD/big.log"
for c in gzip xz bzip2 zstd; do
    for src in "$CAP" "$TMPD/big.log"; do
        name="$c $(basename "$src")"
        $c -c "$src" >"$TMPD/whole.$c"
        size=$(wc -c <"$TMPD/whole.$c")
        head -c $((size / 2)) "$TMPD/whole.$c" >"$TMPD/cut.$c"
        if [ $c = zstd ]; then
            zstd -dc "$TMPD/cut.$c" >"$TMPD/ref" 2>/dev/null
        else
            python3 -c "$PYDEC" $c "$TMPD/cut.$c" >"$TMPD/ref"
        fi
        awk 'END { print NR }' "$TMPD/ref" >"$TMPD/want"
        "$MS" summary -q -f json --tz UTC "$TMPD/cut.$c" >"$TMPD/s.json" 2>"$TMPD/s.err"
        check_rc "$name cut in half" $? 3
        check "$name cut in half: every recoverable line read" \
            "$(jq '.inputs.sources[0].lines' "$TMPD/s.json")" "$(cat "$TMPD/want")"
        check "$name cut in half: every recoverable byte read" \
            "$(jq '.inputs.sources[0].bytes' "$TMPD/s.json")" "$(wc -c <"$TMPD/ref" | tr -d ' ')"
        floor=$($c -dc "$TMPD/cut.$c" 2>/dev/null | wc -c)
        check "$name cut in half: at least what $c -dc gives" \
            "$(jq --argjson f "$floor" '.inputs.sources[0].bytes >= $f' "$TMPD/s.json")" true
        check_grep "$name: where the good data ends" "lines, all read): the $c data ends early" \
            "$TMPD/s.err"
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
for c in bzip2 zstd; do
    $c -c "$CAP" >"$TMPD/a.$c"
    cat "$TMPD/a.$c" "$TMPD/a.$c" >"$TMPD/two.$c"
    check "two $c streams back to back read whole" \
        "$("$MS" summary -q -f json --tz UTC "$TMPD/two.$c" | jq '.inputs.sources[0].lines')" \
        "$((2 * $(wc -l <"$CAP")))"
    # one flipped byte in the middle of the large copy: the lines before it are read, the
    # error is named
    $c -c "$TMPD/big.log" | python3 -c 'import sys; d=bytearray(sys.stdin.buffer.read())
d[len(d)//2] ^= 0x55; sys.stdout.buffer.write(d)' >"$TMPD/bad.$c"
    "$MS" summary -q -f json --tz UTC "$TMPD/bad.$c" >"$TMPD/b.json" 2>"$TMPD/b.err"
    check_rc "$c with a damaged byte" $? 3
    check_grep "$c with a damaged byte: named corrupt" "truncated or corrupt $c data after" \
        "$TMPD/b.err"
    floor=$($c -dc "$TMPD/bad.$c" 2>/dev/null | wc -l)
    check "$c with a damaged byte: the lines before it are read (at least what $c -dc gives)" \
        "$(jq --argjson f "$floor" '.inputs.sources[0].lines >= $f' "$TMPD/b.json")" true
done
# an xz whose block header asks for a 4 GiB dictionary (xz -dc would reserve it): refused
# with the reason instead of reserving that much memory
xz -c "$CAP" | python3 -c 'import sys, zlib, struct
d = bytearray(sys.stdin.buffer.read()); p = 12; hs = (d[p] + 1) * 4; q = p + 2
def varint(q):
    while d[q] & 0x80: q += 1
    return q + 1
q = varint(q) if d[p + 1] & 0x40 else q
q = varint(q) if d[p + 1] & 0x80 else q
q = varint(varint(q))          # filter id (LZMA2), size of its properties
d[q] = 40                      # dictionary size 4 GiB - 1
d[p + hs - 4:p + hs] = struct.pack("<I", zlib.crc32(bytes(d[p:p + hs - 4])))
sys.stdout.buffer.write(d)' >"$TMPD/huge-dict.xz"
check "the patched xz is still valid xz (xz -dc reads it)" \
    "$(xz -dc "$TMPD/huge-dict.xz" | wc -l | tr -d ' ')" "$(wc -l <"$CAP" | tr -d ' ')"
"$MS" summary -q --tz UTC "$TMPD/huge-dict.xz" >/dev/null 2>"$TMPD/d.err"
check_rc "xz asking for a 4 GiB dictionary" $? 3
check_grep "xz asking for a 4 GiB dictionary: refused, named" \
    "asks for more than 256 MiB of memory to decode" "$TMPD/d.err"
mkdir -p "$TMPD/t" && cp "$CAP" "$TMPD/t/maillog" && tar -czf "$TMPD/b.tar.gz" -C "$TMPD/t" maillog
check "a .tar.gz is still a bundle of members" \
    "$("$MS" summary -q -f json --tz UTC "$TMPD/b.tar.gz" | jq -r '.inputs.sources[0].name')" \
    "$TMPD/b.tar.gz!maillog"
tar -cjf "$TMPD/b.tar.bz2" -C "$TMPD/t" maillog
check "a .tar.bz2 is still a bundle of members" \
    "$("$MS" summary -q -f json --tz UTC "$TMPD/b.tar.bz2" | jq -r '.inputs.sources[0].name')" \
    "$TMPD/b.tar.bz2!maillog"
tar -cf - -C "$TMPD/t" maillog | zstd -q -c >"$TMPD/b.tar.zst"
check "a .tar.zst is still a bundle of members" \
    "$("$MS" summary -q -f json --tz UTC "$TMPD/b.tar.zst" | jq -r '.inputs.sources[0].name')" \
    "$TMPD/b.tar.zst!maillog"
finish "truncated compressed"
