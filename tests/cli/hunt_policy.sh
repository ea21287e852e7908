#!/bin/sh
# hunt: spoofed-local-sender, sender-login-mismatch, policy-fail-protected, bulk-campaign,
# tls-downgrade and unauthorized-relay-path on real lines (doc/DETECTIONS.md).
#  - The captures (tests/corpus/postfix, postfix-multihop; scenario tables in their
#    README.md) are benign: none of these rules may fire on them with the defaults.
#  - Positive cases use the real captures with lowered thresholds, or a copy of a capture in
#    which ONE real line is edited by a sed shown next to the case (said so in a comment),
#    and the public corpora in $SHARED/corpora (milter verdicts, Lightmeter, Exim), which are
#    skipped cleanly when ../shared is absent.
. "$(dirname "$0")/testlib.inc"
CORP=$(cd "$(dirname "$0")/../corpus" && pwd)
CAP=$CORP/postfix/maillog
MH=$CORP/postfix-multihop
MINE='^(spoofed-local-sender|sender-login-mismatch|policy-fail-protected|bulk-campaign|tls-downgrade|unauthorized-relay-path)$'
# mine FILE.json: "rule entity" of this suite's rules, sorted, ';'-joined
mine() { jq -r --arg re "$MINE" '[.findings[] | select(.rule | test($re)) | "\(.rule) \(.entity.value)"] | sort | join(";")' "$1"; }
# refs FILE.json RULE: line numbers of the cited evidence
refs() { jq -r --arg r "$2" '[.findings[] | select(.rule == $r) | .evidence[].ref | sub(".*:"; "")] | join(",")' "$1"; }

# ---- benign captures: no finding by default ----------------------------------------------
"$MS" hunt -q -f json --tz UTC "$CAP" >"$TMPD/p.json"
check_rc "hunt postfix" $? 0
check "postfix: none of these rules fires on the benign capture" "$(mine "$TMPD/p.json")" ""
"$MS" hunt -q -f json --tz UTC "$MH" >"$TMPD/m.json"
check "multihop: none of these rules fires on the benign capture" "$(mine "$TMPD/m.json")" ""
check "postfix: inference stated (local domain, trusted client) for spoofed-local-sender" \
    "$(jq '[.notes[] | select(test("^spoofed-local-sender: local domains .*mx1: example.test.*trusted clients .*mx1: 127.0.0.2"))] | length' "$TMPD/p.json")" 1
check "postfix: tls-downgrade says the host logs no TLS" \
    "$(jq '[.notes[] | select(test("^tls-downgrade: mx1 logs no inbound TLS"))] | length' "$TMPD/p.json")" 1
# every client and next hop of the capture is a loopback address: the server's own, not judged
check "postfix: unauthorized-relay-path says the internal next hops were not judged" \
    "$(jq '[.notes[] | select(test("^unauthorized-relay-path: 9 deliveries to trusted or internal next hops"))] | length' "$TMPD/p.json")" 1

# ---- sender-login-mismatch ----------------------------------------------------------------
# sub1: alice authenticated and sent as alice@example.test: no finding (above).  Positive:
# a copy whose sub1 client= line (a real line, edited) says sasl_username=bob@example.test.
QSUB=$(grep 'sasl_username=alice@example.test$' "$CAP" | grep client= | sed 's/.*: \([0-9A-F]*\): client=.*/\1/')
sed "/$QSUB: client=/s/sasl_username=alice@example.test/sasl_username=bob@example.test/" "$CAP" >"$TMPD/bob.log"
check "bob copy differs from the capture in exactly one line" \
    "$(diff "$CAP" "$TMPD/bob.log" | grep -c '^>')" 1
"$MS" hunt -q -f json --tz UTC "$TMPD/bob.log" >"$TMPD/bob.json"
check "sender-login-mismatch: bob sent as alice" \
    "$(jq -r '.findings[] | select(.rule == "sender-login-mismatch") | "\(.severity) \(.entity.value) \(.counts.messages) \(.messages | join(","))"' "$TMPD/bob.json")" \
    "medium bob@example.test 1 mx1:$QSUB"
