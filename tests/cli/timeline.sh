#!/bin/sh
# timeline: time order across inputs, Timesketch columns, escaping, --since/--until, and the
# envelope formats (RFC 3164 with inferred year, RFC 3339 with offsets) on real capture lines.
. "$(dirname "$0")/testlib.inc"
CAP=$(cd "$(dirname "$0")/../corpus/postfix" && pwd)/maillog
n=$(wc -l <"$CAP")

# two inputs whose lines interleave in time
awk 'NR % 2 == 1' "$CAP" >"$TMPD/a.log"
awk 'NR % 2 == 0' "$CAP" | sed 's/^\(... .. ..:..:..\) mx1 /\1 mx2 /' >"$TMPD/b.log"
touch -r "$CAP" "$TMPD/a.log" "$TMPD/b.log"
"$MS" timeline -f jsonl --tz UTC --year 2026 "$TMPD/b.log" "$TMPD/a.log" >"$TMPD/t.jsonl"
check_rc "timeline jsonl" $? 0
check "one event per line" "$(wc -l <"$TMPD/t.jsonl" | tr -d ' ')" "$n"
check "every line is JSON" "$(jq -c . "$TMPD/t.jsonl" | wc -l | tr -d ' ')" "$n"
check "sorted by time" "$(jq -r .timestamp "$TMPD/t.jsonl" | sort -n -c && echo sorted)" sorted
check "Timesketch columns" "$(head -n1 "$TMPD/t.jsonl" | jq -r '[has("message"), has("datetime"), has("timestamp_desc")] | all')" true
# equal stamps keep input order: b.log was named first
check "first event cites b.log:1" "$(head -n1 "$TMPD/t.jsonl" | jq -r '.evidence | sub(".*/"; "")')" "b.log:1"
check "datetime is UTC ISO 8601" "$(head -n1 "$TMPD/t.jsonl" | jq -r .datetime)" "2026-11-27T13:18:48.000000Z"
"$MS" timeline -f jsonl --tz UTC --year 2026 --sort-memory 4096 "$TMPD/b.log" "$TMPD/a.log" >"$TMPD/spill.jsonl"
check "spilling to temp runs gives the same order" "$(cmp -s "$TMPD/t.jsonl" "$TMPD/spill.jsonl" && echo same)" same
check "hosts from both inputs" "$(jq -r .host "$TMPD/t.jsonl" | sort -u | tr '\n' ' ')" "mx1 mx2 "

# --since / --until (zone-less values are read in --tz)
"$MS" timeline -f jsonl --tz UTC --year 2026 --since 2026-11-27T13:18:50 --until 2026-11-27T13:18:52 "$CAP" >"$TMPD/w.jsonl"
check "window lower bound" "$(jq -r .datetime "$TMPD/w.jsonl" | sort | head -n1 | cut -c1-19)" "2026-11-27T13:18:50"
check "window upper bound" "$(jq -r .datetime "$TMPD/w.jsonl" | sort | tail -n1 | cut -c1-19)" "2026-11-27T13:18:51"

# RFC 3339 with an offset: same events, times shifted to UTC; summary totals identical
sed 's/^Nov 27 \(..:..:..\) /2026-11-27T\1.250000+02:00 /' "$CAP" >"$TMPD/iso.log"
"$MS" timeline -f jsonl --tz UTC "$TMPD/iso.log" | head -n1 >"$TMPD/iso1.json"
check "rfc3339 offset honoured" "$(jq -r .datetime "$TMPD/iso1.json")" "2026-11-27T11:18:48.250000Z"
check "rfc3339 summary = rfc3164 summary" \
    "$("$MS" summary -f json --tz UTC "$TMPD/iso.log" | jq -c '.totals | del(.events)')" \
    "$("$MS" summary -f json --tz UTC "$CAP" | jq -c '.totals | del(.events)')"
sed 's/^Nov 27 \(..:..:..\) /2026-11-27T\1+0200 /' "$CAP" >"$TMPD/shortiso.log"
check "journalctl short-iso +0200" "$("$MS" timeline -f jsonl "$TMPD/shortiso.log" | head -n1 | jq -r .datetime)" "2026-11-27T11:18:48.000000Z"

# RFC 5424 and journalctl -o json renderings of the same capture: same summary
base=$("$MS" summary -f json --tz UTC --year 2026 "$CAP" | jq -c '.totals | del(.events)')
sed 's/^Nov 27 \(..:..:..\) \([^ ]*\) \([^[]*\)\[\([0-9]*\)\]: /<22>1 2026-11-27T\1Z \2 \3 \4 - - /' "$CAP" >"$TMPD/5424.log"
check "rfc5424 summary = rfc3164 summary" \
    "$("$MS" summary -f json --tz UTC "$TMPD/5424.log" | jq -c '.totals | del(.events)')" "$base"
