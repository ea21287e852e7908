#!/bin/sh
# A file that shrinks while it is read (logrotate's copytruncate) is named: exit 3, the
# reason on stderr, and verify records no fingerprint for it; an untouched file's
# fingerprint is the SHA-256 of the bytes parsed (the same as sha256sum's).
# Input: the real Postfix capture repeated to 40 MB, truncated to 1 MB once the reader
# has started on it (seen in /proc: the file open at an offset past 0 and before its end).
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
F=$TMPD/maillog
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); n=40*1024*1024//len(d)+1; open(sys.argv[2],'wb').write(d*n)" "$CAP" "$F"
size=$(wc -c <"$F")

"$MS" verify -q -f json --tz UTC "$F" >"$TMPD/ok.json"
check_rc "verify of an untouched file" $? 0
check "its fingerprint is the file's SHA-256" \
    "$(jq -r '.inputs[0].sha256' "$TMPD/ok.json")" "$(sha256sum "$F" | cut -d' ' -f1)"

if [ ! -d /proc/self/fdinfo ]; then
    skip "no /proc: cannot see the reader's offset"
    finish "changing input"
    exit 0
fi
tries=0 seen=0
while [ $tries -lt 5 ] && [ $seen = 0 ]; do
    tries=$((tries + 1))
    cp "$F" "$TMPD/live"
    "$MS" verify -q -j 1 --block-size 65536 -f json --tz UTC "$TMPD/live" >"$TMPD/v.json" 2>"$TMPD/v.err" &
    pid=$!
    while kill -0 $pid 2>/dev/null; do
        for fd in /proc/$pid/fd/*; do
            [ "$(readlink "$fd" 2>/dev/null)" = "$TMPD/live" ] || continue
            pos=$(awk '/^pos:/ { print $2 }' "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null)
            if [ -n "$pos" ] && [ "$pos" -gt 0 ] && [ "$pos" -lt "$size" ]; then
                truncate -s 1M "$TMPD/live" && seen=1
                break 2
            fi
        done
    done
    wait $pid
    rc=$?
done
if [ $seen = 1 ]; then
    check_rc "verify of a file truncated while read" $rc 3
    check_grep "the reason is named" "changed while being read" "$TMPD/v.err"
    check "no fingerprint recorded for it" "$(jq '[.inputs[] | select(.sha256)] | length' "$TMPD/v.json")" 0
else
    skip "the reader finished before the truncation could happen ($tries tries)"
fi
finish "changing input"
