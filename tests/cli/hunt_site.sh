#!/bin/sh
# hunt --site-config / --site on the real captures (doc/SITE.md): the Debian default
# configurations under tests/data/site/ are read and every entry is stated; loopback clients
# stay at info for spoofed-local-sender; unauthorized-relay-path follows the configured
# relayhost / transport_maps; sender-login-mismatch reports a Postfix
# reject_sender_login_mismatch refusal (a real line of the hunt capture, edited into the
# wording of Postfix's smtpd_check.c).
. "$(dirname "$0")/testlib.inc"
S=$(dirname "$0")/../data/site
HUNT=$(dirname "$0")/../corpus/hunt/maillog
MH=$(dirname "$0")/../corpus/postfix-multihop

notes() { jq -r '.notes[] | select(startswith("site: "))' "$1"; }

# Debian's own configurations: what each says, with file:line
"$MS" hunt -q -f json --tz UTC --site-config "$S/postfix-debian" "$HUNT" >"$TMPD/pd.json"
check_rc "hunt --site-config postfix-debian" $? 0
check "postfix: mydestination with \$myhostname expanded" \
    "$(notes "$TMPD/pd.json" | grep -c '^site: mx.example.org local: Postfix mydestination (.*/main.cf:29)$')" 1
check "postfix: Debian's mynetworks, IPv6 brackets dropped" \
    "$(notes "$TMPD/pd.json" | grep -c -e '::ffff:127.0.0.0/104 trusted: Postfix mynetworks' -e '::1/128 trusted: Postfix mynetworks')" 2
check "postfix: master.cf smtp service on port 25" \
    "$(notes "$TMPD/pd.json" | grep -c '^site: postfix port 25 service: Postfix master.cf service smtp')" 1
"$MS" hunt -q -f json --tz UTC --site-config "$S/exim4-debian" "$HUNT" >"$TMPD/ed.json"
check "exim: update-exim4.conf output: local_domains, relay_from_hosts, smarthost" \
    "$(notes "$TMPD/ed.json" | grep -c -e '^site: example.org local: Exim domainlist local_domains' -e '192.0.2.0/24 trusted: Exim hostlist relay_from_hosts' -e 'smarthost.example.net:587 allowed relay: Exim router route_list')" 3
"$MS" hunt -q -f json --tz UTC --site-config "$S/sendmail-debian" "$HUNT" >"$TMPD/sd.json"
check "sendmail: local-host-names and access Connect:127 RELAY" \
    "$(notes "$TMPD/sd.json" | grep -c -e 'mx.example.org local: Sendmail local-host-names' -e '127.0.0.0/8 trusted: Sendmail access RELAY')" 2
"$MS" hunt -q -f json --tz UTC --site-config "$S/opensmtpd-debian/smtpd.conf" "$HUNT" >"$TMPD/od.json"
check "opensmtpd: listen on localhost (port 25)" \
    "$(notes "$TMPD/od.json" | grep -c 'smtpd port 25 service: OpenSMTPD listen on')" 1
check "defaults stated: loopback trusted" "$(notes "$TMPD/od.json" | grep -c '^site: 127.0.0.0/8 trusted: loopback$')" 1

# Courier: the configuration the Courier capture ran with (smtpaccess RELAYCLIENT, locals):
# its internal host 127.0.0.2 is trusted by the configuration, so its local senders are no
# finding at all (without it: info, as every loopback client)
CO=$(dirname "$0")/../corpus/courier/maillog
"$MS" hunt -q -f json --tz UTC --site-config "$S/courier-mx3" "$CO" >"$TMPD/co.json"
check_rc "hunt --site-config courier-mx3" $? 0
check "courier: smtpaccess RELAYCLIENT and locals stated with file:line" \
    "$(notes "$TMPD/co.json" | grep -c -e '^site: 127.0.0.2 trusted: Courier smtpaccess RELAYCLIENT (.*smtpaccess/default:2)$' -e '^site: example.test local: Courier locals (.*/locals:1)$')" 2
check "courier with its configuration: no spoofed-local-sender for 127.0.0.2" \
    "$(jq '[.findings[] | select(.rule == "spoofed-local-sender")] | length' "$TMPD/co.json")" 0
"$MS" hunt -q -f json --tz UTC "$CO" >"$TMPD/co0.json"
check "courier without it: 127.0.0.2's local senders at info only" \
    "$(jq -r '[.findings[] | select(.rule == "spoofed-local-sender") | .entity.value + " " + .severity] | join(",")' "$TMPD/co0.json")" "127.0.0.2 info"

# bad input: a usage error naming the file
"$MS" hunt -q --site-config "$TMPD/nonexistent" "$HUNT" >/dev/null 2>"$TMPD/err"
check_rc "missing --site-config" $? 2
printf 'trusted-net 10.0.0.0/8\nbogus-statement x\n' >"$TMPD/bad.site"
"$MS" hunt -q --site "$TMPD/bad.site" "$HUNT" >/dev/null 2>"$TMPD/err2"
check_rc "bad --site" $? 2
check "bad --site names file:line" "$(grep -c 'bad.site:2: unknown statement' "$TMPD/err2")" 1