check "sender-login-mismatch: evidence is the client= and the from= line" \
    "$(refs "$TMPD/bob.json" sender-login-mismatch)" \
    "$(grep -n "$QSUB: \(client=\|from=\)" "$TMPD/bob.log" | cut -d: -f1 | paste -sd, -)"
check "sender-login-mismatch: only that rule of these fires on the copy" \
    "$(mine "$TMPD/bob.json")" "sender-login-mismatch bob@example.test"

# ---- spoofed-local-sender ----------------------------------------------------------------
# The internet client 127.0.0.1 (refused relaying: not mynetworks) never sends as
# @example.test in the capture:
check "capture: no client=localhost message has an @example.test sender" \
    "$(for q in $(grep 'client=localhost\[127.0.0.1\]$' "$CAP" | sed 's/.*: \([0-9A-F]*\): client=.*/\1/'); do grep "$q: from=<[^>]*@example.test>" "$CAP"; done | wc -l | tr -d ' ')" 0
# Positive: a copy whose in1 qmgr line (real, edited) says from=<news@example.test>.
sed '/from=<news@partner.test>/s/news@partner.test/news@example.test/' "$CAP" >"$TMPD/spoof.log"
QIN1=$(grep 'from=<news@partner.test>' "$CAP" | sed 's/.*: \([0-9A-F]*\): from=.*/\1/')
"$MS" hunt -q -f json --tz UTC "$TMPD/spoof.log" >"$TMPD/spoof.json"
# 127.0.0.1 is the server's own loopback address: stated, at info only (doc/SITE.md)
check "spoofed-local-sender: 127.0.0.1 sent as @example.test without AUTH (loopback: info)" \
    "$(jq -r '.findings[] | select(.rule == "spoofed-local-sender") | "\(.severity) \(.entity.value) \(.counts.messages) \(.counts.senders) \(.messages | join(","))"' "$TMPD/spoof.json")" \
    "info 127.0.0.1 1 1 mx1:$QIN1"
check "spoofed-local-sender: evidence is in1's client= and from= lines" \
    "$(refs "$TMPD/spoof.json" spoofed-local-sender)" \
    "$(grep -n "$QIN1: \(client=\|from=\)" "$TMPD/spoof.log" | cut -d: -f1 | paste -sd, -)"
"$MS" hunt -q -f json --tz UTC --trusted-net 127.0.0.0/30 "$TMPD/spoof.log" >"$TMPD/spoof2.json"
check "spoofed-local-sender: nothing when --trusted-net covers the clients" \
    "$(jq '[.findings[] | select(.rule == "spoofed-local-sender")] | length' "$TMPD/spoof2.json")" 0
# Unmodified capture: 127.0.0.2 (mynetworks) sends as alice@/bob@example.test without AUTH;
# inferred trusted, but with --trusted-net naming another network it is an outsider.
"$MS" hunt -q -f json --tz UTC --trusted-net 10.0.0.0/8 "$CAP" >"$TMPD/tn.json"
check "spoofed-local-sender: 127.0.0.2 outside --trusted-net (out1-out4)" \
    "$(jq -r '.findings[] | select(.rule == "spoofed-local-sender") | "\(.entity.value) \(.counts.messages) \(.counts.senders)"' "$TMPD/tn.json")" \
    "127.0.0.2 4 2"

