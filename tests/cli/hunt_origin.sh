#!/bin/sh
# hunt rules lookalike-domain and unusual-origin on copies of the real Postfix captures
# (tests/corpus/postfix, tests/corpus/postfix-multihop), changed by documented sed lines,
# with the project's own test databases (tests/data/geoip/*.mmdb: 127.0.0.5 -> made-up
# country XA, 127.0.0.6 -> XB, about 17000 km apart; see make_mmdb.pl).
#  - benign captures: no finding from either rule; without --geoip a note says the location
#    checks need a database;
#  - look-alikes, made by sed on a copy of the postfix capture:
#      in3  dave@remote.test    -> dave@exarnple.test       (rn/m swap of local example.test)
#      in5  zoe@remote.test     -> zoe@xn--exmple-4nf.test  (Cyrillic U+0430 'а' in example)
#      out3 grace@remote.test   -> grace@rernote.test       (delivered: outbound leak)
#      out3 bounce@remote.test  -> bounce@rem0te.test       (550 5.1.1 unknown at the squat)
#      rej1/rej2 spam@elsewhere.test -> spam@partner-secure.test (hyphen + word)
#    with partner_min = 2, partners are partner.test (3 recipients) and remote.test (2 left);
#  - impossible travel: carol's sub1 login line (client=unknown[127.0.0.5], sasl_username=
#    carol@example.test) copied to the top of mx1's log 4 minutes earlier from 127.0.0.6
#    (queue id changed), i.e. XB at 13:29:06 then XA at 13:33:06;
#  - --ip-list tor=FILE with 127.0.0.5/32: carol's client is reported (2 failures, 1 login).
. "$(dirname "$0")/testlib.inc"
CORP=$(cd "$(dirname "$0")/../corpus" && pwd)
GEO=$(cd "$(dirname "$0")/../data/geoip" && pwd)
CAP=$CORP/postfix/maillog
MH=$CORP/postfix-multihop

# benign: nothing from these rules by default, and a note about the missing database
for src in "$CAP" "$MH"; do
    "$MS" hunt -q -f json --tz UTC "$src" >"$TMPD/b.json"
    check "benign ${src##*/}: no lookalike/origin finding" \
        "$(jq '[.findings[] | select(.rule == "lookalike-domain" or .rule == "unusual-origin")] | length' "$TMPD/b.json")" 0
    check "benign ${src##*/}: note that unusual-origin needs --geoip" \
        "$(jq '[.notes[] | select(test("unusual-origin: no --geoip database given"))] | length' "$TMPD/b.json")" 1
done
"$MS" hunt -q -f json --tz UTC --geoip "$GEO/test-country.mmdb" --asn "$GEO/test-asn.mmdb" \
    "$MH" >"$TMPD/b2.json"
check "benign multihop with databases: carol's one located login is no finding" \
    "$(jq '[.findings[] | select(.rule == "unusual-origin")] | length' "$TMPD/b2.json")" 0
check "note counts the located login" \
    "$(jq -r '.notes[] | select(test("^unusual-origin:"))' "$TMPD/b2.json")" \
    "unusual-origin: 1 successful logins located, 0 not in the database (mailsleuth-test-Country)"

# look-alike domains
sed -e 's/dave@remote\.test/dave@exarnple.test/g' \
    -e 's/zoe@remote\.test/zoe@xn--exmple-4nf.test/g' \
    -e 's/grace@remote\.test/grace@rernote.test/g' \
    -e 's/bounce@remote\.test/bounce@rem0te.test/g' \
    -e 's/spam@elsewhere\.test/spam@partner-secure.test/g' "$CAP" >"$TMPD/la.log"
printf 'lookalike-domain.partner_min = 2\n' >"$TMPD/p2.rules"
"$MS" hunt -q -f json --tz UTC --rules "$TMPD/p2.rules" "$TMPD/la.log" >"$TMPD/la.json"
check "look-alikes: each domain, severity and technique" \
    "$(jq -r '[.findings[] | select(.rule == "lookalike-domain") | "\(.entity.value) \(.severity) \(.title | capture("\\((?<k>[a-z-]+)[,)]").k)"] | sort | join(";")' "$TMPD/la.json")" \
    "exarnple.test high character-swap;partner-secure.test medium hyphen;rem0te.test medium character-swap;rernote.test high character-swap;xn--exmple-4nf.test high homoglyph"
