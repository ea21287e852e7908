#!/bin/sh
# trace and search on the real Postfix capture (tests/corpus/postfix; scenarios and ground
# truth in its README.md).  Every evidence line a trace cites must be the file's real line.
. "$(dirname "$0")/testlib.inc"
CAP=$(cd "$(dirname "$0")/../corpus/postfix" && pwd)/maillog
MS_="$MS"

# trace by address: in1, in2, in5 (to alice), out1, out3 (from alice), sub1 (user alice),
# and the DSN for out3 (to alice) are all part of alice's story
"$MS_" trace -f json --tz UTC alice@example.test "$CAP" >"$TMPD/alice.json"
check_rc "trace alice" $? 0
check "every shown message involves alice or links to one that does" \
    "$(jq '(.messages | length) as $n | [.messages[] | select((.from == "alice@example.test") or ([.deliveries[].to] | index("alice@example.test")) or (.sasl_user == "alice@example.test") or (.bounce_of != null) or (.dsn_qids | length > 0)) ] | length == $n and $n > 0' "$TMPD/alice.json")" true
check "the submission with AUTH is found by user" \
    "$(jq -r '[.messages[] | select(.sasl_user == "alice@example.test") | .sasl_method] | join(",")' "$TMPD/alice.json")" LOGIN
check "the bounce for out3 is linked both ways" \
    "$(jq -r '[.messages[] | select(.bounce_of != null)] | length >= 1' "$TMPD/alice.json")" true
# the evidence cited is the exact original line
bad=0
jq -r '.messages[].lines[] | "\(.evidence)\t\(.text)"' "$TMPD/alice.json" >"$TMPD/ev.tsv"
while IFS="$(printf '\t')" read -r ev text; do
    n=${ev##*:}
    [ "$(sed -n "${n}p" "$CAP")" = "$text" ] || bad=$((bad + 1))
done <"$TMPD/ev.tsv"
check "cited lines are the file's lines" "$bad" 0
check "cited lines were checked" "$(jq '[.messages[].lines[]] | length' "$TMPD/alice.json")" "$(wc -l <"$TMPD/ev.tsv" | tr -d ' ')"

# trace by queue id and by Message-ID find the same single message
qid=$(grep -m1 'message-id=<in3.3@' "$CAP" | sed 's/.*: \([0-9A-F]*\): message-id.*/\1/')
check "trace by qid" "$("$MS_" trace -f json --tz UTC "$qid" "$CAP" | jq -r '[.messages[].qid] | join(",")')" "$qid"
check "trace by Message-ID" "$("$MS_" trace -f json --tz UTC '<in3.3@mx.remote.test>' "$CAP" 2>/dev/null | jq -r '[.messages[].qid] | join(",")')" \
    "$("$MS_" trace -f json --tz UTC "$(grep -m1 -o 'message-id=<in3[^>]*>' "$CAP" | sed 's/message-id=//')" "$CAP" | jq -r '[.messages[].qid] | join(",")')"
# trace by client IP: the four relayed messages from the trusted host 127.0.0.2
check "trace by IP" "$("$MS_" trace -f json --tz UTC 127.0.0.2 "$CAP" | jq '[.messages[] | select(.client_ip == "127.0.0.2")] | length')" 4
# the text story carries file:line under each step
"$MS_" trace --tz UTC "$qid" "$CAP" >"$TMPD/t.txt"
check_grep "text trace cites file:line" "maillog:" "$TMPD/t.txt"
check_grep "text trace tells the delivery" "delivered via local" "$TMPD/t.txt"
"$MS_" trace --tz UTC nobody@nowhere.test "$CAP" >/dev/null 2>"$TMPD/none.err"
check_rc "trace without match" $? 0
check_grep "says nothing matched" "nothing matches" "$TMPD/none.err"

# search: counts against the scenario table
cnt() { "$MS_" search -q -f jsonl --tz UTC "$@" "$CAP" | wc -l | tr -d ' '; }
check "search status:bounced (in4, out3)" "$(cnt 'status:bounced')" 2
check "search final:deferred (out2, out4 still queued)" "$(cnt 'final:deferred')" 2
check "search from-domain and size" "$(cnt 'from-domain:remote.test size>50k')" 1
# alice's and bob's mail not from the trusted host: only sub1 (submission from 127.0.0.1)
check "search NOT / OR / parentheses" "$(cnt '(from:alice@example.test OR from:bob@example.test) NOT ip:127.0.0.2')" 1
check "search wildcard" "$(cnt 'to:*@partner.test status:sent')" 3
check "search CIDR" "$(cnt 'ip:127.0.0.0/31')" 6
check "search user" "$(cnt 'user:alice@example.test')" 1
check "search sessions with failed AUTH (sub2-sub4)" "$("$MS_" search -q --sessions -f jsonl --tz UTC 'status:authfail' "$CAP" | wc -l | tr -d ' ')" 3
check "search rejected sessions (rej1-rej3)" "$("$MS_" search -q --sessions -f jsonl --tz UTC 'status:rejected' "$CAP" | wc -l | tr -d ' ')" 3
check "search events" "$("$MS_" search -q --events -f jsonl --tz UTC 'kind:AUTH_FAIL' "$CAP" | wc -l | tr -d ' ')" 3
"$MS_" search -q -f json --tz UTC 'status:sent' "$CAP" >"$TMPD/s.json"
check "search json is one array" "$(jq 'type' "$TMPD/s.json")" '"array"'
"$MS_" search -q -f csv --tz UTC 'status:sent' "$CAP" >"$TMPD/s.csv"
check "search csv header" "$(head -n1 "$TMPD/s.csv" | cut -d, -f1-4)" "first,last,host,qid"

# errors point at the column
"$MS_" search 'from:alice AND (to:bob' "$CAP" >/dev/null 2>"$TMPD/e1"
check_rc "unbalanced parenthesis" $? 2
"$MS_" search 'form:alice' "$CAP" >/dev/null 2>"$TMPD/e2"
check_rc "unknown field" $? 2
check_grep "unknown field named" "form" "$TMPD/e2"
check "caret under the bad field" "$(sed -n 3p "$TMPD/e2")" "  ^"
# regression: a recipient whose address is a substring of another's was left out of the CSV
# recipients cell (bob@ after xbob@); in2 (to alice and bob) with alice renamed xbob
grep '0E805A721BE' "$CAP" | sed 's/alice@example.test/xbob@example.test/' >"$TMPD/sub.log"
"$MS_" search -q -f csv --tz UTC 'qid:0E805A721BE' "$TMPD/sub.log" >"$TMPD/sub.csv"
check "csv recipients cell keeps an address contained in another" \
    "$(tail -1 "$TMPD/sub.csv" | grep -o 'xbob@example.test bob@example.test')" \
    "xbob@example.test bob@example.test"
finish "cli trace and search"
