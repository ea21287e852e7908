#!/bin/sh
# bench/run.sh - throughput and peak RSS of `mailsleuth summary` beside wc -l, grep -c and pflogsumm
# on generated Postfix logs. See bench/README.md for how to read the table.
#
#   BUILD=build sh bench/run.sh        (make bench does this)
# Environment:
#   BUILD        build directory holding mailsleuth and bench/gen_postfix (default: build)
#   BENCH_DIR    where the generated logs live (default: /tmp/mailsleuth-bench)
#   BENCH_SEED   generator seed (default: 1)
#   BENCH_SIZES  sizes to run (default: "100M 1G"; empty: only the per-format section)
#   BENCH_RUNS   timed runs per command, the fastest counts (default: 1)
#   BENCH_FULL=1 also run pflogsumm on the 1G file (takes minutes)
#   BENCH_SIZES="1G 4G" to see that search/trace RSS does not grow with finished messages
#   BENCH_FORMATS_SIZE  size of each per-format file (default: 200M; 0 skips the section)
#   BENCH_FORMATS       formats to run (default: all seven of bench/gen_formats)
#   BENCH_PATHO=0       skip the pathological-memory section (bench/pathological.sh)
BUILD=${BUILD:-build}
DIR=${BENCH_DIR:-/tmp/mailsleuth-bench}
SEED=${BENCH_SEED:-1}
SIZES=${BENCH_SIZES-"100M 1G"}
RUNS=${BENCH_RUNS:-1}
GEN=$BUILD/bench/gen_postfix
GENF=$BUILD/bench/gen_formats
DUMP=$BUILD/tests/tools/dump_events
FSIZE=${BENCH_FORMATS_SIZE:-200M}
FORMATS=${BENCH_FORMATS:-"sendmail exim exchange-msgtrk opensmtpd dovecot qmail-multilog m365-csv"}
MS=$BUILD/mailsleuth
TIME=/usr/bin/time
export LC_ALL=C

say() { printf '%s\n' "$*"; }
die() { say "bench: $*" >&2; exit 1; }

[ -x "$GEN" ] || die "$GEN not built (run: make $GEN)"
[ -x "$TIME" ] || die "/usr/bin/time missing (apt-get install time)"
mkdir -p "$DIR" || die "cannot create $DIR"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# The generator's identity: same source + size + seed => same file, so it can be reused.
genver=$(cksum <bench/gen_postfix.c 2>/dev/null | cut -d' ' -f1)

gen_file() { # size -> path (reused when the .meta matches)
    f=$DIR/postfix-$1.log
    want="size=$1 seed=$SEED format=rfc3164 hosts=2 gen=$genver"
    if [ -f "$f" ] && [ -f "$f.meta" ] && [ "$(cat "$f.meta")" = "$want" ]; then
        say "bench: reusing $f" >&2
    else
        say "bench: generating $f ($want)" >&2
        rm -f "$f.meta" "$f.zst"
        "$GEN" --bytes "$1" --seed "$SEED" --format rfc3164 --hosts 2 >"$f" || die "generator failed"
        say "$want" >"$f.meta"
    fi
    echo "$f"
}

# rows are tab-separated: label, seconds, peak RSS KB, status (ok|fail|skip), note
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$tmp/rows"; }

# measure LABEL CMD: run CMD (a shell command line) $RUNS times with stdout discarded;
# appends a row to $tmp/rows (the fastest run counts).
measure() {
    label=$1
    cmd=$2
    best=""
    rss=""
    st=ok
    note=""
    i=0
    while [ $i -lt "$RUNS" ]; do
        i=$((i + 1))
        t0=$(date +%s%N)
        if ! $TIME -f '%e %M' -o "$tmp/time" sh -c "$cmd" >"$tmp/out" 2>"$tmp/err"; then
            st=fail
            note=$(grep -v '^Command exited' "$tmp/err" | head -n 1 | cut -c1-100)
            [ -n "$note" ] || note=$(grep 'exit' "$tmp/time" | head -n 1)
            break
        fi
        t1=$(date +%s%N)
        sec=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b - a) / 1e9}')
        set -- $(tail -n 1 "$tmp/time")
        if [ -z "$best" ] || awk "BEGIN{exit !($sec < $best)}"; then best=$sec; rss=$2; fi
    done
    [ -n "$best" ] || best=0
    [ -n "$rss" ] || rss=0
    row "$label" "$best" "$rss" "$st" "$note"
    # keep the first output line for the caller (wc/grep counts)
    head -n 1 "$tmp/out" >"$tmp/last"
}

