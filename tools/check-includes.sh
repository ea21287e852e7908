#!/bin/sh
# tools/check-includes.sh [ROOT] - the module rule of doc/ARCHITECTURE.md ("Modules and the
# one-way flow"), checked over the #include lines of ROOT (default: the current directory).
#
#   - A lib/<module>/ file includes headers of its own module, of a module on a lower tier,
#     and the public contract include/mailsleuth/*.h; never one of a module on its own or a
#     higher tier (so no dependency circle between modules is possible).
#   - Nobody includes another module's internal header (*_int.h, *_priv.h).
#   - src/ (the CLI) includes the public headers, lib/util and its own headers.
#   - lib/report/html* (the HTML report) renders traces too: it is checked as its own module
#     "report-html" above trace and detect (it may include the rest of lib/report).
#   - What breaks a rule today and cannot be mended in this change is listed in ALLOW below,
#     each with its reason, so the list only shrinks.
#   - include/mailsleuth/*.h include only system headers and each other.
#   - A folder under lib/ that is not in the tier table is an error: a new module is placed
#     on purpose (add it to TIERS and to doc/ARCHITECTURE.md).
# Prints one line per violation (file:line: what), then "include rules: N passed, N failed"
# (N = files checked); exits 1 on any violation.  Tests, fuzz targets, tools and bench may
# include anything (they test internals) and are not checked.
ROOT=${1:-.}
cd "$ROOT" || exit 2

# module tier: lower tiers never include higher ones; the same tier only within one module
TIERS='
util 0
site 1
source 2
dialect 3
model 4
correlate 5
query 6
report 6
trace 7
store 7
detect 7
headers 7
report-html 8
pipeline 8
watch 9
api 9
'
# "file header": known exceptions.  The CLI still includes the event/record/provenance
# writers of lib/report (until the writers' registry gives it one writer API) and the HTML
# report's entry point; the HTML report takes the hops from trace's internal header (trace.h
# should export them).
ALLOW='
src/cmd_headers.c report/event_out.h
src/cmd_headers.c report/provenance.h
src/cmd_search.c report/event_out.h
src/cmd_search.c report/record_json.h
src/cmd_verify.c report/event_out.h
src/cmd_verify.c report/provenance.h
src/cmd_html_report.c report/html_report.h
lib/report/html_report.c trace/trace_int.h
'

files=$(find lib src include -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | LC_ALL=C sort)
[ -n "$files" ] || { echo "check-includes: no lib/, src/ or include/ under $ROOT: 0 passed, 1 failed"; exit 1; }
dirs=$(find lib -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sed 's|^lib/||' | LC_ALL=C sort)

# shellcheck disable=SC2086
awk -v tiers="$TIERS" -v allow="$ALLOW" -v dirs="$dirs" '
BEGIN {
    n = split(tiers, t, "\n")
    for (i = 1; i <= n; i++) if (split(t[i], f, " ") == 2) tier[f[1]] = f[2] + 0
    n = split(allow, t, "\n")
    for (i = 1; i <= n; i++) if (split(t[i], f, " ") == 2) ok[f[1] " " f[2]] = 1
    n = split(dirs, t, "\n")
    for (i = 1; i <= n; i++) if (t[i] != "" && !(t[i] in tier)) {
        printf "lib/%s: a module that is not placed: add it to TIERS in tools/check-includes.sh and to doc/ARCHITECTURE.md\n", t[i]
        bad = 1
    }
}
FNR == 1 {
    if (NR > 1) { files++; if (fbad) failed++ }
    fbad = 0
    split(FILENAME, p, "/")
    top = p[1]; dir = (top == "lib") ? p[2] : top
    mod = (dir == "report" && p[3] ~ /^html/) ? "report-html" : dir
}
/^[ \t]*#[ \t]*include[ \t]*["<]/ {
    line = $0
    sub(/^[ \t]*#[ \t]*include[ \t]*["<]/, "", line)
    sub(/[">].*$/, "", line)
    inc = line
    if (index(inc, "/") == 0) {
        # a bare name: the public headers include each other so; elsewhere it is a system
        # header or one of the file s own folder
        next
    }
    split(inc, q, "/")
    im = q[1]
    base = q[length(q)]
    if (im == "mailsleuth") next                    # the public contract
    if (!(im in tier) && index("\n" dirs "\n", "\n" im "\n") == 0) next  # <sys/stat.h> ...
    why = ""
    if (im == dir || ((FILENAME " " inc) in ok)) {
        why = ""                                    # its own folder, or a listed exception
    } else if (top == "include") {
        why = "a public header includes a lib header"
    } else if (base ~ /_(int|priv)\.h$/) {
        why = "another module'"'"'s internal header"
    } else if (top == "src") {
        if (im != "util")
            why = "the CLI uses the public headers and lib/util only (or an entry of ALLOW)"
    } else if (top == "lib" && (mod in tier) && (im in tier) && tier[im] >= tier[mod]) {
        why = sprintf("%s (tier %d) may not include %s (tier %d): dependencies run downward only", mod, tier[mod], im, tier[im])
    }
    if (why != "") {
        printf "%s:%d: includes \"%s\": %s\n", FILENAME, FNR, inc, why
        fbad = 1; bad = 1
    }
}
END {
    files++; if (fbad) failed++
    printf "include rules: %d passed, %d failed\n", files - failed, failed + (bad && !failed)
    exit bad ? 1 : 0
}' $files