# (1) the hunt capture with and without its own configuration: the spoofed sender from a
# loopback address (the capture's stand-in for an outside host) is reported at info only
for cfg in "" "--site-config $S/postfix-hunt"; do
    # shellcheck disable=SC2086
    "$MS" hunt -q -f json --tz UTC $cfg "$HUNT" >"$TMPD/h.json"
    check "hunt capture ${cfg:-without config}: spoofed-local-sender 127.0.0.10 at info" \
        "$(jq -r '[.findings[] | select(.rule == "spoofed-local-sender") | "\(.entity.value) \(.severity)"] | join(",")' "$TMPD/h.json")" "127.0.0.10 info"
    check "hunt capture ${cfg:-without config}: nothing above info names a loopback client of tls/relay-path/spoof" \
        "$(jq '[.findings[] | select((.rule | test("^(spoofed-local-sender|tls-downgrade|unauthorized-relay-path)$")) and .severity != "info")] | length' "$TMPD/h.json")" 0
done
check "hunt capture with config: relayhost stated as allowed relay" \
    "$(notes "$TMPD/h.json" | grep -c '^site: \[127.0.0.1\]:2536 allowed relay: Postfix relayhost')" 1

# (3) multihop mx1 with its configuration: the transport_maps next hop is allowed, and a
# delivery edited to go elsewhere is reported against the configured list
"$MS" hunt -q -f json --tz UTC --site-config "$S/postfix-multihop-mx1" "$MH/postfix-mx1" >"$TMPD/m1.json"
check "multihop mx1 with config: no unauthorized-relay-path" \
    "$(jq '[.findings[] | select(.rule == "unauthorized-relay-path")] | length' "$TMPD/m1.json")" 0
F=$(ls "$MH"/postfix-mx1/* | head -1)
sed '15s/relay=127\.0\.0\.1\[127\.0\.0\.1\]:2544/relay=mx.elsewhere.test[192.0.2.44]:25/' "$F" >"$TMPD/mx1.log"
check "edited mx1 copy differs in one line" "$(diff "$F" "$TMPD/mx1.log" | grep -c '^>')" 1
"$MS" hunt -q -f json --tz UTC --site-config "$S/postfix-multihop-mx1" "$TMPD/mx1.log" >"$TMPD/m2.json"
check "multihop mx1 edited: the delivery around the transport map is reported" \
    "$(jq -r '[.findings[] | select(.rule == "unauthorized-relay-path") | .entity.value] | join(",")' "$TMPD/m2.json")" "mx.elsewhere.test[192.0.2.44]:25"
"$MS" hunt -q -f json --tz UTC "$TMPD/mx1.log" >"$TMPD/m3.json"
check "multihop mx1 edited, without config: too few deliveries to infer, not judged" \
    "$(jq '[.findings[] | select(.rule == "unauthorized-relay-path")] | length' "$TMPD/m3.json")" 0

# (2) tls-downgrade per service: the capture's alice (submission, 127.0.0.12) and partner
# (port 25, 127.0.0.13) made one outside client (198.51.100.12; loopback is never judged),
# with a TLS line (Postfix's own wording, tests/dialect/postfix/0003) after the first three
# submission connects; the fourth submission session stays plain (a downgrade on the same
# service), the later port-25 session is plain too (another service: no downgrade).
TLS='Anonymous TLS connection established from unknown[198.51.100.12]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)'
sed -e 's/127\.0\.0\.1[23]\]/198.51.100.12]/g' "$HUNT" | awk -v tls="$TLS" '
    { print }
    (NR == 15 || NR == 659 || NR == 674) { line = $0; sub(/connect from .*/, tls, line); print line }' >"$TMPD/tls.log"
check "tls copy: three TLS lines added" "$(grep -c 'TLS connection established' "$TMPD/tls.log")" 3
for cfg in "" "--site-config $S/postfix-hunt"; do
    # shellcheck disable=SC2086
    "$MS" hunt -q -f json --tz UTC $cfg "$TMPD/tls.log" >"$TMPD/tls.json"
    check "tls-downgrade ${cfg:-without config}: only the plain submission session counts" \
        "$(jq -r '[.findings[] | select(.rule == "tls-downgrade") | "\(.entity.value) \(.counts.tls_before) \(.counts.plain_sessions) \(.counts.messages)"] | join(",")' "$TMPD/tls.json")" \
        "198.51.100.12 3 1 1"
done
check "tls-downgrade with config: the service and its master.cf port are named" \
    "$(jq '[.findings[] | select(.rule == "tls-downgrade") | select(.explanation | test("the service postfix/submission \\(port 2535\\)"))] | length' "$TMPD/tls.json")" 1
"$MS" hunt -q -f json --tz UTC --trusted-net 198.51.100.0/24 "$TMPD/tls.log" >"$TMPD/tls2.json"
check "tls-downgrade: a trusted client is not judged" \
    "$(jq '[.findings[] | select(.rule == "tls-downgrade")] | length' "$TMPD/tls2.json")" 0
