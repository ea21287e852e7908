#!/bin/sh
# tests/corpus/opensmtpd_qmail_samples_test.sh - the OpenSMTPD and qmail dialects and the
# qmail-multilog format against the real sample lines of $SHARED/corpora/opensmtpd and
# $SHARED/corpora/qmail (provenance per line range in each SOURCES.md).
#
#  1. dump_events over each samples.log (as read from disk: format detection, envelopes,
#     dialects): every line gives the kind listed below, or is UNPARSED with the reason given
#     below.  Every unparsed line is printed with its reason.
#  2. The unparsed lines are the ones their sources published without a syslog header
#     (debug output, issue text, qmail's TEST.deliver with elided stamps, ucspi-tcp's test
#     output).  Their messages are real, so they are checked again with a made-up header
#     ("Jan  1 00:00:00 test smtpd[1]: " / "... test qmail: "): each must parse.
#  3. qmail-send and ucspi-tcp messages as multilog writes them ("@<TAI64N> message"):
#     `mailsleuth formats --detect` must pick qmail-multilog, every line must parse and every
#     DELIVERY must get its message number (the format's delivery-id map).
#  4. Spot checks of key fields (queue ids, session keys, splogger UTC stamps, new_qid).
# Ends with "opensmtpd/qmail samples: N passed, N failed".
. "$(dirname "$0")/../cli/testlib.inc"
NAME="opensmtpd/qmail samples"
DUMP=${BUILD:-build}/tests/tools/dump_events
OS="$CORPORA/opensmtpd/samples.log"
QM="$CORPORA/qmail/samples.log"
if [ ! -f "$OS" ] || [ ! -f "$QM" ]; then
    echo "$NAME: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
[ -x "$DUMP" ] || { echo "$NAME: $DUMP missing: 0 passed, 1 failed"; exit 1; }

NOHDR_OS='no timestamp'
# Why each unparsed line gives no event (line number|reason shown|explanation).
EXPLAIN_OS='8|no timestamp|issue #541: smtpd -d foreground output, no syslog header (smtp-out: Connecting)
9|no timestamp|issue #541: foreground output, no syslog header (smtp-out: Connected)
10|no timestamp|issue #541: foreground output, no syslog header (smtp-in: New session)
11|no timestamp|issue #541: foreground output, no syslog header (smtp-in: Failed command)
12|no timestamp|issue #541: foreground output, no syslog header (relay: PermFail)
15|no timestamp|issue #843 quotes the 6.0 message part only, no syslog header'
EXPLAIN_QM=''
i=1
while [ $i -le 30 ]; do
    EXPLAIN_QM="$EXPLAIN_QM$i|no timestamp|TEST.deliver: the author elided the syslog header and splogger stamp
"
    i=$((i + 1))
done
EXPLAIN_QM="${EXPLAIN_QM}35|no timestamp|issue #244 quotes the qmail-send message only
"
i=36
while [ $i -le 42 ]; do
    EXPLAIN_QM="$EXPLAIN_QM$i|no timestamp|ucspi-tcp rts.exp: tcpserver/rblsmtpd stderr without a logger
"
    i=$((i + 1))
done

KINDS_OS='REJECT CONNECT RECEIVED DISCONNECT DISCONNECT DISCONNECT TLS - - - - - DELIVERY CONN_FAIL - CONNECT RECEIVED SENDER DISCONNECT DELIVERY CONNECT RECEIVED SENDER DISCONNECT INFO INFO CONNECT RECEIVED SENDER DELIVERY INFO INFO TLS DELIVERY INFO CONNECT DISCONNECT TLS'
KINDS_QM='- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - REJECT REJECT REJECT REJECT - - - - - - - -'

# kinds FILE -> one word per output line: the kind, or "-" for UNPARSED (reason to $2)
per_line() {
    "$DUMP" --year 2026 "$1" >"$TMPD/out" 2>&1
    awk '{ if ($1 == "UNPARSED") { r = $0; sub(/^UNPARSED why="/, "", r); sub(/"$/, "", r)
                                   print NR "|" r > "/dev/stderr"; printf "- " }
           else { k = $1; sub(/^kind=/, "", k); printf "%s ", k } } END { print "" }' \
        "$TMPD/out" 2>"$2"
}

