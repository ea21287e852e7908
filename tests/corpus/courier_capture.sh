#!/bin/bash
# tests/corpus/courier_capture.sh - regenerate the committed real Courier capture in tests/corpus/courier/.
#
# Run as root, by hand (the test suite never runs it):   sudo bash tests/corpus/courier_capture.sh
#
# Debian's courier-mta (1.0.16) conflicts with the installed postfix as a package, so it is fetched with
# `apt-get download` (with courier-base, courier-authlib, courier-authdaemon, courier-authlib-userdb and
# the libraries Debian 12 does not have installed) and unpacked with `dpkg -x` into $WORK/root; the
# ownerships and modes Debian's postinst sets (dpkg-statoverride) are applied to that copy. Everything then
# runs inside a private mount + UTS namespace (`unshare --mount --uts`), where /usr, /etc, /var and /run
# are writable overlays (upper layers under $WORK) over the real directories with the unpacked packages
# in between, and /dev/log points at $WORK/log.sock; the machine's own directories are never written.
# A small syslog receiver (python, on $WORK/log.sock) writes facility mail in the classic Debian
# /var/log/mail.log layout ("Mmm dd HH:MM:SS host tag[pid]: msg") to $WORK/maillog.
#
# courieresmtpd listens on 127.0.0.1:$SMTP_PORT (AUTH LOGIN/PLAIN through authdaemond + userdb), delivers
# example.test locally (Maildirs under $WORK/mail) and sends everything else through esmtproutes to
# 127.0.0.1:$SINK_PORT, the scripted SMTP sink of postfix_capture.sh (250; 550 for bounce*; 451 for
# defer*). Nothing is ever sent beyond 127.0.0.1.
#
# Writes tests/corpus/courier/maillog and expected.txt (ground truth from the scenario plan and the
# clients' exit codes, never from the log). Idempotent: every run starts from an empty $WORK.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/courier}
WORK=${WORK:-/opt/mailsleuth-courier-capture}
SMTP_PORT=${SMTP_PORT:-2577}
SINK_PORT=${SINK_PORT:-2578}
HOSTNAME_SET=mx3.example.test
TRUSTED_IP=127.0.0.2            # internal host, relaying allowed (smtpaccess RELAYCLIENT)
OUTSIDE_IP=127.0.0.3            # "internet" client

