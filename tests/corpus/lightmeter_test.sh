#!/bin/sh
# tests/corpus/lightmeter_test.sh - correlation conformance against Lightmeter ControlCenter's
# tracking tests ($SHARED/corpora/lightmeter-controlcenter, see its README.md).
#
# Lightmeter asserts one result per recipient delivery attempt after correlating connections,
# queues, content-filter re-injections and relays.  Our mapping (doc/CORRELATION.md,
# "Lightmeter conformance"), all computed by build/tests/tools/correlate_dump:
#   result   = a delivery of a message whose origin is in the input (it or an ancestor via
#              reinjected_from / bounce_of has a receipt line),
#   not a result: content-filter / same-host relay hand-offs ("handoff"), cross-host relay hops
#              whose next hop is in the input ("relayhop"), deliveries of untraced messages.
# Each individual file's expected count and statuses come from expected_results.tsv; where
# our documented semantics differ, DIFFERS below gives our count and the reason.
# Prints each mismatch as "MISMATCH file: expected X, got Y" and ends with
# "lightmeter: N passed, N failed".
. "$(dirname "$0")/../cli/testlib.inc"
DUMP=${BUILD:-build}/tests/tools/correlate_dump
LM="$CORPORA/lightmeter-controlcenter"
if [ ! -d "$LM" ]; then
    echo "lightmeter: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
[ -x "$DUMP" ] || { echo "lightmeter: $DUMP missing: 0 passed, 1 failed"; exit 1; }

# file|our count|reason (documented in doc/CORRELATION.md)
DIFFERS='4_lost_queue.log|4|the last hop relays to a remote MX (217.173.226.42) whose reply quotes that hosts amavis ("from MTA(smtp:[127.0.0.1]:10025) ... queued as ADCC76373"); Lightmeter waits for local queue ADCC76373 forever, we record the remote delivery as sent'

mismatch() {
    T_FAIL=$((T_FAIL + 1))
    printf 'MISMATCH %s: expected %s, got %s\n' "$1" "$2" "$3"
}

# results FILE... -> "N Status,Status,..." (statuses capitalised as in the TSV)
results() {
    "$DUMP" --year 2020 "$@" | awk '
        /^  RCPT/ && !/ (handoff|relayhop|untraced)$/ {
            st = $3; sub(/^status=/, "", st); st = toupper(substr(st, 1, 1)) substr(st, 2)
            n++; s = s (s ? "," : "") st }
        END { print n + 0, s }'
}

# statuses_ok WANT GOT: every status listed in WANT occurs in GOT at least as often, and when
# WANT lists as many statuses as GOT has, both are the same multiset.
statuses_ok() {
    awk -v w="$1" -v g="$2" 'BEGIN {
        nw = split(w, a, ","); ng = split(g, b, ",")
        for (i = 1; i <= ng; i++) have[b[i]]++
        for (i = 1; i <= nw; i++) if (--have[a[i]] < 0) exit 1
        exit 0 }'
}

tail -n +2 "$LM/expected_results.tsv" | while IFS= read -r row; do
    file=$(printf '%s\n' "$row" | cut -f1)
    want=$(printf '%s\n' "$row" | cut -f3)
    wst=$(printf '%s\n' "$row" | cut -f4)
    case "$want" in '' | *[!0-9]*) continue ;; esac # no tracking assertion for this file
    case "$file" in 29_*) continue ;; esac           # the relay pair is checked below
    got=$(results "$LM/individual_files/$file")
    n=${got%% *}
    gst=${got#* }
    [ "$gst" = "$n" ] && gst=""
    ours=$(printf '%s\n' "$DIFFERS" | awk -F'|' -v f="$file" '$1 == f { print $2 }')
    if [ -n "$ours" ]; then
        why=$(printf '%s\n' "$DIFFERS" | awk -F'|' -v f="$file" '$1 == f { print $3 }')
        echo "NOTE $file: Lightmeter expects $want, our documented semantics give $ours: $why"
        want=$ours
    fi
    if [ "$n" != "$want" ]; then
        mismatch "$file" "$want results ($wst)" "$n ($gst)"
        echo fail >>"$TMPD/results"
    elif ! statuses_ok "$wst" "$gst"; then
        mismatch "$file" "statuses $wst" "$gst"
        echo fail >>"$TMPD/results"
    else
        echo pass >>"$TMPD/results"
    fi
done
touch "$TMPD/results"
T_PASS=$((T_PASS + $(grep -c pass "$TMPD/results")))
T_FAIL=$((T_FAIL + $(grep -c fail "$TMPD/results")))

# 29: server_1 relays to server_2 - one inbound result whichever file is read first
s1="$LM/individual_files/29_inbound_relayed_message_server_1.log"
s2="$LM/individual_files/29_inbound_relayed_message_server_2.log"
for order in "$s1 $s2" "$s2 $s1"; do
    # shellcheck disable=SC2086
    got=$(results $order)
    name="29 pair (${order##*/} last)"
    if [ "$got" = "1 Sent" ]; then T_PASS=$((T_PASS + 1)); else mismatch "$name" "1 Sent" "$got"; fi
done

# complete.tar.gz: the rotated directory (mail.log*, mail.err*, mail.warn*, some .gz)
mkdir -p "$TMPD/c"
if tar -xzf "$LM/complete.tar.gz" -C "$TMPD/c" 2>/dev/null; then
    dir=$(dirname "$(find "$TMPD/c" -name mail.log | head -n 1)")
    out=$("$DUMP" "$dir")
    tot=$(printf '%s\n' "$out" | tail -n 1)
    val() { printf '%s\n' "$tot" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    # records: Lightmeter's dirlogsource yields 9,053 records for this directory; the README
    # counts 9,069 lines.  We read every line (the reader's count must be the line count).
    wc_lines=$(for f in "$dir"/mail.*; do gzip -dcf "$f"; done | wc -l | tr -d ' ')
    check "complete: lines read = wc -l ($wc_lines)" "$(val lines)" "$wc_lines"
    echo "NOTE complete: lines=$(val lines) events=$(val events) (Lightmeter: 9053 records;" \
         "the 16-line difference is not explained by anything we count)"
    # every Postfix delivery line (to=<..> ... status=) is exactly one delivery in a message
    dl=$(for f in "$dir"/mail.*; do gzip -dcf "$f"; done | grep -c ' to=<.*status=')
    check "complete: deliveries = delivery lines ($dl)" "$(val deliveries)" "$dl"
    d=$(val deliveries)
    r=$(( $(val results) + $(val handoffs) + $(val relayhops) + $(val untraced) ))
    check "complete: every delivery classified" "$r" "$d"
    check "complete: nothing left open at EOF" "$(val open_at_eof)" "0"
    echo "NOTE complete: $(val messages) messages, $(val results) results," \
         "$(val handoffs) content-filter hand-offs, $(val sessions) sessions"
else
    mismatch complete.tar.gz "extractable" "tar failed"
fi

finish lightmeter
