#!/bin/sh
# Recipient outcome records on every real capture: `search --recipients` gives one row per
# (message, recipient) with its outcome, and the counts per server equal the ground truth each
# capture script wrote from what it did (expected.txt; never from parsing the log):
#   delivered (into a mailbox on that server)        = delivered_local
#   relayed + forwarded (accepted by another server)  = delivered - delivered_local
#   bounced / deferred (still pending) / rejected     = bounced / deferred_recipients / rejected
# and attempts of the deferred recipients add up to the capture's deferral count.
# Postfix 3.7, two Postfix with a content filter, Postfix -> Exim 4.96 -> OpenSMTPD 6.8, and
# Sendmail 8.17: the same question answered the same way for every MTA.
. "$(dirname "$0")/../cli/testlib.inc"
C=$(dirname "$0")

# rows DIR: host<TAB>outcome<TAB>attempts<TAB>address<TAB>orig, one per recipient
rows() {
    "$MS" search --recipients -q -f jsonl --tz UTC 'qid:*' "$1" >"$TMPD/r.jsonl" 2>"$TMPD/r.err"
    check_rc "search --recipients $1" $? 0
    jq -r '[.host // "", .outcome, .attempts, .address // "", .orig_address // ""] | @tsv' \
        "$TMPD/r.jsonl" >"$TMPD/rows"
}
count() { # count OUTCOME-REGEX [HOST]
    awk -F '\t' -v o="^($1)\$" -v h="$2" '$2 ~ o && (h == "" || $1 == h)' "$TMPD/rows" | wc -l |
        tr -d ' '
}
# key EXPECTED-FILE KEY [WHO]: value of "KEY N" or "KEY WHO N"
key() {
    if [ -n "$3" ]; then awk -v k="$2" -v w="$3" '$1 == k && $2 == w { print $3 }' "$1"
    else awk -v k="$2" 'NF == 2 && $1 == k { print $2 }' "$1"; fi
}
expect_host() { # expect_host NAME EXPECTED WHO HOST [LOCAL]
    d=$(key "$2" delivered "$3") l=${5:-$(key "$2" delivered_local "$3")}
    check "$1 delivered into a mailbox" "$(count delivered "$4")" "$l"
    check "$1 accepted by another server" "$(count 'relayed|forwarded' "$4")" "$((d - l))"
    b=$(key "$2" bounced "$3")
    [ -n "$b" ] && check "$1 bounced" "$(count bounced "$4")" "$b"
}

# ---- Postfix 3.7, one server (local, relayed, deferred twice and still queued, bounced)
E=$C/postfix/expected.txt
rows "$C/postfix/maillog"
expect_host "postfix" "$E" "" ""
check "postfix deferred (pending)" "$(count deferred)" "$(key "$E" deferred_recipients)"
check "postfix deferred attempts" \
    "$(awk -F '\t' '$2 == "deferred" { n += $3 } END { print n + 0 }' "$TMPD/rows")" \
    "$(key "$E" deferrals)"
check "postfix: no recipient without an outcome" "$(count none)" 0
# every relayed delivery here was answered "queued as SINKnnnn": the next hop's id is kept
check "postfix forwarded rows name the next hop's queue id" \
    "$(jq -r 'select(.outcome == "forwarded") | .next_qid' "$TMPD/r.jsonl" | grep -c '^SINK')" \
    "$(key "$E" delivered_relay)"
# outcome: and attempts filter recipients
"$MS" search --recipients -q -f jsonl --tz UTC 'outcome:deferred attempts>=2' "$C/postfix/maillog" \
    >"$TMPD/d.jsonl"
check "outcome:deferred attempts>=2" "$(wc -l <"$TMPD/d.jsonl" | tr -d ' ')" \
    "$(key "$E" deferred_recipients)"
"$MS" search -q -f jsonl --tz UTC 'outcome:bounced' "$C/postfix/maillog" >"$TMPD/m.jsonl"
check "messages with a bounced recipient" "$(wc -l <"$TMPD/m.jsonl" | tr -d ' ')" \
    "$(key "$E" bounced)"