# pflogsumm is slow: one run is enough to see the ratio
measure_once() {
    saved_runs=$RUNS
    RUNS=1
    measure "$1" "$2"
    RUNS=$saved_runs
}

# table BYTES LINES: prints $tmp/rows as a table; "ratio" is tool seconds / mailsleuth seconds
table() {
    awk -F'\t' -v bytes="$1" -v lines="$2" '
    { label[NR] = $1; sec[NR] = $2; rss[NR] = $3; st[NR] = $4; note[NR] = $5
      if ($1 == "mailsleuth summary" && $4 == "ok") ms = $2 }
    END {
        printf "  %-34s %9s %9s %12s %9s %9s\n", "tool", "seconds", "MB/s", "lines/s", "RSS MB", "ratio"
        for (i = 1; i <= NR; i++) {
            if (st[i] != "ok") {
                printf "  %-34s %s: %s\n", label[i], (st[i] == "skip" ? "SKIPPED" : "FAILED"), note[i]
                continue
            }
            s = sec[i] > 0 ? sec[i] : 0.005
            r = ms > 0 ? sprintf("%9.2f", sec[i] / ms) : sprintf("%9s", "-")
            printf "  %-34s %9.3f %9.1f %12.0f %9.1f %s\n", label[i], sec[i],
                   bytes / 1048576 / s, lines / s, rss[i] / 1024, r
        }
    }' "$tmp/rows"
}

# target NAME VALUE LIMIT UNIT
target() {
    awk -v n="$1" -v v="$2" -v l="$3" -v u="$4" 'BEGIN {
        if (v == "") { printf "  target %-40s  (not measured)\n", n; exit }
        printf "  target %-40s  actual %8.2f%s  limit %6.2f%s  %s\n", n, v, u, l, u, (v <= l ? "OK" : "MISSED") }'
}

ms_ok() { [ -x "$MS" ] || return 1; }

say "mailsleuth benchmark  ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc 2>/dev/null || echo ?) CPUs, seed $SEED, runs $RUNS)"
if ! ms_ok; then
    say "NOTE: $MS does not exist yet: its rows are reported as FAILED (build it with make)."
fi

