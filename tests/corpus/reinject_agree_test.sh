#!/bin/sh
# One re-injection rule (lib/correlate/reinject.c): the correlator, summary and trace must
# agree on which deliveries handed the message to a content filter or another instance on
# the same host.  Real captures: the two-server Postfix with an amavis-style filter on mx2
# (tests/corpus/postfix-multihop, loopback hand-offs), and Lightmeter's multi-instance
# host (postfix-170.55.103.23/..., hand-offs to the host's own public address, which trace
# used to leave unlinked), plus Lightmeter's Zimbra amavisd file.
. "$(dirname "$0")/../cli/testlib.inc"
DUMP=${BUILD:-build}/tests/tools/correlate_dump
MH=$(cd "$(dirname "$0")/postfix-multihop" && pwd)
LM="$CORPORA/lightmeter-controlcenter/individual_files"

# agree NAME YEAR FILE...: every hand-off the correlator links is a filter hand-off in the
# summary and a local-reinjection hop in the trace of that message
agree() {
    name=$1 year=$2
    shift 2
    "$DUMP" --year "$year" "$@" >"$TMPD/dump"
    # "host qid X" for every message the correlator says was re-injected as X
    awk '/^MSG / { for (i = 4; i <= NF; i++) if ($i ~ /^reinjected_as=/) {
            x = $i; sub(/^reinjected_as=/, "", x); print $2, $3, x } }' "$TMPD/dump" >"$TMPD/links"
    nlinks=$(wc -l <"$TMPD/links" | tr -d ' ')
    nhand=$(grep -c '^  RCPT .* handoff$' "$TMPD/dump")
    check "$name: the capture has hand-offs" "$([ "$nlinks" -gt 0 ] && echo yes)" yes
    "$MS" summary -f json --year "$year" --tz UTC "$@" >"$TMPD/s.json"
    check "$name: summary filter hand-offs = correlator hand-offs" \
        "$(jget "$TMPD/s.json" .totals.filter_handoffs)" "$nhand"
    # each re-injected message received once: summary's received = receipts not re-injected
    want_recv=$(awk '/^MSG / && / receipt=1 / && !/ reinjected_from=/' "$TMPD/dump" | wc -l | tr -d ' ')
    check "$name: summary counts a re-injected message once" \
        "$(jget "$TMPD/s.json" .totals.received)" "$want_recv"
    missing=""
    while read -r host qid x; do
        "$MS" trace -f json --year "$year" --tz UTC "$qid" "$@" >"$TMPD/t.json" 2>/dev/null
        got=$(jq -r --arg f "$host:$qid" --arg t "$host:$x" '
            (.messages | map({key: (.id | tostring), value: "\(.host):\(.qid)"}) | from_entries) as $m
            | [.hops[] | select($m[.from | tostring] == $f and $m[.to | tostring] == $t)
               | .by] | unique | join(",")' "$TMPD/t.json")
        [ "$got" = local-reinjection ] || missing="$missing $host:$qid>$x($got)"
    done <"$TMPD/links"
    check "$name: trace links every hand-off as local-reinjection" "$missing" ""
}

agree "multihop (loopback filter)" 2026 "$MH/postfix-mx1/maillog" "$MH/postfix-mx2/maillog"
if [ -d "$LM" ]; then
    agree "lightmeter 14 (multi-instance, own address)" 2020 "$LM/14_reuse_of_queueid.log"
    agree "lightmeter 5 (zimbra amavisd)" 2020 "$LM/5_zimbra_amavisd.log"
else
    skip "lightmeter corpus absent ($LM)"
fi
finish "re-injection agreement"