check "punycode decoded in the title" \
    "$(jq -r '.findings[] | select(.entity.value == "xn--exmple-4nf.test") | .title' "$TMPD/la.json")" \
    "look-alike domain xn--exmple-4nf.test (exаmple.test) imitates local domain example.test (homoglyph)"
check "outbound delivery to a partner look-alike counted" \
    "$(jq -r '.findings[] | select(.entity.value == "rernote.test") | "\(.counts.delivered_out) \(.title | test("partner domain remote.test"))"' "$TMPD/la.json")" "1 true"
check "unknown recipient at the squatted domain counted" \
    "$(jq -r '.findings[] | select(.entity.value == "rem0te.test") | .counts.unknown_recipients' "$TMPD/la.json")" 1
check "evidence is the sed-changed line" \
    "$(jq -r '.findings[] | select(.entity.value == "exarnple.test") | .evidence[0].ref | sub(".*:"; "")' "$TMPD/la.json")" \
    "$(grep -n 'from=<dave@exarnple.test>' "$TMPD/la.log" | cut -d: -f1)"
check "the sender rejected as relaying is cited on both reject lines" \
    "$(jq -r '.findings[] | select(.entity.value == "partner-secure.test") | [.evidence[].ref | sub(".*:"; "")] | join(",")' "$TMPD/la.json")" \
    "$(grep -n 'spam@partner-secure.test' "$TMPD/la.log" | cut -d: -f1 | paste -sd, -)"
check "never a domain against itself, nor local or partner domains" \
    "$(jq '[.findings[] | select(.rule == "lookalike-domain" and (.entity.value | test("^(example|remote|partner)\\.test$")))] | length' "$TMPD/la.json")" 0
# --protected-domain: remote.test is then protected, not a partner
"$MS" hunt -q -f json --tz UTC --protected-domain remote.test "$TMPD/la.log" >"$TMPD/lp.json"
check "--protected-domain names the protected reference" \
    "$(jq -r '.findings[] | select(.entity.value == "rernote.test") | .title | test("protected domain remote.test")' "$TMPD/lp.json")" true
# partners switched off and no protected domain: only the look-alikes of the local domain
printf 'lookalike-domain.partners = 0\n' >"$TMPD/np.rules"
"$MS" hunt -q -f json --tz UTC --rules "$TMPD/np.rules" "$TMPD/la.log" >"$TMPD/np.json"
check "partners = 0: only look-alikes of local example.test" \
    "$(jq -r '[.findings[] | select(.rule == "lookalike-domain") | .entity.value] | sort | join(",")' "$TMPD/np.json")" \
    "exarnple.test,xn--exmple-4nf.test"

# impossible travel on the multihop capture
mkdir -p "$TMPD/mh"
cp -r "$MH/postfix-mx1" "$MH/postfix-mx2" "$TMPD/mh/"
grep 'client=unknown\[127.0.0.5\], sasl_method=LOGIN, sasl_username=carol' "$MH/postfix-mx1/maillog" |
    sed -e 's/13:33:06/13:29:06/' -e 's/127\.0\.0\.5/127.0.0.6/' -e 's/: [0-9A-F]*: client=/: 0F1E2A7470A: client=/' \
    >"$TMPD/early"
check "the copied login line exists" "$(wc -l <"$TMPD/early" | tr -d ' ')" 1
cat "$TMPD/early" "$MH/postfix-mx1/maillog" >"$TMPD/mh/postfix-mx1/maillog"
"$MS" hunt -q -f json --tz UTC --show-lines --geoip "$GEO/test-country.mmdb" \
    --asn "$GEO/test-asn.mmdb" "$TMPD/mh" >"$TMPD/it.json"
