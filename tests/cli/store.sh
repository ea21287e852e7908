#!/bin/sh
# The case store (doc/SCHEMA.md): `ingest --db` then `sql --db` on the committed real
# captures.  Every answer is computed from both sides by this test: SQL over the case
# against summary / search / hunt over the same logs.  Then: re-ingest adds nothing, a grown
# file adds only its new lines, a copy under another name adds nothing, kill -9 during an
# ingest then ingest again gives the same rows as one clean run, and bad cases (missing,
# not a case, newer or older schema, read-only) each get a clear error and exit status.
. "$(dirname "$0")/testlib.inc"
CORPUS=$(cd "$(dirname "$0")/../corpus" && pwd)
BUILD=${BUILD:-build}
export LC_ALL=C

# sqlq CASE SQL: the rows, columns joined by a blank (NULL as NULL)
sqlq() {
    "$MS" sql -q --db "$1" -f jsonl "$2" |
        jq -r '[.[] | if . == null then "NULL" else tostring end] | join(" ")'
}
# every table's row count, one line
counts() {
    sqlq "$1" "SELECT (SELECT count(*) FROM sources) || ' ' || (SELECT count(*) FROM events)
      || ' ' || (SELECT count(*) FROM messages) || ' ' || (SELECT count(*) FROM recipients)
      || ' ' || (SELECT count(*) FROM attempts) || ' ' || (SELECT count(*) FROM sessions)
      || ' ' || (SELECT count(*) FROM session_auths) || ' ' || (SELECT count(*) FROM findings)
      || ' ' || (SELECT count(*) FROM finding_evidence) || ' ' || (SELECT count(*) FROM hops)"
}
ALL='(host:* OR NOT host:*)'
# the correlator's records of a case, one line each, sorted (row ids and ingests left out)
records() {
    {
        sqlq "$1" "SELECT 'm', m.host, qid, end_state, final, coalesce(msgid, '-'), nlines,
            s.name || ':' || m.line FROM messages m JOIN sources s ON s.id = m.source"
        sqlq "$1" "SELECT 'r', m.qid, r.address, r.outcome, r.attempts, r.line FROM recipients r
            JOIN messages m ON m.id = r.message"
        sqlq "$1" "SELECT 'a', m.qid, a.address, a.status, a.line FROM attempts a
            JOIN messages m ON m.id = a.message"
        sqlq "$1" "SELECT 's', host, pid, start_ts, end_ts, auth_ok, auth_failed, rejects, closed,
            messages, line FROM sessions"
    } | sort
}

