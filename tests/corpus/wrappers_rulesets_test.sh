#!/bin/sh
# tests/corpus/wrappers_rulesets_test.sh - every mail log line of three shared corpora through
# the real pipeline (build/tests/tools/dump_events: format detection, envelope, dialects):
#
#   syslog-wrappers  samples.log, every line (each envelope layout: RFC 3164 with and without
#                    <fac.level>, RFC 3339, RFC 5424, multilog, splogger, syslog-ng, Exim [n/m]
#                    splitting, journalctl short/short-iso/short-iso-precise/short-full/json)
#   wazuh-ruleset    the log lines inside the rule tests (tests-*/*.ini: "log N pass|fail =
#                    LINE", empty ones skipped), the sample logs (log-entries/*) and the example
#                    lines in the XML comments of decoders/*.xml and rules/*.xml
#   ossec-hids       the log lines inside *.ini
#
# The lines of one source file go to one temporary file (file formats are detected per file,
# as they would be on a server).  Lines are used as published, with one exception: a line that
# is a syslog *message payload* (the program tag first, timestamp and host removed) gets the
# fixed header "Jan  1 00:00:00 ruleset " (or only "Jan  1 00:00:00 " when the host is still
# there) - only where the source shows that the line is such a payload:
#   - log-entries/mail-alerts, mail-errors: OSSEC alert mails; "Received From: ...->
#     /var/log/maillog" + "Portion of the log(s):" quote maillog lines after OSSEC's
#     pre-decoder removed the syslog timestamp and host;
#   - decoders/*.xml examples "prog[pid]: ..." / "pop3d-ssl: ...": each decoder matches on
#     <program_name>, which Wazuh takes from the syslog header: the examples are the message
#     after that header.
# Header-less lines whose source is not a syslog payload (Exim's own spec text for [n/m]
# splitting, Dovecot 1.x log_path lines) are kept as published (and explained when
# unparsed); their message part is re-checked separately with a synthetic syslog header
# ("payload re-checks", same rules).
#
# Each line must give an event, or its (origin, reason) must match an entry of EXPLAINED
# below; every UNPARSED line is printed with its origin file:line and reason.  An unparsed
# line without an explanation fails, and so does an EXPLAINED entry that matches no line
# (stale: the line parses now).  Prints per-corpus counts: lines, parsed, explained.
# Ends with "wrappers/rulesets: N passed, N failed" (", 1 skipped" when $SHARED is absent).
. "$(dirname "$0")/../cli/testlib.inc"
NAME="wrappers/rulesets"
DUMP=${BUILD:-build}/tests/tools/dump_events
SW="$CORPORA/syslog-wrappers/samples.log"
WZ="$CORPORA/wazuh-ruleset"
OS="$CORPORA/ossec-hids"
if [ ! -f "$SW" ] || [ ! -d "$WZ" ] || [ ! -d "$OS" ]; then
    echo "$NAME: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
[ -x "$DUMP" ] || { echo "$NAME: $DUMP missing: 0 passed, 1 failed"; exit 1; }