check "impossible travel for carol, high, XB then XA" \
    "$(jq -r '.findings[] | select(.rule == "unusual-origin") | "\(.severity) \(.entity.value) \(.title | test("from XB \\(127.0.0.6\\) and 240 s later from XA \\(127.0.0.5\\)"))"' "$TMPD/it.json")" \
    "high carol@example.test true"
check "impossible travel cites the two login lines" \
    "$(jq -r '.findings[] | select(.rule == "unusual-origin") | [.evidence[] | .ref | sub(".*:"; "")] | join(",")' "$TMPD/it.json")" \
    "1,$(grep -n 'client=unknown\[127.0.0.5\], sasl_method' "$TMPD/mh/postfix-mx1/maillog" | cut -d: -f1)"
check "cited lines are the file's lines" \
    "$(jq -r '.findings[] | select(.rule == "unusual-origin") | .evidence[0].line' "$TMPD/it.json")" "$(cat "$TMPD/early")"
printf 'unusual-origin.min_history = 1\n' >"$TMPD/h1.rules"
"$MS" hunt -q -f json --tz UTC --rules "$TMPD/h1.rules" --geoip "$GEO/test-country.mmdb" \
    "$TMPD/mh" >"$TMPD/h1.json"
check "min_history 1: new country as well" \
    "$(jq -r '[.findings[] | select(.rule == "unusual-origin") | .title | sub(":.*"; "")] | sort | join(";")' "$TMPD/h1.json")" \
    "impossible travel;login from a new country"
printf 'unusual-origin.max_speed = 300000\n' >"$TMPD/fast.rules"
"$MS" hunt -q -f json --tz UTC --rules "$TMPD/fast.rules" --geoip "$GEO/test-country.mmdb" \
    "$TMPD/mh" >"$TMPD/fast.json"
check "max_speed above the needed speed: no impossible travel" \
    "$(jq '[.findings[] | select(.rule == "unusual-origin")] | length' "$TMPD/fast.json")" 0

# --ip-list
printf '# Tor exit list (test)\n192.0.2.0/24\n127.0.0.5/32\n' >"$TMPD/tor.txt"
"$MS" hunt -q -f json --tz UTC --ip-list "tor=$TMPD/tor.txt" "$MH" >"$TMPD/tor.json"
check "--ip-list: carol's client on the list, with her login" \
    "$(jq -r '.findings[] | select(.rule == "unusual-origin") | "\(.severity) \(.entity.type) \(.entity.value) \(.counts.logins) \(.counts.auth_failures)"' "$TMPD/tor.json")" \
    "high ip 127.0.0.5 1 2"
check "--ip-list: every line of that client counted" \
    "$(jq -r '.findings[] | select(.rule == "unusual-origin") | .evidence_total' "$TMPD/tor.json")" \
    "$(grep -c '127\.0\.0\.5\]' "$MH/postfix-mx1/maillog")"

# usage errors
"$MS" hunt -q --geoip "$GEO/make_mmdb.pl" "$CAP" >/dev/null 2>"$TMPD/e1"
check_rc "--geoip not a database" $? 2
check_grep "names the file" "make_mmdb.pl: not a MaxMind database" "$TMPD/e1"
"$MS" hunt -q --asn "$TMPD/none.mmdb" "$CAP" >/dev/null 2>"$TMPD/e2"
check_rc "--asn missing file" $? 2
printf '192.0.2.0/24\nnot-an-ip\n' >"$TMPD/bad.txt"
"$MS" hunt -q --ip-list "bad=$TMPD/bad.txt" "$CAP" >/dev/null 2>"$TMPD/e3"
check_rc "--ip-list bad line" $? 2
check_grep "bad list line names file:line" "bad.txt:2: not an address or CIDR network" "$TMPD/e3"
"$MS" hunt -q --ip-list "$TMPD/tor.txt" "$CAP" >/dev/null 2>"$TMPD/e4"
check_rc "--ip-list without NAME=" $? 2
finish hunt_origin