# ---- two Postfix servers, amavis-style filter on mx2 (the hand-off to it is "forwarded")
E=$C/postfix-multihop/expected.txt
rows "$C/postfix-multihop"
for h in mx1 mx2; do expect_host "multihop $h" "$E" "$h" "$h"; done
check "multihop mx2: the filter hand-offs are forwarded to a message re-injected on mx2" \
    "$(jq -rs '[.[] | select(.host == "mx2") | .qid] as $q
               | [.[] | select(.host == "mx2" and .outcome == "forwarded"
                               and (.next_qid as $n | $q | index($n)))] | length' \
        "$TMPD/r.jsonl")" "$(key "$E" delivered_filter mx2)"

# ---- Postfix -> Exim -> OpenSMTPD: each server read on its own
E=$C/chain/expected.txt
for m in postfix exim opensmtpd; do
    rows "$C/chain/$m"
    # OpenSMTPD is the last hop: its truth lists the paths that end in its mailboxes
    l=$([ "$m" = opensmtpd ] && grep -c '^path .*opensmtpd:[0-9a-f]* -> mailbox:' "$E")
    expect_host "chain $m" "$E" "$m" "" "$l"
done
# Exim names a local delivery by its local part ("=> dave <dave@example.test>"): the record
# carries the full address, and no alias
rows "$C/chain/exim"
check "chain exim: a local delivery's recipient is the full address, no alias" \
    "$(awk -F '\t' '$2 == "delivered" { print $4 "|" $5 }' "$TMPD/rows")" \
    "$(awk '$1 == "path" && /-> mailbox:/ && $4 ~ /^exim:/ && NF == 6 { print $3 "|" }' "$E")"

# ---- Sendmail 8.17 (a to= list of two local recipients is two recipients)
E=$C/sendmail-dovecot/expected.txt
rows "$C/sendmail-dovecot/maillog"
expect_host "sendmail" "$E" "" ""
check "sendmail deferred (pending)" "$(count deferred)" "$(key "$E" deferred_recipients)"
check "sendmail RCPT rejects of a queued transaction" "$(count rejected)" "$(key "$E" rejected)"
q2=$(grep 'msgid=<loc2.2@mail.partner.test>' "$C/sendmail-dovecot/maillog" |
    sed 's/.*]: \([0-9A-Za-z]*\): from=.*/\1/')
check "sendmail to=<bob>,<alice>: two delivered recipients" \
    "$(jq -r --arg q "$q2" 'select(.qid == $q) | "\(.address)=\(.outcome)"' "$TMPD/r.jsonl" |
        sort | paste -sd, -)" "alice@example.test=delivered,bob@example.test=delivered"

# ---- summary counts recipients by outcome from the same records (per server too)
for d in postfix/maillog postfix-multihop chain/exim sendmail-dovecot/maillog; do
    rows "$C/$d"
    "$MS" summary -q -f json --tz UTC "$C/$d" >"$TMPD/s.json"
    for o in delivered relayed forwarded deferred bounced rejected expired; do
        check "summary $d recipients_by_outcome.$o" \
            "$(jq ".totals.recipients_by_outcome.$o" "$TMPD/s.json")" "$(count "$o")"
    done
    for h in $(jq -r '.servers[].host' "$TMPD/s.json"); do
        check "summary $d server $h delivered recipients" \
            "$(jq --arg h "$h" '.servers[] | select(.host == $h) | .recipients_by_outcome.delivered' \
                "$TMPD/s.json")" "$(count delivered "$h")"
    done
done
E=$C/postfix/expected.txt
"$MS" summary -q --tz UTC "$C/postfix/maillog" >"$TMPD/s.txt"
check_grep "summary text lists recipients by outcome" "recipients by outcome" "$TMPD/s.txt"
check "summary text: delivered into mailboxes" \
    "$(sed -n '/recipients by outcome/,/^$/p' "$TMPD/s.txt" | awk '$2 == "delivered" { print $1 }')" \
    "$(key "$E" delivered_local)"

# ---- CSV: one row per recipient plus the header, formula-safe
"$MS" search --recipients -q -f csv --tz UTC 'qid:*' "$C/postfix/maillog" >"$TMPD/r.csv"
check "csv rows" "$(($(wc -l <"$TMPD/r.csv") - 1))" \
    "$("$MS" search --recipients -q -f jsonl --tz UTC 'qid:*' "$C/postfix/maillog" | wc -l | tr -d ' ')"
