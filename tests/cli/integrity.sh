#!/bin/sh
# log-integrity on tampered copies of REAL captures (tests/corpus/postfix/maillog: 111 lines,
# 13:18:48-13:18:53; tests/corpus/postfix-multihop) and of the generated bench log (hours of
# traffic): each tamper is reported with its rule, host, line numbers and queue ids, and the
# untouched input gives none of these findings.
#  - a deleted block (lines 40-47 of the capture): A19B5A721C9 keeps its delivery and
#    "removed" but loses its client= line (delivery with no receipt, cited at its delivery,
#    line 49 -> 41); 7DAA4A721C7 keeps client= and message-id (lines 38, 39) but loses its
#    delivery and "removed" (receipt with no removal, cited at its last line, 39).  The
#    capture lasts 5 s, so the rules file sets grace = 0 (default 5 min; messages received
#    before the log are told apart by delay=, not by the grace).
#  - two blocks swapped (lines 1-9 at :48 and 102-110 at :51): time-backwards at the new
#    lines 10 (:49 after :51) and 102 (:48 after :50).
#  - one stamp altered (line 62, 13:18:49 -> 13:10:49): time-backwards at line 62.
#  - the capture as a rotated set maillog.3 (1-9, :48) maillog.2 (10-69, :49) maillog.1
#    (70-101, :50) maillog (102-111): with maillog.2 missing, maillog.1 starts 2 s after
#    maillog.3 ended (rotation-discontinuity (gap) citing maillog.3:9 and maillog.1:1;
#    gap_min = 2s, gap_factor = 1 for a capture with whole-second stamps); maillog.2 named
#    maillog.4 (older than it is): out of order; maillog.2 a copy of maillog.3: repeated lines.
#  - volume drop: `gen_postfix --bytes 3M --seed 5` writes 170 s of traffic of mx1 and mx2;
#    its times are stretched x120 (16:00-21:40, ~2000 events per host and hour) and the
#    18:00 hour is deleted but for every 40th line (2.5%): volume-drop for mx1 and mx2 at
#    18:00; deleting the whole hour gives a gap as well.
. "$(dirname "$0")/testlib.inc"
CORP=$(cd "$(dirname "$0")/../corpus" && pwd)
CAP=$CORP/postfix/maillog
MH=$CORP/postfix-multihop
GEN=$(dirname "$MS")/bench/gen_postfix
cd "$TMPD" || exit 1

# findings of log-integrity as "title|entity|messages|evidence line numbers"
li() {
    jq -r '.findings[] | select(.rule == "log-integrity")
        | "\(.title)|\(.entity.value | sub(".*/"; ""))|\(.messages | join(","))|\([.evidence[].ref | sub(".*/"; "")] | join(","))"' "$1"
}
new_checks='lifecycle|volume-drop|rotation'

printf 'log-integrity.grace = 0\n' >g0.rules
"$MS" hunt -q -f json --tz UTC --year 2026 --rules g0.rules "$CAP" >orig.json
check_rc "hunt untouched capture" $? 0
check "untouched capture: no log-integrity finding (grace 0)" "$(li orig.json)" ""
"$MS" hunt -q -f json --tz UTC --year 2026 --rules g0.rules "$MH" >mh.json
check "untouched multihop: no log-integrity finding (grace 0)" "$(li mh.json)" ""

# --- a deleted block: lifecycle holes with the right queue ids ---------------------------
mkdir ev
cp "$CAP" ev/maillog
"$MS" verify -f json --tz UTC ev >manifest.json
sed -i '40,47d' ev/maillog
"$MS" verify --against manifest.json --tz UTC ev >against.txt
check_rc "verify --against the cut copy" $? 1
check "verify names the cut file CHANGED" "$(grep -c 'CHANGED.*maillog' against.txt)" 1
"$MS" hunt -q -f json --tz UTC --year 2026 --rules g0.rules ev >cut.json
check "cut: delivery with no receipt = A19B5A721C9 at its delivery line" \
    "$(li cut.json | grep 'delivery with no receipt')" \
    "log integrity: lifecycle-holes (delivery with no receipt)|mx1|mx1:A19B5A721C9|maillog:41"
check "cut: receipt with no removal = 7DAA4A721C7 at its last line" \
    "$(li cut.json | grep 'receipt with no removal')" \
    "log integrity: lifecycle-holes (receipt with no removal)|mx1|mx1:7DAA4A721C7|maillog:39"
check "cut: the cited lines are those messages' lines" \
    "$(sed -n '41p;39p' ev/maillog | awk '{print $6}' | tr -d : | sort | paste -sd, -)" \
    "7DAA4A721C7,A19B5A721C9"
