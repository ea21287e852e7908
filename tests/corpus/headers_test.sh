#!/bin/sh
# `mailsleuth headers` on real messages: tests/corpus/headers/ holds the logs of two real
# Postfix 3.7 servers (mx1 -> mx2 with an amavis-style filter, postfix_multihop_capture.sh
# run with OUT/WORK pointed here) and the mailboxes they delivered into (mail/*.mbox, as
# local(8) wrote them).  Every genuine message must be confirmed hop by hop; forged
# variants derived from a genuine one must be contradicted at the forged hop, for the
# forged reason; broken header blocks get a clear error.
. "$(dirname "$0")/../cli/testlib.inc"
D=$(dirname "$0")/headers
hdr() { "$MS" headers -q -f json --tz UTC --year 2026 "$@" "$D/postfix-mx1" "$D/postfix-mx2"; }

# ---- every genuine message: confirmed, one verdict per Received header, all confirmed
for mb in "$D"/mail/*.mbox; do
    hdr "$mb" >"$TMPD/g.json"
    check_rc "headers $(basename "$mb")" $? 0
    n=$(grep -c '^From ' "$mb")
    check "$(basename "$mb"): every message read" "$(jq '.messages | length' "$TMPD/g.json")" "$n"
    check "$(basename "$mb"): every message confirmed" \
        "$(jq -r '[.messages[].verdict] | unique | join(",")' "$TMPD/g.json")" confirmed
    # Received headers of the header blocks (a bounce's body quotes the original's too)
    nr=$(awk '/^From / { h = 1; next } /^$/ { h = 0 } h && /^Received: / { n++ } END { print n + 0 }' "$mb")
    check "$(basename "$mb"): one hop per Received header, each confirmed" \
        "$(jq '[.messages[].hops[] | select(.verdict == "confirmed")] | length' "$TMPD/g.json")" "$nr"
    check "$(basename "$mb"): each hop cites the log lines of its record" \
        "$(jq '[.messages[].hops[] | select((.log.evidence | length) == 0)] | length' "$TMPD/g.json")" 0
done

# ---- forged variants of the first message in grace's mailbox (three hops: mx1, mx2, filter)
python3 - "$D/mail/mx2-grace.mbox" "$TMPD" <<'EOF'
import re, sys
src, out = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8", errors="surrogateescape").read()
first = text[:text.index("\n\nFrom ", 1) + 1]          # the first message of the mbox
head, body = first.split("\n\n", 1)
rcv = re.findall(r"^Received: .*(?:\n[ \t].*)*", head, re.M)  # newest first
ids = [re.search(r" id (\S+);", r).group(1) for r in rcv]
def write(name, h):
    with open(f"{out}/{name}.eml", "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(h + "\n\n" + body)
# hop 2 (mx1 -> mx2, rcv[1]): a queue id mx2 never logged
write("bad-qid", head.replace(ids[1], "ZZ0000FORGED", 1))
# hop 1 (ws -> mx1, rcv[2]): another client address
write("bad-ip", head.replace(rcv[2], rcv[2].replace("[127.0.0.2]", "[198.51.100.7]"), 1))
# hop 2: its date an hour later
def later(r):
    return re.sub(r"(\d\d):(\d\d):(\d\d) \+0000", lambda m: "%02d:%s:%s +0000" % ((int(m.group(1)) + 1) % 24, m.group(2), m.group(3)), r)
write("bad-time", head.replace(rcv[1], later(rcv[1]), 1))
# a Message-ID the servers never saw (the queue ids then belong to another message)
write("bad-msgid", re.sub(r"(?im)^Message-Id: .*$", "Message-Id: <forged.1@ws2.example.test>", head, 1))
# hop 2 stripped from the header block
write("stripped", head.replace(rcv[1] + "\n", "", 1))
# a hop by a server whose log was not given
write("other-server", "Received: from mx2.example.test (unknown [127.0.0.12])\n\tby mx9.example.test (Postfix) with ESMTP id 4AAAAAAAAA;\n\tMon,  7 Dec 2026 12:50:00 +0000 (UTC)\n" + head)
# broken inputs
write("no-received", re.sub(r"(?m)^Received: .*(?:\n[ \t].*)*\n", "", head))
write("nul", head.replace("Subject:", "Subject: \0", 1))
write("huge", head + "\nX-Long: " + "a" * (1100 * 1024))
write("bad-encoded-word", head.replace("Subject: ", "Subject: =?utf-8?B?!!!*?= =?x-unknown?Q?=FF?= ", 1))
write("hostile-helo", head.replace("from ws2.example.test", "from ws2\x1b]0;pwned\x07.test", 1))
EOF
verdict() { hdr "$TMPD/$1.eml" | jq -r "$2"; }
check "forged queue id: hop 2 contradicted" \
    "$(verdict bad-qid '.messages[0].hops[1] | "\(.verdict): \(.why)"' | cut -c1-52)" \
    "contradicted: no message with queue id ZZ0000FORGED "
check "forged queue id: the message is contradicted" "$(verdict bad-qid '.messages[0].verdict')" contradicted
check "forged client IP: hop 1 contradicted for its IP" \
    "$(verdict bad-ip '.messages[0].hops[0] | "\(.verdict) \(.why | test("client IP 127.0.0.2, the header 198.51.100.7"))"')" \
    "contradicted true"
check "forged client IP: the other hops still confirmed" \
    "$(verdict bad-ip '[.messages[0].hops[1:][] | .verdict] | join(",")')" "confirmed,confirmed"
check "shifted time: hop 2 contradicted for its time" \
    "$(verdict bad-time '.messages[0].hops[1] | "\(.verdict) \(.why | test("3600 s from the header"))"')" \
    "contradicted true"
check "unknown Message-ID: the queue ids belong to another message" \
    "$(verdict bad-msgid '[.messages[0].hops[] | .why | test("belongs to another message")] | all')" true
check "stripped hop: the logs' hop without a header is named" \
    "$(verdict stripped '[.messages[0].hops[] | select(.in_logs_only) | "\(.verdict) \(.log.host) \(.log.qid)"] | join(",")')" \
    "contradicted mx2 $(python3 -c "import re,sys;t=open(sys.argv[1]).read();print(re.findall(r' id (\S+);',t)[1])" "$D/mail/mx2-grace.mbox")"
check "a server without logs: no evidence, the rest confirmed" \
    "$(verdict other-server '[.messages[0].hops[] | .verdict] | join(",")')" \
    "confirmed,confirmed,confirmed,no-evidence"
check "no Received header: a clear error" \
    "$(verdict no-received '.messages[0].error')" "no Received header: the message names no server to check"
check "NUL in the header block: a clear error" "$(verdict nul '.messages[0].error')" "NUL byte in the header block"
check "a 1.1 MB header block: a clear error" "$(verdict huge '.messages[0].error')" \
    "header block longer than 1 MiB (not read)"
check "broken encoded words: still checked" "$(verdict bad-encoded-word '.messages[0].verdict')" confirmed
"$MS" headers -q --tz UTC --year 2026 "$TMPD/hostile-helo.eml" "$D/postfix-mx1" "$D/postfix-mx2" >"$TMPD/h.txt"
check "hostile HELO: no control byte reaches the terminal" \
    "$(tr -d '\n\t' <"$TMPD/h.txt" | LC_ALL=C grep -c '[[:cntrl:]]')" 0
# Postfix logs no HELO beside client= (only in rejects): nothing to compare, and no claim
check "hostile HELO: not claimed to agree (the log names no HELO)" \
    "$(verdict hostile-helo '.messages[0].hops[0].why | test("HELO")')" false
"$MS" headers -q "$TMPD/missing.eml" "$D/postfix-mx1" >/dev/null 2>"$TMPD/e"
check_rc "a message file that does not exist" $? 3
check_grep "its error names the file" "cannot read message file" "$TMPD/e"

finish "headers"