last_file=""
for size in $SIZES; do
    f=$(gen_file "$size") || exit 1
    last_file=$f
    bytes=$(wc -c <"$f")
    cat "$f" >/dev/null   # warm the page cache so every tool reads from memory
    : >"$tmp/rows"

    measure "wc -l" "wc -l '$f'"
    lines=$(cut -d' ' -f1 <"$tmp/last")
    [ -n "$lines" ] || lines=$(wc -l <"$f")
    measure "grep -c status=sent" "grep -c status=sent '$f'"
    if ms_ok; then
        measure "mailsleuth summary" "'$MS' summary '$f'"
        # the same on one core: parse and analysis on one thread (-j 2 is the default here)
        measure "mailsleuth summary -j 1" "'$MS' summary -j 1 '$f'"
        # correlation: a search that keeps nothing, and a trace of one sender's mail
        measure "mailsleuth search status:bounced" "'$MS' search -q -f jsonl 'status:bounced' '$f'"
        addr=$(grep -m1 -o 'from=<[^>]*@[^>]*>' "$f" | sed 's/from=<\(.*\)>/\1/')
        measure "mailsleuth trace <sender>" "'$MS' trace -q '$addr' '$f'"
        measure "mailsleuth hunt (every rule)" "'$MS' hunt -q -f json '$f'"
        # the case store: ingest writes a fresh case (about 4x the log's size, so on sizes of
        # a gigabyte only with BENCH_FULL=1); then one question answered from it
        case $size in
        [0-9]*G|[0-9]*g) [ "${BENCH_FULL:-0}" = 1 ] || { row "mailsleuth ingest --db (SQLite)" 0 0 skip \
            "skipped on $size (the case takes ~4x the log; set BENCH_FULL=1)"; ingest=0; } ;;
        *) ingest=1 ;;
        esac
        if [ "${ingest:-1}" = 1 ]; then
            measure "mailsleuth ingest --db (SQLite)" "rm -f '$tmp/case.sqlite'; '$MS' ingest -q --db '$tmp/case.sqlite' '$f'"
            measure "mailsleuth sql <sender> (case)" "'$MS' sql -q --db '$tmp/case.sqlite' \"SELECT m.qid, r.address, r.outcome FROM messages m JOIN recipients r ON r.message = m.id WHERE m.sender = '$addr'\""
            rm -f "$tmp/case.sqlite"
        fi
        ingest=1
    else
        row "mailsleuth summary" 0 0 fail "$MS not built"
    fi
    if command -v pflogsumm >/dev/null 2>&1; then
        case $size in
        1G|1g|[0-9]*G|[0-9]*g)
            if [ "${BENCH_FULL:-0}" = 1 ]; then measure_once "pflogsumm" "pflogsumm '$f'"
            else row "pflogsumm" 0 0 skip "skipped on $size (set BENCH_FULL=1)"; fi ;;
        *) measure_once "pflogsumm" "pflogsumm '$f'" ;;
        esac
    else
        row "pflogsumm" 0 0 fail "pflogsumm not installed (apt-get install pflogsumm)"
    fi

    say ""
    say "== $f: $(awk -v b="$bytes" 'BEGIN{printf "%.1f MB", b/1048576}'), $lines lines"
    table "$bytes" "$lines"
    ms_s=$(awk -F'\t' '$1 == "mailsleuth summary" && $4 == "ok" {print $2}' "$tmp/rows")
    ms1_s=$(awk -F'\t' '$1 == "mailsleuth summary -j 1" && $4 == "ok" {print $2}' "$tmp/rows")
    ms_rss=$(awk -F'\t' '$1 == "mailsleuth summary" && $4 == "ok" {print $3/1024}' "$tmp/rows")
    se_s=$(awk -F'\t' '$1 ~ /^mailsleuth search/ && $4 == "ok" {print $2}' "$tmp/rows")
    se_rss=$(awk -F'\t' '$1 ~ /^mailsleuth search/ && $4 == "ok" {print $3/1024}' "$tmp/rows")
    grep_s=$(awk -F'\t' '$1 ~ /^grep/ && $4 == "ok" {print $2}' "$tmp/rows")
    ratio=""
    [ -n "$ms_s" ] && [ -n "$grep_s" ] && ratio=$(awk -v a="$ms_s" -v b="$grep_s" 'BEGIN{if (b < 0.01) b = 0.01; print a/b}')
    target "summary time / grep -c time" "$ratio" 2 "x"
    target "summary peak RSS" "$ms_rss" 150 " MB"
    sratio=""
    [ -n "$ms_s" ] && [ -n "$se_s" ] && sratio=$(awk -v a="$se_s" -v b="$ms_s" 'BEGIN{if (b < 0.01) b = 0.01; print a/b}')
    target "search time / summary time" "$sratio" 2 "x"
    hu_s=$(awk -F'\t' '$1 ~ /^mailsleuth hunt/ && $4 == "ok" {print $2}' "$tmp/rows")
    hratio=""
    [ -n "$ms_s" ] && [ -n "$hu_s" ] && hratio=$(awk -v a="$hu_s" -v b="$ms_s" 'BEGIN{if (b < 0.01) b = 0.01; print a/b}')
    target "hunt time / summary time" "$hratio" 1.5 "x"
    tr_s=$(awk -F'\t' '$1 ~ /^mailsleuth trace/ && $4 == "ok" {print $2}' "$tmp/rows")
    tratio=""
    [ -n "$ms_s" ] && [ -n "$tr_s" ] && tratio=$(awk -v a="$tr_s" -v b="$ms_s" 'BEGIN{if (b < 0.01) b = 0.01; print a/b}')
    target "trace time / summary time" "$tratio" 1.5 "x"
    in_s=$(awk -F'\t' '$1 ~ /^mailsleuth ingest/ && $4 == "ok" {print $2}' "$tmp/rows")
    iratio=""
    [ -n "$ms_s" ] && [ -n "$in_s" ] && iratio=$(awk -v a="$in_s" -v b="$ms_s" 'BEGIN{if (b < 0.01) b = 0.01; print a/b}')
    # issue 10: ingest at 80 % of summary's throughput or better
    target "ingest time / summary time" "$iratio" 1.25 "x"
    # -j 2 against -j 1: the speed-up must be at least 1.7 (written as -j 2 time / -j 1 time)
    jratio=""
    [ -n "$ms_s" ] && [ -n "$ms1_s" ] && jratio=$(awk -v a="$ms_s" -v b="$ms1_s" 'BEGIN{if (b < 0.01) b = 0.01; print a/b}')
    target "summary -j 2 time / -j 1 time" "$jratio" 0.59 "x"
    say "  search peak RSS on $size: ${se_rss:-?} MB (must not grow with size: compare sizes)"
