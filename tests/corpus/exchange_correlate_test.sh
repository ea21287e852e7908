#!/bin/sh
# tests/corpus/exchange_correlate_test.sh - the Exchange joins of the correlator on the real
# public samples ($SHARED/corpora/exchange-{msgtrk,smtp-protocol}/samples.log, provenance in
# their SOURCES.md) and the golden inputs tests/dialect/exchange/*.log:
#   - a tracking RECEIVE joins its protocol-log session (session id = first part of
#     source-context) whichever file is read first: message and session point at each other,
#     the message gets the session's HELO/TLS (proto ESMTPS) and the session its AUTH user;
#   - `mailsleuth trace` over both logs shows the message with its session (TLS, AUTH) and
#     evidence lines from both files;
#   - receipts of sessions not in the input get a placeholder session, never a wrong one.
# The public samples have no RECEIVE whose session is in the protocol sample, so the joined
# pair is built from real lines with ONE documented edit (see `pair` below).
# Ends with "exchange correlate: N passed, N failed" (", N skipped" without the corpora).
. "$(dirname "$0")/../cli/testlib.inc"
DUMP=${BUILD:-build}/tests/tools/correlate_dump
MSGTRK="$CORPORA/exchange-msgtrk/samples.log"
SMTP="$CORPORA/exchange-smtp-protocol/samples.log"
GOLD=tests/dialect/exchange
[ -x "$DUMP" ] || { echo "exchange correlate: $DUMP missing: 0 passed, 1 failed"; exit 1; }

# --- golden inputs: no join between sessions and receipts of different servers ----------
"$DUMP" --sessions "$GOLD/0001-msgtrk-2016-samples.log" "$GOLD/0002-smtp-recv-starttls-auth.log" \
    >"$TMPD/gold"
check "golden: the protocol session lists no message of another server" \
    "$(grep -c '^SESSION SERVER-HOSTNAME SMTP-RECV.* qid=' "$TMPD/gold")" 0
check "golden: each SMTP RECEIVE holds a placeholder session of its own id" \
    "$(grep -c '^SESSION exchange-mail SMTP-RECV\[-1\] client=-\[-\] connect=0 closed=0 qid=709123455664' \
        "$TMPD/gold")" 2
check "golden: STOREDRIVER receipts have no session" \
    "$(grep -c '^MSG SERVER-HOSTNAME 438 .* session=no' "$TMPD/gold")" 1
check "golden: messages seen only at SEND complete by recipient-count" \
    "$(grep -c '^MSG [a-zA-Z-]* [0-9]* end=complete final=sent receipt=0 size=[0-9]* nrcpt=1' "$TMPD/gold")" 2

if [ ! -f "$MSGTRK" ] || [ ! -f "$SMTP" ]; then
    skip "exchange samples absent"
    finish "exchange correlate"
    exit 0
fi

# --- the joined pair -----------------------------------------------------------------------
# RECV: samples.log lines 1-21 verbatim (session 123453EC62278461 on SERVER-HOSTNAME: STARTTLS,
#       AUTH LOGIN failure, "User Name:"); the sample ends before the session's "-" row.
# TRK:  msgtrk samples.log lines 1-5 (header) + line 9 (SMTP RECEIVE 70912345566403) with
#       THE EDIT: its session id 08DC1DB12C345BE5 -> 123453EC62278461 in source-context, its
#       server-hostname exchange-mail -> SERVER-HOSTNAME, its client-ip -> the session's
#       remote 95.10.20.33, and its date-time -> 2023-01-11T16:00:11.500Z (inside the
#       session).  Every other column is the real row.
sed -n '1,21p' "$SMTP" >"$TMPD/RECV20230111-1.LOG"
sed -n '1,5p' "$MSGTRK" >"$TMPD/MSGTRK20230111-1.LOG"
E1='s/^2024-01-25T15:16:09\.949Z,10\.11\.12\.14,/2023-01-11T16:00:11.500Z,95.10.20.33,/'
E2='s/,exchange-mail,08DC1DB12C345BE5;2024-01-25T15:16:09\.544Z;/'
E2="$E2,SERVER-HOSTNAME,123453EC62278461;2023-01-11T16:00:11.000Z;/"
sed -n '9p' "$MSGTRK" | sed -e "$E1" -e "$E2" >>"$TMPD/MSGTRK20230111-1.LOG"
EDITED='^2023-01-11T16:00:11.500Z,95.10.20.33,.*,SERVER-HOSTNAME,123453EC62278461;'
EDITED="$EDITED.*,SMTP,RECEIVE,70912345566403,"
check "pair: the edit applied" "$(grep -c "$EDITED" "$TMPD/MSGTRK20230111-1.LOG")" 1
R="$TMPD/RECV20230111-1.LOG" T="$TMPD/MSGTRK20230111-1.LOG"
WANT_SESSION="SESSION SERVER-HOSTNAME SMTP-RECV[-1] client=-[95.10.20.33] connect=0 closed=0"
WANT_SESSION="$WANT_SESSION helo=[95.10.20.33] tls=SP_PROT_TLS1_2_SERVER/CALG_AES_128"
WANT_SESSION="$WANT_SESSION auth=fail:LOGIN:username@domain.com qid=70912345566403 lines=17"
WANT_MSG="MSG SERVER-HOSTNAME 70912345566403 end=open final=none receipt=1"
WANT_MSG="$WANT_MSG client=exchange-mail.my.domain.com[95.10.20.33] helo=[95.10.20.33]"
WANT_MSG="$WANT_MSG from=<root@host01.my.domain.com> size=7229 nrcpt=1"
WANT_MSG="$WANT_MSG msgid=<20240123200014.123F425E28@host01.my.domain.com> session=yes lines=1"

