#!/bin/sh
# tools/check-includes.sh: the tree keeps the module rule, and the script does catch each kind
# of violation (checked on a temporary copy of lib/, src/ and include/, never in the tree).
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHK="$ROOT/tools/check-includes.sh"
sh "$CHK" "$ROOT" >"$TMPD/tree.out" 2>&1
check_rc "the tree keeps the include rule" $? 0

fresh() {
    rm -rf "$TMPD/t" && mkdir "$TMPD/t" && cp -R "$ROOT/lib" "$ROOT/src" "$ROOT/include" "$TMPD/t/"
}
# expect NAME WANT-RC FILE LINE [TEXT]: FILE (relative to the copy) gets LINE; the check must
# exit WANT-RC, and a failure must name TEXT (default "FILE:")
expect() {
    fresh
    mkdir -p "$(dirname "$TMPD/t/$3")"
    printf '%s\n' "$4" >>"$TMPD/t/$3"
    sh "$CHK" "$TMPD/t" >"$TMPD/out" 2>&1
    rc=$?
    check_rc "$1" "$rc" "$2"
    if [ "$2" = 1 ]; then
        check_grep "$1: the violation is named" "${5:-$3:}" "$TMPD/out"
    fi
}
expect "upward: util includes dialect" 1 lib/util/bad.c '#include "dialect/csv_fields.h"'
expect "upward: dialect includes correlate" 1 lib/dialect/bad.c '#include "correlate/reinject.h"'
expect "sideways: report includes trace" 1 lib/report/bad.c '#include "trace/trace_int.h"'
expect "another module's _int.h, from above" 1 lib/trace/bad.c '#include "correlate/correlate_int.h"'
expect "another module's _priv.h" 1 lib/pipeline/bad.c '#include "dialect/envelope_priv.h"'
expect "CLI includes report internals" 1 src/bad.c '#include "report/summary_int.h"'
expect "CLI includes a correlate header" 1 src/bad.c '#include "correlate/reinject.h"'
expect "public header includes a lib header" 1 include/mailsleuth/bad.h '#include "util/buf.h"'
expect "a module nobody placed" 1 lib/newmod/x.c '#include "util/buf.h"' lib/newmod:
# what the other branches add must pass
expect "lib/site includes util" 0 lib/site/site.c '#include "util/strmap.h"'
expect "detect includes site" 0 lib/detect/bad.c '#include "site/site.h"'
expect "lib/store uses report writers" 0 lib/store/ecs.c '#include "report/record_json.h"'
expect "report/html uses its own module" 0 lib/report/html_page.c '#include "report/summary_int.h"'
expect "site may not include source" 1 lib/site/site.c '#include "source/source_int.h"'
expect "upward: summary includes a trace header" 1 lib/report/bad.c '#include "trace/hops.h"'
expect "the HTML report may use trace (it sits above)" 0 lib/report/html_x.c '#include "trace/hops.h"'
expect "downward: trace includes correlate" 0 lib/trace/ok.c '#include "correlate/reinject.h"'
finish "include rules"
