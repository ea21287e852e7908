#!/bin/sh
# report: the HTML case file, checked without a browser (tests/cli/report_browser.sh renders
# it in Chromium).  On the real captures and samples/: it is written atomically, the CSP
# hashes match the inline style and script, every finding of `hunt` is there with its
# evidence file:line, every in-page link has its target, paths are drawn where messages
# crossed servers.  On the hostile corpus (tests/data/hostile, real lines with payloads):
# no payload survives as markup, a 1 MB sender and a big generated log stay under 2 MB.
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORP=$ROOT/tests/corpus
HOST=$ROOT/tests/data/hostile
BUILD=${BUILD:-build}

# html_facts FILE: prints "key value" lines about the page (python3 stdlib only)
html_facts() {
    python3 - "$1" <<'PY'
import base64, hashlib, html.parser, re, sys
doc = open(sys.argv[1], encoding="utf-8").read()
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.ids = set(); s.hrefs = []; s.tags = {}; s.on = 0; s.finding = 0
    def handle_starttag(s, tag, attrs):
        s.tags[tag] = s.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k == "id": s.ids.add(v)
            if k == "href": s.hrefs.append(v)
            if k.startswith("on"): s.on += 1
            if k == "class" and v and "finding" in v.split(): s.finding += 1
p = P(); p.feed(doc)
csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', doc).group(1)
def h(text): return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
script = re.search(r"<script>(.*?)</script>", doc, re.S).group(1)
style = re.search(r"<style>(.*?)</style>", doc, re.S).group(1)
print("csp_default_none", "default-src 'none'" in csp)
print("csp_script_hash", ("script-src " + h(script)) in csp)
print("csp_style_hash", ("style-src " + h(style)) in csp)
print("csp_no_unsafe", "unsafe" not in csp)
print("scripts", p.tags.get("script", 0))
print("styles", p.tags.get("style", 0))
print("injected", sum(p.tags.get(t, 0) for t in ("img", "iframe", "object", "embed", "base", "form", "input_image")))
print("on_attrs", p.on)
print("findings", p.finding)
print("dangling_links", sum(1 for x in p.hrefs if x.startswith("#") and x[1:] not in p.ids))
print("external_links", sum(1 for x in p.hrefs if not x.startswith("#") and x != "data:,"))
print("paths", len([i for i in p.ids if i.startswith("path")]))
print("charts", len([i for i in p.ids if i.startswith("chart-")]))
f = doc[doc.index('id="findings"'):doc.index('id="paths"')]
names = re.findall(r"<dt>(?:Messages|Sessions)</dt><dd>(.*?)</dd>", f)
print("unlinked_names", sum(x.count('<span class="mono">') for x in names))
ids = [int(x) for n in names for x in re.findall(r'href="#m(\d+)"', n)]
print("max_linked_msg", max(ids) if ids else 0)
print("bytes", len(doc.encode()))
PY
}
fact() { grep "^$2 " "$1" | cut -d' ' -f2; }

"$MS" report -q samples/ >/dev/null 2>"$TMPD/err"
check_rc "report without -o" $? 2
check_grep "report without -o: says what is missing" "needs -o" "$TMPD/err"

