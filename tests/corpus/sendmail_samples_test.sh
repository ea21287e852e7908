#!/bin/sh
# sendmail_samples_test.sh - the real Sendmail lines of the shared corpora through the real
# pipeline (dump_events): $SHARED/corpora/sendmail/samples.log, and the Sendmail lines with a
# full syslog header from the Wazuh / OSSEC rule tests.  Every line must give an event, or be
# unparsed for a reason listed below as explained; each UNPARSED line is printed with its
# reason.  Also checks a few facts the lines carry (kinds, queue-id times, the DSN link).
. "$(dirname "$0")/../cli/testlib.inc"
BUILD=${BUILD:-build}
TOOL="$BUILD/tests/tools/dump_events"
SAMPLES="$CORPORA/sendmail/samples.log"
if [ ! -f "$SAMPLES" ]; then
    echo "sendmail samples: 0 passed, 0 failed, 1 skipped"
    exit 0
fi

# Explained reasons: "no timestamp" for lines whose source had the syslog header stripped
# (they start with the queue id or NOQUEUE: samples.log 67-69, from lua_sandbox_extensions).
explained() { # reason line
    case "$1" in
    "no timestamp")
        case "$2" in
        NOQUEUE:*|[0-9A-Za-z][0-9A-Za-z][0-9A-Za-z][0-9A-Za-z][0-9A-Za-z][0-9A-Za-z][0-9A-Za-z][0-9A-Za-z][0-9]*:*)
            return 0 ;;
        esac ;;
    esac
    return 1
}

# one input file -> per line: pass, or an explained / unexplained UNPARSED line
run_file() { # name file
    "$TOOL" --per-line --year 2021 "$2" >"$TMPD/out" 2>"$TMPD/err"
    check "$1: dump_events runs" $? 0
    check "$1: one result per line" "$(wc -l <"$TMPD/out")" "$(wc -l <"$2")"
    n=0 unparsed=0
    while IFS= read -r line <&3 && IFS= read -r res <&4; do
        n=$((n + 1))
        case "$res" in
        UNPARSED*)
            unparsed=$((unparsed + 1))
            reason=${res#UNPARSED why=\"}
            reason=${reason%\"}
            if explained "$reason" "$line"; then
                T_PASS=$((T_PASS + 1))
                echo "UNPARSED (explained: $reason) $1:$n: $line"
            else
                T_FAIL=$((T_FAIL + 1))
                echo "FAIL UNPARSED ($reason) $1:$n: $line"
            fi ;;
        *) T_PASS=$((T_PASS + 1)) ;;
        esac
    done 3<"$2" 4<"$TMPD/out"
    echo "$1: $n lines, $unparsed unparsed"
}

run_file samples.log "$SAMPLES"
cp "$TMPD/out" "$TMPD/samples.out"
count() { grep -c "^kind=$1 " "$TMPD/samples.out"; }
# 4 from= lines have a syslog header; 3 of them say nrcpts=0 (every recipient refused before
# DATA): no message was accepted, so they are INFO, not RECEIVED
check "samples: RECEIVED events" "$(count RECEIVED)" 1
check "samples: nrcpts=0 receipts are no message" \
    "$(grep -c 'kind=INFO .*detail="no message: no recipient accepted (nrcpts=0)"' "$TMPD/samples.out")" 3
check "samples: DELIVERY events" "$(count DELIVERY)" 4
check "samples: AUTH_FAIL events" "$(count AUTH_FAIL)" 10
check "samples: no-MAIL disconnects" "$(grep -c 'kind=DISCONNECT .*detail="no MAIL"' \
    "$TMPD/samples.out")" 7
check "samples: relaying denied" "$(grep -c 'detail="relaying denied"' "$TMPD/samples.out")" 3
# s1GNXHYB005133 = 2014-02-16 23:33:17 UTC (corpora/sendmail/SOURCES.md)
check_grep "samples: queue-id time" "qid=s1GNXHYB005133 qid_time=2014-02-16T23:33:17.000000Z" \
    "$TMPD/samples.out"
check "samples: every queue id decodes" "$(grep 'qid=' "$TMPD/samples.out" | grep -vc qid_time=)" 0

# Wazuh / OSSEC rule tests: "log N pass = <raw line>" lines with a syslog header.
found=0
for ini in "$CORPORA"/wazuh-ruleset/*/*sendmail*.ini "$CORPORA"/ossec-hids/*sendmail*.ini; do
    [ -f "$ini" ] || continue
    sed -n 's/^log [0-9][0-9]* [a-z]* = //p' "$ini" |
        grep -E '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [^ ]+ (sendmail|sm-[a-z-]+)\[' \
            >"$TMPD/rules.log"
    [ -s "$TMPD/rules.log" ] || continue
    found=$((found + 1))
    run_file "$(basename "$ini")" "$TMPD/rules.log"
done
[ "$found" -gt 0 ] || skip "no Wazuh/OSSEC Sendmail lines with a syslog header"
finish "sendmail samples"
