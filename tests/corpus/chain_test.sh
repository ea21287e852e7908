#!/bin/sh
# A real mail chain Postfix -> Exim -> OpenSMTPD on 127.0.0.1 (tests/corpus/chain, made by
# chain_capture.sh; expected.txt is the script's ground truth, README.md explains it).
# Every file detected as its format, every line understood, each server counted right,
# every path traced hop by hop across the three logs in either order, the bounce linked
# back to its original, the AUTH failures at Exim found as sessions.
. "$(dirname "$0")/../cli/testlib.inc"
D=$(cd "$(dirname "$0")/chain" && pwd)
PF=$D/postfix/maillog EX=$D/exim/mainlog EXR=$D/exim/rejectlog OS=$D/opensmtpd/maillog
E=$D/expected.txt
exp() { awk -v k="$1" -v h="$2" '$1 == k && (h == "" || $2 == h) { print $NF }' "$E"; }
# host names as the logs give them: Postfix's maillog_file and rsyslog name the host; an Exim
# mainlog names none (mailsleuth reports it as host "")
hostof() { case $1 in postfix) echo mx1 ;; exim) echo "" ;; opensmtpd) echo mx3 ;; esac; }

# ---- formats
det() { "$MS" formats --detect "$1" | sed -E 's/^[^:]*: ([a-z0-9-]+) .*/\1/'; }
check "postfix maillog_file read as syslog" "$(det "$PF")" syslog
check "exim mainlog read as exim-mainlog" "$(det "$EX")" exim-mainlog
check "exim rejectlog read as exim-mainlog" "$(det "$EXR")" exim-mainlog
check "opensmtpd rsyslog file read as syslog" "$(det "$OS")" syslog

# ---- every line understood (no line of this capture is expected to be unparsed)
"$MS" summary -f json --tz UTC "$PF" "$EX" "$EXR" "$OS" >"$TMPD/s.json"
"$MS" summary -q --unparsed --tz UTC "$PF" "$EX" "$EXR" "$OS" 2>"$TMPD/unparsed.txt" >/dev/null
check "every line parsed (unparsed: $(tr '\n' '|' <"$TMPD/unparsed.txt"))" "$(jq '.inputs.unparsed' "$TMPD/s.json")" 0
check "lines read" "$(jq '.inputs.lines' "$TMPD/s.json")" "$(cat "$PF" "$EX" "$EXR" "$OS" | wc -l | tr -d ' ')"

# ---- summary per server, over all inputs (what an investigator gives it: every file)
srv() { jq -r --arg h "$(hostof "$1")" ".servers[] | select(.host == \$h) | .$2" "$3"; }
sumchk() { # server field expected-key [json]
    check "summary $1 $2${4:+ ($4)}" "$(srv "$1" "$2" "${5:-$TMPD/s.json}")" "$(exp "$3" "$1")"
}
for s in postfix exim opensmtpd; do
    sumchk $s received received
    sumchk $s delivered delivered
    sumchk $s bounced bounced
    sumchk $s rejected rejected
    sumchk $s connections connections
done
check "summary exim sasl_failures" "$(srv exim sasl_failures "$TMPD/s.json")" "$(exp auth_failures exim)"
check "summary three servers" "$(jq '.servers | length' "$TMPD/s.json")" 3
# the mainlog alone (the rejectlog repeats its reject and auth-failure lines)
"$MS" summary -f json --tz UTC "$EX" >"$TMPD/sx.json"
sumchk exim rejected rejected "mainlog only" "$TMPD/sx.json"
check "summary exim sasl_failures (mainlog only)" "$(srv exim sasl_failures "$TMPD/sx.json")" "$(exp auth_failures exim)"
sumchk exim received received "mainlog only" "$TMPD/sx.json"
sumchk exim delivered delivered "mainlog only" "$TMPD/sx.json"

# ---- trace: every path hop by hop, logs in both orders
# chain of server:id hops a trace found, as "a>b/how" words (server names from hostof)
chain() {
    jq -r '(.messages | map({key: (.id | tostring),
              value: "\(if .host == "mx1" then "postfix" elif .host == "mx3" then "opensmtpd" elif .host == "" then "exim" else .host end):\(.qid)"})
            | from_entries) as $m
           | [.hops[] | "\($m[.from | tostring])>\($m[.to | tostring])/\(.by)"] | unique | join(" ")' "$1"
}
grep '^path ' "$E" >"$TMPD/paths"
while read -r _ msgid rcpt rest; do
    # "postfix:A -> exim:B -> opensmtpd:C -> mailbox:x": every hop is named by the sender's reply
    want=$(echo "$rest" | awk -F' -> ' '{
        for (i = 1; i < NF - 1; i++) printf "%s%s>%s/queued-as", (i > 1 ? " " : ""), $i, $(i + 1) }')
    for order in "$PF $EX $EXR $OS" "$OS $EXR $EX $PF"; do
        # shellcheck disable=SC2086
        "$MS" trace -f json --tz UTC "$msgid" $order >"$TMPD/t.json" 2>/dev/null
        got=$(chain "$TMPD/t.json")
        missing=""
        for w in $want; do
            case " $got " in *" $w "*) ;; *) missing="$missing $w" ;; esac
        done
        first=$(basename "$(dirname "${order%% *}")")
        check "trace $msgid ($rcpt) hops [$want], $first first (got: $got)" "$missing" ""
        # every message of the path is in the trace
        for m in $(echo "$rest" | awk -F' -> ' '{ for (i = 1; i < NF; i++) print $i }'); do
            n=$(jq --arg h "$(hostof "${m%%:*}")" --arg q "${m#*:}" '[.messages[] | select(.host == $h and .qid == $q)] | length' "$TMPD/t.json")
            check "trace $msgid, $first first: holds $m" "$n" 1
        done
    done
    # the recipient's final state at the last server
    final=$(echo "$rest" | awk -F' -> ' '{ print $NF }')
    last=$(echo "$rest" | awk -F' -> ' '{ print $(NF - 1) }')
    case $final in mailbox:*) want=sent ;; *) want=bounced ;; esac
    "$MS" trace -f json --tz UTC "$msgid" "$PF" "$EX" "$EXR" "$OS" >"$TMPD/t.json" 2>/dev/null
    # Exim logs a local delivery as "=> dave <dave@example.test>": to is the local part,
    # orig_to the address (like Postfix's to=/orig_to=), so either names the recipient
    got=$(jq -r --arg h "$(hostof "${last%%:*}")" --arg q "${last#*:}" --arg r "$rcpt" \
        '.messages[] | select(.host == $h and .qid == $q) | .deliveries[] | select(.to == $r or .orig_to == $r) | .status' "$TMPD/t.json" | tail -n 1)
    check "trace $msgid final status for $rcpt at $last" "$got" "$want"
    # the Message-ID is known on every server that logs it (Postfix cleanup, Exim id=)
    for m in $(echo "$rest" | awk -F' -> ' '{ for (i = 1; i < NF; i++) print $i }' | grep -v '^opensmtpd:'); do
        got=$(jq -r --arg h "$(hostof "${m%%:*}")" --arg q "${m#*:}" '.messages[] | select(.host == $h and .qid == $q) | .msgid' "$TMPD/t.json")
        check "trace $msgid: Message-ID of $m" "<$got>" "$msgid"
    done
