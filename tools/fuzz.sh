#!/bin/sh
# tools/fuzz.sh smoke|long - runs every libFuzzer target of tests/fuzz/ (make fuzz-smoke,
# make fuzz-long).  Needs clang with -fsanitize=fuzzer (Debian: clang and libclang-rt-dev);
# without it, says so and exits 0, so CI on a machine without clang still passes.
#   smoke  FUZZ_SECONDS (8) per target; new inputs go to a scratch directory, the saved
#          corpus is only read.  A crash, leak, sanitizer report or timeout fails the run.
#   long   FUZZ_SECONDS (600) per target; afterwards the inputs that reach new code are
#          merged (libFuzzer -merge=1) into tests/fuzz/corpus/<target>, ready to commit.
# Crashing inputs are saved as build-fuzz/artifacts/<target>/crash-*: copy one into
# tests/fuzz/corpus/<target>/ with the fix, so make check replays it from then on.
set -u
mode=${1:-smoke}
case "$mode" in
smoke) secs=${FUZZ_SECONDS:-8} ;;
long) secs=${FUZZ_SECONDS:-600} ;;
*) echo "usage: tools/fuzz.sh smoke|long" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.." || exit 2
CC=${FUZZ_CC:-clang}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
    'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; return (int)(n & 0); }' \
    >"$probe/p.c"
if ! command -v "$CC" >/dev/null 2>&1 ||
    ! "$CC" -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" >/dev/null 2>&1; then
    echo "fuzz-$mode: skipped: $CC with -fsanitize=fuzzer is not available (Debian: apt-get install clang)"
    exit 0
fi
mkdir -p build-fuzz
${MAKE:-make} -j2 fuzz >build-fuzz/build.log 2>&1 ||
    { tail -20 build-fuzz/build.log; echo "fuzz-$mode: build failed"; exit 1; }
failed=""
n=0
for src in tests/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    corpus=tests/fuzz/corpus/$t
    mkdir -p "$corpus" "build-fuzz/artifacts/$t" "build-fuzz/new/$t"
    [ "$mode" = smoke ] && rm -rf "build-fuzz/new/$t" && mkdir -p "build-fuzz/new/$t"
    # -timeout: one input slower than this is a hang; -rss_limit_mb: a bomb is a failure
    "build-fuzz/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/artifacts/$t/" "build-fuzz/new/$t" "$corpus" \
        >"build-fuzz/$t.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/$t.log")
    if [ $rc -ne 0 ]; then
        failed="$failed $t"
        echo "fuzz-$mode: $t FAILED (exit $rc), see build-fuzz/$t.log and build-fuzz/artifacts/$t/"
        grep -m 3 -E 'ERROR|SUMMARY|invariant' "build-fuzz/$t.log"
    else
        echo "fuzz-$mode: $t ok, ${runs:-?} runs in ${secs} s"
    fi
    if [ "$mode" = long ] && [ $rc -eq 0 ]; then
        before=$(ls "$corpus" | wc -l)
        "build-fuzz/$t" -merge=1 "$corpus" "build-fuzz/new/$t" >"build-fuzz/$t.merge.log" 2>&1
        echo "fuzz-long: $t corpus $before -> $(ls "$corpus" | wc -l) inputs"
    fi
    n=$((n + 1))
done
if [ -n "$failed" ]; then
    echo "fuzz-$mode: $n targets, failed:$failed"
    exit 1
fi
echo "fuzz-$mode: $n targets, none failed"
