#!/bin/sh
# Two real Postfix servers relaying to each other, with an amavis-style content filter on
# mx2 (tests/corpus/postfix-multihop, made by postfix_multihop_capture.sh; expected.txt is
# the script's ground truth).  summary must count each server right; trace must show every
# path hop by hop, whichever order the logs are given in.
. "$(dirname "$0")/../cli/testlib.inc"
D=$(cd "$(dirname "$0")/postfix-multihop" && pwd)
MX1=$D/postfix-mx1/maillog MX2=$D/postfix-mx2/maillog
E=$D/expected.txt
exp() { awk -v k="$1" -v h="$2" '$1 == k && (h == "" || $2 == h) { print $NF }' "$E"; }

"$MS" summary -f json --tz UTC "$MX1" "$MX2" >"$TMPD/s.json"
srv() { jq -r --arg h "$1" ".servers[] | select(.host == \$h) | .$2" "$TMPD/s.json"; }
check "mx1 received" "$(srv mx1 received)" "$(exp received mx1)"
check "mx2 received (re-injections not counted twice)" "$(srv mx2 received)" "$(exp received_smtp mx2)"
check "mx1 delivered" "$(srv mx1 delivered)" "$(exp delivered mx1)"
check "mx2 delivered (filter hand-offs are not deliveries)" "$(srv mx2 delivered)" \
    "$(( $(exp delivered_local mx2) + $(exp delivered_relay mx2) ))"
check "mx2 filter hand-offs" "$(srv mx2 filter_handoffs)" "$(exp delivered_filter mx2)"
check "mx1 hops to mx2 are not filter hand-offs" "$(srv mx1 filter_handoffs)" 0
check "mx2 bounced" "$(srv mx2 bounced)" "$(exp bounced mx2)"
check "mx1 SASL failures" "$(srv mx1 sasl_failures)" "$(exp sasl_failures mx1)"
check "mx1 connections" "$(srv mx1 connections)" "$(exp smtp_connections mx1)"
check "mx2 connections" "$(srv mx2 connections)" "$(exp smtp_connections mx2)"

# chain of host:qid hops a trace found, as "a>b/how" words
chain() {
    jq -r '(.messages | map({key: (.id | tostring), value: "\(.host):\(.qid)"}) | from_entries) as $m
           | [.hops[] | "\($m[.from | tostring])>\($m[.to | tostring])/\(.by)"] | unique | join(" ")' "$1"
}
grep '^path ' "$E" >"$TMPD/paths"
while read -r _ msgid rcpt rest; do
    # "mx1:A -> mx2:B -> mx2:C(filter) -> mailbox:x" -> expected hop words
    want=$(echo "$rest" | awk -F' -> ' '{
        for (i = 1; i < NF - 1; i++) {
            a = $i; b = $(i + 1); how = "queued-as"
            if (b ~ /\(filter\)$/) how = "local-reinjection"
            sub(/\(filter\)$/, "", a); sub(/\(filter\)$/, "", b)
            printf "%s%s>%s/%s", (i > 1 ? " " : ""), a, b, how } }' | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//')
    for order in "$MX1 $MX2" "$MX2 $MX1"; do
        # shellcheck disable=SC2086
        "$MS" trace -f json --tz UTC "$msgid" $order >"$TMPD/t.json" 2>/dev/null
        got=$(chain "$TMPD/t.json" | tr ' ' '\n' | grep -v '^$' | sort -u | tr '\n' ' ' | sed 's/ $//')
        # a path line names the hops of one recipient; the trace may hold more (the DSN's)
        missing=""
        for w in $want; do
            case " $got " in *" $w "*) ;; *) missing="$missing $w" ;; esac
        done
        first=${order%% *}
        check "trace $msgid ($rcpt) hops, $(basename "$(dirname "$first")") first" "$missing" ""
    done
    final=$(awk -v m="$msgid" '$1 == "outcome" && $2 == m { print $3 }' "$E")
    "$MS" trace -f json --tz UTC "$msgid" "$MX1" "$MX2" >"$TMPD/t.json" 2>/dev/null
    last=$(echo "$rest" | awk -F' -> ' '{ print $(NF - 1) }' | sed 's/(filter)//')
    got=$(jq -r --arg k "$last" '.messages[] | select("\(.host):\(.qid)" == $k) | .deliveries[] | select(.to == "'"$rcpt"'") | .status' "$TMPD/t.json" | tail -n 1)
    case "$final" in sent) want=sent ;; *) want=bounced ;; esac
    check "trace $msgid final status for $rcpt at $last" "$got" "$want"
done <"$TMPD/paths"

# the bounce travels back: DSN on mx2 linked to the bounced message, then hop to mx1
dsn=$(awk '$1 == "dsn" { print $2 }' "$E")
bof=$(awk '$1 == "dsn" { sub("bounce_of=mx2:", "", $3); print $3 }' "$E")
"$MS" trace -f json --tz UTC "$dsn" "$MX1" "$MX2" >"$TMPD/dsn.json"
check "DSN knows its original" "$(jq -r '.messages[] | select(.bounce_of != null) | .bounce_of' "$TMPD/dsn.json" | head -n 1)" "$bof"
check "DSN hops back to mx1" "$(chain "$TMPD/dsn.json" | grep -c 'mx2:[0-9A-F]*>mx1:')" 1

# the authenticated submission: user, client, and the failed attempts before it
"$MS" trace -f json --tz UTC carol@example.test "$MX1" "$MX2" >"$TMPD/c.json"
check "SASL user on the submitted message" "$(jq -r '[.messages[] | select(.sasl_user == "carol@example.test") | .client_ip] | unique | join(",")' "$TMPD/c.json")" 127.0.0.5
check "failed AUTH sessions for carol found" "$(jq '[.sessions[] | .auth[] | select(.ok == false and .user == "carol@example.test")] | length' "$TMPD/c.json")" "$(awk '$1 == "sasl_failed" { sub("count=", "", $5); print $5 }' "$E")"
check "clock skew reported for mx1->mx2" "$(jq -r '[.clock_skew[] | select(.from_host == "mx1" and .to_host == "mx2") | ((if .median_s < 0 then -.median_s else .median_s end) < 2)] | join(",")' "$TMPD/c.json")" true
# a loopback "queued as X" to the other server must not invent a message X on the sender
check "no invented records: every message has its receipt in the logs" \
    "$("$MS" search -q -f jsonl --tz UTC 'host:mx*' "$MX1" "$MX2" | jq -s '[.[] | select(.receipt_seen == false and .bounce_of == null)] | length')" 0
check "messages per path: sub1 is three transactions" \
    "$("$MS" trace -f json --tz UTC '<sub1.7@laptop.example.test>' "$MX1" "$MX2" | jq '.messages | length')" 3
finish "postfix multi-hop capture"
