#!/bin/sh
# trace reads its inputs once: on the real captures every story (each hop's queue id and
# Message-ID from the chain capture's truth, every recipient) is complete after one pass,
# and the same story comes out when the first pass may keep almost nothing waiting
# (--trace-memory 1: whatever leaves the window is found by the second pass).  Every message
# shown brings the SMTP session that submitted it.
. "$(dirname "$0")/../cli/testlib.inc"
C=$(dirname "$0")
story() { # story OUT QUERY INPUT [OPTS]
    out=$1 q=$2 in=$3
    shift 3
    "$MS" trace -q -f json --tz UTC "$@" "$q" "$in" >"$out"
}
n=0
for in in "$C/chain" "$C/postfix-multihop"; do
    # queries: every queue id and Message-ID the truth names, and every recipient
    { grep -o '[a-z]*:[0-9A-Za-z-]*' "$in/expected.txt" | grep -E '^(postfix|exim|opensmtpd|mx1|mx2):' |
        cut -d: -f2; grep -o '<[^>]*@[^>]*>' "$in/expected.txt"; } 2>/dev/null | sort -u |
        head -40 >"$TMPD/q"
    [ -s "$TMPD/q" ] || { "$MS" search --recipients -q -f jsonl --tz UTC 'qid:*' "$in" |
        jq -r '.qid, .address' | sort -u | head -40 >"$TMPD/q"; }
    while read -r q; do
        n=$((n + 1))
        story "$TMPD/a.json" "$q" "$in"
        story "$TMPD/b.json" "$q" "$in" --trace-memory 1
        check "${in##*/} $q: one pass" "$(jq .passes "$TMPD/a.json")" 1
        jq -cS 'del(.provenance, .passes)' "$TMPD/a.json" >"$TMPD/a.n"
        jq -cS 'del(.provenance, .passes)' "$TMPD/b.json" >"$TMPD/b.n"
        check "${in##*/} $q: the same story with no window" \
            "$(cmp -s "$TMPD/a.n" "$TMPD/b.n" && echo same ||
                jq -r '[.messages[] | .host + ":" + .qid] | join(" ")' "$TMPD/a.json" "$TMPD/b.json" | paste -sd'|' -)" same
        check "${in##*/} $q: every message's session is shown" \
            "$(jq '[.messages[].session // empty] - [.sessions[].id] | length' "$TMPD/a.json")" 0
    done <"$TMPD/q"
done
check "queries tried" "$([ "$n" -ge 20 ] && echo yes)" yes
finish "trace passes"
