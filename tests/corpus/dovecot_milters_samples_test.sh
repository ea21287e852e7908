#!/bin/sh
# tests/corpus/dovecot_milters_samples_test.sh - every line of the Dovecot and milter/filter
# sample corpora ($SHARED/corpora/dovecot/samples.log, $SHARED/corpora/milters/samples.log)
# through the real pipeline (build/tests/tools/dump_events).
#
# Each line must give an event, or be listed in EXPLAINED below with the reason it cannot.
# Every unparsed line is printed ("UNPARSED file:line reason"); an unparsed line that is not
# explained, and an explained line that now parses (stale entry), each count as a failure.
# One check per sample line.  Ends with "dovecot/milters samples: N passed, N failed".
DUMP=${BUILD:-build}/tests/tools/dump_events
SHARED=${SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
DOV="$SHARED/corpora/dovecot/samples.log"
MIL="$SHARED/corpora/milters/samples.log"
if [ ! -f "$DOV" ] || [ ! -f "$MIL" ]; then
    echo "dovecot/milters samples: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
[ -x "$DUMP" ] || { echo "dovecot/milters samples: $DUMP missing: 0 passed, 1 failed"; exit 1; }

# file:line|reason
EXPLAINED='dovecot:1|multilog @tai64n stamp inside a syslog file: the source is detected as syslog as a whole (fail2ban mixes envelopes in one test file)
dovecot:2|multilog @tai64n stamp inside a syslog file (see dovecot:1)
dovecot:3|multilog @tai64n stamp inside a syslog file (see dovecot:1)
dovecot:4|multilog @tai64n stamp inside a syslog file (see dovecot:1)
dovecot:56|fail2ban negative test line ("a: a: ... test no match"): a login disconnect with no user=/method=/rip= list at all, so no client to attribute it to
milters:10|message text only, quoted in an issue without its syslog envelope (no timestamp, no program)
milters:11|message text only, quoted in an issue without its syslog envelope (no timestamp, no program)
milters:18|rspamd own log file layout ("YYYY-MM-DD HH:MM:SS #pid(type) <id>; ..."), not syslog: a separate file format (format_rspamd) not implemented yet
milters:19|rspamd own log file layout (see milters:18)
milters:20|rspamd own log file layout (see milters:18)'

pass=0 fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for name in dovecot milters; do
    f="$SHARED/corpora/$name/samples.log"
    "$DUMP" --year 2026 "$f" >"$tmp" 2>&1
    nin=$(wc -l <"$f")
    nout=$(wc -l <"$tmp")
    if [ "$nin" -ne "$nout" ]; then
        echo "FAIL $name: $nin input lines but $nout output lines (one event or UNPARSED each)"
        fail=$((fail + 1))
        continue
    fi
    n=0
    while IFS= read -r out; do
        n=$((n + 1))
        reason=$(printf '%s\n' "$EXPLAINED" | awk -F'|' -v k="$name:$n" '$1 == k { print $2 }')
        case "$out" in
        UNPARSED*)
            echo "UNPARSED $name:$n ${out#UNPARSED }${reason:+ -- explained: $reason}"
            if [ -n "$reason" ]; then pass=$((pass + 1)); else
                echo "FAIL $name:$n unparsed and not explained: $(sed -n "${n}p" "$f")"
                fail=$((fail + 1))
            fi
            ;;
        *)
            if [ -n "$reason" ]; then
                echo "FAIL $name:$n parses now: remove its EXPLAINED entry"
                fail=$((fail + 1))
            else
                pass=$((pass + 1))
            fi
            ;;
        esac
    done <"$tmp"
done
echo "dovecot/milters samples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
