#!/bin/sh
# A host name holding "[" "]" (a forged PTR, a name another program logged) cannot pass for
# the address: in name[addr] the address is the right-most bracket.  Input: the real Postfix
# capture with its client name localhost and its relay name 127.0.0.1 replaced by names that
# carry a bracketed decoy address; every event must keep the real address and port.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
sed -e 's/localhost\[127\.0\.0\.1\]/a]b[10.9.9.9].evil[127.0.0.1]/g' \
    -e 's/relay=127\.0\.0\.1\[127\.0\.0\.1\]:2526/relay=x[10.8.8.8]:25.y[127.0.0.1]:2526/g' \
    "$CAP" >"$TMPD/br.log"
ev() { "$MS" search --events -f jsonl --tz UTC "$1" "$2" 2>/dev/null; }
want=$(ev 'ip:127.0.0.1' "$CAP" | wc -l | tr -d ' ')
check "the capture has client events to compare" "$([ "$want" -gt 10 ] && echo yes)" yes
check "every event keeps the real client address" \
    "$(ev 'ip:127.0.0.1' "$TMPD/br.log" | wc -l | tr -d ' ')" "$want"
check "no event takes the decoy client address" \
    "$(ev 'ip:10.9.9.9' "$TMPD/br.log" | wc -l | tr -d ' ')" 0
check "the host name is kept whole" \
    "$(ev 'ip:127.0.0.1' "$TMPD/br.log" | jq -r 'select(.kind == "CONNECT") | .client_host' |
        sort -u)" \
    "a]b[10.9.9.9].evil"
check "no event takes the decoy relay address" \
    "$(ev 'relay:10.8.8.8' "$TMPD/br.log" | wc -l | tr -d ' ')" 0
ev 'relay:127.0.0.1' "$CAP" | jq -c '[.source_line, .relay_ip, .relay_port]' >"$TMPD/r.want"
ev 'relay:127.0.0.1' "$TMPD/br.log" | jq -c '[.source_line, .relay_ip, .relay_port]' >"$TMPD/r.got"
check "relay address and port as in the capture" "$(cat "$TMPD/r.got")" "$(cat "$TMPD/r.want")"
check "the capture has relays to compare" "$([ -s "$TMPD/r.want" ] && echo yes)" yes
"$MS" summary --tz UTC "$TMPD/br.log" >"$TMPD/s.txt"
check "summary: the decoy address is no sending host" \
    "$(grep -c '10\.9\.9\.9' "$TMPD/s.txt" | tr -d ' ')" 0
finish "bracket hosts"