for input in samples postfix postfix-multihop chain sendmail-dovecot hunt; do
    case $input in samples) path=$ROOT/samples ;; *) path=$CORP/$input ;; esac
    out=$TMPD/$input.html
    "$MS" report -q --tz UTC "$path" -o "$out"
    check_rc "report $input" $? 0
    check "$input: no temporary file left" "$(ls "$TMPD" | grep -c '\.tmp\.')" 0
    html_facts "$out" >"$TMPD/$input.facts"
    for k in csp_default_none csp_script_hash csp_style_hash csp_no_unsafe; do
        check "$input: $k" "$(fact "$TMPD/$input.facts" $k)" True
    done
    check "$input: one script, one style" \
        "$(fact "$TMPD/$input.facts" scripts) $(fact "$TMPD/$input.facts" styles)" "1 1"
    check "$input: every in-page link has its target" "$(fact "$TMPD/$input.facts" dangling_links)" 0
    check "$input: no link leaves the page" "$(fact "$TMPD/$input.facts" external_links)" 0
    check "$input: ten charts" "$(fact "$TMPD/$input.facts" charts)" 10
    check "$input: every message and session a finding names links to its row" \
        "$(fact "$TMPD/$input.facts" unlinked_names)" 0
    "$MS" hunt -q -f json --tz UTC --show-lines "$path" >"$TMPD/$input.json"
    n=$(jq '.findings | length' "$TMPD/$input.json")
    check "$input: every hunt finding is in the report ($n)" "$(fact "$TMPD/$input.facts" findings)" "$n"
    # the first 5 evidence lines of each finding, as file:line, in the page
    jq -r '.findings[] | .evidence[:5][] | .ref' "$TMPD/$input.json" | sort -u >"$TMPD/refs"
    missing=0
    while IFS= read -r ref; do
        grep -qF -- "$ref</span>" "$out" || missing=$((missing + 1))
    done <"$TMPD/refs"
    check "$input: every cited evidence file:line is shown" "$missing" 0
done
check "hunt capture: 10 findings rendered" "$(fact "$TMPD/hunt.facts" findings)" 10
check "multihop: message paths drawn" "$(fact "$TMPD/postfix-multihop.facts" paths | awk '{print ($1 >= 3)}')" 1
check_grep "multihop: clock skew between the servers" "Clock skew between servers" "$TMPD/postfix-multihop.html"
check_grep "chain: Postfix -> Exim hop drawn" "queued-as" "$TMPD/chain.html"
check_grep "samples: overview lists the fingerprint of maillog" \
    "$(sha256sum samples/maillog | cut -d' ' -f1)" "$TMPD/samples.html"
check_grep "samples: the exact command line" "report -q --tz UTC $ROOT/samples -o $TMPD/samples.html" "$TMPD/samples.html"
check_grep "samples: the zone named on the axes" "hour starting, UTC" "$TMPD/samples.html"

"$MS" report -q --tz UTC samples/ -o - >"$TMPD/stdout.html"
check_rc "report -o -" $? 0
check "report -o -: the page on stdout" "$(head -c 15 "$TMPD/stdout.html")" "<!DOCTYPE html>"

# an unwritable target: exit 4, nothing left behind
mkdir "$TMPD/ro" && chmod 555 "$TMPD/ro"
if [ "$(id -u)" != 0 ]; then
    "$MS" report -q samples/ -o "$TMPD/ro/case.html" 2>"$TMPD/err"
    check_rc "report into a read-only directory" $? 4
    check "read-only directory: nothing written" "$(ls "$TMPD/ro" | wc -l)" 0
else
    "$MS" report -q samples/ -o "$TMPD/no/such/dir/case.html" 2>"$TMPD/err"
    check_rc "report into a missing directory" $? 4
    check_grep "missing directory: the error names the file" "cannot create" "$TMPD/err"
fi

# hostile content: real lines with payloads; a 1 MB sender; payloads in file names
mkdir "$TMPD/h"
cp "$HOST/maillog-attack" "$HOST/maillog-host" "$TMPD/h/"
python3 - "$TMPD/h" <<'PY'
import sys
d = sys.argv[1]
line = open("samples/maillog").read().splitlines()[5]   # qmgr from=<alice@example.test>
assert "from=<alice@example.test>" in line
big = "<script>document.title='pwned'</script>" + "A" * (1 << 20) + "@evil.test"
with open(d + "/big-sender.log", "w") as f:
    f.write(line.replace("alice@example.test", big) + "\n")
    f.write(line.replace("E13BFA721D2", "E13BFA721D3").replace("alice@example.test",
            "\u202egnp.exe\u202c" + "B" * (1 << 20)) + "\n")