check "cut: nothing else from log-integrity" "$(li cut.json | grep -vc lifecycle)" 0
"$MS" hunt -q -f json --tz UTC --year 2026 ev >cutdef.json
check "cut, default grace (5 min > the 5 s capture): not judged" \
    "$(li cutdef.json | grep -c lifecycle)" 0
# multihop mx2: each client= line deleted in turn.  Messages received in the log's first
# second (13:33:02) may have arrived before the log began: not judged; every later one is
# reported with its queue id, cited at its first remaining line.
mkdir -p mh/postfix-mx1 mh/postfix-mx2
cp "$MH/postfix-mx1/maillog" mh/postfix-mx1/maillog
got='' want=''
for q in $(grep ': client=' "$MH/postfix-mx2/maillog" | awk '{print $6}' | tr -d :); do
    grep -v ": $q: client=" "$MH/postfix-mx2/maillog" >mh/postfix-mx2/maillog
    "$MS" hunt -q -f json --tz UTC --year 2026 --rules g0.rules mh >mhcut.json
    got="$got$q=$(li mhcut.json | grep lifecycle | cut -d'|' -f2-4);"
    r=''
    if [ "$(grep -m1 ": $q: client=" "$MH/postfix-mx2/maillog" | awk '{print $3}')" != 13:33:02 ]
    then
        r="mx2|mx2:$q|maillog:$(grep -n -m1 ": $q: " mh/postfix-mx2/maillog | cut -d: -f1)"
    fi
    want="$want$q=$r;"
done
check "multihop mx2, each receipt deleted: reported from the 2nd second on, right qid and line" \
    "$got" "$want"
check "multihop: 6 of 8 receipts judged" "$(printf '%s' "$got" | tr ';' '\n' | grep -c 'mx2:')" 6

# --- reordered blocks and an altered stamp: time going backwards -------------------------
{ sed -n '102,110p' "$CAP"; sed -n '10,101p' "$CAP"; sed -n '1,9p' "$CAP"; sed -n '111p' "$CAP"; } >swap.log
"$MS" hunt -q -f json --tz UTC --year 2026 swap.log >swap.json
check "swapped blocks: time-backwards at lines 10 and 102" \
    "$(li swap.json | grep -v lifecycle)" "log integrity: time-backwards|swap.log||swap.log:10,swap.log:102"
sed '62s/^Nov 27 13:18:49/Nov 27 13:10:49/' "$CAP" >alt.log
"$MS" hunt -q -f json --tz UTC --year 2026 alt.log >alt.json
check "altered stamp: time-backwards at line 62" \
    "$(li alt.json)" "log integrity: time-backwards|alt.log||alt.log:62"

# --- a rotated set with a missing file ---------------------------------------------------
printf 'log-integrity.gap_min = 2s\nlog-integrity.gap_factor = 1\nlog-integrity.overlap = 0\n' >rot.rules
mkdir rot
sed -n '1,9p' "$CAP" >rot/maillog.3
sed -n '10,69p' "$CAP" >rot/maillog.2
sed -n '70,101p' "$CAP" >rot/maillog.1
sed -n '102,111p' "$CAP" >rot/maillog
"$MS" hunt -q -f json --tz UTC --year 2026 --rules rot.rules rot >rot.json
check "complete rotated set: no rotation finding" "$(li rot.json | grep -c rotation)" 0
mv rot/maillog.2 maillog.2
"$MS" hunt -q -f json --tz UTC --year 2026 --rules rot.rules rot >rotgap.json
check "missing maillog.2: discontinuity between maillog.3:9 and maillog.1:1" \
    "$(li rotgap.json | grep rotation)" \
    "log integrity: rotation-discontinuity (gap)|maillog.1||maillog.3:9,maillog.1:1"
check "missing maillog.2: 2 s gap" "$(jq '[.findings[] | select(.title | test("rotation")) | .counts.gap_s] | join(",")' rotgap.json)" '"2"'
mv maillog.2 rot/maillog.4
"$MS" hunt -q -f json --tz UTC --year 2026 --rules rot.rules rot >rotord.json
check "maillog.2 named maillog.4: read first, then maillog.3 is out of order" \
    "$(li rotord.json | grep 'out of order')" \
    "log integrity: rotation-discontinuity (out of order)|maillog.3||maillog.4:60,maillog.3:1"