# ---- bulk-campaign -----------------------------------------------------------------------
# bob@example.test: out2 (defer@) and out4 (henry@ sent, defer2@) = 3 recipients, 2 still
# deferred at the end; alice: 4 recipients, 1 bounced (25%).  Defaults (100 recipients): none.
printf 'bulk-campaign.min_rcpts = 3\nbulk-campaign.fail_pct = 50\n' >"$TMPD/bulk.rules"
"$MS" hunt -q -f json --tz UTC --rules "$TMPD/bulk.rules" "$CAP" >"$TMPD/bulk.json"
check "bulk-campaign (3 rcpts, 50%): bob only, 3 recipients, 2 failed" \
    "$(jq -r '[.findings[] | select(.rule == "bulk-campaign") | "\(.entity.value) \(.counts.recipients) \(.counts.failed) \(.counts.failed_pct)"] | join(";")' "$TMPD/bulk.json")" \
    "bob@example.test 3 2 66"
check "bulk-campaign: evidence is the last deferral of each failed recipient" \
    "$(refs "$TMPD/bulk.json" bulk-campaign)" \
    "$(grep -n 'status=deferred' "$CAP" | tail -n 2 | cut -d: -f1 | paste -sd, -)"
printf 'bulk-campaign.min_rcpts = 3\nbulk-campaign.fail_pct = 70\n' >"$TMPD/bulk70.rules"
check "bulk-campaign: 66% is below a 70% threshold" \
    "$("$MS" hunt -q -f json --tz UTC --rules "$TMPD/bulk70.rules" "$CAP" | jq '[.findings[] | select(.rule == "bulk-campaign")] | length')" 0

# ---- unauthorized-relay-path -------------------------------------------------------------
# With thresholds the capture meets, all inbound comes from 127.0.0.1 and all external mail
# leaves via 127.0.0.1:2526: gateways and relay inferred, nothing reported.
printf 'unauthorized-relay-path.min_inbound = 3\nunauthorized-relay-path.gateway_pct = 75\nunauthorized-relay-path.max_gateways = 1\nunauthorized-relay-path.min_outbound = 3\nunauthorized-relay-path.relay_pct = 80\nunauthorized-relay-path.max_relays = 1\n' >"$TMPD/path.rules"
"$MS" hunt -q -f json --tz UTC --rules "$TMPD/path.rules" "$CAP" >"$TMPD/path0.json"
check "unauthorized-relay-path: capture follows its one gateway and one relay" \
    "$(jq '[.findings[] | select(.rule == "unauthorized-relay-path")] | length' "$TMPD/path0.json")" 0
# Positive: a copy with two real lines edited: in5's client= line names 203.0.113.9 (outside;
# loopback clients are the server's own), sub1's delivery line names
# relay=smtp.elsewhere.test[192.0.2.25]:25; the site file names the gateway and the relay
# (the capture's relayhost), so the configured lists are used, not the inference.
printf '# the capture site (postfix_capture.sh)\nmx-gateway 192.0.2.10\nallowed-relay [127.0.0.1]:2526\n' >"$TMPD/path.site"
sed -e '/7DAA4A721C7: client=/s/localhost\[127\.0\.0\.1\]/unknown[203.0.113.9]/' \
    -e '/91DEFA721E5: to=/s/relay=127\.0\.0\.1\[127\.0\.0\.1\]:2526/relay=smtp.elsewhere.test[192.0.2.25]:25/' \
    "$CAP" >"$TMPD/path.log"
check "path copy differs in exactly two lines" "$(diff "$CAP" "$TMPD/path.log" | grep -c '^>')" 2
"$MS" hunt -q -f json --tz UTC --rules "$TMPD/path.rules" --site "$TMPD/path.site" "$TMPD/path.log" >"$TMPD/path.json"
check "unauthorized-relay-path: the bypassing client and the unknown relay" \
    "$(jq -r '[.findings[] | select(.rule == "unauthorized-relay-path") | "\(.entity.type) \(.entity.value) \(.messages | join(","))"] | sort | join(";")' "$TMPD/path.json")" \
    "host smtp.elsewhere.test[192.0.2.25]:25 mx1:91DEFA721E5;ip 203.0.113.9 mx1:7DAA4A721C7"
check "unauthorized-relay-path: the site file's lists are stated" \
    "$(jq '[.notes[] | select(test("allowed relays from the site configuration: \\[127.0.0.1\\]:2526 \\(site file allowed-relay\\)"))] | length' "$TMPD/path.json")" 1
