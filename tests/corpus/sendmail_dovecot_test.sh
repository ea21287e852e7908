#!/bin/sh
# The real Sendmail 8.17 + Dovecot 2.3 capture (tests/corpus/sendmail-dovecot/maillog, written by
# rsyslogd for sendmail_dovecot_capture.sh) must parse line by line and give the counts the capture
# script knows from what it did (expected.txt; README.md defines every key and every line).
. "$(dirname "$0")/../cli/testlib.inc"
D=$(dirname "$0")/sendmail-dovecot
LOG=$D/maillog
exp() { awk -v k="$1" '$1 == k { print $2 }' "$D/expected.txt"; }

# ---- every line gives an event (no line of this capture is expected to be unparsed: all are real
#      lines of a running sendmail/dovecot; a line that does not parse is a gap, printed with its reason)
BUILD=${BUILD:-build}
TOOL="$BUILD/tests/tools/dump_events"
if [ -x "$TOOL" ]; then
    "$TOOL" --per-line --year 2026 "$LOG" >"$TMPD/ev" 2>"$TMPD/everr"
    check "dump_events runs" $? 0
    check "one result per line" "$(wc -l <"$TMPD/ev" | tr -d ' ')" "$(wc -l <"$LOG" | tr -d ' ')"
    n=0
    while IFS= read -r line <&3 && IFS= read -r res <&4; do
        n=$((n + 1))
        case "$res" in
        UNPARSED*) T_FAIL=$((T_FAIL + 1)); echo "FAIL UNPARSED ${res#UNPARSED } $LOG:$n: $line" ;;
        *) T_PASS=$((T_PASS + 1)) ;;
        esac
    done 3<"$LOG" 4<"$TMPD/ev"
    # the two-recipient local delivery (loc2) is one to= line for two recipients: two deliveries
    q2=$(grep 'msgid=<loc2.2@mail.partner.test>' "$LOG" | sed 's/.*]: \([0-9A-Za-z]*\): from=.*/\1/')
    check "loc2: to=<bob>,<alice> (one line) gives one DELIVERY per recipient" \
        "$(grep "^kind=DELIVERY qid=$q2 " "$TMPD/ev" | sed 's/ || /\n/g' | grep -o ' to=[^ ]*' | sort | paste -sd, -)" \
        " to=alice@example.test, to=bob@example.test"
else
    skip "dump_events not built ($TOOL)"
fi

# ---- summary
"$MS" summary --format json --tz UTC "$LOG" >"$TMPD/s.json"
check_rc "summary runs" $? 0
check "no unparsed lines" "$(jget "$TMPD/s.json" .inputs.unparsed)" 0
for key in received delivered deferred deferrals bounced rejected senders recipients; do
    check "capture $key" "$(jget "$TMPD/s.json" ".totals.$key")" "$(exp "$key")"
done
check "capture connections (SMTP sessions)" "$(jget "$TMPD/s.json" .totals.connections)" "$(exp smtp_connections)"
check "capture sasl_failures (failed logins, SMTP AUTH + IMAP/POP3)" \
    "$(jget "$TMPD/s.json" .totals.sasl_failures)" "$(exp auth_failures)"
check "sasl failures for carol (3 wrong IMAP passwords)" \
    "$(jq '[.sections.sasl_failures_by_user.rows[] | select(.user == "carol") | .count] | add' "$TMPD/s.json")" 3
check "sasl failures for mallory (unknown IMAP user, one attempt)" \
    "$(jq '[.sections.sasl_failures_by_user.rows[] | select(.user == "mallory") | .count] | add' "$TMPD/s.json")" "$(exp imap_pop3_unknown_user)"

# ---- search
"$MS" search --sessions -f jsonl --tz UTC 'status:authfail' "$LOG" >"$TMPD/sess" 2>/dev/null
check "sessions status:authfail = SMTP sessions with a failed AUTH (auth2, auth3)" \
    "$(wc -l <"$TMPD/sess" | tr -d ' ')" "$(exp smtp_auth_failures)"
check "authfail sessions are from the outside client" \
    "$(jq -r '.client_ip' "$TMPD/sess" | sort -u | paste -sd, -)" 127.0.0.3
