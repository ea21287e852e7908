#!/bin/sh
# The CLI on every kind of input: rotated sets, compression (detected by content), archives,
# stdin, and bad input (missing, unreadable, truncated, binary, NUL, CRLF, huge line, empty).
# Bad input never crashes, is named on stderr, and ends in exit status 3 while the rest of
# the input is still analysed.
. "$(dirname "$0")/testlib.inc"
CAP=$(cd "$(dirname "$0")/../corpus/postfix" && pwd)/maillog
want=$("$MS" summary -f json --tz UTC "$CAP" | jq -c '.totals')

# same totals however the capture is wrapped
cp "$CAP" "$TMPD/plain"
gzip -c "$CAP" >"$TMPD/log.gz"
zstd -q -c "$CAP" >"$TMPD/log.zst" 2>/dev/null || skip "zstd missing"
xz -c "$CAP" >"$TMPD/log.xz"
bzip2 -c "$CAP" >"$TMPD/log.bz2"
cp "$TMPD/log.gz" "$TMPD/misnamed.txt" # compression by content, not name
for f in plain log.gz log.xz log.bz2 misnamed.txt; do
    got=$("$MS" summary -f json --tz UTC "$TMPD/$f" | jq -c '.totals')
    check "totals via $f" "$got" "$want"
done
[ -f "$TMPD/log.zst" ] && check "totals via zst" "$("$MS" summary -f json --tz UTC "$TMPD/log.zst" | jq -c .totals)" "$want"
got=$("$MS" summary -f json --tz UTC - <"$CAP" | jq -c '.totals')
check "totals via stdin" "$got" "$want"
(cd "$TMPD" && mkdir -p bundle/var/log && cp log.gz bundle/var/log/mail.log.1.gz &&
    tar -czf case.tar.gz bundle)
got=$("$MS" summary -f json --tz UTC "$TMPD/case.tar.gz" | jq -c '.totals')
check "totals via tar.gz holding a .gz" "$got" "$want"
if command -v python3 >/dev/null; then
    python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED); z.write(sys.argv[2],'logs/maillog'); z.close()" "$TMPD/case.zip" "$CAP"
    got=$("$MS" summary -f json --tz UTC "$TMPD/case.zip" | jq -c '.totals')
    check "totals via zip" "$got" "$want"
    check "zip member named in evidence" "$("$MS" summary -f json --tz UTC "$TMPD/case.zip" | jq -r '.inputs.sources[0].name')" "$TMPD/case.zip!logs/maillog"
else
    skip "python3 missing: zip case"
fi

# a rotated set split in three, read as a directory: same totals, oldest first
mkdir "$TMPD/rot"
n=$(wc -l <"$CAP")
head -n 40 "$CAP" | gzip -c >"$TMPD/rot/maillog.2.gz"
sed -n '41,80p' "$CAP" >"$TMPD/rot/maillog.1"
sed -n "81,${n}p" "$CAP" >"$TMPD/rot/maillog"
got=$("$MS" summary -f json --tz UTC "$TMPD/rot" | jq -c '.totals')
check "rotated directory totals" "$got" "$want"
order=$("$MS" summary -f json --tz UTC "$TMPD/rot" | jq -r '[.inputs.sources[].name | sub(".*/"; "")] | join(" ")')
check "rotated order oldest first" "$order" "maillog.2.gz maillog.1 maillog"

# bad inputs: the good file is still analysed, each problem is named, exit 3
head -c 600 "$TMPD/log.gz" >"$TMPD/cut.gz"
printf 'Nov 27 10:00:00 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]\r\n' >"$TMPD/crlf.log"
head -c 3000 /dev/urandom >"$TMPD/binary.log"
printf 'Nov 27 10:00:01 mx1 postfix/smtpd[1]: connect from b[192.0.2.2]\000x\n' >"$TMPD/nul.log"
: >"$TMPD/empty.log"
{ printf 'Nov 27 10:00:02 mx1 postfix/smtpd[1]: connect from '; head -c 10000000 /dev/zero | tr '\0' a; echo; } >"$TMPD/huge.log"
"$MS" summary -f json --tz UTC "$CAP" "$TMPD/missing.log" "$TMPD/cut.gz" "$TMPD/crlf.log" \
    "$TMPD/binary.log" "$TMPD/nul.log" "$TMPD/empty.log" "$TMPD/huge.log" >"$TMPD/bad.json" 2>"$TMPD/bad.err"