check "unauthorized-relay-path: evidence is the edited receipt and delivery lines" \
    "$(refs "$TMPD/path.json" unauthorized-relay-path | tr , '\n' | sort -n | paste -sd, -)" \
    "$(diff "$CAP" "$TMPD/path.log" | sed -n 's/^\([0-9]*\)c.*/\1/p' | paste -sd, -)"

# ---- public corpora ----------------------------------------------------------------------
MIL=$CORPORA/milters/samples.log
if [ -f "$MIL" ]; then
    "$MS" hunt -q -f json --tz UTC --year 2025 "$MIL" >"$TMPD/mil.json"
    check "milters: no protected domain known: no policy finding" "$(mine "$TMPD/mil.json")" ""
    "$MS" hunt -q -f json --tz UTC --year 2025 --local-domain alias.com "$MIL" >"$TMPD/mil2.json"
    check "milters --local-domain alias.com: the policyd-spf SPF fail for info@alias.com" \
        "$(jq -r '.findings[] | select(.rule == "policy-fail-protected") | "\(.entity.value) \(.counts.spf) \(.counts.dkim) \(.counts.dmarc)"' "$TMPD/mil2.json")" \
        "alias.com 1 0 0"
    check "milters: evidence is the policyd-spf reject line" \
        "$(refs "$TMPD/mil2.json" policy-fail-protected)" \
        "$(grep -n 'SPF fail.*id=info@alias.com' "$MIL" | grep policyd-spf | cut -d: -f1)"
else
    skip "milter corpus absent ($MIL)"
fi