mv rot/maillog.4 rot/maillog.2
cp rot/maillog.3 rot/maillog.2
"$MS" hunt -q -f json --tz UTC --year 2026 --rules rot.rules rot >rotdup.json
check "maillog.2 a copy of maillog.3: repeated lines" \
    "$(li rotdup.json | grep 'repeated')" \
    "log integrity: rotation-discontinuity (repeated lines)|maillog.2||maillog.3:9,maillog.2:1"
"$MS" hunt -q -f json --tz UTC --year 2026 "$CORP/../../samples" >samples.json
check "samples/ (a real rotated pair): no rotation finding" "$(li samples.json | grep -c rotation)" 0

# --- a volume drop in hours of generated traffic -----------------------------------------
if [ -x "$GEN" ]; then
    "$GEN" --bytes 3M --seed 5 | awk '{ split($3, a, ":"); t = (a[1] - 16) * 3600 + a[2] * 60 + a[3]
        t = t * 120 + 16 * 3600
        $3 = sprintf("%02d:%02d:%02d", int(t / 3600), int(t % 3600 / 60), t % 60); print }' >bench.log
    "$MS" hunt -q -f json --tz UTC --year 2026 bench.log >bench.json
    check "bench log untouched: no volume-drop, no gap" \
        "$(li bench.json | grep -cE 'volume-drop|integrity: gap[|]')" 0
    awk 'substr($3, 1, 2) != "18" || (++n % 40 == 0)' bench.log >drop.log
    "$MS" hunt -q -f json --tz UTC --year 2026 drop.log >drop.json
    check "18:00 thinned to 2.5%: volume-drop for mx1 and mx2" \
        "$(jq -r '[.findings[] | select(.title == "log integrity: volume-drop") | "\(.entity.value) \(.counts.hours)"] | sort | join(",")' drop.json)" \
        "mx1 1,mx2 1"
    check "volume-drop window is the 18:00 hour" \
        "$(jq -r '[.findings[] | select(.title == "log integrity: volume-drop") | .explanation // .explain | test("from 2026-02-28 18:00 UTC")] | unique | join(",")' drop.json)" true
    # evidence: the last line before 18:00, lines within, the first line after 19:00
    ev=$(jq -r '[.findings[] | select(.title == "log integrity: volume-drop" and .entity.value == "mx1") | .evidence[].ref | sub(".*:"; "")] | join(" ")' drop.json)
    hours=$(for l in $ev; do sed -n "${l}p" drop.log | awk '{print substr($3, 1, 2)}'; done | paste -sd, -)
    check "mx1 evidence: 17:xx, 18:xx, 18:xx, 19:xx" "$hours" "17,18,18,19"
    awk 'substr($3, 1, 2) != "18"' bench.log >cut18.log
    "$MS" hunt -q -f json --tz UTC --year 2026 cut18.log >cut18.json
    check "18:00 deleted: volume-drop for both hosts and a gap" \
        "$(li cut18.json | grep -cE 'volume-drop|integrity: gap[|]')" 3
else
    skip "volume drop: $GEN not built"
fi
# duplicate lines on the other MTAs' real captures: none untouched (a Sendmail to= line naming
# two recipients gives two events of one line; Courier writes "completed,id=" after every
# delivery pass, the same text again after its DSN pass), and a copied line is still found
for cap in hunt-sendmail/maillog hunt-exim/mainlog courier/maillog hunt-opensmtpd/maillog; do
    if [ -f "$CORP/$cap" ]; then
        "$MS" hunt -q -f json --tz UTC --year 2026 "$CORP/$cap" >dupcap.json
        check "$cap untouched: no duplicate-lines" "$(li dupcap.json | grep -c duplicate-lines)" 0
    fi
done
SM=$CORP/hunt-sendmail/maillog
if [ -f "$SM" ]; then
    awk 'NR == 88 { print; print; next } { print }' "$SM" >smdup.log  # line 88: to=<contact1>,<lead1>
    "$MS" hunt -q -f json --tz UTC --year 2026 smdup.log >smdup.json
    check "sendmail: a copied two-recipient line is one duplicate, cited at its copy (89)" \
        "$(li smdup.json | grep duplicate-lines | cut -d'|' -f4)" "smdup.log:89"
fi
CO=$CORP/courier/maillog
if [ -f "$CO" ]; then
    awk 'NR == 60 { print; print; next } { print }' "$CO" >codup.log  # courieresmtp 550 line
    "$MS" hunt -q -f json --tz UTC --year 2026 codup.log >codup.json
    check "courier: a copied delivery line is one duplicate, cited at its copy (61)" \
        "$(li codup.json | grep duplicate-lines | cut -d'|' -f4)" "codup.log:61"
fi
finish "cli integrity"