done

# compressed input: the largest file, zstd-compressed once
if [ -n "$last_file" ]; then
    if ! command -v zstd >/dev/null 2>&1; then
        say ""
        say "== zstd: not installed (apt-get install zstd): compressed-input rows skipped"
    else
        z=$last_file.zst
        if [ ! -f "$z" ] || [ "$z" -ot "$last_file" ]; then
            say "bench: compressing $last_file" >&2
            zstd -q -T0 -f "$last_file" -o "$z" || die "zstd failed"
        fi
        bytes=$(wc -c <"$last_file")
        zbytes=$(wc -c <"$z")
        : >"$tmp/rows"
        measure "zstd -dc | wc -l" "zstd -dc '$z' | wc -l"
        lines=$(cut -d' ' -f1 <"$tmp/last")
        if ms_ok; then
            measure "mailsleuth summary FILE.zst" "'$MS' summary '$z'"
        else
            row "mailsleuth summary FILE.zst" 0 0 fail "$MS not built"
        fi
        say ""
        say "== $z: $(awk -v b="$zbytes" 'BEGIN{printf "%.1f MB", b/1048576}') compressed; MB/s and lines/s are of the uncompressed $(awk -v b="$bytes" 'BEGIN{printf "%.1f MB", b/1048576}')"
        table "$bytes" "${lines:-0}"
        ms_s=$(awk -F'\t' '$1 ~ /^mailsleuth/ && $4 == "ok" {print $2}' "$tmp/rows")
        z_s=$(awk -F'\t' '$1 ~ /^zstd/ && $4 == "ok" {print $2}' "$tmp/rows")
        ratio=""
        [ -n "$ms_s" ] && [ -n "$z_s" ] && ratio=$(awk -v a="$ms_s" -v b="$z_s" 'BEGIN{if (b < 0.01) b = 0.01; print a/b}')
        target "summary .zst time / zstd -dc|wc -l time" "$ratio" 1.3 "x"
    fi
fi