check_rc "bad inputs" $? 3
check_grep "missing file named" "missing.log: error:" "$TMPD/bad.err"
check_grep "truncated gzip named" "cut.gz: error:" "$TMPD/bad.err"
check_grep "NUL bytes reported" "nul.log: warning:" "$TMPD/bad.err"
check_grep "huge line reported" "huge.log: warning:" "$TMPD/bad.err"
# the cut .gz counts with what gzip itself can still decode from it (its good prefix)
gzip -dc "$TMPD/cut.gz" >"$TMPD/cut.txt" 2>/dev/null
check "good file still counted, and the cut file's recoverable lines" \
    "$(jget "$TMPD/bad.json" .totals.received)" \
    "$(( $(echo "$want" | jq .received) + $("$MS" summary -q -f json --tz UTC "$TMPD/cut.txt" | jq .totals.received) ))"
check "the cut file: every line gzip recovers was read" \
    "$(jget "$TMPD/bad.json" '.inputs.sources[] | select(.name | endswith("cut.gz")) | .lines')" \
    "$(awk 'END { print NR }' "$TMPD/cut.txt")"
check "8 sources listed (missing one excluded)" "$(jget "$TMPD/bad.json" '.inputs.sources | length')" 7
check "binary lines counted as unparsed" "$(jget "$TMPD/bad.json" '.inputs.unparsed > 0')" true
check "crlf line parsed" "$(jget "$TMPD/bad.json" '.inputs.sources[] | select(.name | endswith("crlf.log")) | .lines')" 1
check "truncated source marked incomplete" "$(jget "$TMPD/bad.json" '.inputs.sources[] | select(.name | endswith("cut.gz")) | .complete')" false

# lines of programs no dialect reads are counted per program, never lost
printf 'Nov 27 10:00:00 mx1 CRON[77]: (root) CMD (run-parts /etc/cron.hourly)\nNov 27 10:00:01 mx1 sshd[12]: Accepted publickey for root from 192.0.2.9 port 4711 ssh2\nNov 27 10:00:02 mx1 CRON[78]: (root) CMD (run-parts /etc/cron.hourly)\n' >"$TMPD/other.log"
check "unparsed counted by program" "$("$MS" summary -f json --tz UTC "$TMPD/other.log" | jq -c '[.inputs.unparsed_reasons[] | "\(.reason)=\(.count)"]')" '["no dialect for program \"CRON\"=2","no dialect for program \"sshd\"=1"]'
check "format recorded per source" "$("$MS" summary -f json --tz UTC "$CAP" | jq -r '.inputs.sources[0].format')" syslog
check "formats --detect explains" "$("$MS" formats --detect "$CAP" | sed 's/.*: \(syslog\) (score.*/\1/')" syslog
"$MS" summary --log-format nosuch "$CAP" >/dev/null 2>&1
check_rc "unknown log format" $? 2

# usage errors: exit 2 with a message
"$MS" summary --tz Nowhere/Atlantis "$CAP" >/dev/null 2>"$TMPD/u.err"
check_rc "unknown zone" $? 2
check_grep "unknown zone message" "unknown time zone" "$TMPD/u.err"
"$MS" summary --format xml "$CAP" >/dev/null 2>&1
check_rc "unknown format" $? 2
"$MS" frobnicate >/dev/null 2>"$TMPD/cmd.err"
check_rc "unknown command" $? 2
# the message lists every command (it once left out hunt and verify)
for c in summary timeline trace search hunt verify formats; do
    check_grep "unknown command lists $c" "$c" "$TMPD/cmd.err"
done
"$MS" summary --since yesterday "$CAP" >/dev/null 2>&1
check_rc "bad --since" $? 2
"$MS" --help | grep -q 'usage: mailsleuth'
check_rc "--help" $? 0

# evidence is never modified: checksums before and after
before=$(cd "$TMPD" && sha256sum plain log.gz case.tar.gz | sha256sum)
"$MS" summary "$TMPD/plain" "$TMPD/log.gz" "$TMPD/case.tar.gz" >/dev/null 2>&1
after=$(cd "$TMPD" && sha256sum plain log.gz case.tar.gz | sha256sum)
check "evidence unchanged" "$after" "$before"
finish "cli inputs"
