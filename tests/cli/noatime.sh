#!/bin/sh
# Reading evidence leaves its access time as found: files and directories are opened
# O_NOATIME when the kernel allows it (owner or CAP_FOWNER).  The evidence is a copy of the
# real Postfix capture (plain, gzip, inside a directory) and a real delivered message, each
# with an atime set a year back, so a relatime mount would update it on any read.  A reader
# who may not ask O_NOATIME still reads (the kernel then updates atime; documented).
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
MBOX=tests/corpus/headers/mail/mx1-alice.mbox
HDRLOGS="tests/corpus/headers/postfix-mx1 tests/corpus/headers/postfix-mx2"
PAST='2025-06-01 12:00:00'
atime() { stat -c %X "$1"; }
past() { touch -a -d "$PAST" "$@"; }

# does this mount update atime at all?  A plain read of a copy answers it
cp "$CAP" "$TMPD/control"
past "$TMPD/control"
a0=$(atime "$TMPD/control")
cat "$TMPD/control" >/dev/null
if [ "$(atime "$TMPD/control")" = "$a0" ]; then
    skip "atime preserved: the mount of $TMPD does not update atime on read (noatime?)"
    finish "noatime"
    exit 0
fi

mkdir -p "$TMPD/ev/logs"
cp "$CAP" "$TMPD/ev/maillog"
gzip -c "$CAP" >"$TMPD/ev/maillog.1.gz"
cp "$CAP" "$TMPD/ev/logs/maillog"
cp "$MBOX" "$TMPD/ev/message.eml"
past "$TMPD/ev/maillog" "$TMPD/ev/maillog.1.gz" "$TMPD/ev/logs/maillog" "$TMPD/ev/logs" \
    "$TMPD/ev/message.eml"
want=$(atime "$TMPD/ev/maillog")

"$MS" summary -q --tz UTC "$TMPD/ev/maillog" >/dev/null
check "summary: plain file's atime unchanged" "$(atime "$TMPD/ev/maillog")" "$want"
"$MS" summary -q --tz UTC "$TMPD/ev/maillog.1.gz" >/dev/null
check "summary: gzip file's atime unchanged" "$(atime "$TMPD/ev/maillog.1.gz")" "$want"
"$MS" summary -q --tz UTC "$TMPD/ev/logs" >/dev/null
check "summary of a directory: the directory's atime unchanged" "$(atime "$TMPD/ev/logs")" "$want"
check "summary of a directory: its file's atime unchanged" "$(atime "$TMPD/ev/logs/maillog")" "$want"
"$MS" trace -q --tz UTC 'from:*' "$TMPD/ev/maillog" >"$TMPD/t.out" 2>&1
check_rc "trace ran" $? 0
check "trace (two passes): atime unchanged" "$(atime "$TMPD/ev/maillog")" "$want"
"$MS" verify -q --tz UTC "$TMPD/ev/maillog" >"$TMPD/manifest.json" 2>&1
check_rc "verify ran" $? 0
check "verify (hashing): atime unchanged" "$(atime "$TMPD/ev/maillog")" "$want"
# shellcheck disable=SC2086
"$MS" headers -q --tz UTC --year 2026 "$TMPD/ev/message.eml" $HDRLOGS >"$TMPD/h.out" 2>&1
check_grep "headers ran" "confirmed" "$TMPD/h.out"
check "headers: the message file's atime unchanged" "$(atime "$TMPD/ev/message.eml")" "$want"

# a reader who neither owns the file nor has CAP_FOWNER: O_NOATIME is refused (EPERM) and
# the file is read as usual, without a word
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
    mkdir -p "$TMPD/pub" && chmod 755 "$TMPD" "$TMPD/pub"
    cp "$CAP" "$TMPD/pub/maillog" && chmod 644 "$TMPD/pub/maillog"
    setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
        "$MS" summary -q -f json --tz UTC "$TMPD/pub/maillog" >"$TMPD/o.json" 2>"$TMPD/o.err"
    check_rc "not the owner: still read" $? 0
    check "not the owner: every line" "$(jq '.inputs.sources[0].lines' "$TMPD/o.json")" \
        "$(wc -l <"$CAP" | tr -d ' ')"
    check "not the owner: nothing on stderr" "$(cat "$TMPD/o.err")" ""
    past "$TMPD/pub/maillog"
    a1=$(atime "$TMPD/pub/maillog")
    setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
        "$MS" summary -q --tz UTC "$TMPD/pub/maillog" >/dev/null 2>&1
    check "not the owner: the kernel updates atime (what SECURITY.md says is not kept)" \
        "$([ "$(atime "$TMPD/pub/maillog")" != "$a1" ] && echo changed)" changed
else
    skip "not the owner: needs root, setpriv and a nobody user to drop to"
fi
finish "noatime"
