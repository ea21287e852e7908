#!/bin/sh
# tests/corpus/exchange_samples_test.sh - the real Exchange / Microsoft 365 sample lines
# ($SHARED/corpora/{exchange-msgtrk,exchange-smtp-protocol,m365-message-trace}/samples.log,
# provenance in each SOURCES.md) through the real pipeline:
#   - `mailsleuth formats --detect` picks our format for each sample;
#   - $BUILD/tests/tools/dump_events gives the expected event kinds;
#   - every line that gives no event is listed (file:line: reason) and must be explained
#     in EXPLAINED below, else it is a failure.
# Ends with "exchange samples: N passed, N failed" (", 1 skipped" when the corpora are absent).
. "$(dirname "$0")/../cli/testlib.inc"
DUMP=${BUILD:-build}/tests/tools/dump_events
MSGTRK="$CORPORA/exchange-msgtrk/samples.log"
SMTP="$CORPORA/exchange-smtp-protocol/samples.log"
M365="$CORPORA/m365-message-trace/samples.log"
if [ ! -f "$MSGTRK" ] && [ ! -f "$SMTP" ] && [ ! -f "$M365" ]; then
    echo "exchange samples: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
[ -x "$DUMP" ] || { echo "exchange samples: $DUMP missing: 0 passed, 1 failed"; exit 1; }

# sample|line|reason|why it is right that the line gives no event
R='m365-trace: neither a JSON record nor a row under a CSV header'
EXPLAINED="m365-message-trace|2|$R|custom_data text from Microsoft docs, no record (SOURCES.md 2-4)
m365-message-trace|3|$R|custom_data text (S:AMA malware verdict), no record
m365-message-trace|4|$R|custom_data text (S:TRA transport rule), no record"

# kinds FILE -> "KIND=N ..." sorted
kinds() {
    "$DUMP" "$1" | sed -n 's/^kind=\([A-Z_]*\).*/\1/p' | sort | uniq -c |
        awk '{ printf "%s%s=%s", sep, $2, $1; sep = " " } END { print "" }'
}

sample() { # NAME FILE FORMAT WANT-KINDS WANT-LINES-WITHOUT-EVENT(headers)
    name=$1 file=$2 fmt=$3 want=$4
    if [ ! -f "$file" ]; then
        skip "$name sample absent"
        return
    fi
    det=$("$MS" formats --detect "$file" 2>&1 | head -n 1)
    got=$(printf '%s\n' "$det" | sed -n 's/^.*: \([a-z0-9-]*\) (score \([0-9]*\) of 100.*/\1/p')
    check "$name: formats --detect" "$got" "$fmt"
    check "$name: events by kind" "$(kinds "$file")" "$want"
    # every unparsed line: explained or a failure
    "$MS" timeline --unparsed "$file" 2>"$TMPD/unparsed" >/dev/null
    n=0
    while IFS= read -r u; do
        n=$((n + 1))
        rest=${u#unparsed: "$file":}
        line=${rest%%:*}
        reason=$(printf '%s\n' "$rest" | sed 's/^[0-9]*: //' | awk -F': ' '{ print $1 ": " $2 }')
        why=$(printf '%s\n' "$EXPLAINED" | awk -F'|' -v s="$name" -v l="$line" -v r="$reason" \
            '$1 == s && $2 == l && $3 == r { print $4 }')
        if [ -n "$why" ]; then
            echo "NOTE $name:$line unparsed ($reason): $why"
            T_PASS=$((T_PASS + 1))
        else
            T_FAIL=$((T_FAIL + 1))
            echo "FAIL $name:$line unparsed and not explained: $u"
        fi
    done <"$TMPD/unparsed"
    total=$(wc -l <"$file" | tr -d ' ')
    echo "NOTE $name: $total lines, $n unparsed"
}

sample exchange-msgtrk "$MSGTRK" exchange-msgtrk "DELIVERY=2 INFO=3 RECEIVED=3"
sample exchange-smtp-protocol "$SMTP" exchange-smtp \
    "AUTH_FAIL=1 CONNECT=1 CONN_FAIL=1 INFO=19 TLS=1"
sample m365-message-trace "$M365" m365-trace "DELIVERY=1"

# specific facts from the samples
if [ -f "$MSGTRK" ]; then
    check_grep "msgtrk: SMTP RECEIVE carries the protocol-log session id" \
        "text=08DC1DB12C345BE5;2024-01-25T15:16:09.544Z;0 detail=RECEIVE" "$(
        "$DUMP" "$MSGTRK" >"$TMPD/trk"; echo "$TMPD/trk")"
    check_grep "msgtrk: SENDEXTERNAL is a sent delivery to the next hop" \
        "relay_host=global-mail-onmicrosoft-com.mail.protection.outlook.com" "$TMPD/trk"
    check_grep "msgtrk: null sender from return-path <>" 'from="" to=email@email.com' "$TMPD/trk"
fi
if [ -f "$SMTP" ]; then
    "$DUMP" "$SMTP" >"$TMPD/smtp"
    check_grep "smtp: AUTH LOGIN failure" "kind=AUTH_FAIL client_ip=95.10.20.33" "$TMPD/smtp"
    check_grep "smtp: user name of the failed AUTH" "sasl_user=username@domain.com" "$TMPD/smtp"
    check_grep "smtp: TLS" "tls=SP_PROT_TLS1_2_SERVER tls_cipher=CALG_AES_128" "$TMPD/smtp"
    check "smtp: no pid (sessions are keyed by session-id)" "$(grep -c ' pid=' "$TMPD/smtp")" 0
fi
if [ -f "$M365" ]; then
    check_grep "m365: Received without Z is UTC" "ts=2022-09-05T18:10:13.490765Z" "$(
        "$DUMP" "$M365" >"$TMPD/m365"; echo "$TMPD/m365")"
fi
finish "exchange samples"