done <"$TMPD/paths"

# ---- the bounce: Exim's bounce message knows its original and travels back to Postfix
dsn=$(awk '$1 == "dsn" { print $2 }' "$E")
bof=$(awk '$1 == "dsn" { sub("bounce_of=exim:", "", $3); print $3 }' "$E")
bmsg=$(awk '$1 == "dsn" { print $5 }' "$E")
back=$(awk '$1 == "dsn" { print $7 }' "$E")
"$MS" trace -f json --tz UTC "$dsn" "$PF" "$EX" "$EXR" "$OS" >"$TMPD/dsn.json" 2>/dev/null
check "bounce message knows its original" \
    "$(jq -r --arg q "${bmsg#exim:}" '.messages[] | select(.host == "" and .qid == $q) | .bounce_of' "$TMPD/dsn.json")" "$bof"
check "bounce hops back to Postfix" "$(chain "$TMPD/dsn.json" | tr ' ' '\n' | grep -c "^$bmsg>$back/queued-as\$")" 1
check "bounce delivered to the sender's mailbox" \
    "$(jq -r --arg q "${back#postfix:}" '.messages[] | select(.host == "mx1" and .qid == $q) | .deliveries[0].status' "$TMPD/dsn.json")" sent

# ---- AUTH at Exim: two failed sessions, then the authenticated message
"$MS" search --sessions -q -f jsonl --tz UTC 'status:authfail' "$PF" "$EX" "$EXR" "$OS" >"$TMPD/af.jsonl"
cnt=$(awk '$1 == "auth_failed" { sub("count=", "", $5); print $5 }' "$E")
check "authfail sessions at Exim" "$(jq -s '[.[] | select(.host == "" and .program == "exim")] | length' "$TMPD/af.jsonl")" "$cnt"
check "authfail sessions: client and user" \
    "$(jq -r -s '[.[] | "\(.client_ip) \([.auth[] | select(.ok == false) | .user] | unique | join(","))"] | unique | join(";")' "$TMPD/af.jsonl")" \
    "$(awk '$1 == "auth_failed" { sub("client=", "", $3); sub("user=", "", $4); print $3, $4 }' "$E")"
check "failed AUTH attempts at Exim (one per session)" \
    "$(jq -s '[.[] | .auth[] | select(.ok == false)] | length' "$TMPD/af.jsonl")" "$cnt"
amid=$(awk '$1 == "auth" { print $2 }' "$E")
auser=$(awk '$1 == "auth" { print $4 }' "$E")
"$MS" trace -f json --tz UTC "$amid" "$PF" "$EX" "$EXR" "$OS" >"$TMPD/a.json" 2>/dev/null
check "authenticated message: user and client at Exim" \
    "$(jq -r '.messages[] | select(.host == "") | "\(.sasl_user) \(.client_ip)"' "$TMPD/a.json")" \
    "$auser $(awk '$1 == "auth" { sub("client=", "", $5); print $5 }' "$E")"

# ---- the relay attempt at Exim, the unknown user at OpenSMTPD
"$MS" search --sessions -q -f jsonl --tz UTC 'status:rejected' "$EX" "$OS" >"$TMPD/rj.jsonl"
check "relay attempt rejected at Exim (client, recipient)" \
    "$(jq -r -s '[.[] | select(.host == "") | "\(.client_ip) \([.rejects[] | .to // .rcpt // empty] | join(","))"] | join(";")' "$TMPD/rj.jsonl")" \
    "$(awk '$1 == "refused" && $2 == "exim" { sub("client=", "", $3); sub("rcpt=", "", $5); print $3, $5 }' "$E")"
check "unknown user refused at OpenSMTPD (client, recipient)" \
    "$(jq -r -s '[.[] | select(.host == "mx3") | "\(.client_ip) \([.rejects[] | .to // .rcpt // empty] | join(","))"] | join(";")' "$TMPD/rj.jsonl")" \
    "$(awk '$1 == "refused" && $2 == "opensmtpd" { sub("client=", "", $3); sub("rcpt=", "", $4); print $3, $4 }' "$E")"
finish "postfix-exim-opensmtpd chain capture"