# Per-format parsing speed: one generated file per format (bench/gen_formats), checked first
# (dump_events over its first 20000 lines: every line must give an event), then timed:
# `mailsleuth summary FILE` beside `grep -c` of a word every record of the format has.
if [ "$FSIZE" != 0 ] && [ -n "$FORMATS" ]; then
    say ""
    say "== per-format parsing speed: $FSIZE per format, seed $SEED, runs $RUNS"
    if [ ! -x "$GENF" ]; then
        say "  FAILED: $GENF not built (run: make $GENF)"
    else
        fgenver=$(cksum <bench/gen_formats.c 2>/dev/null | cut -d' ' -f1)
        : >"$tmp/fmt"
        for fmt in $FORMATS; do
            f=$DIR/$fmt-$FSIZE.log
            want="format=$fmt size=$FSIZE seed=$SEED gen=$fgenver"
            if [ -f "$f" ] && [ -f "$f.meta" ] && [ "$(cat "$f.meta")" = "$want" ]; then
                say "bench: reusing $f" >&2
            else
                say "bench: generating $f ($want)" >&2
                rm -f "$f.meta"
                "$GENF" --format "$fmt" --bytes "$FSIZE" --seed "$SEED" >"$f" ||
                    { say "  $fmt: FAILED: generator"; continue; }
                say "$want" >"$f.meta"
            fi
            # the quick check: the first 20000 lines through the real pipeline
            head -n 20000 "$f" >"$tmp/head.log"
            if [ -x "$DUMP" ]; then
                "$DUMP" "$tmp/head.log" >"$tmp/head.out" 2>/dev/null
                un=$(grep -c '^UNPARSED' "$tmp/head.out")
                say "  check $fmt: dump_events on the first $(wc -l <"$tmp/head.log" | tr -d ' ') lines: $un unparsed $( [ "$un" = 0 ] && echo OK || echo FAILED)"
                [ "$un" = 0 ] || grep -m 3 '^UNPARSED' "$tmp/head.out" | sed 's/^/    /'
            else
                say "  check $fmt: SKIPPED ($DUMP not built)"
            fi
            # a word every record of the format carries, for grep -c
            case $fmt in
            sendmail) word='sm-mta' ;; exim) word='^20' ;; exchange-msgtrk) word='Email' ;;
            opensmtpd) word='smtpd' ;; dovecot) word='dovecot' ;; qmail-multilog) word='@4000' ;;
            m365-csv) word='onmicrosoft' ;; *) word='e' ;;
            esac
            bytes=$(wc -c <"$f")
            cat "$f" >/dev/null
            : >"$tmp/rows"
            measure "grep -c" "grep -c '$word' '$f'"
            lines=$(wc -l <"$f" | tr -d ' ')
            if ms_ok; then
                measure "mailsleuth summary" "'$MS' summary '$f'"
                nu=$(sed -n 's/.* \([0-9][0-9]*\) lines not understood.*/\1/p' "$tmp/out" |
                    head -n 1)
            else
                row "mailsleuth summary" 0 0 fail "$MS not built"
                nu=""
            fi
            awk -F'\t' -v fmt="$fmt" -v bytes="$bytes" -v lines="$lines" -v nu="${nu:-?}" '
                $1 == "grep -c" && $4 == "ok" { g = $2 }
                $1 == "mailsleuth summary" { ms = $2; rss = $3; st = $4; note = $5 }
                END {
                    if (st != "ok") { printf "%s\tFAILED: %s\n", fmt, note; exit }
                    s = ms > 0 ? ms : 0.005
                    printf "%s\t%.1f\t%d\t%.3f\t%.1f\t%.0f\t%.1f\t%.3f\t%.2f\t%s\n", fmt,
                           bytes / 1048576, lines, ms, bytes / 1048576 / s, lines / s,
                           rss / 1024, g, (g > 0.005 ? ms / g : ms / 0.005), nu
                }' "$tmp/rows" >>"$tmp/fmt"
        done
        say ""
        awk -F'\t' 'BEGIN {
                printf "  %-16s %8s %10s %9s %8s %11s %8s %9s %8s %10s\n", "format", "MB",
                       "lines", "seconds", "MB/s", "lines/s", "RSS MB", "grep -c s", "sum/grep",
                       "not underst."
            }
            NF == 2 { printf "  %-16s %s\n", $1, $2; next }
            { printf "  %-16s %8.1f %10d %9.3f %8.1f %11.0f %8.1f %9.3f %7.2fx %10s\n",
                     $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$tmp/fmt"
    fi
fi

# The watch loop (bench/watch_bench.py): idle CPU, line -> alert latency on the real attack
# capture, and a burst of the first generated size appended at once.  BENCH_WATCH=0 skips it.
if [ "${BENCH_WATCH:-1}" != 0 ] && [ -x "$MS" ] && command -v python3 >/dev/null 2>&1; then
    say ""
    say "watch (idle CPU, latency, burst):"
    burst=""
    for size in $SIZES; do
        burst=$DIR/postfix-$size.log
        break
    done
    [ -f "$burst" ] || burst=""
    python3 bench/watch_bench.py "$MS" tests/corpus/hunt/maillog $burst | sed 's/^/  /'
fi
# Memory under pathological logs (bench/pathological.sh): open messages, distinct failing
# clients, open sessions; BENCH_PATHO=0 skips, PATHO_SCALE=10 shrinks the counts.
if [ "${BENCH_PATHO:-1}" != 0 ]; then
    say ""
    BUILD=$BUILD BENCH_DIR=$DIR sh bench/pathological.sh
fi
