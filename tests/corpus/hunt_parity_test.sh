#!/bin/sh
# hunt parity: the same attack-and-benign scenario set played against real Postfix (tests/corpus/hunt),
# Exim (hunt-exim), Sendmail (hunt-sendmail) and OpenSMTPD (hunt-opensmtpd) by the hunt_*capture.sh
# scripts. On every capture, every "fire" line of its expected.txt (rule, entity type, entity, optional
# severity) must be reported, no finding above info may name a "quiet" entity (benign traffic; the
# server's own loopback clients are trusted by default, so a rule may still state at info what it saw),
# and no "absent" rule may fire. A capture that is not committed is skipped with the reason.
#
# GAPS lists the findings a dialect cannot give yet, each with the reason (doc/DETECTIONS.md, rule x
# dialect table). They are reported as skips, and a gap that closes fails the test until it is removed
# here, so the list never claims less than the code does.
. "$(dirname "$0")/../cli/testlib.inc"
C=$(dirname "$0")
GAPS=''

gap_reason() { # dir rule
    printf '%s\n' "$GAPS" | awk -v d="$1" -v r="$2" '$1 == d && $2 == r { $1 = ""; $2 = ""; sub(/^  */, ""); print; exit }'
}

for dir in hunt hunt-exim hunt-sendmail hunt-opensmtpd; do
    D=$C/$dir
    if [ ! -f "$D/expected.txt" ]; then
        skip "$dir: no capture committed (run tests/corpus/hunt_${dir#hunt-}_capture.sh)"
        continue
    fi
    logs=$(ls "$D" | grep -v -e '^expected.txt$' -e '^README.md$' | sed "s|^|$D/|")
    # shellcheck disable=SC2086
    "$MS" hunt -q -f json --tz UTC $logs >"$TMPD/$dir.json"
    check_rc "$dir: hunt runs" $? 0
    jq -r '.findings[] | "\(.rule) \(.entity.type) \(.entity.value) \(.severity)"' "$TMPD/$dir.json" >"$TMPD/$dir.found"
    while read -r what a b c d; do
        case "$what" in
        fire)
            rule=$a types=$b values=$c sev=$d
            hit=$(awk -v r="$rule" -v t="|$types|" -v v="|$values|" -v s="$sev" \
                '$1 == r && index(t, "|" $2 "|") && index(v, "|" $3 "|") && (s == "" || $4 == s) { n++ } END { print n + 0 }' \
                "$TMPD/$dir.found")
            why=$(gap_reason "$dir" "$rule")
            if [ -n "$why" ]; then
                if [ "$hit" -ge 1 ]; then
                    check "$dir: gap $rule closed: remove it from GAPS and the table" "fires" "still a gap"
                else
                    skip "$dir: $rule $values not found: $why"
                fi
                continue
            fi
            check "$dir: fires $rule $types $values${sev:+ at $sev}" "$([ "$hit" -ge 1 ] && echo yes || echo "no ($hit)")" yes ;;
        quiet)
            case "$a" in
            domain) n=$(awk -v d="$b" '$4 != "info" && ($3 == d || $3 ~ ("@" d "$"))' "$TMPD/$dir.found" | wc -l) ;;
            *) n=$(awk -v v="$b" '$4 != "info" && $3 == v' "$TMPD/$dir.found" | wc -l) ;;
            esac
            check "$dir: benign $a $b: no finding above info" "$(echo $n)" 0 ;;
        absent)
            check "$dir: no $a finding" "$(awk -v r="$a" '$1 == r' "$TMPD/$dir.found" | wc -l | tr -d ' ')" 0 ;;
        esac
    done <"$D/expected.txt"
    # the findings' numbers are the plan's numbers
    cnt() { awk -v k="$1" '$1 == "count" && $2 == k { print $3 }' "$D/expected.txt"; }
    fc() { jq -r --arg r "$1" --arg v "$2" "[.findings[] | select(.rule == \$r and .entity.value == \$v) | $3] | map(tostring) | join(\",\")" "$TMPD/$dir.json"; }
    if [ -n "$(cnt spray_users)" ]; then
        check "$dir: auth-spray 127.0.0.7 users" "$(fc auth-spray 127.0.0.7 .counts.users)" "$(cnt spray_users)"
    fi
    if [ -z "$(gap_reason "$dir" recipient-harvest)" ]; then
        check "$dir: recipient-harvest 127.0.0.8 unknown recipients" "$(fc recipient-harvest 127.0.0.8 .counts.unknown_recipients)" "$(cnt harvest_unknown)"
    fi
    if [ -z "$(gap_reason "$dir" relay-attempt)" ]; then
        check "$dir: relay-attempt 127.0.0.9 refusals" "$(fc relay-attempt 127.0.0.9 .counts.refusals)" "$(cnt relay_denied)"
    fi
    "$MS" summary -f json --tz UTC $logs >"$TMPD/$dir.s.json"
    check "$dir: every line parses" "$(jq .inputs.unparsed "$TMPD/$dir.s.json")" 0
done
# OpenSMTPD's "Invalid recipient" is judged by the local domains: the relay probes alone (no local
# delivery in the log) are not judged and a note says so; naming the local domain judges them
O=$C/hunt-opensmtpd/maillog
if [ -f "$O" ]; then
    grep -e 'address=127.0.0.9 ' -e 'Invalid recipient: <victim@' "$O" >"$TMPD/probes.log"
    "$MS" hunt -q -f json --tz UTC "$TMPD/probes.log" >"$TMPD/probes.json"
    check "opensmtpd probes alone: no relay-attempt" "$(jq '[.findings[] | select(.rule == "relay-attempt")] | length' "$TMPD/probes.json")" 0
    check "opensmtpd probes alone: the note says they were not judged" \
        "$(jq -r '.notes[]' "$TMPD/probes.json" | grep -c '4 "Invalid recipient" refusals not judged')" 1
    "$MS" hunt -q -f json --tz UTC --local-domain example.test "$TMPD/probes.log" >"$TMPD/probes2.json"
    check "opensmtpd probes with --local-domain: relay-attempt 127.0.0.9 medium, 4 refusals" \
        "$(jq -r '.findings[] | select(.rule == "relay-attempt") | "\(.entity.value) \(.severity) \(.counts.refusals)"' "$TMPD/probes2.json")" "127.0.0.9 medium 4"
fi
finish "hunt parity"
