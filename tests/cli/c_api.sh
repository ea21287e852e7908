#!/bin/sh
# The C API (include/mailsleuth/api.h) through libmailsleuth.so, on the real captures:
#  - the library's soname, and that it exports exactly the MSL_API declarations of api.h;
#    the CLI (static) does not carry the API;
#  - every record kind the API returns is byte for byte the JSON the CLI writes for it
#    (search, search --recipients/--sessions/--events -f jsonl, hunt -f jsonl), one thread
#    or two, with and without a search filter; trace is trace --expr -f json's story;
#  - field and evidence accessors agree with that JSON; errors come back as codes and
#    messages; closing while the producer runs is clean;
#  - examples/auth_senders.c gives what search says, built in the tree and built from an
#    installed tree with pkg-config;
#  - memory stays bounded: a generated 100 MB log, peak RSS (skipped under sanitizers,
#    which run a 5 MB one).
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD:-build}
case $B in /*) ;; *) B="$ROOT/$B" ;; esac
SO="$B/libmailsleuth.so.0"
P="$B/tests/api/api_probe"
EX="$B/examples/auth_senders"
if [ ! -f "$SO" ] || [ ! -x "$P" ] || [ ! -x "$EX" ]; then
    skip "libmailsleuth.so.0 or the API programs not built (make check builds them)"
    finish c_api; exit
fi
LD_LIBRARY_PATH="$B${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
CAP="$ROOT/tests/corpus"

# --- the library's face ---
check "soname" "$(readelf -d "$SO" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')" \
    "libmailsleuth.so.0"
sed -n 's/^MSL_API [^(]*[ *]\(msl_api_[a-z_]*\)(.*/\1/p' "$ROOT/include/mailsleuth/api.h" |
    LC_ALL=C sort >"$TMPD/declared"
nm -D --defined-only "$SO" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | LC_ALL=C sort >"$TMPD/exported"
check "declared API functions found" "$(test "$(wc -l <"$TMPD/declared")" -ge 15 && echo yes)" yes
check "exports exactly api.h's MSL_API functions" "$(diff "$TMPD/declared" "$TMPD/exported")" ""
check "the static CLI carries no API code" "$(nm "$MS" 2>/dev/null | grep -c ' msl_api_')" "0"
SAN=$(readelf -d "$SO" | sed -n 's/.*Shared library: \[lib\([a-z]*san\)\.so.*/\1/p' | head -n 1)

# --- records: the CLI's JSON, every kind, every capture ---
ALL='NOT qid:no-such-id'
for cap in hunt/maillog hunt-exim/mainlog hunt-sendmail/maillog hunt-opensmtpd/maillog \
           postfix-multihop; do
    L="$CAP/$cap"
    [ -e "$L" ] || { skip "$cap absent"; continue; }
    for k in m r s e; do
        case $k in m) f= ;; r) f=--recipients ;; s) f=--sessions ;; e) f=--events ;; esac
        "$MS" search -q --tz UTC -f jsonl $f "$ALL" "$L" | LC_ALL=C sort >"$TMPD/cli.$k"
        for j in 1 2; do
            "$P" dump $k UTC "$ALL" $j "$L" | LC_ALL=C sort >"$TMPD/api.$k"
            check "$cap $k -j$j: same records as search $f" \
                "$(cmp -s "$TMPD/cli.$k" "$TMPD/api.$k" && wc -l <"$TMPD/api.$k")" \
                "$(wc -l <"$TMPD/cli.$k")"
        done
    done
    "$MS" search -q --tz UTC -f jsonl "$ALL" "$L" | LC_ALL=C sort >"$TMPD/cli.m"
    check "$cap has messages" "$(test -s "$TMPD/cli.m" && echo yes)" yes
    "$MS" hunt -q --tz UTC -f jsonl "$L" | grep '^{"type":"finding"' >"$TMPD/cli.f"
    "$P" dump f UTC - 2 "$L" >"$TMPD/api.f"
    check "$cap findings: hunt -f jsonl's, in its order" \
        "$(cmp -s "$TMPD/cli.f" "$TMPD/api.f" && wc -l <"$TMPD/api.f")" "$(wc -l <"$TMPD/cli.f")"
done
L="$CAP/hunt/maillog"
check "hunt capture has findings" "$("$P" dump f UTC - 0 "$L" | grep -c '"rule":"auth-bruteforce"')" 1
# all kinds at once: each kind's records come out as when asked alone
"$P" dump emrsf UTC - 2 "$L" >"$TMPD/mixed"
"$P" dump m UTC - 2 "$L" >"$TMPD/m.only"
check "mixed stream: the messages, in the same order" \
    "$(grep '^{"type":"message"' "$TMPD/mixed" | cmp -s - "$TMPD/m.only" && echo same)" same
check "mixed stream: events first seen before the findings" \
    "$(tail -n 1 "$TMPD/mixed" | grep -c '"type":"finding"')" 1