die() { echo "courier_capture: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"

if [ "${1:-}" != --inside ]; then
# ================================================================ outside the namespace: prepare
need=()
for p in swaks python3; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null; fi
if [ -f "$WORK/pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done <"$WORK/pids"
    sleep 1
fi
rm -rf "$WORK"
mkdir -p "$WORK/debs" "$WORK/root"
chmod 755 "$WORK"
(cd "$WORK/debs" && apt-get download courier-mta courier-base courier-authlib courier-authdaemon \
    courier-authlib-userdb libcourier-unicode4 libgamin0 libnet-cidr-perl >/dev/null 2>&1) ||
    die "apt-get download failed"
for f in "$WORK"/debs/*.deb; do dpkg -x "$f" "$WORK/root"; done
for port in "$SMTP_PORT" "$SINK_PORT"; do
    if ss -ltn "sport = :$port" | grep -q LISTEN; then die "port $port is in use"; fi
done
# the account courier runs as (courier-base's postinst creates it the same way)
getent passwd courier >/dev/null || adduser --quiet --system --group --no-create-home \
    --home /var/lib/courier courier
exec unshare --mount --uts -- bash "$0" --inside
fi

# ================================================================ inside the namespace
ROOT=$WORK/root
CVER=$(dpkg-deb -f "$WORK"/debs/courier-mta_*.deb Version)
# Debian's statoverrides, on the private copy
chown -R root:courier "$ROOT/etc/courier"
chmod 755 "$ROOT/etc/courier"
chown -R courier:courier "$ROOT/var/lib/courier"
chmod 750 "$ROOT/var/lib/courier" "$ROOT"/var/lib/courier/*
chmod 770 "$ROOT/var/lib/courier/tmp"
chown courier:courier "$ROOT/usr/lib/courier/courier/submitmkdir"
chmod 4755 "$ROOT/usr/lib/courier/courier/submitmkdir"
chown root:courier "$ROOT/usr/sbin/sendmail"
chmod 2755 "$ROOT/usr/sbin/sendmail"

mount --make-rprivate /
for d in usr etc var run; do
    mkdir -p "$WORK/ovl/$d/up" "$WORK/ovl/$d/wk"
    mount -t overlay overlay -o "lowerdir=$ROOT/$d:/$d,upperdir=$WORK/ovl/$d/up,workdir=$WORK/ovl/$d/wk" "/$d" 2>/dev/null ||
        mount -t overlay overlay -o "lowerdir=/$d,upperdir=$WORK/ovl/$d/up,workdir=$WORK/ovl/$d/wk" "/$d"
done
mkdir -p "$WORK/devlog"
ln -sf "$WORK/log.sock" "$WORK/devlog/log"
mount -t overlay overlay -o "lowerdir=$WORK/devlog:/dev" /dev
hostname "$HOSTNAME_SET"
mkdir -p /run/courier /run/courier/authdaemon
chown root:courier /run/courier
chmod 775 /run/courier
chown courier:courier /run/courier/authdaemon
chmod 750 /run/courier/authdaemon
[ -x /usr/lib/courier/courier/courierd ] || die "courier not visible in the namespace"
# the update-alternatives link courier-mta's postinst makes
[ -e /usr/bin/makedat ] || ln -s makedat.courier /usr/bin/makedat

# ---------------------------------------------------------------- configuration
C=/etc/courier
echo "$HOSTNAME_SET" >$C/me
echo "$HOSTNAME_SET" >$C/defaultdomain
printf 'example.test\n%s\nlocalhost\n' "$HOSTNAME_SET" >$C/locals
printf 'example.test\n%s\n' "$HOSTNAME_SET" >$C/esmtpacceptmailfor
mkdir -p $C/esmtpacceptmailfor.dir $C/hosteddomains
echo "postmaster@$HOSTNAME_SET" >$C/dsnfrom
printf ': [127.0.0.1],%s\n' "$SINK_PORT" >$C/esmtproutes
printf '127.0.0.1\tallow,RELAYCLIENT\n%s\tallow,RELAYCLIENT\n' "$TRUSTED_IP" >$C/smtpaccess/default
printf 'postmaster: alice@example.test\n' >$C/aliases/system
sed -i -e "s/^PORT=.*/PORT=$SMTP_PORT/" -e 's/^BOFHCHECKDNS=.*/BOFHCHECKDNS=0/' \
    -e 's/^TARPIT=.*/TARPIT=0/' -e 's/^ESMTPAUTH=.*/ESMTPAUTH="LOGIN PLAIN"/' \
    -e 's/^ESMTPDSTART=.*/ESMTPDSTART=YES/' $C/esmtpd
echo 'ADDRESS=127.0.0.1' >>$C/esmtpd
sed -i -e 's/^ESMTP_USE_STARTTLS=.*/ESMTP_USE_STARTTLS=0/' $C/courierd
sed -i -e 's/^authmodulelist=.*/authmodulelist="authuserdb"/' $C/authdaemonrc
# two mailboxes (userdb: courier-authlib's own account database)
NOBODY_UID=$(id -u nobody); NOGROUP_GID=$(getent group nogroup | cut -d: -f3)
for u in alice bob; do
    mkdir -p "$WORK/mail/$u/Maildir/cur" "$WORK/mail/$u/Maildir/new" "$WORK/mail/$u/Maildir/tmp"
    chown -R nobody:nogroup "$WORK/mail/$u"
    userdb "$u" set "uid=$NOBODY_UID" "gid=$NOGROUP_GID" "home=$WORK/mail/$u" \
        "mail=$WORK/mail/$u/Maildir"
    echo "$u-secret" | userdbpw | userdb "$u" set systempw
done
makeuserdb
makesmtpaccess
makeacceptmailfor
makealiases

# ---------------------------------------------------------------- syslog receiver and sink
cat >"$WORK/syslogd.py" <<'EOF'
# A minimal syslog receiver: datagrams "<PRI>Mmm dd HH:MM:SS tag[pid]: msg" on a unix socket; facility
# mail (2) goes to the file as "Mmm dd HH:MM:SS HOST tag[pid]: msg" (rsyslog's traditional format).
import os, re, socket, sys
path, out, host = sys.argv[1], sys.argv[2], sys.argv[3]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
f = open(out, "a", buffering=1)
pat = re.compile(rb"^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (.*)$", re.S)
while True:
    d = s.recv(65536)
    m = pat.match(d)
    if not m:
        continue
    if int(m.group(1)) >> 3 != 2:
        continue
    msg = m.group(3).rstrip(b"\n\0").replace(b"\n", b" ")
    f.write(m.group(2).decode() + " " + host + " " + msg.decode("utf-8", "replace") + "\n")
EOF
sed -n "/^cat >\"\$WORK\/sink.py\" <<'EOF'/,/^EOF/p" "$HERE/postfix_capture.sh" | sed '1d;$d' >"$WORK/sink.py"
grep -q 'serve_forever' "$WORK/sink.py" || die "could not take the sink from postfix_capture.sh"

: >"$WORK/pids"
cleanup() {
    esmtpd stop >/dev/null 2>&1 || true
    courier stop >/dev/null 2>&1 || true
    authdaemond stop >/dev/null 2>&1 || true
    sleep 1
    while read -r p; do kill "$p" 2>/dev/null || true; done <"$WORK/pids"
}
trap cleanup EXIT
python3 "$WORK/syslogd.py" "$WORK/log.sock" "$WORK/maillog" "$HOSTNAME_SET" >"$WORK/syslogd.out" 2>&1 &
echo $! >>"$WORK/pids"
python3 "$WORK/sink.py" "$SINK_PORT" >"$WORK/sink.log" 2>&1 &
echo $! >>"$WORK/pids"
for _ in $(seq 50); do [ -S "$WORK/log.sock" ] && break; sleep 0.1; done
[ -S "$WORK/log.sock" ] || die "syslog receiver did not start"

authdaemond start
courier start
esmtpd start
for _ in $(seq 100); do
    ss -ltn "sport = :$SMTP_PORT" | grep -q LISTEN && ss -ltn "sport = :$SINK_PORT" | grep -q LISTEN && break
    sleep 0.2
done
ss -ltn "sport = :$SMTP_PORT" | grep -q LISTEN || { tail "$WORK/maillog"; die "courieresmtpd not listening"; }
echo "courier_capture: courier-mta $CVER listening"

# ---------------------------------------------------------------- scenarios (ground truth as we go)
# Outcome rules of this little world:
#   rcpt alice|bob@example.test            -> delivered locally (courierlocal, Maildir)
#   rcpt other@example.test                -> rejected at RCPT (no such account)
#   rcpt elsewhere, untrusted, no AUTH     -> rejected at RCPT (relaying denied)
#   rcpt elsewhere: defer* deferred (sink 451), bounce* bounced (sink 550, DSN to the sender),
#                   anything else relayed through the sink (250)
: >"$WORK/expected.txt"
truth() { echo "$*" >>"$WORK/expected.txt"; }
SEQ=0
smtp() { # id expect client_ip helo from rcpt [auth_user auth_pass]
    local id=$1 expect=$2 cip=$3 helo=$4 from=$5 rcpt=$6 au=${7:-} ap=${8:-}
    SEQ=$((SEQ + 1))
    local args=(--server 127.0.0.1 --port "$SMTP_PORT" --local-interface "$cip" --helo "$helo"
        --from "$from" --to "$rcpt" --header "Message-Id: <$id.$SEQ@$helo>"
        --header "Subject: scenario $id" --body "mailsleuth courier capture scenario $id"
        --silent 2 --timeout 20)
    if [ -n "$au" ]; then args+=(--auth LOGIN --auth-user "$au" --auth-password "$ap"); fi
    local rc=0
    swaks "${args[@]}" >"$WORK/swaks.$id.log" 2>&1 || rc=$?
    if [ "$rc" != "$expect" ]; then cat "$WORK/swaks.$id.log" >&2; die "scenario $id: swaks exit $rc, expected $expect"; fi
    echo "  $id: swaks exit $rc"
    sleep 1
}
echo "courier_capture: scenarios"
smtp loc1 0 "$OUTSIDE_IP" mail.partner.test news@partner.test alice@example.test
truth "rcpt alice@example.test delivered  # loc1 from news@partner.test via $OUTSIDE_IP"
smtp rel1 0 "$TRUSTED_IP" ws1.example.test alice@example.test frank@remote.test
truth "rcpt frank@remote.test relayed  # rel1 from alice@example.test via $TRUSTED_IP, to the sink"
smtp rel2 0 "$TRUSTED_IP" ws2.example.test bob@example.test defer@remote.test
truth "rcpt defer@remote.test deferred  # rel2: the sink answers 451, still queued at the end"
smtp rel3 0 "$TRUSTED_IP" ws1.example.test alice@example.test bounce@remote.test
truth "rcpt bounce@remote.test bounced  # rel3: the sink answers 550"
truth "dsn alice@example.test delivered  # rel3: courierdsn's notice, a message of its own, delivered locally"
smtp unk1 24 "$OUTSIDE_IP" mail.partner.test eve@partner.test nosuchuser@example.test
truth "reject nosuchuser@example.test $OUTSIDE_IP RCPT  # unk1: no such account"
smtp den1 24 "$OUTSIDE_IP" spam.elsewhere.test spam@elsewhere.test victim@elsewhere.test
truth "reject victim@elsewhere.test $OUTSIDE_IP RCPT  # den1: relaying denied"
smtp auth1 0 "$OUTSIDE_IP" laptop.example.test alice@example.test ivan@remote.test alice alice-secret
truth "rcpt ivan@remote.test relayed  # auth1: AUTH LOGIN alice, then relayed"
truth "authok alice $OUTSIDE_IP  # auth1 (courierd names the user: newmsg ..., auth=alice)"
smtp auth2 28 "$OUTSIDE_IP" brute.elsewhere.test alice@example.test ivan@remote.test alice wrong1
truth "authfail alice $OUTSIDE_IP  # auth2: wrong password"
smtp auth3 28 "$OUTSIDE_IP" brute.elsewhere.test bob@example.test ivan@remote.test bob wrong2
truth "authfail bob $OUTSIDE_IP  # auth3: wrong password"

# totals over the plan above: 5 accepted messages + rel3's DSN = 6 received; delivered: alice (loc1),
# the DSN to alice, frank and ivan = 4; deferred 1 (defer@), bounced 1 (bounce@), rejected 2 (unk1, den1)
truth "count received 6"
truth "count delivered 4"
truth "count deferred 1"
truth "count bounced 1"
truth "count rejected 2"

# ---------------------------------------------------------------- wait, stop, outputs
for _ in $(seq 150); do
    grep -q 'addr=<defer@remote.test>' "$WORK/maillog" && grep -q 'addr=<bounce@remote.test>' "$WORK/maillog" &&
        [ "$(grep -c 'courierlocal: id=' "$WORK/maillog")" -ge 2 ] && break
    sleep 0.2
done
sleep 3
trap - EXIT
cleanup
sleep 1
mkdir -p "$OUT"
cp "$WORK/maillog" "$OUT/maillog"
# the configuration it ran with, for --site-config tests (tests/data/site/courier-mx3)
SITE=${SITE:-$HERE/../data/site/courier-mx3}
mkdir -p "$SITE/smtpaccess"
cp $C/me $C/locals $C/esmtpacceptmailfor "$SITE/" && cp $C/smtpaccess/default "$SITE/smtpaccess/"
{
    echo "# ground truth of tests/corpus/courier/maillog, written by courier_capture.sh from its own scenario"
    echo "# plan and the clients' exit codes (never from the log): courier-mta $CVER, host $HOSTNAME_SET"
    echo "# rcpt ADDRESS OUTCOME | dsn ADDRESS OUTCOME | reject RCPT CLIENT STAGE | authok/authfail USER CLIENT |"
    echo "# count KEY N (summary's Grand Totals)"
    cat "$WORK/expected.txt"
} >"$OUT/expected.txt"
echo "courier_capture: wrote $OUT/maillog ($(wc -l <"$OUT/maillog") lines) and $OUT/expected.txt"