for order in "$R $T" "$T $R"; do
    set -- $order
    name="read ${1##*/} first"
    # shellcheck disable=SC2086
    "$DUMP" --sessions --lines $order >"$TMPD/d"
    check "$name: one session" "$(grep -c '^SESSION ' "$TMPD/d")" 1
    check_grep "$name: session facts and the message's qid" "$WANT_SESSION" "$TMPD/d"
    check_grep "$name: the message has its session, client and HELO" "$WANT_MSG" "$TMPD/d"
    check "$name: session evidence from both files" \
        "$(awk '/^SESSION /{s=1} /^MSG /{s=0} s && /LINE /{sub(/:[0-9]+$/, "", $2); print $2}' "$TMPD/d" |
            sed 's,.*/,,' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')" \
        "MSGTRK20230111-1.LOG=1 RECV20230111-1.LOG=16 "
    # shellcheck disable=SC2086
    "$MS" search -q -f jsonl --tz UTC 'qid:70912345566403' $order >"$TMPD/m.jsonl"
    check "$name: search: proto from the session's TLS" "$(jq -r .proto "$TMPD/m.jsonl")" ESMTPS
    check "$name: search: client port from the session" "$(jq -r .client_port "$TMPD/m.jsonl")" 56026
done

# --- trace over both logs --------------------------------------------------------------------
"$MS" trace --tz UTC 70912345566403 "$T" "$R" >"$TMPD/trace"
check_grep "trace: the message" "== SERVER-HOSTNAME queue id 70912345566403" "$TMPD/trace"
check_grep "trace: its session with TLS and the AUTH failure" \
    "session 1 on SERVER-HOSTNAME: client ?[95.10.20.33], TLS SP_PROT_TLS1_2_SERVER CALG_AES_128, 1 AUTH attempt (1 failed)" \
    "$TMPD/trace"
check_grep "trace: protocol-log evidence" "RECV20230111-1.LOG:19  2023-01-11T16:00:10.644Z" "$TMPD/trace"
check_grep "trace: tracking-log evidence" "MSGTRK20230111-1.LOG:6  2023-01-11T16:00:11.500Z" "$TMPD/trace"
"$MS" trace --tz UTC 70912345566403 "$R" "$T" >"$TMPD/trace2"
check "trace: the same in the other file order" \
    "$(sed 's/^trace [^:]*: //' "$TMPD/trace2" | sort | md5sum)" \
    "$(sed 's/^trace [^:]*: //' "$TMPD/trace" | sort | md5sum)"

# --- the unedited samples: no false join -------------------------------------------------------
"$DUMP" --sessions "$SMTP" "$MSGTRK" >"$TMPD/raw"
check "samples as published: no protocol session lists a message" \
    "$(grep '^SESSION .* qid=' "$TMPD/raw" | grep -vc '^SESSION exchange-mail ')" 0
check "samples as published: the RECEIVEs' sessions are placeholders" \
    "$(grep -c '^SESSION exchange-mail SMTP-RECV\[-1\] client=-\[-\] connect=0 closed=0 qid=' "$TMPD/raw")" 2
finish "exchange correlate"