LM=$CORPORA/lightmeter-controlcenter
if [ -f "$LM/complete.tar.gz" ] && [ -d "$LM/individual_files" ]; then
    mkdir -p "$TMPD/lm" && tar -xzf "$LM/complete.tar.gz" -C "$TMPD/lm"
    LS=$TMPD/lm/logs_sample
    # opendmarc: 5 messages with "h-8aaadbc16f fail" (header From), each with an opendkim
    # bad-signature line for d=h-8aaadbc16f.  Not a local domain there: nothing by default.
    "$MS" hunt -q -f json --tz UTC --year 2021 "$LS" >"$TMPD/lm.json"
    check "lightmeter: no policy-fail-protected by default (h-8aaadbc16f is not local)" \
        "$(jq '[.findings[] | select(.rule == "policy-fail-protected")] | length' "$TMPD/lm.json")" 0
    check "lightmeter: no tls-downgrade on the real traffic" \
        "$(jq '[.findings[] | select(.rule == "tls-downgrade")] | length' "$TMPD/lm.json")" 0
    check "lightmeter: inbound is direct MX (no gateway structure), not judged" \
        "$(jq '[.notes[] | select(test("unauthorized-relay-path: mail: the 3 busiest of the clients carry [0-9]+% .*no gateway structure"))] | length' "$TMPD/lm.json")" 1
    "$MS" hunt -q -f json --tz UTC --year 2021 --local-domain h-8aaadbc16f "$LS" >"$TMPD/lm2.json"
    check "lightmeter --local-domain h-8aaadbc16f: 5 messages, 5 DMARC and 5 DKIM failures" \
        "$(jq -r '.findings[] | select(.rule == "policy-fail-protected") | "\(.entity.value) \(.counts.messages) \(.counts.dmarc) \(.counts.dkim) \(.counts.spf)"' "$TMPD/lm2.json")" \
        "h-8aaadbc16f 5 5 5 0"
    check "lightmeter: related messages are the opendmarc queue ids" \
        "$(jq -r '[.findings[] | select(.rule == "policy-fail-protected") | .messages[]] | sort | join(",")' "$TMPD/lm2.json")" \
        "$(cat "$LS/mail.log.1" "$LS/mail.log" | grep 'opendmarc.*h-8aaadbc16f fail' | sed 's/.*: \([0-9A-F]*\): .*/mail:\1/' | sort | paste -sd, -)"
    # The real Outlook reply "... part of their network is on our block list (S3140)".
    "$MS" hunt -q -f json --tz UTC "$LM/individual_files/2_multiple_recipients_some_bounces.log" >"$TMPD/bl.json"
    check "blocklist reply: bulk-campaign high for the sending host" \
        "$(jq -r '.findings[] | select(.rule == "bulk-campaign") | "\(.severity) \(.entity.type) \(.entity.value) \(.counts.replies)"' "$TMPD/bl.json")" \
        "high host mail 1"
    check "blocklist reply: evidence is the bounce naming the block list" \
        "$(refs "$TMPD/bl.json" bulk-campaign)" \
        "$(grep -n 'status=bounced.*block list' "$LM/individual_files/2_multiple_recipients_some_bounces.log" | cut -d: -f1 | paste -sd, -)"
    "$MS" hunt -q -f json --tz UTC "$LM/individual_files/6_deferred_message_retry.log" >"$TMPD/grey.json"
    check "greylisting reply is not a block list" \
        "$(jq '[.findings[] | select(.rule == "bulk-campaign")] | length' "$TMPD/grey.json")" 0
    # tls-downgrade positive: a copy of mail.log without ONE real line, the TLS handshake of
    # 224.73.110.132's second session (it used TLS in the first): that session then sent
    # B08573012026 in clear text.
    TLSL=$(grep -n 'smtpd.*TLS connection established from h-2bf83754162e1\[224.73.110.132\]' "$LS/mail.log" | sed -n 2p | cut -d: -f1)
    sed "${TLSL}d" "$LS/mail.log" >"$TMPD/tlsdown.log"
    "$MS" hunt -q -f json --tz UTC --year 2021 "$TMPD/tlsdown.log" >"$TMPD/td.json"
    check "tls-downgrade: 224.73.110.132 sent without TLS after a TLS session" \
        "$(jq -r '.findings[] | select(.rule == "tls-downgrade") | "\(.entity.value) \(.counts.tls_before) \(.counts.plain_sessions) \(.messages | join(","))"' "$TMPD/td.json")" \
        "224.73.110.132 1 1 mail:B08573012026"
    check "tls-downgrade: evidence = first TLS line, then the clear session's connect and client=" \
        "$(refs "$TMPD/td.json" tls-downgrade)" \
        "$(grep -n 'TLS connection established from h-2bf83754162e1' "$TMPD/tlsdown.log" | head -n 1 | cut -d: -f1),$(grep -n 'smtpd.*: connect from h-2bf83754162e1\[224.73.110.132\]' "$TMPD/tlsdown.log" | sed -n 2p | cut -d: -f1),$(grep -n 'B08573012026: client=' "$TMPD/tlsdown.log" | cut -d: -f1)"
else
    skip "Lightmeter corpus absent ($LM)"
fi

EX=$CORPORA/exim/samples.log
if [ -f "$EX" ]; then
    # Exim rejecting others "is listed at zen.spamhaus.org": our block list, not theirs.
    check "exim: our own DNSBL rejects are not 'we are blocklisted'" \
        "$("$MS" hunt -q -f json --tz UTC "$EX" | jq '[.findings[] | select(.rule == "bulk-campaign")] | length')" 0
else
    skip "exim corpus absent ($EX)"
fi

# ---- rules file --------------------------------------------------------------------------
printf 'tls-downgrade.memory = 2d\nbulk-campaign.fail_pct = 101\n' >"$TMPD/bad.rules"
"$MS" hunt --tz UTC --rules "$TMPD/bad.rules" "$CAP" >/dev/null 2>"$TMPD/bad.err"
check_rc "out-of-range percentage" $? 2
check_grep "error names file:line" "bad.rules:2: bulk-campaign.fail_pct wants a number from 1 to 100" "$TMPD/bad.err"
finish hunt_policy