name = d + "/\"><img src=x onerror=document.title='pwned'>.log"
with open(name, "w") as f:
    f.write(open("samples/maillog").read().splitlines()[22] + "\n")
PY
"$MS" report -q --tz UTC "$TMPD/h" -o "$TMPD/hostile.html"
check_rc "report hostile corpus" $? 0
html_facts "$TMPD/hostile.html" >"$TMPD/hostile.facts"
check "hostile: no injected element" "$(fact "$TMPD/hostile.facts" injected)" 0
check "hostile: no event-handler attribute" "$(fact "$TMPD/hostile.facts" on_attrs)" 0
check "hostile: one script, one style" \
    "$(fact "$TMPD/hostile.facts" scripts) $(fact "$TMPD/hostile.facts" styles)" "1 1"
check "hostile: no link leaves the page" "$(fact "$TMPD/hostile.facts" external_links)" 0
check "hostile: no payload as markup" \
    "$(grep -c -e "<script>document" -e "<img src" -e "<svg onload" -e "<iframe" -e "</style><style>" -e "<base href" -e "<meta http-equiv=refresh" "$TMPD/hostile.html")" 0
check_grep "hostile: payload shown as text" "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" "$TMPD/hostile.html"
check_grep "hostile: RTL override made visible" "[U+202E]gnp.exe[U+202C]" "$TMPD/hostile.html"
check_grep "hostile: hostile file name shown as text" "&quot;&gt;&lt;img src=x onerror=document.title=&#39;pwned&#39;&gt;.log" "$TMPD/hostile.html"
check_grep "hostile: the long sender is cut and says so" "more bytes]" "$TMPD/hostile.html"
check "hostile: under 2 MB with two 1 MB senders" \
    "$(fact "$TMPD/hostile.facts" bytes | awk '{print ($1 < 2000000)}')" 1

# a big generated log (hostile traffic, thousands of messages and findings): tables capped
if [ -x "$BUILD/bench/gen_postfix" ]; then
    "$BUILD/bench/gen_postfix" --bytes 40M --seed 3 >"$TMPD/big.log"
    "$MS" report -q --tz UTC "$TMPD/big.log" -o "$TMPD/big.html"
    check_rc "report 40 MB generated log" $? 0
    html_facts "$TMPD/big.html" >"$TMPD/big.facts"
    check "40 MB log: report under 2 MB ($(fact "$TMPD/big.facts" bytes) bytes)" \
        "$(fact "$TMPD/big.facts" bytes | awk '{print ($1 < 2000000)}')" 1
    check_grep "40 MB log: message table capped with a count" "more messages not listed" "$TMPD/big.html"
    check "40 MB log: links still resolve" "$(fact "$TMPD/big.facts" dangling_links)" 0
    # findings name records long past the first 4000 (auth-success-after-failures names a
    # message before it finishes): those are kept too
    check "40 MB log: every record the shown findings name links to its row" \
        "$(fact "$TMPD/big.facts" unlinked_names)" 0
    check "40 MB log: named messages past the first 4000 kept" \
        "$(fact "$TMPD/big.facts" max_linked_msg | awk '{print ($1 > 4000)}')" 1
    rm -f "$TMPD/big.log"
else
    skip "40 MB log: $BUILD/bench/gen_postfix not built"
fi
# the report reads the same site context as hunt: its notes cite the configuration
"$MS" report -q --tz UTC --site-config tests/data/site/postfix-multihop-mx1 -o "$TMPD/site.html" \
    tests/corpus/postfix-multihop
check_rc "report --site-config" $? 0
check_grep "report: a site entry cites its configuration line" \
    "local: Postfix mydestination (tests/data/site/postfix-multihop-mx1/main.cf:" "$TMPD/site.html"
"$MS" report -q --tz UTC --site-config "$TMPD/nowhere" -o "$TMPD/x.html" tests/corpus/postfix >/dev/null 2>&1
check_rc "report: an unreadable --site-config is a usage error" $? 2
finish report