jq -R -c 'capture("^Nov 27 (?<t>..:..:..) (?<h>[^ ]*) (?<p>[^\\[]*)\\[(?<pid>[0-9]*)\\]: (?<m>.*)$")
    | {__REALTIME_TIMESTAMP: ((("2026-11-27T" + .t + "Z") | fromdate) * 1000000 | tostring),
       _HOSTNAME: .h, SYSLOG_IDENTIFIER: .p, SYSLOG_PID: .pid, MESSAGE: .m}' "$CAP" >"$TMPD/journal.json"
check "journal json summary = rfc3164 summary" \
    "$("$MS" summary -f json --tz UTC "$TMPD/journal.json" | jq -c '.totals | del(.events)')" "$base"

# zone-less stamps use --tz, and the zone is stated in the output
check "--tz Europe/Berlin shifts zone-less stamps" \
    "$("$MS" timeline -f jsonl --year 2026 --tz Europe/Berlin "$CAP" | head -n1 | jq -r .datetime)" "2026-11-27T12:18:48.000000Z"
check "zone stated in summary" "$("$MS" summary -f json --tz Europe/Berlin "$CAP" | jq -r .zone)" "Europe/Berlin"

# year inference from the file's mtime (logs are year-less)
cp "$CAP" "$TMPD/old.log"
touch -d '2024-12-01 00:00:00' "$TMPD/old.log"
check "year from mtime" "$("$MS" timeline -f jsonl --tz UTC "$TMPD/old.log" | head -n1 | jq -r .datetime | cut -c1-4)" 2024
touch -d '2025-01-03 00:00:00' "$TMPD/old.log"
check "stamp after mtime -> previous year" "$("$MS" timeline -f jsonl --tz UTC "$TMPD/old.log" | head -n1 | jq -r .datetime | cut -c1-4)" 2024
check "--year overrides" "$("$MS" timeline -f jsonl --tz UTC --year 2019 "$TMPD/old.log" | head -n1 | jq -r .datetime | cut -c1-4)" 2019
{ head -n 3 "$CAP"; sed -n '4,6p' "$CAP" | sed 's/^Nov 27/Jan  2/'; } | sed '1,3s/^Nov 27/Dec 31/' >"$TMPD/roll.log"
touch -d '2027-01-02 12:00:00' "$TMPD/roll.log"
check "Dec -> Jan rollover" "$("$MS" timeline -f jsonl --tz UTC "$TMPD/roll.log" | jq -r .datetime | cut -c1-10 | uniq | tr '\n' ' ')" "2026-12-31 2027-01-02 "

# attacker-controlled content: terminal escapes and CSV formulas are neutralised
grep -m1 'qmgr.*from=<alice' "$CAP" | sed 's/from=<alice@example.test>/from=<=cmd|calc@evil.test>/' >"$TMPD/evil.log"
printf 'Nov 27 13:00:00 mx1 postfix/smtpd[9]: warning: \033]0;owned\007\033[31mred\n' >>"$TMPD/evil.log"
"$MS" timeline -f csv --tz UTC "$TMPD/evil.log" >"$TMPD/evil.csv"
check "csv header" "$(head -n1 "$TMPD/evil.csv" | cut -d, -f1-3)" "datetime,timestamp_desc,message"
check_grep "csv formula neutralised" "\"'=cmd|calc@evil.test\"" "$TMPD/evil.csv"
"$MS" timeline --tz UTC "$TMPD/evil.log" >"$TMPD/evil.txt"
check "no raw ESC in text output" "$(tr -d -c '\033' <"$TMPD/evil.txt" | wc -c | tr -d ' ')" 0
check_grep "ESC shown escaped" '\x1b' "$TMPD/evil.txt"
# log text is escaped once: a quote shows as \" and a backslash as \\, not doubled again
printf 'Nov 27 13:00:00 mx1 postfix/smtpd[9]: warning: say "hi" \\\\ \302\233 end\n' >"$TMPD/q.log"
check "escaped once in text" "$("$MS" timeline --tz UTC --year 2026 "$TMPD/q.log" | sed 's/.*text=//; s/ severity.*//')" \
    '"say \"hi\" \\\\ \xc2\x9b end"'
finish "cli timeline"
