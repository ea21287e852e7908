#!/bin/sh
# hunt on the real Postfix captures (tests/corpus/postfix, tests/corpus/postfix-multihop;
# scenario tables in their README.md).  What each rule must and must not report there:
#  postfix: sub1 (alice, AUTH ok from 127.0.0.1) comes BEFORE sub2-sub4 (3 failures from
#    127.0.0.1 for alice, bob, admin): no brute force (3 < 5), no spraying (3 users < 5), no
#    success after failures (the success came first, whatever the threshold); rej1, rej2 are
#    2 "Relay access denied" from 127.0.0.1: relay-attempt at info (below 3/h probing);
#    127.0.0.2 relays without AUTH (mynetworks): inferred trusted, no open-relay, unless
#    --trusted-net says otherwise; no TLS is logged at all: plaintext-auth only notes that.
#  multihop: auth1, auth2 (carol fails twice from 127.0.0.5), then sub1 (carol ok, same IP):
#    auth-success-after-failures fires when its threshold is lowered to 2 (default 5: not).
. "$(dirname "$0")/testlib.inc"
CORP=$(cd "$(dirname "$0")/../corpus" && pwd)
CAP=$CORP/postfix/maillog
MH=$CORP/postfix-multihop

"$MS" hunt -q -f json --tz UTC "$CAP" >"$TMPD/p.json"
check_rc "hunt postfix" $? 0
check "postfix: only finding is relay-attempt info for 127.0.0.1" \
    "$(jq -r '[.findings[] | "\(.rule) \(.severity) \(.entity.value) \(.counts.refusals)"] | join(";")' "$TMPD/p.json")" \
    "relay-attempt info 127.0.0.1 2"
check "postfix: relay evidence cites the two reject lines" \
    "$(jq -r '[.findings[0].evidence[].ref | sub(".*:"; "")] | join(",")' "$TMPD/p.json")" \
    "$(grep -n 'Relay access denied' "$CAP" | cut -d: -f1 | paste -sd, -)"
check "postfix: no brute force, spray or compromise from 3 failures" \
    "$(jq '[.findings[] | select(.rule | test("^auth"))] | length' "$TMPD/p.json")" 0
check "postfix: trusted network inference stated" \
    "$(jq -r '[.notes[] | select(test("trusted networks inferred.*127.0.0.2"))] | length' "$TMPD/p.json")" 1
check "postfix: local domain inference stated" \
    "$(jq -r '[.notes[] | select(test("example.test on mx1"))] | length' "$TMPD/p.json")" 1
check "postfix: stats count the events" "$(jq '.stats.events > 100' "$TMPD/p.json")" true

# lowering the thresholds to what the capture has: 3 failures, 3 users
printf 'auth-bruteforce.threshold = 3\nauth-spray.users = 3\n# success came first:\nauth-success-after-failures.threshold = 1\n' >"$TMPD/low.rules"
"$MS" hunt -q -f json --tz UTC --rules "$TMPD/low.rules" "$CAP" >"$TMPD/low.json"
check "postfix low thresholds: brute force and spray fire for 127.0.0.1" \
    "$(jq -r '[.findings[] | select(.rule | test("^auth")) | "\(.rule) \(.entity.value) \(.evidence_total)"] | sort | join(";")' "$TMPD/low.json")" \
    "auth-bruteforce 127.0.0.1 3;auth-spray 127.0.0.1 3"
check "postfix: the success before the failures is never a compromise" \
    "$(jq '[.findings[] | select(.rule == "auth-success-after-failures")] | length' "$TMPD/low.json")" 0

# --trusted-net overrides the inference: 127.0.0.2 then relays as an outsider
"$MS" hunt -q -f jsonl --tz UTC --trusted-net 127.0.0.1/32 "$CAP" >"$TMPD/tn.jsonl"
check "postfix --trusted-net: open-relay critical for 127.0.0.2 (out1, out3, out4)" \
    "$(jq -r 'select(.type == "finding" and .rule == "open-relay") | "\(.severity) \(.entity.value) \(.counts.messages)"' "$TMPD/tn.jsonl")" \
    "critical 127.0.0.2 3"
check "jsonl: every line is a finding or a note" \
    "$(jq -r '.type' "$TMPD/tn.jsonl" | sort -u | paste -sd, -)" "finding,note"
"$MS" hunt -q --tz UTC --trusted-net 127.0.0.1/32 --local-domain remote.test \
    --local-domain partner.test -f json "$CAP" >"$TMPD/ld.json"
check "--local-domain: mail to those domains is not relaying" \
    "$(jq '[.findings[] | select(.rule == "open-relay")] | length' "$TMPD/ld.json")" 0

# multihop: carol 2 failures then success from 127.0.0.5
"$MS" hunt -q -f json --tz UTC "$MH" >"$TMPD/m.json"
check "multihop default: no finding (2 failures < 5)" "$(jq '.findings | length' "$TMPD/m.json")" 0
printf 'auth-success-after-failures.threshold = 2\n' >"$TMPD/two.rules"
"$MS" hunt -q -f json --tz UTC --show-lines --rules "$TMPD/two.rules" "$MH" >"$TMPD/m2.json"
check "multihop threshold 2: carol compromised" \
    "$(jq -r '.findings[] | "\(.rule) \(.severity) \(.entity.value) \(.counts.failures)"' "$TMPD/m2.json")" \
    "auth-success-after-failures critical carol@example.test 2"