check "csv header" "$(head -1 "$TMPD/r.csv" | cut -d, -f1-5)" "last_attempt,host,qid,outcome,address"
"$MS" search --recipients --sessions 'qid:*' "$C/postfix/maillog" >/dev/null 2>&1
check_rc "--recipients with --sessions is a usage error" $? 2

# ---- Lightmeter ControlCenter's tracking tests (real anonymised Postfix logs): the statuses it
#      asserts per delivery attempt are our recipients' deferrals plus their final outcomes
#      (hand-offs to a queue on the same server are not results there, nor here)
LM="$CORPORA/lightmeter-controlcenter"
if [ -d "$LM" ]; then
    awk -F '\t' 'NR > 1 && $4 != "" { print $1, $4 }' "$LM/expected_results.tsv" |
        while read -r file want; do
        got=$("$MS" search --recipients -q -f jsonl --tz UTC --year 2020 'qid:*' \
            "$LM/individual_files/$file" | jq -rs '
            [.[] | .qid] as $q
            | [.[] | select((.outcome == "forwarded" and (.next_qid as $n | $q | index($n))) | not)
                   | ([range(.deferrals)] | map("Deferred"))
                     + [{"delivered": "Sent", "relayed": "Sent", "forwarded": "Sent",
                         "bounced": "Bounced", "expired": "Expired",
                         "deferred": "Deferred"}[.outcome] // .outcome]]
            | flatten | sort | join(",")')
        # every status Lightmeter lists occurs among ours at least as often
        ok=$(awk -v w="$want" -v g="$got" 'BEGIN { nw = split(w, a, ","); ng = split(g, b, ",")
            for (i = 1; i <= ng; i++) have[b[i]]++
            for (i = 1; i <= nw; i++) if (--have[a[i]] < 0) { print "no"; exit }
            print "yes" }')
        echo "$file $ok $got" >>"$TMPD/lm"
    done
    while read -r file ok got; do
        check "lightmeter $file statuses within [$got]" "$ok" yes
    done <"$TMPD/lm"
    # an alias expansion (Postfix orig_to): both addresses on the record, as the line names them
    f="$LM/individual_files/21_deliveries_with_local_daemon.log"
    line=$(grep -m1 'orig_to=' "$f")
    q=$(printf '%s\n' "$line" | sed 's/.*]: \([0-9A-F]*\): to=.*/\1/')
    want=$(printf '%s\n' "$line" | sed 's/.* to=<\([^>]*\)>, orig_to=<\([^>]*\)>.*/\1 <- \2/')
    check "alias: delivered address and original address" \
        "$("$MS" search --recipients -q -f jsonl --tz UTC --year 2020 "qid:$q" "$f" |
            jq -r '"\(.address) <- \(.orig_address)"' | head -1)" "$want"
    # 18_expired: deferred five times, then expired (and the bounce notice delivered)
    f="$LM/individual_files/18_expired.log"
    check "lightmeter 18_expired: exactly Lightmeter's list" "$(awk '$1 == "18_expired.log" { print $3 }' "$TMPD/lm")" \
        "$(awk -F '\t' '$1 == "18_expired.log" { print $4 }' "$LM/expected_results.tsv" | tr ',' '\n' | sort | paste -sd, -)"
    "$MS" trace --tz UTC --year 2020 23EBE3D5C0 "$f" >"$TMPD/t18.txt"
    check_grep "trace text: deferred 5 times, then expired" "deferred 5 times, then expired at 2020-09-30" "$TMPD/t18.txt"
else
    skip "lightmeter corpus not found ($LM)"
fi

# ---- trace text: one sentence per recipient; a Sendmail to= list names each recipient once
"$MS" trace --tz UTC '<loc2.2@mail.partner.test>' "$C/sendmail-dovecot/maillog" >"$TMPD/t2.txt"
check "trace text: each recipient of one to= list has its own step" \
    "$(grep -c '  to=<[a-z]*@example.test> delivered' "$TMPD/t2.txt")" 2
check_grep "trace text: recipient sentence for bob" "<bob@example.test>: delivered at" "$TMPD/t2.txt"
check_grep "trace text: recipient sentence for alice" "<alice@example.test>: delivered at" "$TMPD/t2.txt"
"$MS" trace --tz UTC defer@remote.test "$C/postfix/maillog" >"$TMPD/t3.txt"
check_grep "trace text: a pending recipient" "deferred (2 attempts, still pending)" "$TMPD/t3.txt"

finish "recipient outcomes"