check_file() { # label file kinds explain
    got=$(per_line "$2" "$TMPD/unparsed" | sed 's/ $//')
    check "$1 kinds per line" "$got" "$3"
    check "$1 lines" "$(wc -l <"$TMPD/out" | tr -d ' ')" "$(wc -l <"$2" | tr -d ' ')"
    while IFS='|' read -r n why; do
        exp=$(printf '%s\n' "$4" | awk -F'|' -v n="$n" '$1 == n { print $2 "|" $3 }')
        printf 'unparsed %s:%s: %s -- %s\n' "$1" "$n" "$why" "${exp#*|}"
        check "$1:$n unparsed reason" "$why" "${exp%%|*}"
    done <"$TMPD/unparsed"
}

# 1. the samples as published
check_file opensmtpd "$OS" "$KINDS_OS" "$EXPLAIN_OS"
check_file qmail "$QM" "$KINDS_QM" "$EXPLAIN_QM"

# 2. the header-less messages with a made-up syslog header
sed -n '8,12p;15p' "$OS" | sed 's/^/Jan  1 00:00:00 test smtpd[1]: /' >"$TMPD/os.log"
got=$(per_line "$TMPD/os.log" "$TMPD/unparsed" | sed 's/ $//')
check "opensmtpd header-less messages" "$got" "INFO INFO CONNECT REJECT DELIVERY AUTH_FAIL"
{
    sed -n '1,30p' "$QM" | sed 's/^/Jan  1 00:00:00 test /'
    sed -n '35p' "$QM" | sed 's/^/Jan  1 00:00:00 test qmail: /'
    sed -n '36,42p' "$QM" | sed 's/^/Jan  1 00:00:00 test /'
} >"$TMPD/qm.log"
got=$(per_line "$TMPD/qm.log" "$TMPD/unparsed" | tr ' ' '\n' | grep -c -- '^-$')
check "qmail header-less messages: unparsed" "$got" "0"
check "qmail header-less messages: events" "$(grep -c '^kind=' "$TMPD/out")" "38"
check "qmail syslog DELIVERY keeps delivery id, no qid" \
    "$(grep '^kind=DELIVERY' "$TMPD/out" | grep -c ' qid=')" "0"
check_grep "qmail logsafe decoded" 'status=bounced text="No such address.  #5.1.1" detail=2' \
    "$TMPD/out"

# 3. multilog
{
    sed -n '1,30p' "$QM" | sed 's/^qmail: //'
    sed -n '36,42p' "$QM"
} | awk '{ printf "@4000000068a1b2c3%08x %s\n", NR * 1000, $0 }' >"$TMPD/current"
det=$("$MS" formats --detect "$TMPD/current" 2>&1)
case "$det" in
*": qmail-multilog "*) check "formats --detect multilog" ok ok ;;
*) check "formats --detect multilog" "$det" "qmail-multilog" ;;
esac
got=$(per_line "$TMPD/current" "$TMPD/unparsed" | tr ' ' '\n' | grep -c -- '^-$')
check "multilog unparsed" "$got" "0"
check "multilog deliveries" "$(grep -c '^kind=DELIVERY' "$TMPD/out")" "4"
check "multilog deliveries linked" "$(grep '^kind=DELIVERY' "$TMPD/out" | grep -c ' qid=5[34] to=')" "4"
check_grep "multilog stamp (TAI64N - 2^62 - 10)" "ts=2025-08-17T10:45:13.000001Z" "$TMPD/out"
check_grep "multilog tcpserver program" "kind=CONNECT client_ip=127.0.0.1 ts=" "$TMPD/out"

# 4. spot checks on the published samples
"$DUMP" --year 2026 "$OS" >"$TMPD/os.out" 2>&1
check_grep "6.4 message qid" "kind=RECEIVED qid=c405e39a size=303 nrcpt=1 proto=ESMTP detail=5df87c903d709659" "$TMPD/os.out"
check_grep "6.4 filter hand-off" "kind=DELIVERY qid=3d4c4a42 new_qid=f6e94209" "$TMPD/os.out"
check_grep "session id as pid" "pid=6771298998699464281" "$TMPD/os.out"
check_grep "5.x failed command" "kind=REJECT from=root@junction.example.com dsn=4.3.0 action=reject stage=MAIL code=421" "$TMPD/os.out"
"$DUMP" --year 2026 "$QM" >"$TMPD/qm.out" 2>&1
check_grep "splogger stamp is UTC" "ts=2006-09-06T05:33:33.485077Z host=sd6 program=qmail pid=19597" "$TMPD/qm.out"

finish "$NAME"
