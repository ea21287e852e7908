#!/bin/sh
# `watch` on the real Postfix attack capture (tests/corpus/hunt/maillog): what it alerts is
# what `hunt` reports on the same lines (never a list written here), each finding once,
# within 2 s of the line that makes it (tests/cli/watch_drive.py plays the capture into a
# file line by line and polls for the alerts with a deadline), across logrotate's create
# and copytruncate rotations with compression (Debian's logrotate; skipped without it),
# kill -9 and a restart with --state, slow exec: hooks, a directory, --poll, and stdin
# (plain and journalctl -o json lines).
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CAP="$ROOT/tests/corpus/hunt/maillog"
DRIVE="$ROOT/tests/cli/watch_drive.py"
U="--tz UTC --year 2026"

# tallies the driver's PASS/FAIL/SKIP lines
RUN=0
export WATCH_TRIGGERS="$TMPD/triggers.json"
drive() {
    mode=$1
    RUN=$((RUN + 1))
    w="$TMPD/run$RUN"
    python3 "$DRIVE" "$MS" "$CAP" "$w" "$@" >"$TMPD/drive.out" 2>&1
    rc=$?
    while IFS= read -r l; do
        case $l in
        "PASS "*) T_PASS=$((T_PASS + 1)) ;;
        "FAIL "*) T_FAIL=$((T_FAIL + 1)); echo "$l" ;;
        "SKIP "*) T_SKIP=$((T_SKIP + 1)); echo "$l" ;;
        *) echo "$l" ;;
        esac
    done <"$TMPD/drive.out"
    check_rc "driver $mode ran" "$rc" 0
    if grep -q '^FAIL' "$TMPD/drive.out"; then
        echo "--- watch stderr ($mode):"
        tail -n 20 "$w/watch.err"
    fi
}

# ---- stdin: the same findings as hunt, once each ----------------------------------------
# a finding's identity as watch keeps it (rule, entity, host, first count's name)
key='[.rule, .entity.type, .entity.value, .host, ((.counts | keys_unsorted)[0] // "")] | join("|")'
"$MS" hunt -f json -q $U "$CAP" | jq -r ".findings[] | $key" | sort >"$TMPD/hunt.keys"
check "hunt finds something in the capture" "$([ -s "$TMPD/hunt.keys" ] && echo yes)" yes
"$MS" watch $U - <"$CAP" >"$TMPD/stdin.jsonl" 2>"$TMPD/stdin.err"
check_rc "watch - ends at the end of stdin" $? 0
check "watch - alerts = hunt's findings" "$(jq -r "$key" "$TMPD/stdin.jsonl" | sort)" \
    "$(cat "$TMPD/hunt.keys")"
check "watch - alerts are raised" "$(jq -r .alert "$TMPD/stdin.jsonl" | sort -u)" raised
# every MTA's real capture: watch's alerts are hunt's findings (Exim mainlog, Sendmail, OpenSMTPD,
# Courier through the same live pipeline)
for other in hunt-exim/mainlog hunt-sendmail/maillog hunt-opensmtpd/maillog courier/maillog; do
    O="$ROOT/tests/corpus/$other"
    [ -f "$O" ] || { skip "$other: not committed"; continue; }
    "$MS" hunt -f json -q $U "$O" | jq -r ".findings[] | $key" | sort >"$TMPD/o.hunt"
    "$MS" watch $U - <"$O" >"$TMPD/o.jsonl" 2>/dev/null
    check "watch on $other: alerts = hunt's findings" "$(jq -r "$key" "$TMPD/o.jsonl" | sort)" "$(cat "$TMPD/o.hunt")"
done
# the same lookups as hunt: --protected-domain reaches lookalike-domain
sed '0,/from=<news@partner.test>/s//from=<news@partnner.test>/' "$CAP" >"$TMPD/pp.log"
"$MS" watch $U --protected-domain partner.test - <"$TMPD/pp.log" >"$TMPD/pp.jsonl" 2>/dev/null
check "watch: --protected-domain judged as by hunt" \
    "$(jq -r 'select(.rule == "lookalike-domain") | .title' "$TMPD/pp.jsonl" | grep -c 'imitates protected domain partner.test')" 1
# every field of a hunt -f json finding is in the alert (same writer)
check "alert carries hunt's finding fields" \
    "$(jq -c 'del(.alert) | keys' "$TMPD/stdin.jsonl" | sort -u)" \
    "$("$MS" hunt -f json -q $U "$CAP" | jq -c '.findings[] | keys' | sort -u)"
check_grep "stats line counts every line" "$(wc -l <"$CAP" | tr -d ' ') lines read" "$TMPD/stdin.err"

# journalctl -o json: the capture's lines in journald's JSON envelope (as tests/cli/timeline.sh)
jq -R -c 'capture("^Nov 27 (?<t>..:..:..) (?<h>[^ ]*) (?<p>[^\\[]*)\\[(?<pid>[0-9]*)\\]: (?<m>.*)$")
    | {__REALTIME_TIMESTAMP: ((("2026-11-27T" + .t + "Z") | fromdate) * 1000000 | tostring),
       _HOSTNAME: .h, SYSLOG_IDENTIFIER: .p, SYSLOG_PID: .pid, MESSAGE: .m}' "$CAP" >"$TMPD/journal.json"
