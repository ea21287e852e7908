#!/bin/sh
# -j 1 (parse and analyse on one thread) and -j 2 (parse on one, analyse on another) give
# byte-identical answers on every real capture and corpus, for every command; the JSON
# provenance records the command line, so it is left out of the comparison.
. "$(dirname "$0")/testlib.inc"
C=tests/corpus
inputs="$C/postfix/maillog $C/postfix-multihop $C/chain $C/sendmail-dovecot/maillog $C/hunt/maillog samples"
[ -d "$CORPORA/lightmeter-controlcenter/individual_files" ] &&
    inputs="$inputs $CORPORA/lightmeter-controlcenter/individual_files"
[ -d "$CORPORA/exchange-msgtrk" ] && inputs="$inputs $CORPORA/exchange-msgtrk"

same() { # same NAME CMD...: the command's output at -j 1 and -j 2
    name=$1
    shift
    "$MS" "$@" -j 1 >"$TMPD/j1" 2>"$TMPD/e1"
    r1=$?
    "$MS" "$@" -j 2 >"$TMPD/j2" 2>"$TMPD/e2"
    r2=$?
    check "$name: exit status -j 1 = -j 2" "$r2" "$r1"
    for f in j1 j2; do # provenance names the command line
        jq -c 'del(.provenance)' "$TMPD/$f" >"$TMPD/$f.n" 2>/dev/null || cp "$TMPD/$f" "$TMPD/$f.n"
    done
    if cmp -s "$TMPD/j1.n" "$TMPD/j2.n"; then T_PASS=$((T_PASS + 1)); else
        T_FAIL=$((T_FAIL + 1)); echo "FAIL $name: -j 1 and -j 2 differ"
        diff "$TMPD/j1.n" "$TMPD/j2.n" | head -5; fi
    case "$name" in *sessions*) ;; # a tracking log has none
    *) check "$name: output not empty" "$([ -s "$TMPD/j1" ] && echo yes)" yes ;; esac
}

for in in $inputs; do
    n=${in##*/}
    same "$n summary" summary -q --tz UTC --year 2021 "$in"
    same "$n summary json" summary -q -f json --tz UTC --year 2021 "$in"
    same "$n search recipients" search --recipients -q -f jsonl --tz UTC --year 2021 'qid:*' "$in"
    same "$n search sessions" search --sessions -q -f jsonl --tz UTC --year 2021 'ip:*' "$in"
    same "$n timeline" timeline -q -f jsonl --tz UTC --year 2021 "$in"
    same "$n hunt" hunt -q -f json --tz UTC --year 2021 "$in"
    same "$n trace" trace -q -f json --tz UTC --year 2021 --expr 'qid:*' "$in"
done
# the sink may stop a run early (search's first error, hunt --fail-on): same status
same "unreadable input" summary -q --tz UTC "$TMPD/does-not-exist"
check_rc "-j 0 is a usage error" "$("$MS" summary -j 0 samples >/dev/null 2>&1; echo $?)" 2

finish "threads"
