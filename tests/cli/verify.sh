#!/bin/sh
# verify: fingerprints equal sha256sum's, archive members are fingerprinted, a manifest
# proves evidence unchanged and names exactly what was altered, removed or added; silences
# and clock steps backwards are reported with their line.  Real capture lines throughout.
. "$(dirname "$0")/testlib.inc"
CAP=$(cd "$(dirname "$0")/../corpus/postfix" && pwd)/maillog
mkdir "$TMPD/ev"
cp "$CAP" "$TMPD/ev/maillog"
# the older file: the same capture as logged by a second server (so no line repeats)
sed 's/^\(... .. ..:..:..\) mx1 /\1 mx0 /' "$CAP" | gzip -c >"$TMPD/ev/maillog.1.gz"
"$MS" verify -f json --tz UTC "$TMPD/ev" >"$TMPD/m.json"
check_rc "verify" $? 0
check "sha256 of a plain file" "$(jq -r '.inputs[] | select(.name | endswith("/maillog")) | .sha256' "$TMPD/m.json")" \
    "$(sha256sum "$TMPD/ev/maillog" | cut -d' ' -f1)"
check "sha256 of a compressed file as stored" "$(jq -r '.inputs[] | select(.name | endswith(".gz")) | .sha256' "$TMPD/m.json")" \
    "$(sha256sum "$TMPD/ev/maillog.1.gz" | cut -d' ' -f1)"
check "events counted per source" "$(jq '[.sources[].events] | add' "$TMPD/m.json")" "$(( $(wc -l <"$CAP") * 2 ))"
check "hosts per source" "$(jq -r '[.sources[].hosts[0].host] | join(",")' "$TMPD/m.json")" mx0,mx1
check "provenance carries the command" "$(jq -r '.provenance.command[1]' "$TMPD/m.json")" verify

# archive members are fingerprinted too (their bytes as stored in the archive)
(cd "$TMPD" && mkdir -p b && cp "$CAP" b/mail.log && tar -cf case.tar b)
"$MS" verify -f json --tz UTC "$TMPD/case.tar" >"$TMPD/t.json"
check "member fingerprint" "$(jq -r '.inputs[] | select(.member) | .sha256' "$TMPD/t.json")" \
    "$(sha256sum "$CAP" | cut -d' ' -f1)"
check "archive file fingerprint" "$(jq -r '.inputs[] | select(.member | not) | .sha256' "$TMPD/t.json")" \
    "$(sha256sum "$TMPD/case.tar" | cut -d' ' -f1)"

# unchanged evidence: exit 0
"$MS" verify --against "$TMPD/m.json" --tz UTC "$TMPD/ev" >"$TMPD/same.txt"
check_rc "unchanged evidence" $? 0
check_grep "unchanged summary" "2 unchanged, 0 changed, 0 missing, 0 new" "$TMPD/same.txt"

# tampering: one line altered, one file removed, one added -> each named, exit 1
sed -i '0,/alice/s/alice/mallory/' "$TMPD/ev/maillog"
mv "$TMPD/ev/maillog.1.gz" "$TMPD/gone.gz"
cp "$CAP" "$TMPD/ev/maillog.0"
"$MS" verify --against "$TMPD/m.json" --tz UTC "$TMPD/ev" >"$TMPD/diff.txt"
check_rc "tampered evidence" $? 1
check_grep "altered file named" "CHANGED" "$TMPD/diff.txt"
check "altered file is maillog" "$(grep CHANGED "$TMPD/diff.txt" | sed 's/.*  //' | sed 's/.*\///')" maillog
check "removed file named" "$(grep MISSING "$TMPD/diff.txt" | sed 's/.*\///')" maillog.1.gz
check "added file named" "$(grep NEW "$TMPD/diff.txt" | sed 's/.*\///')" maillog.0

# a deleted block of lines leaves a silence; a moved stamp steps back in time
{ sed -n '1,20p' "$CAP"; sed -n '21,$p' "$CAP" | sed 's/^Nov 27 13:18/Nov 27 13:48/'; } >"$TMPD/cut.log"
"$MS" verify -f json --tz UTC --year 2026 "$TMPD/cut.log" >"$TMPD/cut.json"
check "gap found" "$(jq '.sources[0].gaps_total' "$TMPD/cut.json")" 1
check "gap cites the first line after it" "$(jq -r '.sources[0].gaps[0].evidence | sub(".*:"; "")' "$TMPD/cut.json")" 21
sed '30s/^Nov 27 13:18:[0-9][0-9]/Nov 27 13:10:00/' "$CAP" >"$TMPD/back.log"
"$MS" verify -f json --tz UTC --year 2026 "$TMPD/back.log" >"$TMPD/back.json"
check "time going backwards found" "$(jq -r '[.sources[0].time_backwards[].evidence | sub(".*:"; "")] | join(",")' "$TMPD/back.json")" 30
"$MS" verify --against "$TMPD/nonexistent.json" "$CAP" >/dev/null 2>&1
check_rc "missing manifest" $? 2
# the manifest is read as JSON (a library, not string searches): a file name with a bidi control
# and a quote (JSON-escaped when written) is matched again exactly
mkdir -p "$TMPD/odd"
odd="$TMPD/odd/mail$(printf '\342\200\256')gol\"x.log"
cp "$CAP" "$odd"
"$MS" verify -q -f json --tz UTC --year 2026 "$TMPD/odd" >"$TMPD/odd.json"
"$MS" verify -q --against "$TMPD/odd.json" --tz UTC --year 2026 "$TMPD/odd" >"$TMPD/odd.txt"
check_rc "an escaped file name matches itself" $? 0
check "an escaped file name: 1 unchanged" "$(grep -c ': 1 unchanged, 0 changed, 0 missing, 0 new' "$TMPD/odd.txt")" 1
echo '{"kind":"something-else","inputs":[]}' >"$TMPD/other.json"
"$MS" verify -q --against "$TMPD/other.json" "$CAP" >/dev/null 2>"$TMPD/other.err"
check_rc "another tool's JSON" $? 2
check "another tool's JSON: said so" "$(grep -c 'not a mailsleuth manifest' "$TMPD/other.err")" 1
head -c 300 "$TMPD/m.json" >"$TMPD/cut.json"
"$MS" verify -q --against "$TMPD/cut.json" "$CAP" >/dev/null 2>"$TMPD/cutm.err"
check_rc "a truncated manifest" $? 2
check "a truncated manifest: where the JSON ends" "$(grep -c 'not JSON (line [0-9]*, column [0-9]*' "$TMPD/cutm.err")" 1
finish "cli verify"