# the filter
for q in 'user:*' 'from:bob@example.test' 'ip:127.0.0.7 AND status:bounced'; do
    "$MS" search -q --tz UTC -f jsonl "$q" "$L" | LC_ALL=C sort >"$TMPD/cli.q"
    "$P" dump m UTC "$q" 0 "$L" | LC_ALL=C sort >"$TMPD/api.q"
    check "search '$q': the CLI's matches" \
        "$(cmp -s "$TMPD/cli.q" "$TMPD/api.q" && wc -l <"$TMPD/api.q")" "$(wc -l <"$TMPD/cli.q")"
done
check "a filter that matches something" "$(test -s "$TMPD/api.q" && echo yes)" yes
"$MS" search -q --tz UTC --sessions -f jsonl 'ip:127.0.0.7' "$L" | LC_ALL=C sort >"$TMPD/cli.q"
"$P" dump s UTC 'ip:127.0.0.7' 0 "$L" | LC_ALL=C sort >"$TMPD/api.q"
check "session filter: the CLI's matches" "$(cmp -s "$TMPD/cli.q" "$TMPD/api.q" && echo same)" same
# trace
"$P" trace UTC 'from:bob@example.test' "$L" | jq -S 'del(.provenance.command)' >"$TMPD/api.t"
"$MS" trace -q --tz UTC --expr -f json 'from:bob@example.test' "$L" |
    jq -S 'del(.provenance.command)' >"$TMPD/cli.t"
check "trace: trace --expr -f json's story" "$(cmp -s "$TMPD/api.t" "$TMPD/cli.t" && echo same)" same
check "trace matched messages" "$(jq '.messages | length > 10' "$TMPD/api.t")" true

# --- accessors ---
"$P" fields UTC "$L" >"$TMPD/fields"
"$MS" search -q --tz UTC -f jsonl "$ALL" "$L" | jq -r '"\(.qid) size=\(.size // -1) n=\(.recipients | length) first=\(.recipients[0].address // "-") receipt=\(if .receipt_seen then 1 else 0 end) missing=null/-9"' >"$TMPD/fields.cli"
check "field accessors (str, int, bool, len, dotted paths, absent) agree with the JSON" \
    "$(LC_ALL=C sort "$TMPD/fields" | cmp -s - "$(LC_ALL=C sort "$TMPD/fields.cli" >"$TMPD/f2"; echo "$TMPD/f2")" && echo same)" same
"$P" evidence rf UTC "$L" >"$TMPD/ev"
"$P" dump rf UTC - 0 "$L" >"$TMPD/evj"
jq -r 'if .type == "recipient" then "recipient \(([.evidence] + .attempt_evidence) | join(" ")) (\(1 + (.attempt_evidence | length)))" else "finding \([.evidence[].ref] | join(" ")) (\(.evidence | length))" end' "$TMPD/evj" >"$TMPD/ev.json"
check "evidence accessors: the recipients' and findings' cited lines" \
    "$(cmp -s "$TMPD/ev" "$TMPD/ev.json" && wc -l <"$TMPD/ev")" "$(wc -l <"$TMPD/ev.json")"
"$P" evidence e UTC "$L" | awk '{print $2}' >"$TMPD/ev.e"
check "an event's evidence is its own line" "$(sed -n '5p' "$TMPD/ev.e")" "$L:5"
"$P" evidence m UTC "$L" | head -n 1 | awk '{print $NF}' >"$TMPD/ev.m"
first_qid=$("$P" dump m UTC - 0 "$L" | head -n 1 | jq -r .qid)
check "a message's evidence: every line naming its queue id" "$(cat "$TMPD/ev.m")" \
    "($(grep -c " $first_qid: " "$L"))"

# --- errors and early close ---
"$P" errors "$L" >"$TMPD/err" 2>&1
check_grep "unknown zone: usage error, said at open and again at next" \
    "bad zone: status -7 next -7: unknown time zone 'Mars/Olympus'" "$TMPD/err"
check_grep "unreadable rules file" "bad rules: status -2: /nonexistent/rules" "$TMPD/err"
check_grep "bad expression: parse error with the reason" "bad search: -3: bad search expression:" "$TMPD/err"
check_grep "a bad expression does not spoil the handle" "good search after it: 0" "$TMPD/err"
check_grep "search after next is refused" "search after next: -7: msl_api_search must come before" "$TMPD/err"
check_grep "missing input: the records, then EINPUT naming it" \
    "missing input: some records, then -2: 1 input error: /nonexistent/mailsleuth-api-probe" "$TMPD/err"
