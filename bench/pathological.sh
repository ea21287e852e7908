#!/bin/sh
# bench/pathological.sh - peak memory of summary, trace and hunt on logs built to hold as
# much open state as possible (issue 17, "memory under pathological logs"):
#   never-closing   N_MSG messages (default 2 M) that are queued and never leave: one real
#                   Postfix qmgr line each ("from=<...>, size=..., nrcpt=1 (queue active)")
#   failing-ips     N_IP distinct client addresses (default 1 M) each failing SASL once
#   open-sessions   N_SESS sessions (default 1 M) connected and never disconnected, one
#                   smtpd pid each
# Each line is shaped like the real capture's (tests/corpus/postfix/maillog).  For every
# run: seconds, peak RSS (GNU time), and whether the output states a cap or a drop (a line
# saying "table full", "not tracked", "capped" ...), so a silent drop shows.
#   BUILD=build sh bench/pathological.sh     (bench/run.sh calls it; BENCH_PATHO=0 skips)
# Environment: BENCH_DIR (default /tmp/mailsleuth-bench), PATHO_SCALE (divides the counts:
# 10 for a quick look), N_MSG, N_IP, N_SESS, PATHO_TIMEOUT (900 s per run).
BUILD=${BUILD:-build}
DIR=${BENCH_DIR:-/tmp/mailsleuth-bench}
SCALE=${PATHO_SCALE:-1}
N_MSG=${N_MSG:-$((2000000 / SCALE))}
N_IP=${N_IP:-$((1000000 / SCALE))}
N_SESS=${N_SESS:-$((1000000 / SCALE))}
LIMIT=${PATHO_TIMEOUT:-900} # seconds a run may take before it is reported as TIMEOUT
MS=$BUILD/mailsleuth
TIME=/usr/bin/time
export LC_ALL=C
[ -x "$MS" ] || { echo "pathological: $MS not built" >&2; exit 1; }
[ -x "$TIME" ] || { echo "pathological: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
mkdir -p "$DIR" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

gen() { # kind count -> file (reused when its .meta matches)
    f=$DIR/patho-$1-$2.log
    want="kind=$1 n=$2 gen=2"
    if ! [ -f "$f" ] || [ "$(cat "$f.meta" 2>/dev/null)" != "$want" ]; then
        echo "pathological: generating $f" >&2
        python3 - "$1" "$2" >"$f" <<'PY' || exit 1
import sys
kind, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout
def stamp(i, per_s):
    s = 13 * 3600 + i // per_s
    return "Nov 27 %02d:%02d:%02d" % (s // 3600 % 24, s // 60 % 60, s % 60)
def ip(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
w = []
for i in range(n):
    if kind == "never-closing":
        w.append("%s mx1 postfix/qmgr[5249]: %011X: from=<sender%d@partner.test>, size=1661, "
                 "nrcpt=1 (queue active)\n" % (stamp(i, 60), i + 1, i))
    elif kind == "failing-ips":
        w.append("%s mx1 postfix/submission/smtpd[5830]: warning: unknown[%s]: SASL LOGIN "
                 "authentication failed: authentication failure, sasl_username=user%d@example.test\n"
                 % (stamp(i, 30), ip(i), i % 1000))
    else:
        w.append("%s mx1 postfix/smtpd[%d]: connect from unknown[%s]\n"
                 % (stamp(i, 30), 10000 + i, ip(i)))
    if len(w) >= 10000:
        out.write("".join(w)); w = []
out.write("".join(w))
PY
        echo "$want" >"$f.meta"
    fi
    echo "$f"
}

run() { # label file cmd...
    label=$1 f=$2
    shift 2
    if ! $TIME -f '%e %M' -o "$tmp/time" timeout "$LIMIT" "$@" "$f" >"$tmp/out" 2>"$tmp/err"; then
        rc=$(sed -n 's/.*non-zero status \([0-9]*\).*/exit \1/p' "$tmp/time" | head -n 1)
        [ "$rc" = "exit 124" ] && rc="TIMEOUT"
        [ -n "$rc" ] || rc="failed"
    else
        rc="exit 0"
    fi
    set -- $(tail -n 1 "$tmp/time")
    # the words every cap note uses (hunt: "key table full (N); M ... not tracked")
    caps=$(cat "$tmp/out" "$tmp/err" |
        grep -i -m 1 -E 'table full|not tracked|not kept|capped|window full' | cut -c1-70)
    printf '  %-34s %8s s %9.1f MB  %-14s %s\n' "$label" "$1" "$(echo "$2" | awk '{print $1 / 1024}')" \
        "$rc" "${caps:-no cap stated}"
}

echo "== pathological state (peak RSS; 'no cap stated' = nothing was capped, or a drop was silent)"
for spec in "never-closing $N_MSG sender1@partner.test" "failing-ips $N_IP 10.0.0.1" \
    "open-sessions $N_SESS 10.0.0.1"; do
    set -- $spec
    f=$(gen "$1" "$2") || exit 1
    kind=$1 n=$2 q=$3
    printf '%s: %s lines, %s MB\n' "$kind" "$n" "$(du -m "$f" | cut -f1)"
    run "summary" "$f" "$MS" summary --tz UTC
    run "trace $q" "$f" "$MS" trace --tz UTC "$q"
    run "hunt" "$f" "$MS" hunt --tz UTC
done
