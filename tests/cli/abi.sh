#!/bin/sh
# ABI discipline for libmailsleuth.so (Debian abigail-tools): the built library is compared
# with the dump kept in the repo (abi/libmailsleuth.abi, made by `make abi-dump`).  A change
# that breaks callers (a function removed, a parameter or a structure changed, a member
# inserted anywhere but at the end of msl_api_opts: abi/libmailsleuth.suppr) fails unless
# the soname changed.  The rule itself is tested on small stand-in libraries built from
# modified copies of api.h: growing at the end passes, inserting in the middle or removing a
# function fails, removing one with a new soname passes.
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${BUILD:-build}
case $B in /*) ;; *) B="$ROOT/$B" ;; esac
SO="$B/libmailsleuth.so.0"
DUMP="$ROOT/abi/libmailsleuth.abi"
SUPPR="$ROOT/abi/libmailsleuth.suppr"
if ! command -v abidiff >/dev/null && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends abigail-tools \
        >"$TMPD/apt.log" 2>&1
fi
if ! command -v abidiff >/dev/null; then
    skip "abidiff not installed (Debian abigail-tools; tools/install-deps.sh installs it) and not root to install it"
    finish abi; exit
fi
if [ ! -f "$SO" ]; then
    skip "libmailsleuth.so.0 not built (make check builds it)"; finish abi; exit
fi
check "the ABI dump is in the repo" "$(test -s "$DUMP" && echo yes)" yes

# verdict OLD_DUMP NEW_LIB: "compatible", "soname bumped" or "BROKEN (abidiff status N)"
verdict() {
    abidiff --no-added-syms --suppressions "$SUPPR" "$1" "$2" >"$TMPD/abidiff.out" 2>&1
    st=$?
    old=$(sed -n "1s/.*soname='\([^']*\)'.*/\1/p" "$1")
    new=$(readelf -d "$2" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    if [ $st -eq 0 ]; then echo compatible
    elif [ $((st & 3)) -eq 0 ] && [ "$old" != "$new" ]; then echo "soname bumped"
    else echo "BROKEN (abidiff status $st)"; fi
}

v=$(verdict "$DUMP" "$SO")
check "built library against abi/libmailsleuth.abi" "$v" compatible
[ "$v" = compatible ] || cat "$TMPD/abidiff.out"

# the rule, on stand-ins
mkdir -p "$TMPD/end/mailsleuth" "$TMPD/mid/mailsleuth"
API="$ROOT/include/mailsleuth/api.h"
sed 's/^\(    int threads;.*\)$/\1\n    int appended;/' "$API" >"$TMPD/end/mailsleuth/api.h"
sed 's/^\(    int year;.*\)$/    int inserted;\n\1/' "$API" >"$TMPD/mid/mailsleuth/api.h"
check "stand-in headers modified" "$(cat "$TMPD/end/mailsleuth/api.h" "$TMPD/mid/mailsleuth/api.h" | grep -c 'appended;\|inserted;')" 2
cat >"$TMPD/stub.c" <<'STUB'
#include <mailsleuth/api.h>
#define UNUSED(x) (void)(x)
struct msl_api { int x; };
struct msl_api_rec { int x; };
struct msl_api *msl_api_open(const char *const *p, size_t n, const struct msl_api_opts *o)
{ UNUSED(p); UNUSED(n); UNUSED(o); return NULL; }
void msl_api_close(struct msl_api *h) { UNUSED(h); }
int msl_api_status(const struct msl_api *h) { UNUSED(h); return 0; }
const char *msl_api_errmsg(const struct msl_api *h) { UNUSED(h); return ""; }
int msl_api_search(struct msl_api *h, const char *e) { UNUSED(h); UNUSED(e); return 0; }
int msl_api_next(struct msl_api *h, struct msl_api_rec **r) { UNUSED(h); UNUSED(r); return 0; }
int msl_api_rec_kind(const struct msl_api_rec *r) { UNUSED(r); return 0; }
const char *msl_api_rec_json(const struct msl_api_rec *r) { UNUSED(r); return "{}"; }
const char *msl_api_rec_str(struct msl_api_rec *r, const char *f) { UNUSED(r); UNUSED(f); return NULL; }
int64_t msl_api_rec_int(struct msl_api_rec *r, const char *f, int64_t a) { UNUSED(r); UNUSED(f); return a; }
size_t msl_api_rec_len(struct msl_api_rec *r, const char *f) { UNUSED(r); UNUSED(f); return 0; }
size_t msl_api_rec_nevidence(const struct msl_api_rec *r) { UNUSED(r); return 0; }
int msl_api_rec_evidence(const struct msl_api_rec *r, size_t i, const char **s, uint64_t *l,
                         uint64_t *o) { UNUSED(r); UNUSED(i); UNUSED(s); UNUSED(l); UNUSED(o); return 0; }
#ifndef DROP_TRACE
int msl_api_trace(struct msl_api *h, const char *e, char **j) { UNUSED(h); UNUSED(e); UNUSED(j); return 0; }
#endif
void msl_api_free(void *p) { UNUSED(p); }
const char *msl_api_version(void) { return "0.1"; }
STUB
stub() { # NAME INCDIR SONAME [CFLAGS]
    cc -g -shared -fPIC -fvisibility=hidden -I"$2" $4 -Wl,-soname,"$3" -o "$TMPD/$1.so" \
        "$TMPD/stub.c" >"$TMPD/$1.cc" 2>&1 || cat "$TMPD/$1.cc"
}
stub same "$ROOT/include" libmailsleuth.so.0
stub end "$TMPD/end" libmailsleuth.so.0
stub mid "$TMPD/mid" libmailsleuth.so.0
stub drop "$ROOT/include" libmailsleuth.so.0 -DDROP_TRACE
stub bumped "$TMPD/mid" libmailsleuth.so.1 -DDROP_TRACE
check "stand-in with the same API" "$(verdict "$DUMP" "$TMPD/same.so")" compatible
check "msl_api_opts grown at its end" "$(verdict "$DUMP" "$TMPD/end.so")" compatible
check "a member inserted in msl_api_opts" "$(verdict "$DUMP" "$TMPD/mid.so")" "BROKEN (abidiff status 4)"
check "a function removed" "$(verdict "$DUMP" "$TMPD/drop.so")" "BROKEN (abidiff status 12)"
check "both, with the soname bumped" "$(verdict "$DUMP" "$TMPD/bumped.so")" "soname bumped"
finish abi
