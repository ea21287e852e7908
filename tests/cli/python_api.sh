#!/bin/sh
# The Python binding (python/mailsleuth, ctypes) on the real captures against the CLI's own
# JSON (tests/cli/python_api.py computes both), from the source tree and from an installed
# tree (make install PREFIX=stage: the package finds the library next to itself).  A
# generated 100 MB log checks that records stream with bounded memory (without sanitizers;
# under them Python loads the sanitizer runtime first and runs the captures only).
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD:-build}
case $B in /*) ;; *) B="$ROOT/$B" ;; esac
SO="$B/libmailsleuth.so.0"
if ! command -v python3 >/dev/null; then
    skip "no python3"; finish python-api; exit
fi
if [ ! -f "$SO" ]; then
    skip "libmailsleuth.so.0 not built (make check builds it)"; finish python-api; exit
fi
SAN=$(readelf -d "$SO" | sed -n 's/.*Shared library: \[\(lib[a-z]*san\.so[.0-9]*\)\].*/\1/p' | head -n 1)
# the interpreter itself, not a wrapper script (pyenv shims) that LD_PRELOAD would also hit
PY=$(python3 -c 'import sys; print(sys.executable)')
PRELOAD=
if [ -n "$SAN" ]; then
    # python3 is not instrumented: the sanitizer runtime must be loaded before everything
    PRELOAD=$(cc -print-file-name="$SAN")
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" # the interpreter's own
    export ASAN_OPTIONS
fi
py() { LD_PRELOAD="$PRELOAD" "$PY" "$@"; }
GEN=
if [ -z "$SAN" ] && [ -x "$B/bench/gen_postfix" ]; then
    GEN="$TMPD/gen.log"
    "$B/bench/gen_postfix" --bytes 100M --hosts 3 >"$GEN"
fi
MAILSLEUTH_LIB="$SO" PYTHONPATH="$ROOT/python" py "$ROOT/tests/cli/python_api.py" \
    "$MS" "$ROOT/tests/corpus" $GEN >"$TMPD/py.out" 2>&1
rc=$?
cat "$TMPD/py.out"
res=$(tail -n 1 "$TMPD/py.out")
case $res in
"python-api: "*" passed, 0 failed") check "binding vs CLI ($res)" "$rc" 0 ;;
*) check "binding vs CLI" "$res" "python-api: N passed, 0 failed" ;;
esac
[ -n "$GEN" ] || skip "100 MB streaming check (${SAN:-no gen_postfix}: runs without sanitizers)"
rm -f "$TMPD/gen.log"

# from an installed tree, no MAILSLEUTH_LIB: the package finds lib/libmailsleuth.so.0
STAGE="$TMPD/stage"
if make -s -C "$ROOT" O="${BUILD:-build}" install PREFIX="$STAGE" >"$TMPD/inst.log" 2>&1; then
    PKG="$STAGE/lib/python3/dist-packages"
    check "installed package" "$(test -f "$PKG/mailsleuth/__init__.py" && echo yes)" yes
    (cd "$TMPD" && env -u MAILSLEUTH_LIB PYTHONPATH="$PKG" LD_PRELOAD="$PRELOAD" "$PY" -c '
import sys, mailsleuth, os
n = sum(1 for m in mailsleuth.open(sys.argv[1], tz="UTC") if m.get("sasl_user"))
lib = mailsleuth._library()._name
print(n, os.path.realpath(lib).startswith(os.path.realpath(sys.argv[2])))
' "$ROOT/tests/corpus/hunt/maillog" "$STAGE") >"$TMPD/inst.out" 2>&1
    want=$("$MS" search -q --tz UTC -f jsonl 'user:*' "$ROOT/tests/corpus/hunt/maillog" | wc -l)
    check "installed tree: authenticated messages, from the installed library" \
        "$(cat "$TMPD/inst.out")" "$want True"
    # the README's investigator example, run as written
    sed -n '/^```python$/,/^```$/p' "$ROOT/python/README.md" | sed '1d;$d' >"$TMPD/readme.py"
    (cd "$ROOT" && env -u MAILSLEUTH_LIB PYTHONPATH="$PKG" LD_PRELOAD="$PRELOAD" "$PY" "$TMPD/readme.py" \
        tests/corpus/hunt/maillog) >"$TMPD/readme.out" 2>&1
    check_rc "python/README.md's example runs" $? 0
    check_grep "README example: bob's burst from 127.0.0.7" "127.0.0.7" "$TMPD/readme.out"
else
    check "make install PREFIX=stage" "$(tail -n 3 "$TMPD/inst.log")" ""
fi
finish python-api