check "tls-downgrade: the skipped sessions are stated" \
    "$(jq '[.notes[] | select(test("^tls-downgrade: [0-9]+ sessions of trusted or internal clients"))] | length' "$TMPD/tls2.json")" 1

# sender-login-mismatch: a real NOQUEUE reject line of the capture (relay probe, line 628)
# rewritten as Postfix logs reject_sender_login_mismatch for bob sending as ceo@
sed '628s/unknown\[127\.0\.0\.9\]: 554 5\.7\.1 <victim@elsewhere\.test>: Relay access denied; from=<x@elsewhere\.test>/unknown[127.0.0.7]: 553 5.7.1 <ceo@example.test>: Sender address rejected: not owned by user bob@example.test; from=<ceo@example.test>/' \
    "$HUNT" >"$TMPD/slm.log"
check "slm copy differs in one line" "$(diff "$HUNT" "$TMPD/slm.log" | grep -c '^>')" 1
"$MS" hunt -q -f json --tz UTC "$TMPD/slm.log" >"$TMPD/slm.json"
check "sender-login-mismatch: the refusal for bob (high: bob was taken over)" \
    "$(jq -r '[.findings[] | select(.rule == "sender-login-mismatch") | "\(.entity.value) \(.counts.rejected) \(.severity) \(.evidence[0].ref | split(":") | last)"] | join(",")' "$TMPD/slm.json")" \
    "bob@example.test 1 high 628"
"$MS" hunt -q -f json --tz UTC "$HUNT" >"$TMPD/orig.json"
check "sender-login-mismatch: nothing on the unedited capture" \
    "$(jq '[.findings[] | select(.rule == "sender-login-mismatch")] | length' "$TMPD/orig.json")" 0
# sender-login-mismatch on a real Postfix with smtpd_sender_login_maps and
# reject_sender_login_mismatch (tests/data/site/login-mismatch/capture.sh; expected.txt is
# its plan): every refusal per login, the "not logged in" client, the configured alias
LM=$S/login-mismatch
"$MS" hunt -q -f json --tz UTC "$LM/maillog" >"$TMPD/lm.json"
check_rc "hunt login-mismatch capture" $? 0
lmf() { jq -r --arg v "$1" '[.findings[] | select(.rule == "sender-login-mismatch" and .entity.value == $v) | '"$2"'] | join(",")' "$3"; }
while read -r what ent rest; do
    case "$what" in
    refused)
        want=$(echo "$rest" | wc -w | tr -d ' ')
        check "login capture: $ent refused $want times" "$(lmf "$ent" '"\(.entity.type) \(.counts.rejected) \(.counts.senders)"' "$TMPD/lm.json")" "user $want $want"
        for snd in $rest; do
            check "login capture: the refusal of $ent as $snd is cited" \
                "$(jq -r --arg v "$ent" '.findings[] | select(.rule == "sender-login-mismatch" and .entity.value == $v) | .evidence[].ref' "$TMPD/lm.json" |
                   while read -r ref; do sed -n "${ref##*:}p" "$LM/maillog"; done | grep -c "<$snd>: Sender address rejected: not owned by user $ent")" 1
        done ;;
    refused-nologin)
        check "login capture: unauthenticated $ent refused as $rest" \
            "$(lmf "$ent" '"\(.entity.type) \(.counts.rejected) \(.title | test("'"$rest"'"))"' "$TMPD/lm.json")" "ip 1 true" ;;
    alias)
        snd=$rest
        check "login capture: $ent as its alias $snd, no config: a mismatch at the rule's severity" \
            "$(lmf "$ent" '"\(.severity) \(.counts.messages)"' "$TMPD/lm.json")" "medium 1"
        "$MS" hunt -q -f json --tz UTC --site-config "$LM/etc" "$LM/maillog" >"$TMPD/lm2.json"
        check "login capture: with its main.cf (smtpd_sender_login_maps) the alias is info" \
            "$(lmf "$ent" '"\(.severity) \(.explanation | test("smtpd_sender_login_maps"))"' "$TMPD/lm2.json")" "info true"
        check "login capture: with its main.cf the refusals keep their severity" \
            "$(jq '[.findings[] | select(.rule == "sender-login-mismatch" and .severity == "medium")] | length' "$TMPD/lm2.json")" 2 ;;
    esac
done <"$LM/expected.txt"
check "login capture: the log holds the refusals" "$(grep -c 'Sender address rejected' "$LM/maillog")" 3
check "login capture: every line parses" "$("$MS" summary -f json --tz UTC "$LM/maillog" | jq .inputs.unparsed)" 0
printf 'sender-auth-mismatch.min_messages = 2\n' >"$TMPD/old.rules"
"$MS" hunt -q --rules "$TMPD/old.rules" "$HUNT" >/dev/null
check_rc "the rule's former name is accepted in rules files" $? 0
finish "hunt site"
