#!/bin/sh
# report in a real browser: Debian's headless Chromium opens the HTML reports of the real
# captures (tests/corpus/*, samples/) and of the hostile corpus (tests/data/hostile plus a
# 1 MB sender and a hostile file name made here) from file://, driven over the DevTools
# protocol on 127.0.0.1 by tests/cli/report_browser.py.  Asserted per report: no console
# error, no network request of any kind, no injected element or script (the payloads would
# set document.title), every finding and chart in the DOM, the page's own script runs;
# a screenshot of each is kept in $BUILD/report-screens/ (CI keeps it as an artifact).
# A control copy with one payload unescaped must fail those checks (the checks can fail).
# Chromium is installed with apt-get when missing; without it the test skips, saying why.
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
SHOTS=$ROOT/$BUILD/report-screens
HARNESS=$ROOT/tests/cli/report_browser.py

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$TMPD/apt.log" 2>&1
    CHROMIUM=$(command -v chromium || true)
fi
if [ -z "$CHROMIUM" ]; then
    skip "report in Chromium: chromium is not installed and could not be installed with apt-get (not root, no apt-get, or no package source)"
    finish report_browser
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    skip "report in Chromium: python3 is missing (it drives the DevTools protocol)"
    finish report_browser
    exit 0
fi
mkdir -p "$SHOTS"

CHARTS='["chart-volume","chart-authfail","chart-authfail-ip","chart-authfail-user","chart-senders","chart-recipients","chart-relays","chart-rejects","chart-deferrals","chart-hosts"]'

# page NAME HTML FINDINGS MIN_ROWS: queues one report for the browser run
PAGES=""
page() {
    printf '{"findings": %s, "charts": %s, "title": "mailsleuth case report", "min_rows": %s}\n' \
        "$3" "$CHARTS" "$4" >"$TMPD/$1.expect"
    PAGES="$PAGES $1 $2 $SHOTS/$1.png $TMPD/$1.expect"
}
# browse OUT: checks every queued page in one headless Chromium (paths have no spaces here)
browse() {
    # shellcheck disable=SC2086
    timeout 300 python3 "$HARNESS" "$CHROMIUM" $PAGES >"$1" 2>&1
    rc=$?
    PAGES=""
    return $rc
}

# expected findings: what hunt reports, as many as the page shows in full (150)
nfind() { "$MS" hunt -q -f json --tz UTC "$@" | jq '.findings | length | if . > 150 then 150 else . end'; }

for input in samples postfix postfix-multihop chain sendmail-dovecot hunt; do
    case $input in samples) path=$ROOT/samples ;; *) path=$ROOT/tests/corpus/$input ;; esac
    "$MS" report -q --tz UTC "$path" -o "$TMPD/$input.html"
    check_rc "report $input" $? 0
    page "$input" "$TMPD/$input.html" "$(nfind "$path")" 1
done

mkdir "$TMPD/h"
cp "$ROOT/tests/data/hostile/maillog-attack" "$ROOT/tests/data/hostile/maillog-host" "$TMPD/h/"
python3 - "$TMPD/h" "$ROOT/samples/maillog" <<'PY'
import sys
d, sample = sys.argv[1], open(sys.argv[2]).read().splitlines()
line = sample[5]   # a real qmgr line: from=<alice@example.test>
big = "\"><img src=x onerror=\"document.title='pwned'\">" + "A" * (1 << 20) + "@evil.test"
with open(d + "/big-sender.log", "w") as f:
    f.write(line.replace("alice@example.test", big) + "\n")
with open(d + "/<script>document.title='pwned'<\u2215script>.log", "w") as f:
    f.write(sample[22] + "\n")
PY
"$MS" report -q --tz UTC "$TMPD/h" -o "$TMPD/hostile.html"
check_rc "report hostile" $? 0
page hostile "$TMPD/hostile.html" "$(nfind "$TMPD/h")" 1
browse "$TMPD/pages.out"
check_rc "browser check of every page" $? 0
while IFS= read -r line; do
    case "$line" in
    "ok    "*) T_PASS=$((T_PASS + 1)) ;;
    "FAIL  "*) T_FAIL=$((T_FAIL + 1)); echo "FAIL ${line#FAIL  }" ;;
    *) echo "$line" ;;
    esac
done <"$TMPD/pages.out"
check "every page was checked" "$(grep -c ': screenshot saved$' "$TMPD/pages.out")" 7

# control: the same page with its CSP removed and one payload unescaped must fail
python3 - "$TMPD/hostile.html" "$TMPD/control.html" <<'PY'
import re, sys
doc = open(sys.argv[1], encoding="utf-8").read()
doc = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", doc)
doc = doc.replace("<main>", "<main><img src=\"http://127.0.0.1:9/x.png\" onerror=\"document.title='pwned'\">", 1)
open(sys.argv[2], "w", encoding="utf-8").write(doc)
PY
page control "$TMPD/control.html" 0 0
browse "$TMPD/control.out"
check_rc "control: the browser check fails" $? 1
check "control: the network request is caught" \
    "$(grep -c 'FAIL  control: no network request' "$TMPD/control.out")" 1
check "control: the changed title is caught" "$(grep -c 'FAIL  control: title unchanged' "$TMPD/control.out")" 1
check "control: the injected element is caught" "$(grep -c 'FAIL  control: no injected img' "$TMPD/control.out")" 1
rm -f "$SHOTS/control.png"
finish report_browser