# origin-glob|reason-glob|explanation  (origins are corpus-relative "path:line"; "*" matches
# anything).  Grouped by cause; the explanation is printed beside every line it covers.
NOTMTA='no dialect: not an MTA/MDA of the issue list'
EXPLAINED="\
dovecot-payload *|dovecot: unrecognised message|Dovecot 1.x 'IMAP(user): Disconnected: Logged out bytes=59/566': Dovecot 1.x session-end wording, not mapped by the dovecot dialect (gap)
syslog-wrappers/samples.log:8|no dialect for program \"sshd\"|sshd payload the corpus uses to show the RFC 3339 envelope (read: the reason names the program); not mail
syslog-wrappers/samples.log:9|no dialect for program \"sshd\"|sshd payload showing RFC 5424 (envelope read, see :8); not mail
syslog-wrappers/samples.log:10|no dialect for program \"sshd\"|sshd payload showing RFC 5424 with structured data (envelope read, see :8); not mail
syslog-wrappers/samples.log:11|no timestamp|multilog @TAI64N line inside a file detected as syslog (the corpus mixes envelopes in one file); as a multilog file it parses (re-check 'multilog')
syslog-wrappers/samples.log:12|no timestamp|multilog @TAI64N line in a syslog file (see :11)
syslog-wrappers/samples.log:16|no timestamp|'host exim[pid]: STAMP ...': fail2ban's journal export without a time of its own; the envelope has no timestamp, only Exim's text does
syslog-wrappers/samples.log:19|no timestamp|Exim spec 53.4 quotes syslog's '[n/m]' pieces without the syslog header; with a header they are reassembled (re-check 'exim-split')
syslog-wrappers/samples.log:2[0-3]|no timestamp|Exim spec '[n/m]' piece without syslog header (see :19)
syslog-wrappers/samples.log:3[01]|bad month|journalctl -o short-full ('Fri 2024-04-05 08:10:47 CEST host ...'): weekday + date + zone abbreviation is not an envelope mailsleuth reads (short, short-iso, short-iso-precise and json are)
*/0055-courier.ini:*|courier-imap: not a Courier login line|the rule test's grouping line 'pop3d: .' has no Courier content (the other courier lines parse)
*/0040-imapd.ini:*|courier-imap: not a Courier login line|UW imapd (tag imapd, which Courier's imapd shares): an IMAP server, $NOTMTA
log-entries/imapd:*|courier-imap: not a Courier login line|UW imapd sample log (tag shared with Courier's imapd): $NOTMTA
decoders/0130-imapd_decoders.xml:*|courier-imap: not a Courier login line|UW imapd example (tag shared with Courier's imapd): $NOTMTA
*/0035-spamd.ini:*|courier-imap: not a Courier login line|the rule test tags spamd text with program imapd[27113]: tag is not spamd, so no filter dialect applies (real spamd lines: log-entries/spamd)
log-entries/spamd:*|no dialect for program \"qmail-scanner\"|qmail-scanner (a qmail content-scanner wrapper): no dialect, it is not qmail itself
log-entries/spamd:*|spamd: unrecognised message|2006 spamd lines without the inner 'spamd: ' prefix that later SpamAssassin versions write ('spamd[pid]: spamd: connection from ...') and the spamd dialect expects (gap for old SpamAssassin)
*/0045-mailscanner.ini:*|no dialect for program *|MailScanner: a content filter, $NOTMTA (not among the registered filters)
*mailscanner.ini:*|no dialect for program *|MailScanner's updater 'update.bad.phishing.sites': $NOTMTA
decoders/0145-mailscanner_decoders.xml:*|no dialect for program \"MailScanner\"|MailScanner example: $NOTMTA
log-entries/vpopmail:*|no dialect for program \"vpopmail\"|vpopmail (vchkpw POP3 auth): $NOTMTA
decoders/0365-vpopmail_decoders.xml:*|no dialect for program \"vpopmail\"|vpopmail example: $NOTMTA
decoders/0255-roundcube_decoders.xml:*|no dialect for program \"roundcube\"|Roundcube webmail: $NOTMTA
*/0030-postfix.ini:*|no dialect for program \"clamsmtpd\"|clamsmtpd (ClamAV SMTP proxy) line in the Postfix rule test: $NOTMTA
decoders/0275-sendmail_decoders.xml:*|no dialect for program \"smf-sav\"|smf-sav (a Sendmail milter for sender verification): no dialect, not among the registered filters
*/0050-ms-exchange.ini:*|exim: unrecognised message|IIS SMTPSVC W3C log (Exchange 2000/2003 on IIS SMTP), published without its #Fields header: not the Exchange 2007+ message tracking or protocol log the issue covers; with no #Fields the date-first line is read as Exim mainlog
*dovecot.ini:*|no dialect for program \"Info\"|Dovecot 1.x log_path line 'dovecot: STAMP Info: ...' with its 'dovecot: ' prefix cut by the rule test: no host, no program; message re-checked with a syslog header (re-check 'dovecot-payload')
*dovecot.ini:*|no dialect for program \"Warn\"|Dovecot 1.x log_path line with 'dovecot: ' cut (see Info); re-checked
decoders/0085-dovecot_decoders.xml:*|no timestamp|Dovecot 1.x own log file layout 'dovecot: STAMP Level: ...' (log_path), not syslog: no reader for it; message re-checked with a syslog header
*dovecot.ini:*|dovecot: unrecognised message|Dovecot 1.x master 'Fatal: ...' startup errors: the dovecot dialect maps logins, auth and deliveries, not master errors (gap)
decoders/0085-dovecot_decoders.xml:*|dovecot: unrecognised message|Dovecot 1.x master 'Fatal: ...' (see dovecot.ini)
decoders/0275-sendmail_decoders.xml:1[49]|sendmail: unrecognised message|example wrapped over several comment lines in the decoder file: the first physical line is cut mid-message"

# --- extraction: each source file -> $TMPD/g/<n>.log (lines) + .src (corpus-relative origin)
mkdir -p "$TMPD/g"
ng=0
# emit CORPUS-DIR REL AWK-PROGRAM: the program prints "LINENO<TAB>LINE" per extracted line
emit() {
    [ -f "$1/$2" ] || return 0
    ng=$((ng + 1))
    awk "$3" "$1/$2" >"$TMPD/g/$ng.tsv"
    if [ ! -s "$TMPD/g/$ng.tsv" ]; then rm -f "$TMPD/g/$ng.tsv"; ng=$((ng - 1)); return 0; fi
    corpus=$(basename "$1")
    cut -f2- "$TMPD/g/$ng.tsv" >"$TMPD/g/$ng.log"
    cut -f1 "$TMPD/g/$ng.tsv" | sed "s|^|$corpus	$corpus/$2:|" >"$TMPD/g/$ng.src"
}
# payload -> syslog line: "prog[pid]: .." / "prog: .." gets stamp + host, "host prog[pid]: .."
# gets a stamp only
AWK_HDR='
function hdr(s) {
    sub(/^[ \t]+/, "", s)
    if (s ~ /^[A-Za-z][A-Za-z0-9_.\/-]*(\[[0-9]+\])?: /) return "Jan  1 00:00:00 ruleset " s
    return "Jan  1 00:00:00 " s
}'
SYSLOG_RE='^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] '
ISO_RE='^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]'
INI='/^log [0-9]+ (pass|fail) = ./ { s = $0; sub(/^log [0-9]+ (pass|fail) = /, "", s)
     sub(/\r$/, "", s); print FNR "\t" s }'
# the whole file, every line (syslog-wrappers)
emit "$CORPORA/syslog-wrappers" samples.log '{ print FNR "\t" $0 }'
for d in "$WZ" "$OS"; do
    for f in "$d"/*.ini "$d"/tests-*/*.ini; do
        [ -f "$f" ] && emit "$d" "${f#"$d"/}" "$INI"
    done
done
# sample logs: the lines with a syslog or ISO header as they are
for f in imapd vpopmail spamd postfix.ini; do
    emit "$WZ" "log-entries/$f" "/$SYSLOG_RE/ || /$ISO_RE/ { print FNR \"\\t\" \$0 }"
done
# OSSEC alert mails: quoted maillog lines without timestamp (see the header comment)
for f in mail-alerts mail-errors; do
    emit "$WZ" "log-entries/$f" "$AWK_HDR
        /^[ \\t]*[A-Za-z][A-Za-z0-9_.\\/-]*(\\[[0-9]+\\])?: / &&
        !/^(Rule|Received From|Portion of the log\\(s\\)):/ { print FNR \"\\t\" hdr(\$0); next }
        /^[a-z0-9.-]+ [A-Za-z][A-Za-z0-9_.\\/-]*\\[[0-9]+\\]: / { print FNR \"\\t\" hdr(\$0) }"
done
# XML comments: example lines (syslog, ISO/Exim, Dovecot log_path as published; payloads with
# the synthetic header).  Wrapped examples keep their first physical line only.
XML="$AWK_HDR
    /<!--/ { c = 1 }
    c { s = \$0; sub(/^[ \\t]*-?[ \\t]*/, \"\", s)
        if (s ~ /$SYSLOG_RE/ || s ~ /$ISO_RE/ || s ~ /^dovecot: [A-Z][a-z][a-z] [ 0-9][0-9] /)
            print FNR \"\\t\" s
        else if (s ~ /^[A-Za-z][A-Za-z0-9_.\\/-]*\\[[0-9]+\\]: / ||
                 s ~ /^(pop3d|pop3d-ssl|courierpop3login|imaplogin): /)
            print FNR \"\\t\" hdr(s) }
    /-->/ { c = 0 }"
for f in "$WZ"/decoders/*.xml "$WZ"/rules/*.xml; do
    [ -f "$f" ] && emit "$WZ" "${f#"$WZ"/}" "$XML"
done

# payload re-checks (message parts published without a syslog header, see the top comment)
emit_payload() { # NAME SRC-LABEL: reads "ORIGIN<TAB>LINE" on stdin
    ng=$((ng + 1))
    cat >"$TMPD/g/$ng.tsv"
    cut -f2- "$TMPD/g/$ng.tsv" >"$TMPD/g/$ng.log"
    cut -f1 "$TMPD/g/$ng.tsv" | sed "s|^|payload re-checks	$1 |" >"$TMPD/g/$ng.src"
}
# the multilog lines as a multilog file of their own
awk 'FNR >= 11 && FNR <= 12 { print FNR "\t" $0 }' "$SW" >"$TMPD/p.tsv"
emit_payload multilog <"$TMPD/p.tsv"
# Dovecot 1.x log_path lines: the message after "STAMP Level: " under a syslog header
for f in "$WZ"/tests-*/*dovecot.ini "$OS"/dovecot.ini "$WZ"/decoders/0085-dovecot_decoders.xml; do
    [ -f "$f" ] || continue
    rel=${f#"$CORPORA"/}
    awk -v r="$rel" '/^(log [0-9]+ [a-z]+ = |.*- dovecot: )[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]+ [A-Z][a-z]+: / {
        s = $0; sub(/^.*[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]+ [A-Z][a-z]+: /, "", s)
        print r ":" FNR "\t" "Jan  1 00:00:00 payload dovecot: " s }' "$f"
done >"$TMPD/p.tsv"
emit_payload dovecot-payload <"$TMPD/p.tsv"

# --- run every group, classify every line
: >"$TMPD/rows"
i=0
while [ $i -lt "$ng" ]; do
    i=$((i + 1))
    g="$TMPD/g/$i"
    "$DUMP" --year 2020 "$g.log" >"$g.out" 2>"$g.err"
    check "$(cut -f2 "$g.src" | head -n 1 | sed 's/:[0-9]*$//'): dump_events runs" $? 0
    check "$(cut -f2 "$g.src" | head -n 1 | sed 's/:[0-9]*$//'): one result per line" \
        "$(wc -l <"$g.out" | tr -d ' ')" "$(wc -l <"$g.log" | tr -d ' ')"
    paste "$g.src" "$g.out" "$g.log" >>"$TMPD/rows"
done

# rows: corpus, origin, dump output, line.  Classification and report in one awk pass.
printf '%s\n' "$EXPLAINED" >"$TMPD/explained"
awk -F'\t' -v tf="$TMPD/stats" '
function glob2re(g,   r) {
    r = g
    gsub(/[.+?(){}|^$\\]/, "\\\\&", r)
    gsub(/\*/, ".*", r)
    return "^" r "$"
}
FNR == NR {
    split($0, p, "|")
    ne++; okey[ne] = glob2re(p[1]); rkey[ne] = glob2re(p[2]); text[ne] = p[3]
    raw[ne] = $0; hits[ne] = 0
    next
}
{
    corpus = $1; origin = $2; res = $3; line = $4
    seen[corpus]++
    if (!(corpus in order)) { order[corpus] = ++nc; cname[nc] = corpus }
    if (res !~ /^UNPARSED/) { parsed[corpus]++; next }
    why = res; sub(/^UNPARSED why="/, "", why); sub(/"$/, "", why); gsub(/\\"/, "\"", why)
    rel = origin; sub(/^[^\/:]*\//, "", rel)
    m = 0
    for (k = 1; k <= ne; k++)
        if ((origin ~ okey[k] || rel ~ okey[k]) && why ~ rkey[k]) { m = k; break }
    if (m) {
        # listed grouped: one line per file + reason + explanation, with the line numbers
        hits[m]++; expl[corpus]++
        file = origin; sub(/:[0-9]*$/, "", file); ln = origin; sub(/^.*:/, "", ln)
        g = file SUBSEP why SUBSEP m
        if (!(g in gn)) { gorder[++ng] = g; gfile[g] = file; gwhy[g] = why; gm[g] = m }
        if (gn[g] && ln == glast[g] + 1) {
            sub(/-[0-9]+$/, "", glist[g]); glist[g] = glist[g] "-" ln
        } else
            glist[g] = glist[g] (gn[g] ? "," : "") ln
        gn[g]++; glast[g] = ln
    } else {
        bad++
        printf "FAIL UNPARSED %s: %s -- not explained: %s\n", origin, why, line
    }
}
END {
    for (i = 1; i <= ng; i++) {
        g = gorder[i]
        printf "UNPARSED %s:%s (%d line%s): %s -- explained: %s\n", gfile[g], glist[g], gn[g],
               gn[g] == 1 ? "" : "s", gwhy[g], text[gm[g]]
    }
    for (k = 1; k <= ne; k++)
        if (!hits[k]) { stale++; printf "FAIL stale EXPLAINED entry (matches no unparsed line): %s\n", raw[k] }
    for (c = 1; c <= nc; c++) {
        n = cname[c]
        printf "%s: %d lines, %d parsed, %d explained, %d unexplained\n", n, seen[n],
               parsed[n], expl[n], seen[n] - parsed[n] - expl[n]
    }
    printf "%d %d %d\n", bad + 0, stale + 0, NR - ne > tf
}' "$TMPD/explained" "$TMPD/rows"
set -- $(cat "$TMPD/stats")
check "unparsed lines without explanation" "$1" 0
check "stale EXPLAINED entries" "$2" 0

# spot checks: what the envelopes and payloads gave
# Exim [n/m] pieces (spec 53.4; syslog-wrappers/samples.log:19-23) under one made-up syslog
# header: reassembled into a single event with the whole text (no per-line pairing here)
sed -n '19,23s/^/Jan  1 00:00:00 payload exim[4711]: /p' "$SW" >"$TMPD/split.log"
"$DUMP" --year 2020 "$TMPD/split.log" >"$TMPD/split" 2>&1
echo "payload re-check exim-split (samples.log:19-23 with a header): $(cat "$TMPD/split")"
check "exim [n/m] pieces: one event, nothing unparsed" "$(grep -c '^kind=' "$TMPD/split")/$(grep -c \
    '^UNPARSED' "$TMPD/split")" "1/0"
check_grep "exim [n/m] text reassembled" 'qid=16RdAL-0006pc-00' "$TMPD/split"
check_grep "exim [n/m] text reassembled" 'missing or malformed local part in \"<>\"' "$TMPD/split"
grep '^payload re-checks	multilog ' "$TMPD/rows" | cut -f3 >"$TMPD/ml"
check "multilog lines: events" "$(grep -c '^kind=' "$TMPD/ml")" 2
awk -F'\t' '$2 ~ /^syslog-wrappers\/samples.log:(2[6-9]|3[23])$/ { print $3 }' "$TMPD/rows" |
    sed -n 's/.* ts=\([^ ]*\) .*/\1/p' | sort -u >"$TMPD/ts"
check "journalctl short-iso*/json renderings: one UTC instant" "$(cut -c1-19 "$TMPD/ts" | sort -u)" \
    "2024-04-05T06:10:47"
finish "$NAME"