"$MS" watch $U - <"$TMPD/journal.json" >"$TMPD/journal.jsonl" 2>/dev/null
check "journalctl -o json on stdin: alerts = hunt's findings on it" \
    "$(jq -r "$key" "$TMPD/journal.jsonl" | sort)" \
    "$("$MS" hunt -f json -q $U "$TMPD/journal.json" | jq -r ".findings[] | $key" | sort)"
check "journal json gives the same findings as the text log" \
    "$(jq -r "$key" "$TMPD/journal.jsonl" | sort)" "$(cat "$TMPD/hunt.keys")"

# --min-severity
"$MS" watch $U --min-severity high - <"$CAP" >"$TMPD/high.jsonl" 2>/dev/null
check "--min-severity high: hunt's high and critical findings only" \
    "$(jq -r "$key" "$TMPD/high.jsonl" | sort)" \
    "$("$MS" hunt -f json -q $U "$CAP" | jq -r ".findings[] | select(.severity == \"high\" or .severity == \"critical\") | $key" | sort)"

# --state remembers raised alerts: the same lines again raise nothing
"$MS" watch $U --state "$TMPD/s1.state" - <"$CAP" >"$TMPD/s1.jsonl" 2>/dev/null
"$MS" watch $U --state "$TMPD/s1.state" - <"$CAP" >"$TMPD/s2.jsonl" 2>/dev/null
check "first run with --state raises every finding" "$(wc -l <"$TMPD/s1.jsonl" | tr -d ' ')" \
    "$(wc -l <"$TMPD/hunt.keys" | tr -d ' ')"
check "second run with the same state repeats none" "$(wc -c <"$TMPD/s2.jsonl" | tr -d ' ')" 0
check_grep "state file is written whole" "end" "$TMPD/s1.state"
printf 'not a state\n' >"$TMPD/bad.state"
"$MS" watch $U --state "$TMPD/bad.state" - <"$CAP" >/dev/null 2>"$TMPD/bad.err"
check_rc "a file that is not a state is a usage error" $? 2
check_grep "and says so" "not a watch state file" "$TMPD/bad.err"

# usage errors
"$MS" watch --alert smtp:x - </dev/null 2>"$TMPD/u.err"
check_rc "--alert with an unknown target" $? 2
"$MS" watch --alert syslog --syslog-facility nonsense - </dev/null 2>/dev/null
check_rc "--syslog-facility unknown" $? 2
"$MS" watch "$TMPD/no/such/dir/maillog" </dev/null 2>/dev/null
check_rc "a path in no directory" $? 2

# attacker-controlled text stays inside its JSON string and escaped in syslog lines
printf 'Nov 27 14:15:00 mx3 postfix/smtpd[1]: warning: unknown[127.0.0.66]: SASL LOGIN authentication failed: \033]0;x\007\n' >"$TMPD/esc.log"
for i in 1 2 3 4 5 6; do sed -n 1p "$TMPD/esc.log"; done >"$TMPD/esc6.log"
"$MS" watch $U --show-lines - <"$TMPD/esc6.log" >"$TMPD/esc.jsonl" 2>/dev/null
check "alerts are valid JSON even with control bytes in the log" \
    "$(jq -c . "$TMPD/esc.jsonl" >/dev/null 2>&1 && echo ok)" ok
check "no raw escape byte in the alert" "$(tr -d '\n' <"$TMPD/esc.jsonl" | tr -d '[:print:]' | wc -c | tr -d ' ')" 0

# ---- live: a file written line by line -----------------------------------------------------
drive plain
drive split
drive plain --poll --updates
drive kill
drive slowhook
if command -v logrotate >/dev/null 2>&1; then
    drive rename
    drive copytruncate
    drive dir-rename
    drive dir-copytruncate
else
    skip "logrotate rotations: logrotate is not installed (tools/install-deps.sh installs it)"
fi

# SIGHUP reopens jsonl outputs (logrotate's postrotate for the alert file)
: >"$TMPD/hup.log"
"$MS" watch $U --alert "jsonl:$TMPD/hup.jsonl" "$TMPD/hup.log" 2>"$TMPD/hup.err" &
pid=$!
sleep 0.3
mv "$TMPD/hup.jsonl" "$TMPD/hup.jsonl.1" 2>/dev/null
kill -HUP $pid
sleep 0.3
cat "$CAP" >>"$TMPD/hup.log"
n=0
while [ $n -lt 50 ] && [ "$(wc -l <"$TMPD/hup.jsonl" 2>/dev/null | tr -d ' ')" != "$(wc -l <"$TMPD/hunt.keys" | tr -d ' ')" ]; do
    sleep 0.1
    n=$((n + 1))
done
kill -USR1 $pid
sleep 0.3
check_grep "SIGUSR1 prints the stats line" "lines read" "$TMPD/hup.err"
kill -TERM $pid
wait $pid
check_rc "watch exits 0 on SIGTERM" $? 0
check "after SIGHUP the alerts go to a new file at the path" \
    "$(jq -r "$key" "$TMPD/hup.jsonl" 2>/dev/null | sort)" "$(cat "$TMPD/hunt.keys")"

finish "cli watch"