"$MS" search --events -f jsonl --tz UTC 'kind:AUTH_FAIL' "$LOG" >"$TMPD/af" 2>/dev/null
# one AUTH_FAIL line per sendmail failure; Dovecot logs each failed login twice (auth process with
# auth_verbose, then the login process): 2 + 2 x 4
check "events kind:AUTH_FAIL = failure lines" \
    "$(wc -l <"$TMPD/af" | tr -d ' ')" "$(( $(exp smtp_auth_failures) + 2 * $(exp imap_pop3_failures) ))"
"$MS" search --events -f jsonl --tz UTC 'kind:AUTH_OK' "$LOG" >"$TMPD/ok" 2>/dev/null
check "events kind:AUTH_OK = AUTH=server + imap-login + pop3-login lines" \
    "$(wc -l <"$TMPD/ok" | tr -d ' ')" "$(( $(exp smtp_auth_logins) + $(exp imap_logins) + $(exp pop3_logins) ))"

# ---- trace of the relayed message rel1 (alice -> frank@remote.test via the sink)
"$MS" trace --tz UTC 'rel1.3@ws1.example.test' "$LOG" >"$TMPD/t.txt"
check_rc "trace rel1 runs" $? 0
fl=$(grep -n 'from=<alice@example.test>.*msgid=<rel1.3@ws1.example.test>' "$LOG" | cut -d: -f1)
qid=$(sed -n "${fl}p" "$LOG" | sed 's/.*]: \([0-9A-Za-z]*\): from=.*/\1/')
tl=$(grep -n "$qid: to=<frank@remote.test>" "$LOG" | cut -d: -f1)
check_grep "trace cites the from= line" "$LOG:$fl  $(sed -n "${fl}p" "$LOG")" "$TMPD/t.txt"
check_grep "trace cites the to= line" "$LOG:$tl  $(sed -n "${tl}p" "$LOG")" "$TMPD/t.txt"
check_grep "trace shows the final state" "[final: sent, removed]" "$TMPD/t.txt"
"$MS" trace -f json --tz UTC 'rel1.3@ws1.example.test' "$LOG" >"$TMPD/t.json"
check "trace json: delivered to frank via the sink, next hop id" \
    "$(jq -r '.messages[0].deliveries[] | "\(.to) \(.status) \(.new_qid)"' "$TMPD/t.json")" "frank@remote.test sent SINK0001"
check "trace json: sender and client" \
    "$(jq -r '.messages[0] | "\(.from) \(.client_ip) \(.qid)"' "$TMPD/t.json")" "alice@example.test 127.0.0.2 $qid"

# ---- hunt with the default rules (doc/hunt-rules.example): nothing in this capture reaches a threshold.
#      SMTP: 2 AUTH failures from 127.0.0.3 (alice, bob); IMAP: 4 failed attempts from 127.0.0.4 (carol x3,
#      mallory), then carol succeeds after 3 failures: all below 5 (failures, users, failures before success).
"$MS" hunt -q -f json --tz UTC "$LOG" >"$TMPD/h.json"
check_rc "hunt runs" $? 0
check "hunt: no auth finding (2 SMTP + 4 IMAP failed attempts, 3 before carol's success; thresholds 5)" \
    "$(jq -r '[.findings[] | select(.rule | test("^auth")) | "\(.rule) \(.entity.value) \(.counts.failures)"] | join(";")' "$TMPD/h.json")" ""
check "hunt: local domain inferred is example.test only" \
    "$(jq -r '[.notes[] | select(test("^open-relay: local domains"))] | .[0] | test("example.test> ")' "$TMPD/h.json")" false
"$MS" hunt --print-rules >"$TMPD/rules"
if grep -q '^spoofed-local-sender\.enabled' "$TMPD/rules"; then
    # auth1 (127.0.0.3) authenticated (AUTH=server line, proto=ESMTPA); 127.0.0.2 relays to remote.test
    # without AUTH (class R, like Postfix mynetworks): neither is a spoofed local sender
    check "hunt: no spoofed-local-sender for the authenticated client 127.0.0.3 (ESMTPA)" \
        "$(jq '[.findings[] | select(.rule == "spoofed-local-sender" and .entity.value == "127.0.0.3")] | length' "$TMPD/h.json")" 0
    check "hunt: no spoofed-local-sender for the relaying internal host 127.0.0.2" \
        "$(jq '[.findings[] | select(.rule == "spoofed-local-sender" and .entity.value == "127.0.0.2")] | length' "$TMPD/h.json")" 0
else
    skip "spoofed-local-sender: rule not in 'hunt --print-rules' yet"
fi
finish "sendmail+dovecot capture"