check_grep "the end status stays" "next again: -2" "$TMPD/err"
check_grep "opts.size checked" "opts.size 1: status -7" "$TMPD/err"
check_grep "no input" "no input: status -7: no input given" "$TMPD/err"
check_grep "NULL handle refused" "null handle: -7 refused" "$TMPD/err"
for n in 0 1 3 300; do
    check "close after $n records with the producer running" \
        "$("$P" early $n UTC "$L" "$CAP/hunt-exim/mainlog" 2>&1)" "read $n, closed"
done

# --- the example, in the tree and from an installed tree ---
"$MS" search -q --tz UTC -f jsonl 'user:*' "$L" | jq -rs 'map([.client_ip // "-", .sasl_user, (if .from == null then "-" elif .from == "" then "<>" else .from end)] | join("\t")) | group_by(.) | map("\(.[0])\t\(length)") | .[]' | LC_ALL=C sort >"$TMPD/auth.cli"
"$EX" UTC "$L" >"$TMPD/auth.api"
check "auth_senders = search 'user:*' grouped by ip, user, sender" \
    "$(cmp -s "$TMPD/auth.cli" "$TMPD/auth.api" && wc -l <"$TMPD/auth.api")" "$(wc -l <"$TMPD/auth.cli")"
check_grep "auth_senders names bob's burst" "127.0.0.7	bob@example.test	bob@example.test	41" "$TMPD/auth.api"
STAGE="$TMPD/stage"
if make -s -C "$ROOT" O="${BUILD:-build}" install PREFIX="$STAGE" >"$TMPD/inst.log" 2>&1; then
    check "installed: .so, links, .a, header, .pc" "$(cd "$STAGE" && ls lib/libmailsleuth.so lib/libmailsleuth.so.0 lib/libmailsleuth.so.0.1.0 lib/libmailsleuth.a include/mailsleuth/api.h lib/pkgconfig/mailsleuth.pc 2>&1 | wc -l)" 6
    check "installed .pc names the prefix" "$(PKG_CONFIG_PATH="$STAGE/lib/pkgconfig" pkg-config --variable=prefix mailsleuth)" "$STAGE"
    sanflag=${SAN:+-fsanitize=$(echo "$SAN" | sed 's/^a/address/; s/^t/thread/; s/^ub/undefined/; s/san$//')}
    # shellcheck disable=SC2046,SC2086
    cc $sanflag -o "$TMPD/auth_installed" "$ROOT/examples/auth_senders.c" \
        $(PKG_CONFIG_PATH="$STAGE/lib/pkgconfig" pkg-config --cflags --libs mailsleuth) \
        >"$TMPD/cc.log" 2>&1
    check_rc "cc \$(pkg-config --cflags --libs mailsleuth) examples/auth_senders.c" $? 0
    LD_LIBRARY_PATH="$STAGE/lib" "$TMPD/auth_installed" UTC "$L" >"$TMPD/auth.inst" 2>&1
    check "the installed build gives the same answer" "$(cmp -s "$TMPD/auth.inst" "$TMPD/auth.cli" && echo same)" same
else
    check "make install PREFIX=stage" "$(tail -n 3 "$TMPD/inst.log")" ""
fi

# --- bounded memory ---
GEN="$B/bench/gen_postfix"
if [ ! -x "$GEN" ]; then
    skip "bench/gen_postfix not built"
elif [ -n "$SAN" ]; then
    "$GEN" --bytes 5M --hosts 2 >"$TMPD/gen.log"
    n=$("$MS" search -q --tz UTC -f jsonl "$ALL" "$TMPD/gen.log" | wc -l)
    check "5 MB generated log (under $SAN): every message" \
        "$("$P" count m UTC "$TMPD/gen.log" | awk '{print $1}')" "$n"
    skip "the 100 MB peak-RSS check runs without sanitizers (their shadow memory is not the library's)"
else
    "$GEN" --bytes 100M --hosts 3 >"$TMPD/gen.log"
    n=$("$MS" search -q --tz UTC -f jsonl "$ALL" "$TMPD/gen.log" | wc -l)
    "$P" count m UTC "$TMPD/gen.log" >"$TMPD/count.m"
    check "100 MB generated log: every message" "$(awk '{print $1}' "$TMPD/count.m")" "$n"
    rss=$(awk '{print $6}' "$TMPD/count.m")
    echo "c_api: 100 MB log, messages: peak RSS $rss KiB ($(awk '{print $3}' "$TMPD/count.m") bytes of JSON returned)"
    check "messages of 100 MB with a peak RSS under 64 MiB" "$(test "$rss" -lt 65536 && echo yes)" yes
    "$P" count e UTC "$TMPD/gen.log" >"$TMPD/count.e"
    rss=$(awk '{print $6}' "$TMPD/count.e")
    echo "c_api: 100 MB log, events: peak RSS $rss KiB ($(awk '{print $1}' "$TMPD/count.e") events)"
    check "every event of 100 MB with a peak RSS under 64 MiB" "$(test "$rss" -lt 65536 && echo yes)" yes
    rm -f "$TMPD/gen.log"
fi
finish c_api
