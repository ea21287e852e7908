#!/bin/sh
# Where pflogsumm 1.1.5 miscounts (../shared/corpora/README.md "Known limitations"),
# mailsleuth's summary is right.  Real lines: our Postfix capture, and the public corpora
# when ../shared is present (skipped otherwise).
. "$(dirname "$0")/testlib.inc"
CAP=$(dirname "$0")/../corpus/postfix/maillog
LM="$CORPORA/lightmeter-controlcenter/individual_files"

# 1. Two servers whose queue ids collide: same capture, second copy logged by host mx2.
sed 's/^\(... .. ..:..:..\) mx1 /\1 mx2 /' "$CAP" >"$TMPD/mx2.log"
"$MS" summary -f json --tz UTC "$CAP" "$TMPD/mx2.log" >"$TMPD/two.json"
check "two hosts: received doubles" "$(jget "$TMPD/two.json" .totals.received)" 22
check "two hosts: bytes received double" "$(jget "$TMPD/two.json" .totals.bytes_received)" \
    "$(( $("$MS" summary -f json --tz UTC "$CAP" | jq .totals.bytes_received) * 2 ))"
check "two hosts: per-server rows" "$(jget "$TMPD/two.json" '[.servers[].host] | join(",")')" "mx1,mx2"
check "two hosts: each server received" "$(jget "$TMPD/two.json" '[.servers[].received] | join(",")')" "11,11"

# 2. rsyslog "message repeated N times": counted N times
grep -m1 'SASL LOGIN authentication failed' "$CAP" |
    sed "s/\(\]: \)\(warning: .*\)/\1message repeated 4 times: [ \2]/" >"$TMPD/rep.log"
"$MS" summary -f json --tz UTC "$TMPD/rep.log" >"$TMPD/rep.json"
check "repeated line counts 4 SASL failures" "$(jget "$TMPD/rep.json" .totals.sasl_failures)" 4

if [ -d "$LM" ]; then
    # 3. content filter re-injection (amavis): one message, one delivery, not three
    "$MS" summary -f json --tz UTC "$LM/5_zimbra_amavisd.log" >"$TMPD/z.json"
    check "amavis: received once" "$(jget "$TMPD/z.json" .totals.received)" 1
    check "amavis: delivered once" "$(jget "$TMPD/z.json" .totals.delivered)" 1
    check "amavis: hand-offs reported" "$(jget "$TMPD/z.json" .totals.filter_handoffs)" 2
    # 4. milter-reject counted as reject
    "$MS" summary -f json --tz UTC "$LM/15_milter-reject.log" >"$TMPD/m.json"
    check "milter-reject counted" "$(jget "$TMPD/m.json" .totals.rejected)" 2
    # 5. expired messages, logged by a multi-instance syslog name (postfix-<ip>/...)
    "$MS" summary -f json --tz UTC "$LM/18_expired.log" >"$TMPD/e.json"
    check "expired counted" "$(jget "$TMPD/e.json" .totals.expired)" 1
    check "multi-instance deferrals seen" "$(jget "$TMPD/e.json" .totals.deferrals)" 5
else
    skip "lightmeter corpus absent ($LM)"
fi

GROK="$CORPORA/postfix-grok/test"
if [ -d "$GROK" ]; then
    # 6. Postfix 3.11 tls= field: every such delivery is counted (pflogsumm drops them)
    n=0
    for f in "$GROK"/tls_features_*.yaml; do
        line=$(sed -n 's/^data: "\(.*status=sent.*\)"$/\1/p' "$f")
        [ -n "$line" ] || continue
        n=$((n + 1))
        printf 'Nov 27 10:00:%02d mx1 postfix/smtp[42]: %s\n' "$n" "$line"
    done >"$TMPD/tls.log"
    "$MS" summary -f json --tz UTC --year 2026 "$TMPD/tls.log" >"$TMPD/tls.json"
    check "tls= deliveries counted" "$(jget "$TMPD/tls.json" .totals.delivered)" "$n"
else
    skip "postfix-grok corpus absent"
fi
finish "summary vs pflogsumm gaps"