for cap in postfix postfix-multihop hunt hunt-exim hunt-sendmail hunt-opensmtpd courier \
           sendmail-dovecot chain; do
    d=$CORPUS/$cap
    [ -d "$d" ] || { skip "$cap: capture missing"; continue; }
    db=$TMPD/$cap.sqlite
    "$MS" ingest -q --db "$db" "$d" >/dev/null
    check_rc "$cap: ingest" $? 0

    # recipients by outcome: the view against summary's totals
    "$MS" summary -q -f json "$d" >"$TMPD/sum.json"
    got=$(sqlq "$db" "SELECT outcome || '=' || recipients FROM v_recipients_by_outcome ORDER BY 1")
    want=$(jq -r '.totals.recipients_by_outcome | to_entries[] | select(.value > 0)
                  | "\(.key)=\(.value)"' "$TMPD/sum.json" | sort)
    check "$cap: recipients by outcome = summary" "$got" "$want"

    # every recipient row, with its evidence, against search --recipients
    got=$(sqlq "$db" "SELECT m.host || ' ' || m.qid || ' ' || r.address || ' ' || r.outcome
        || ' ' || r.attempts || ' ' || s.name || ':' || r.line FROM recipients r
        JOIN messages m ON m.id = r.message LEFT JOIN sources s ON s.id = r.source" | sort)
    want=$("$MS" search -q --recipients -f jsonl "$ALL" "$d" |
        jq -r '"\(.host) \(.qid) \(.address) \(.outcome) \(.attempts) \(.evidence)"' | sort)
    check "$cap: recipient rows = search --recipients" "$got" "$want"

    # messages and sessions against search
    got=$(sqlq "$db" "SELECT host || ' ' || qid || ' ' || coalesce(msgid, '-') FROM messages" |
        sort)
    want=$("$MS" search -q -f jsonl "$ALL" "$d" | jq -r '"\(.host) \(.qid) \(.msgid // "-")"' |
        sort)
    check "$cap: messages = search" "$got" "$want"
    got=$(sqlq "$db" "SELECT count(*) FROM sessions")
    want=$("$MS" search -q --sessions -f jsonl "$ALL" "$d" | wc -l | tr -d ' ')
    check "$cap: sessions = search --sessions" "$got" "$want"

    # authentication failures: the view's total = summary's; per IP = the AUTH_FAIL events
    got=$(sqlq "$db" "SELECT coalesce(sum(failures), 0) FROM v_auth_failures_by_ip")
    check "$cap: auth failures = summary sasl_failures" "$got" \
        "$(jq -r .totals.sasl_failures "$TMPD/sum.json")"
    got=$(sqlq "$db" "SELECT coalesce(client_ip, '-') || ' ' || count(*) FROM events
        WHERE kind = 'AUTH_FAIL' GROUP BY client_ip" | sort)
    want=$("$MS" search -q --events -f jsonl 'kind:AUTH_FAIL' "$d" |
        jq -r '.client_ip // "-"' | sort | uniq -c | awk '{print $2 " " $1}' | sort)
    check "$cap: auth failures by IP = search --events" "$got" "$want"

    # findings: rule, entity and evidence count against hunt -f json
    got=$(sqlq "$db" "SELECT rule || ' ' || coalesce(entity, '-') || ' ' || severity || ' ' ||
        evidence_total FROM findings" | sort)
    want=$("$MS" hunt -q -f json "$d" | jq -r '.findings[] |
        "\(.rule) \(.entity.value // "-") \(.severity) \(.evidence_total)"' | sort)
    check "$cap: findings = hunt" "$got" "$want"
    got=$(sqlq "$db" "SELECT s.name || ':' || e.line FROM finding_evidence e
        JOIN sources s ON s.id = e.source" | sort)
    want=$("$MS" hunt -q -f json "$d" | jq -r '.findings[].evidence[] |
        .ref' | sort)
    check "$cap: findings' evidence lines = hunt" "$got" "$want"

    # message paths: the hops table against trace's hops (every message traced), with skew
    got=$(sqlq "$db" "SELECT DISTINCT coalesce(a.host, '') || ':' || a.qid,
        coalesce(b.host, '') || ':' || b.qid, h.kind, printf('%.3f', h.skew) FROM hops h
        JOIN messages a ON a.id = h.from_message JOIN messages b ON b.id = h.to_message" | sort)
    want=$("$MS" trace -q -f json --expr "$ALL" "$d" | jq -r '(.messages | map({key: (.id |
        tostring), value: "\(.host // ""):\(.qid)"}) | from_entries) as $m | .hops[] |
        "\($m[.from | tostring]) \($m[.to | tostring]) \(.by) \(.skew_s)"' |
        awk '{ printf "%s %s %s %.3f\n", $1, $2, $3, $4 }' | sort -u)
    check "$cap: hops = trace's hops" "$got" "$want"
    check "$cap: v_message_paths: each path once" "$(sqlq "$db" "SELECT count(*) - count(DISTINCT
        root || path) FROM v_message_paths")" "0"
    check "$cap: v_message_paths: every hop on a path" "$(sqlq "$db" "SELECT count(*) FROM
        (SELECT DISTINCT from_message, to_message FROM hops) h JOIN messages a ON a.id =
        h.from_message JOIN messages b ON b.id = h.to_message WHERE NOT EXISTS (SELECT 1 FROM
        v_message_paths p WHERE instr(p.path, a.host || ':' || a.qid || ' -> ' || b.host || ':'
        || b.qid))")" "0"

    # every row from a log line cites source and line; and the line is the file's line
    got=$(sqlq "$db" "SELECT (SELECT count(*) FROM events WHERE source IS NULL OR line IS NULL)
        + (SELECT count(*) FROM attempts WHERE source IS NULL OR line IS NULL)
        + (SELECT count(*) FROM finding_evidence WHERE source IS NULL OR line IS NULL)")
    check "$cap: rows without source and line" "$got" "0"
    "$MS" sql -q --db "$db" -f jsonl "SELECT s.path, e.line, e.raw FROM events e
        JOIN sources s ON s.id = e.source" >"$TMPD/raw.jsonl"
    bad=$(python3 -c '
import json, sys
files, bad = {}, []
for row in map(json.loads, open(sys.argv[1])):
    if row["path"] not in files:
        files[row["path"]] = open(row["path"], encoding="utf-8", errors="replace").read().split("\n")
    if files[row["path"]][row["line"] - 1].rstrip("\r") != row["raw"]:
        bad.append("%s:%d" % (row["path"], row["line"]))
print(" ".join(bad[:3]))' "$TMPD/raw.jsonl")
    check "$cap: events' raw text is the cited file line" "$bad" ""

    # ingesting the same files again adds nothing
    before=$(counts "$db")
    "$MS" ingest -q --db "$db" "$d" >/dev/null
    check_rc "$cap: re-ingest" $? 0
    check "$cap: re-ingest adds no rows" "$(counts "$db")" "$before"
    check "$cap: re-ingest recorded" "$(sqlq "$db" "SELECT count(*) FROM ingests WHERE finished
        IS NOT NULL")" "2"
done

# --- -j 1 and -j 2 write the same case ----------------------------------------------------
for cap in hunt sendmail-dovecot; do
    "$MS" ingest -q -j 1 --db "$TMPD/j1-$cap.sqlite" "$CORPUS/$cap" >/dev/null
    "$MS" ingest -q -j 2 --db "$TMPD/j2-$cap.sqlite" "$CORPUS/$cap" >/dev/null
    for t in events findings finding_evidence; do
        check "$cap: -j 1 = -j 2 ($t)" \
            "$(sqlq "$TMPD/j1-$cap.sqlite" "SELECT * FROM $t" | cksum)" \
            "$(sqlq "$TMPD/j2-$cap.sqlite" "SELECT * FROM $t" | cksum)"
    done
    check "$cap: -j 1 = -j 2 (records)" "$(records "$TMPD/j1-$cap.sqlite")" \
        "$(records "$TMPD/j2-$cap.sqlite")"
done

# --- the case records the command line and every source's fingerprint ----------------
db=$TMPD/postfix.sqlite
got=$(sqlq "$db" "SELECT sha256 FROM sources WHERE name LIKE '%/maillog'")
check "fingerprint = sha256sum" "$got" "$(sha256sum "$CORPUS/postfix/maillog" | cut -d' ' -f1)"
got=$("$MS" sql -q --db "$db" -f json "SELECT argv FROM ingests WHERE id = 1" | jq -r '.[0].argv' |
      jq -r '.[1]')
check "argv recorded" "$got" "ingest"

# --- verify --db: the evidence against the fingerprints the case recorded ----------------
mkdir -p "$TMPD/ev"
cp "$CORPUS/postfix/maillog" "$TMPD/ev/mail.log"
cp "$CORPUS/hunt/maillog" "$TMPD/ev/mail2.log"
"$MS" ingest -q --db "$TMPD/ev.sqlite" "$TMPD/ev" >/dev/null
"$MS" verify -q --db "$TMPD/ev.sqlite" >"$TMPD/ev.out"
check_rc "verify --db: unchanged" $? 0
check_grep "verify --db: every source" "2 unchanged, 0 changed, 0 missing, 0 new" "$TMPD/ev.out"
echo "Nov 27 14:00:00 mx1 postfix/smtpd[1]: connect from x[192.0.2.9]" >>"$TMPD/ev/mail.log"
"$MS" verify -q --db "$TMPD/ev.sqlite" >"$TMPD/ev.out"
check_rc "verify --db: changed" $? 1
check_grep "verify --db: names the changed file" "CHANGED" "$TMPD/ev.out"
"$MS" ingest -q --db "$TMPD/ev.sqlite" "$TMPD/ev" >/dev/null
"$MS" verify -q --db "$TMPD/ev.sqlite" >"$TMPD/ev.out"
check_rc "verify --db: a grown file ingested again is its latest version" $? 0

# --- a grown file adds its new lines only; a copy under another name adds nothing ---------
src=$CORPUS/postfix/maillog
mkdir -p "$TMPD/grow"
head -n 40 "$src" >"$TMPD/grow/mail.log"
"$MS" ingest -q --db "$TMPD/grow.sqlite" "$TMPD/grow/mail.log" >/dev/null
tail -n +41 "$src" >>"$TMPD/grow/mail.log"
"$MS" ingest --db "$TMPD/grow.sqlite" "$TMPD/grow/mail.log" 2>"$TMPD/grow.err" >/dev/null
check_grep "grown file noticed" "only its new lines are added" "$TMPD/grow.err"
check_grep "grown file: open records continued" "left open by earlier ingests continued" \
    "$TMPD/grow.err"
"$MS" ingest -q --db "$TMPD/once.sqlite" "$TMPD/grow/mail.log" >/dev/null
check "grown file: events as one ingest" "$(sqlq "$TMPD/grow.sqlite" "SELECT count(*),
    count(DISTINCT line) FROM events")" "$(sqlq "$TMPD/once.sqlite" "SELECT count(*),
    count(DISTINCT line) FROM events")"
check "grown file: messages, recipients, attempts, sessions as one ingest" \
    "$(records "$TMPD/grow.sqlite")" "$(records "$TMPD/once.sqlite")"
check "grown file: continues its first version" "$(sqlq "$TMPD/grow.sqlite" "SELECT skip_lines
    || ' ' || continues FROM sources WHERE id = 2")" "40 1"
# a writer caught mid-line: the cut line is read again whole
mkdir -p "$TMPD/cut"
head -c 3000 "$src" >"$TMPD/cut/mail.log"
"$MS" ingest -q --db "$TMPD/cut.sqlite" "$TMPD/cut/mail.log" >/dev/null
cp "$src" "$TMPD/cut/mail.log"
"$MS" ingest -q --db "$TMPD/cut.sqlite" "$TMPD/cut/mail.log" >/dev/null
check "grown file cut mid-line: every line's event, the cut line whole" \
    "$(sqlq "$TMPD/cut.sqlite" "SELECT count(DISTINCT line) FROM events WHERE source = 2 OR
        line < (SELECT skip_lines + 1 FROM sources WHERE id = 2)")" \
    "$(sqlq "$TMPD/once.sqlite" "SELECT count(*) FROM events")"
cp "$TMPD/grow/mail.log" "$TMPD/grow/mail.log.1"
before=$(counts "$TMPD/grow.sqlite")
"$MS" ingest --db "$TMPD/grow.sqlite" "$TMPD/grow/mail.log.1" 2>"$TMPD/copy.err" >/dev/null
check_grep "copy noticed" "already in the case (the same bytes as" "$TMPD/copy.err"
check "copy adds no rows" "$(counts "$TMPD/grow.sqlite")" "$before"

# a log that grows twice, and one rotated (mail.log -> mail.log.1, a new mail.log), on
# every capture with one log: the case equals one ingest of the whole log
for cap in hunt hunt-exim hunt-sendmail hunt-opensmtpd courier sendmail-dovecot; do
    f=$(ls "$CORPUS/$cap"/maillog "$CORPUS/$cap"/mainlog 2>/dev/null | head -n 1)
    [ -n "$f" ] || continue
    n=$(wc -l <"$f")
    a=$((n / 3)) b=$((2 * n / 3))
    w=$TMPD/w-$cap && mkdir -p "$w/grow" "$w/rot" "$w/once"
    head -n "$a" "$f" >"$w/grow/mail.log"
    "$MS" ingest -q --db "$w/grow.sqlite" "$w/grow/mail.log" >/dev/null
    head -n "$b" "$f" | tail -n +$((a + 1)) >>"$w/grow/mail.log"
    "$MS" ingest -q --db "$w/grow.sqlite" "$w/grow/mail.log" >/dev/null
    tail -n +$((b + 1)) "$f" >>"$w/grow/mail.log"
    "$MS" ingest -q --db "$w/grow.sqlite" "$w/grow/mail.log" >/dev/null
    cp "$f" "$w/once/mail.log"
    "$MS" ingest -q --db "$w/once.sqlite" "$w/once/mail.log" >/dev/null
    check "$cap: grown twice = one ingest" "$(records "$w/grow.sqlite" | sed 's#/grow/#/once/#')" \
        "$(records "$w/once.sqlite")"
    head -n "$b" "$f" >"$w/rot/mail.log"
    "$MS" ingest -q --db "$w/rot.sqlite" "$w/rot" >/dev/null
    mv "$w/rot/mail.log" "$w/rot/mail.log.1"
    tail -n +$((b + 1)) "$f" >"$w/rot/mail.log"
    "$MS" ingest -q --db "$w/rot.sqlite" "$w/rot" >/dev/null
    check "$cap: rotated = one ingest of both parts (open records completed)" \
        "$(records "$w/rot.sqlite" | sed 's#:[0-9]*$##' | sort | sed 's#/rot/mail.log.1#/rot/mail.log#')" \
        "$(mkdir -p "$w/rot2" && head -n "$b" "$f" >"$w/rot2/mail.log.1" &&
           tail -n +$((b + 1)) "$f" >"$w/rot2/mail.log" &&
           "$MS" ingest -q --db "$w/rot2.sqlite" "$w/rot2" >/dev/null &&
           records "$w/rot2.sqlite" | sed 's#:[0-9]*$##' | sort | sed 's#/rot2/mail.log.1#/rot/mail.log#; s#/rot2/#/rot/#')"
done

# --- kill -9 during an ingest, then ingest again = one clean run ------------------------
GEN=$BUILD/bench/gen_postfix
if [ -x "$GEN" ]; then
    "$GEN" --bytes 12M --seed 7 --hosts 2 >"$TMPD/big.log"
    "$MS" ingest -q --db "$TMPD/clean.sqlite" "$TMPD/big.log" >/dev/null
    "$MS" ingest -q --db "$TMPD/killed.sqlite" "$TMPD/big.log" >/dev/null &
    pid=$!
    # wait until at least one batch is committed, then kill
    i=0
    while [ $i -lt 200 ]; do
        n=$("$MS" sql -q --db "$TMPD/killed.sqlite" -f csv 'SELECT count(*) FROM events' \
            2>/dev/null | tail -n 1)
        [ -n "$n" ] && [ "$n" -gt 0 ] 2>/dev/null && break
        i=$((i + 1))
        sleep 0.05
    done
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    unfinished=$(sqlq "$TMPD/killed.sqlite" "SELECT count(*) FROM ingests WHERE finished IS NULL")
    check "killed ingest left unfinished (batches committed: $n events)" "$unfinished" "1"
    "$MS" ingest --db "$TMPD/killed.sqlite" "$TMPD/big.log" 2>"$TMPD/resume.err" >/dev/null
    check_rc "ingest after kill -9" $? 0
    check_grep "kill: the unfinished ingest is removed" "did not finish" "$TMPD/resume.err"
    check "kill -9 then ingest = one clean run" "$(counts "$TMPD/killed.sqlite")" \
        "$(counts "$TMPD/clean.sqlite")"
    # a full disk, as the file-size limit makes it (EFBIG: SQLite's "disk is full"):
    # a clear error, exit 4, and the ingests already complete stay as they were
    cp "$TMPD/postfix.sqlite" "$TMPD/full.sqlite"
    before=$(counts "$TMPD/full.sqlite")
    (trap '' XFSZ; ulimit -f 8192; "$MS" ingest -q --db "$TMPD/full.sqlite" "$TMPD/big.log" \
        >/dev/null 2>"$TMPD/full.err")
    check_rc "full disk: ingest fails" $? 4
    check_grep "full disk: SQLite's reason" "writing the case: disk I/O error" "$TMPD/full.err"
    check "full disk: the complete ingests are intact" "$(counts "$TMPD/full.sqlite")" "$before"
    "$MS" ingest -q --db "$TMPD/full.sqlite" "$TMPD/big.log" >/dev/null 2>&1
    check "full disk: ingest again with room = complete" \
        "$(sqlq "$TMPD/full.sqlite" "SELECT count(*) FROM events WHERE source IN
            (SELECT id FROM sources WHERE name LIKE '%big.log')")" \
        "$(sqlq "$TMPD/clean.sqlite" "SELECT count(*) FROM events")"
else
    skip "kill -9 and full disk tests: $GEN not built"
fi

# --- sql: formats and escaping -------------------------------------------------------------
db=$TMPD/hunt.sqlite
"$MS" sql -q --db "$db" -f json 'SELECT * FROM messages' | jq -e 'length > 0' >/dev/null
check_rc "sql -f json is JSON" $? 0
"$MS" sql -q --db "$db" -f jsonl 'SELECT * FROM events LIMIT 5' | jq -e . >/dev/null
check_rc "sql -f jsonl is JSON" $? 0
esc=$(printf '\033')
printf 'Nov 27 13:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@b>: Relay access denied; from=<=HYPERLINK("http://evil")@evil.test> to=<a@b> proto=ESMTP helo=<%s[31mred>\n' "$esc" >"$TMPD/evil.log"
"$MS" ingest -q --db "$TMPD/evil.sqlite" "$TMPD/evil.log" >/dev/null
got=$("$MS" sql -q --db "$TMPD/evil.sqlite" -f csv "SELECT sender FROM events WHERE sender IS NOT NULL" | tail -n 1)
check "csv neutralises formulas" "$(printf '%s' "$got" | cut -c1-3)" "\"'="
"$MS" sql -q --db "$TMPD/evil.sqlite" "SELECT raw FROM events" >"$TMPD/evil.table"
check "table escapes terminal controls" "$(grep -c "$esc" "$TMPD/evil.table")" "0"
check_grep "table shows the escape" '\x1b[31mred' "$TMPD/evil.table"
got=$("$MS" sql -q --db "$TMPD/evil.sqlite" -f json "SELECT helo FROM events" | jq -r '.[0].helo')
check "json keeps the value" "$got" "${esc}[31mred"

got=$("$MS" sql -q --db "$db" -f json 'SELECT 1e999 AS big, 0.5 AS half' | jq -c '.[0]')
check "json: no infinity, numbers stay numbers" "$got" '{"big":null,"half":0.5}'
got=$("$MS" sql -q --db "$db" -f csv "SELECT NULL AS n, '' AS e" | tail -n 1)
check "csv: NULL differs from the empty string" "$got" ',""'

# --- bad statements and bad cases ---------------------------------------------------------
"$MS" sql --db "$db" 'SELEC * FROM events' 2>"$TMPD/err"
check_rc "bad statement" $? 2
check_grep "bad statement: SQLite's message" 'syntax error' "$TMPD/err"
check_grep "bad statement: position" 'at byte 0' "$TMPD/err"
before=$(counts "$db")
"$MS" sql --db "$db" 'DELETE FROM events' 2>"$TMPD/err"
check_rc "write statement refused" $? 2
check_grep "write statement: why" 'only reads' "$TMPD/err"
"$MS" sql --db "$db" "SELECT 1; DELETE FROM events" 2>"$TMPD/err"
check_rc "second statement refused" $? 2
check "case unchanged by refused statements" "$(counts "$db")" "$before"

"$MS" sql --db "$TMPD/nothere.sqlite" 'SELECT 1' 2>"$TMPD/err"
check_rc "missing case" $? 2
check "missing case not created" "$(ls "$TMPD"/nothere.sqlite* 2>/dev/null)" ""
check_grep "missing case: why" "creates none" "$TMPD/err"
"$MS" sql --db "$CORPUS/postfix/maillog" 'SELECT 1' 2>"$TMPD/err"
check_rc "log file as case" $? 2
check_grep "not a case: why" "is not a mailsleuth case (not an SQLite database)" "$TMPD/err"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.commit()" "$TMPD/other.sqlite"
"$MS" sql --db "$TMPD/other.sqlite" 'SELECT 1' 2>"$TMPD/err"
check_rc "other application's database" $? 2
check_grep "other database: why" "another application" "$TMPD/err"
"$MS" ingest --db "$TMPD/other.sqlite" "$CORPUS/postfix/maillog" 2>"$TMPD/err"
check_rc "ingest into another application's database" $? 2

setver() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version=%d' % int(sys.argv[2])); c.commit()" "$1" "$2"; }
cp "$TMPD/postfix.sqlite" "$TMPD/newer.sqlite"
setver "$TMPD/newer.sqlite" 99
"$MS" sql --db "$TMPD/newer.sqlite" 'SELECT 1' 2>"$TMPD/err"
check_rc "newer schema refused by sql" $? 2
check_grep "newer schema: why" "written by a newer mailsleuth (case schema 99" "$TMPD/err"
"$MS" ingest --db "$TMPD/newer.sqlite" "$CORPUS/postfix/maillog" 2>"$TMPD/err"
check_rc "newer schema refused by ingest" $? 2
cp "$TMPD/postfix.sqlite" "$TMPD/older.sqlite"
setver "$TMPD/older.sqlite" 0
"$MS" ingest --db "$TMPD/older.sqlite" "$CORPUS/postfix/maillog" 2>"$TMPD/err"
check_rc "older schema refused" $? 2
check_grep "older schema: why" "older than the first one mailsleuth can upgrade" "$TMPD/err"

cp "$TMPD/postfix.sqlite" "$TMPD/ro.sqlite"
chmod 444 "$TMPD/ro.sqlite"
"$MS" ingest --db "$TMPD/ro.sqlite" "$CORPUS/hunt/maillog" 2>"$TMPD/err"
check_rc "read-only case: ingest" $? 2
check_grep "read-only case: why" "cannot be written" "$TMPD/err"
got=$(sqlq "$TMPD/ro.sqlite" "SELECT count(*) FROM messages")
check "read-only case: sql still reads it" "$got" "$(sqlq "$TMPD/postfix.sqlite" "SELECT count(*) FROM messages")"

"$MS" ingest --db "$TMPD/no/such/dir/x.sqlite" "$CORPUS/postfix/maillog" 2>"$TMPD/err"
check_rc "case in a missing directory" $? 2
check_grep "case in a missing directory: why" "unable to open database file" "$TMPD/err"
"$MS" ingest --db "$TMPD/miss.sqlite" "$TMPD/no-such.log" "$CORPUS/postfix/maillog" \
    >/dev/null 2>"$TMPD/err"
check_rc "missing input: exit 3" $? 3
check_grep "missing input: named" "no-such.log" "$TMPD/err"
check "missing input: the rest is ingested" "$(sqlq "$TMPD/miss.sqlite" "SELECT count(*) FROM
    sources")" "1"
"$MS" ingest --db "$TMPD/x.sqlite" - </dev/null 2>"$TMPD/err"
check_rc "ingest from stdin refused" $? 2
"$MS" sql 'SELECT 1' 2>"$TMPD/err"
check_rc "sql without --db" $? 2

# ingest judges with hunt's lookups: --protected-domain reaches lookalike-domain (a copy of the
# hunt capture whose partner newsletter comes from partnner.test once)
sed '0,/from=<news@partner.test>/s//from=<news@partnner.test>/' tests/corpus/hunt/maillog >"$TMPD/pp.log"
"$MS" hunt -q -f json --tz UTC --protected-domain partner.test "$TMPD/pp.log" |
    jq -r '.findings[] | select(.rule == "lookalike-domain") | .title' | sort >"$TMPD/pp.hunt"
"$MS" ingest -q --db "$TMPD/pp.sqlite" --tz UTC --protected-domain partner.test "$TMPD/pp.log" >/dev/null
"$MS" sql --db "$TMPD/pp.sqlite" -f jsonl "SELECT title FROM findings WHERE rule = 'lookalike-domain'" |
    jq -r .title | sort >"$TMPD/pp.case"
check "ingest: --protected-domain judged as by hunt" "$(grep -c 'imitates protected domain partner.test' "$TMPD/pp.case")" 1
check "ingest: look-alike findings equal hunt's" "$(cat "$TMPD/pp.case")" "$(cat "$TMPD/pp.hunt")"

finish "cli store"
