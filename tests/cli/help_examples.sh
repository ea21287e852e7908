#!/bin/sh
# Every example under "examples:" in `mailsleuth --help` runs: the paths it names are
# replaced by the samples (samples/, a zip of them), it runs in a scratch directory, and it
# must exit 0 (or 1 for `hunt --fail-on`, the documented status for a finding) and write
# something.  An example naming a path this test does not know fails, so a new example
# cannot go untested.
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
S="$ROOT/samples"
mkdir -p "$TMPD/run/bin" && ln -s "$MS" "$TMPD/run/bin/mailsleuth"
(cd "$S" && python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    [z.write(f, "var/log/" + f) for f in sys.argv[2:]]' "$TMPD/run/case.zip" maillog.1.gz maillog)

"$MS" --help | sed -n '/^examples:/,/^$/p' | sed -n 's/^  \(mailsleuth .*\)$/\1/p' >"$TMPD/examples"
n=$(wc -l <"$TMPD/examples" | tr -d ' ')
check "examples found in --help" "$([ "$n" -ge 5 ] && echo yes)" "yes"
i=0
while IFS= read -r ex; do
    i=$((i + 1))
    # the paths the help uses, mapped onto the samples; `headers` needs a message whose
    # servers' logs are given: the two-server capture with its mailboxes (tests/corpus)
    case $ex in
    "mailsleuth headers "*)
        H="$ROOT/tests/corpus/headers"
        cmd=$(printf '%s\n' "$ex" | sed -e "s#suspect\.eml#$H/mail/mx2-frank.mbox#" \
            -e "s#\([ ]\)mx\([12]\)/#\1$H/postfix-mx\2/#g") ;;
    *)
        cmd=$(printf '%s\n' "$ex" | sed -e "s#/var/log/mail\.log\*#$S/maillog*#g" \
            -e "s#\([ ]\)logs/#\1$S/#g" -e "s#\([ ]\)mx[12]/#\1$S/#g" \
            -e "s#\([ ]\)samples/#\1$S/#g") ;;
    esac
    # every remaining word that looks like a path must be known
    unknown=$(printf '%s\n' "$cmd" | tr ' ' '\n' | grep -E '/|\.(zip|log|gz|json|csv|eml|mbox|html|txt)$' |
        grep -vE "^($S|$ROOT/tests/corpus/headers/|'|<|case\.(zip|html|sqlite)$|[a-z]+\.(json|csv)$|[A-Z][a-z]+/[A-Za-z_]+$)" |
        grep -v '^ip:' || true)
    check "example $i names only known paths: $ex" "$unknown" ""
    out="$TMPD/run/out.$i"
    (cd "$TMPD/run" && PATH="$TMPD/run/bin:$PATH" sh -c "$cmd" >"$out" 2>"$out.err")
    rc=$?
    want=0
    case $ex in *--fail-on*) [ $rc -eq 1 ] && want=1 ;; esac
    check_rc "example $i: $ex" "$rc" "$want"
    [ $rc -gt 1 ] && head -5 "$out.err"
    # output goes to stdout or to the file the example redirects to
    target=$(printf '%s\n' "$ex" | sed -n 's/.*> *\([^ ]*\)$/\1/p')
    [ -z "$target" ] && target=$(printf '%s\n' "$ex" | sed -n 's/.* -o *\([^ ]*\).*/\1/p')
    [ -n "$target" ] && out="$TMPD/run/$target"
    check "example $i writes output" "$([ -s "$out" ] && echo yes)" "yes"
done <"$TMPD/examples"
finish "cli help examples"
