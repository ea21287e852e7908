#!/bin/sh
# tests/corpus/exim_samples_test.sh - every Exim line of the shared corpora through the real
# pipeline (build/tests/tools/dump_events, format detection included):
#   $SHARED/corpora/exim/samples.log (fail2ban, wazuh, alaveteli, Exim's test suite and spec;
#   see its SOURCES.md) and the full Exim lines of crowdsec-hub's, wazuh-ruleset's and
#   ossec-hids' tests.  Each file passes when every line gives an event or is listed in
#   EXPECTED_UNPARSED below with its reason; an unexplained unparsed line fails and is printed
#   with its reason.  Also checks a few mappings the issue asks for (kinds of key lines).
# Prints "exim samples: N passed, N failed" (skips cleanly when the corpus is absent).
. "$(dirname "$0")/../cli/testlib.inc"
DUMP=${BUILD:-build}/tests/tools/dump_events
SAMPLES="$CORPORA/exim/samples.log"
if [ ! -f "$SAMPLES" ]; then
    echo "exim samples: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
[ -x "$DUMP" ] || { echo "exim samples: $DUMP missing: 0 passed, 1 failed"; exit 1; }

# file-basename:line|reason  (lines that are expected not to give an event, and why)
EXPECTED_UNPARSED=''

# check_file NAME FILE: all lines parse (or are explained), one result per file
check_file() {
    name=$1 file=$2
    "$DUMP" --year 2026 "$file" >"$TMPD/out" 2>"$TMPD/err"
    total=$(wc -l <"$file" | tr -d ' ')
    got=$(wc -l <"$TMPD/out" | tr -d ' ')
    bad=0
    n=0
    while IFS= read -r ev; do
        n=$((n + 1))
        case "$ev" in
        UNPARSED*)
            key="$(basename "$file"):$n"
            reason=$(printf '%s\n' "$EXPECTED_UNPARSED" | awk -F'|' -v k="$key" '$1 == k { print $2 }')
            if [ -n "$reason" ]; then
                echo "NOTE $key unparsed ($ev): $reason"
            else
                echo "UNEXPLAINED $name line $n: $ev"
                sed -n "${n}p" "$file"
                bad=1
            fi
            ;;
        esac
    done <"$TMPD/out"
    # one output line per input line (no multi-event lines in these corpora)
    check "$name: one result per line" "$got" "$total"
    if [ "$bad" -eq 0 ]; then T_PASS=$((T_PASS + 1)); else T_FAIL=$((T_FAIL + 1)); fi
    parsed=$(grep -vc '^UNPARSED' "$TMPD/out")
    echo "$name: $parsed of $total lines parsed"
}

check_file samples.log "$SAMPLES"
"$DUMP" --year 2026 "$SAMPLES" >"$TMPD/samples.out" 2>/dev/null
kind_at() { sed -n "$1p" "$TMPD/samples.out" | sed 's/^kind=\([A-Z_]*\).*/\1/'; }
check "auth failure -> AUTH_FAIL" "$(kind_at 1)" AUTH_FAIL
check "rejected RCPT -> REJECT" "$(kind_at 17)" REJECT
check "sync error -> REJECT" "$(kind_at 18)" REJECT
check "no MAIL -> DISCONNECT" "$(kind_at 31)" DISCONNECT
check "connection count -> CONNECT" "$(kind_at 62)" CONNECT
check "arrival -> RECEIVED" "$(kind_at 69)" RECEIVED
check "delivery -> DELIVERY" "$(kind_at 70)" DELIVERY
check "Completed -> QUEUE_REMOVED" "$(kind_at 71)" QUEUE_REMOVED
check "next hop id from C=" "$(sed -n 83p "$TMPD/samples.out" | grep -o 'new_qid=[^ ]*')" \
    "new_qid=10HmaY-000000005vi-0000"
check "4.97+ id decoded" "$(sed -n 69p "$TMPD/samples.out" | grep -o 'qid_time=[^ ]*')" \
    "qid_time=1999-03-02T10:39:45.000000Z"

# crowdsec-hub (mainlog and syslog-wrapped), wazuh and ossec test lines
CS="$CORPORA/crowdsec-hub/tests"
for f in exim-logs/exim-logs.log exim-syslog-logs/exim-logs.log exim-spam/exim-spam.log \
         exim-bf/exim-bf.log; do
    [ -f "$CS/$f" ] || continue
    # the files lack final newlines and some were concatenated: split "...Here2022-" joins
    sed 's/\([^0-9 ]\)\(20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] \)/\1\n\2/g' "$CS/$f" | grep -v '^$' \
        >"$TMPD/$(echo "$f" | tr / _)"
    check_file "crowdsec $f" "$TMPD/$(echo "$f" | tr / _)"
done
for ini in "$CORPORA/wazuh-ruleset/tests-HEAD/exim.ini" "$CORPORA/ossec-hids/exim.ini" \
           "$CORPORA/wazuh-ruleset/tests-branch-improve-rules-testing-352/0515-exim.ini"; do
    [ -f "$ini" ] || continue
    # only full lines (with a stamp): "log N pass = LINE"
    sed -n 's/^log [0-9]* pass = \(20[0-9][0-9]-.*\)$/\1/p' "$ini" >"$TMPD/ini.log"
    [ -s "$TMPD/ini.log" ] || continue
    check_file "$(basename "$(dirname "$ini")")/$(basename "$ini")" "$TMPD/ini.log"
done
finish "exim samples"