check "multihop: related message is sub1's client= line queue id" \
    "$(jq -r '.findings[0].messages | join(",")' "$TMPD/m2.json")" \
    "mx1:$(grep 'sasl_username=carol' "$MH/postfix-mx1/maillog" | grep client= | sed 's/.*: \([0-9A-F]*\): client=.*/\1/')"
bad=0
jq -r '.findings[0].evidence[] | "\(.ref)\t\(.line)"' "$TMPD/m2.json" >"$TMPD/ev.tsv"
while IFS="$(printf '\t')" read -r ref text; do
    [ "$(sed -n "${ref##*:}p" "${ref%:*}")" = "$text" ] || bad=$((bad + 1))
done <"$TMPD/ev.tsv"
check "--show-lines: cited lines are the files' lines" "$bad" 0
check "3 lines cited (2 failures, 1 success)" "$(wc -l <"$TMPD/ev.tsv" | tr -d ' ')" 3
"$MS" hunt -q --tz UTC --max-evidence 1 --rules "$TMPD/two.rules" "$MH" >"$TMPD/m1.txt"
check_grep "--max-evidence 1: 1 of 3 cited, total given" "evidence (1 of 3 lines)" "$TMPD/m1.txt"
check_grep "text output names the rule and severity" "[CRITICAL] auth-success-after-failures" "$TMPD/m1.txt"

# --fail-on
"$MS" hunt -q --tz UTC --fail-on critical --rules "$TMPD/two.rules" "$MH" >/dev/null
check_rc "--fail-on critical with a critical finding" $? 1
"$MS" hunt -q --tz UTC --fail-on low "$CAP" >/dev/null
check_rc "--fail-on low with only an info finding" $? 0
"$MS" hunt -q --tz UTC --fail-on info "$CAP" >/dev/null
check_rc "--fail-on info" $? 1
"$MS" hunt -q --tz UTC --fail-on severe "$CAP" >/dev/null 2>"$TMPD/e"
check_rc "--fail-on bad severity" $? 2

# rules switched off
printf 'relay-attempt.enabled = false\n' >"$TMPD/off.rules"
"$MS" hunt -q -f json --tz UTC --rules "$TMPD/off.rules" "$CAP" >"$TMPD/off.json"
check "relay-attempt switched off" "$(jq '.findings | length' "$TMPD/off.json")" 0
printf 'auth-success-after-failures.threshold = 2\nauth-success-after-failures.enabled = no\n' >"$TMPD/off2.rules"
check "auth-success-after-failures switched off" \
    "$("$MS" hunt -q -f json --tz UTC --rules "$TMPD/off2.rules" "$MH" | jq '.findings | length')" 0

# bad rules files: exit 2, file:line
printf '# ok\nauth-bruteforce.threshold = 5\nauth-bruteforce.window = 10 minutes\n' >"$TMPD/bad1.rules"
"$MS" hunt --tz UTC --rules "$TMPD/bad1.rules" "$CAP" >/dev/null 2>"$TMPD/bad1.err"
check_rc "bad value" $? 2
check_grep "bad value names file:line" "bad1.rules:3: auth-bruteforce.window wants" "$TMPD/bad1.err"
printf 'no-such-rule.enabled = false\n' >"$TMPD/bad2.rules"
"$MS" hunt --tz UTC --rules "$TMPD/bad2.rules" "$CAP" >/dev/null 2>"$TMPD/bad2.err"
check_rc "unknown rule" $? 2
check_grep "unknown rule names file:line" "bad2.rules:1: unknown rule 'no-such-rule'" "$TMPD/bad2.err"
printf '\nauth-spray.colour = blue\n' >"$TMPD/bad3.rules"
"$MS" hunt --tz UTC --rules "$TMPD/bad3.rules" "$CAP" >/dev/null 2>"$TMPD/bad3.err"
check_grep "unknown key names file:line" "bad3.rules:2: rule auth-spray has no key 'colour'" "$TMPD/bad3.err"
printf 'just words\n' >"$TMPD/bad4.rules"
"$MS" hunt --tz UTC --rules "$TMPD/bad4.rules" "$CAP" >/dev/null 2>"$TMPD/bad4.err"
check_grep "syntax error names file:line" "bad4.rules:1: expected 'rule.key = value'" "$TMPD/bad4.err"
"$MS" hunt --tz UTC --rules "$TMPD/none.rules" "$CAP" >/dev/null 2>&1
check_rc "missing rules file" $? 2

# the documented example is exactly the defaults, and loads
DOC=$(cd "$(dirname "$0")/../../doc" && pwd)
"$MS" hunt --print-rules >"$TMPD/defaults"
check "doc/hunt-rules.example = hunt --print-rules" \
    "$(cmp -s "$TMPD/defaults" "$DOC/hunt-rules.example" && echo same)" same
"$MS" hunt -q --tz UTC --rules "$DOC/hunt-rules.example" "$CAP" >/dev/null
check_rc "the example loads" $? 0

# hostile content is escaped in text output
printf 'Nov 27 13:18:50 mx1 postfix/smtpd[1]: warning: unknown[10.9.9.9]: SASL LOGIN authentication failed: authentication failure, sasl_username=\033]0;pwn\007evil\n' >"$TMPD/esc.log"
printf 'auth-bruteforce.threshold = 1\n' >"$TMPD/one.rules"
"$MS" hunt -q --tz UTC --year 2026 --rules "$TMPD/one.rules" "$TMPD/esc.log" >"$TMPD/esc.txt"
check "no raw ESC in text output" "$(grep -c "$(printf '\033')" "$TMPD/esc.txt")" 0
check_grep "escaped as \\x1b" '\x1b]0;pwn' "$TMPD/esc.txt"
finish hunt
