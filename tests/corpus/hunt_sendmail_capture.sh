#!/bin/bash
# tests/corpus/hunt_sendmail_capture.sh - the hunt scenario set of hunt_capture.sh played against a real
# Sendmail (Debian's sendmail-bin 8.17) on 127.0.0.1; writes tests/corpus/hunt-sendmail/{maillog,expected.txt}.
# Run as root, by hand (the test suite only replays):  sudo bash tests/corpus/hunt_sendmail_capture.sh
#
# As in sendmail_dovecot_capture.sh: sendmail-bin/-base/-cf and rsyslog are fetched with apt-get download,
# unpacked with dpkg -x, and run inside a private mount + UTS namespace where /usr, /etc and /dev are
# read-only overlays (the unpacked packages, a private sendmail.cf and sasl2 config, /dev/log -> a private
# rsyslogd's socket) and the hostname is mx6.example.test. Sendmail: MTA daemon on MX_PORT (2674), MSA
# daemon on SUB_PORT (2675), STARTTLS with a self-signed certificate, AUTH LOGIN/PLAIN through Cyrus SASL
# (private sasldb, realm example.test), local users alice and bob (+ alias finance -> alice; unknown users
# refused at RCPT), relaying for TRUSTED_IP (RELAY_DOMAIN) and authenticated clients to the scripted sink
# on SINK_PORT (SMART_HOST), everyone else "Relaying denied".
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/hunt-sendmail}
# not under /tmp: sendmail refuses files below a world-writable directory
WORK=${WORK:-/run/mailsleuth-hunt-sendmail}
MX_PORT=${MX_PORT:-2674}
SUB_PORT=${SUB_PORT:-2675}
SINK_PORT=${SINK_PORT:-2676}
HC_NAME=hunt_sendmail_capture
HOSTNAME_SET=mx6.example.test
export TZ=UTC
. "$HERE/hunt_capture_lib.sh"
[ "$(id -u)" = 0 ] || hc_die "run as root"

if [ "${1:-}" != --inside ]; then
    for p in swaks sasl2-bin libsasl2-modules python3 m4 openssl libestr0 libfastjson4 liblockfile1 libdb5.3 \
        libnsl2 libldap-2.5-0 libwrap0 libtirpc3 libicu72; do
        dpkg -s "$p" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p" >/dev/null
    done
    if [ -f "$WORK/pids" ]; then while read -r p; do kill "$p" 2>/dev/null || true; done <"$WORK/pids"; sleep 1; fi
    rm -rf "$WORK"
    mkdir -p "$WORK/debs" "$WORK/root"
    (cd "$WORK/debs" && apt-get download sendmail-bin sendmail-base sendmail-cf rsyslog >/dev/null 2>&1) ||
        hc_die "apt-get download failed"
    for f in "$WORK"/debs/*.deb; do dpkg -x "$f" "$WORK/root"; done
    hc_ports_free "$MX_PORT" "$SUB_PORT" "$SINK_PORT"
    for u in alice bob; do
        getent passwd "$u" >/dev/null || useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$u"
    done
    exec unshare --mount --uts -- bash "$0" --inside
fi

# ================================================================ inside the namespace
ROOT=$WORK/root
E=$WORK/etc
mkdir -p "$E/mail/tls" "$E/sasl2" "$WORK/devlog" "$WORK/mqueue" "$WORK/mail" "$WORK/bodies" "$WORK/rsyslog"
chmod 700 "$WORK/mqueue"
ln -s "$WORK/log.sock" "$WORK/devlog/log"
SMVER=$(dpkg-deb -f "$WORK"/debs/sendmail-bin_*.deb Version)
hc_cert "$E/mail/tls" "$HOSTNAME_SET"
chmod 600 "$E/mail/tls/key.pem"
cat >"$WORK/local-deliver" <<EOF
#!/bin/sh
t=\$(mktemp); cat >"\$t"
for u in "\$@"; do cat "\$t" >>"$WORK/mail/\$u"; done
rm -f "\$t"
EOF
chmod 755 "$WORK/local-deliver"
printf 'postmaster: alice\nroot: alice\nMAILER-DAEMON: postmaster\nfinance: alice\n' >"$WORK/aliases"
printf 'hosts files\naliases files\n' >"$WORK/service.switch"
cat >"$E/mail/sendmail.mc" <<EOF
divert(-1)
# mailsleuth hunt capture: a small Debian-like sendmail.mc (ostype linux; paths under $WORK)
divert(0)dnl
include(\`$ROOT/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`mailsleuth hunt_sendmail_capture')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$HOSTNAME_SET')dnl
define(\`confLOG_LEVEL', \`10')dnl
define(\`QUEUE_DIR', \`$WORK/mqueue')dnl
define(\`confPID_FILE', \`$WORK/sendmail.pid')dnl
define(\`STATUS_FILE', \`$WORK/sendmail.st')dnl
define(\`ALIAS_FILE', \`$WORK/aliases')dnl
define(\`confSERVICE_SWITCH_FILE', \`$WORK/service.switch')dnl
define(\`confHOSTS_FILE', \`/etc/hosts')dnl
define(\`confDONT_PROBE_INTERFACES', \`true')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confAUTH_MECHANISMS', \`LOGIN PLAIN')dnl
define(\`confAUTH_OPTIONS', \`A,p')dnl
define(\`confDONT_BLAME_SENDMAIL', \`GroupReadableSASLDBFile,GroupWritableDirPathSafe')dnl
define(\`confCACERT_PATH', \`$E/mail/tls')dnl
define(\`confCACERT', \`$E/mail/tls/cert.pem')dnl
define(\`confSERVER_CERT', \`$E/mail/tls/cert.pem')dnl
define(\`confSERVER_KEY', \`$E/mail/tls/key.pem')dnl
TRUST_AUTH_MECH(\`LOGIN PLAIN')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $SINK_PORT')dnl
define(\`LOCAL_MAILER_PATH', \`$WORK/local-deliver')dnl
define(\`LOCAL_MAILER_ARGS', \`local-deliver \$u')dnl
define(\`LOCAL_MAILER_FLAGS', \`SPfhmnw')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
LOCAL_DOMAIN(\`example.test')dnl
LOCAL_DOMAIN(\`$HOSTNAME_SET')dnl
RELAY_DOMAIN(\`$TRUSTED_IP')dnl
DAEMON_OPTIONS(\`Port=$MX_PORT, Addr=127.0.0.1, Name=MTA')dnl
DAEMON_OPTIONS(\`Port=$SUB_PORT, Addr=127.0.0.1, Name=MSA, M=E')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
m4 "$E/mail/sendmail.mc" >"$E/mail/sendmail.cf" 2>"$WORK/m4.err" || { cat "$WORK/m4.err"; hc_die "m4"; }
cp "$ROOT/etc/mail/helpfile" "$E/mail/helpfile" 2>/dev/null || true
cat >"$E/sasl2/Sendmail.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $WORK/sasldb2
EOF
echo "$HC_PASS_ALICE" | saslpasswd2 -p -c -f "$WORK/sasldb2" -u example.test alice
echo "$HC_PASS_BOB" | saslpasswd2 -p -c -f "$WORK/sasldb2" -u example.test bob
chmod 640 "$WORK/sasldb2"
cat >"$WORK/rsyslog.conf" <<EOF
global(workDirectory="$WORK/rsyslog")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$WORK/log.sock" CreatePath="on")
module(load="builtin:omfile" Template="RSYSLOG_TraditionalFileFormat")
mail.*  action(type="omfile" file="$WORK/maillog")
EOF

mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=$ROOT/usr:/usr" /usr
mount -t overlay overlay -o "lowerdir=$E:/etc" /etc
mount -t overlay overlay -o "lowerdir=$WORK/devlog:/dev" /dev
hostname "$HOSTNAME_SET"

: >"$WORK/pids"
cleanup() {
    if [ -f "$WORK/sendmail.pid" ]; then kill "$(head -1 "$WORK/sendmail.pid")" 2>/dev/null || true; fi
    hc_sink_stop
    sleep 1
    while read -r p; do kill "$p" 2>/dev/null || true; done <"$WORK/pids"
}
trap cleanup EXIT
/usr/sbin/rsyslogd -f "$WORK/rsyslog.conf" -i "$WORK/rsyslog.pid" -n >"$WORK/rsyslog.out" 2>&1 &
echo $! >>"$WORK/pids"
for _ in $(seq 50); do [ -S "$WORK/log.sock" ] && break; sleep 0.1; done
[ -S "$WORK/log.sock" ] || { cat "$WORK/rsyslog.out"; hc_die "rsyslogd did not start"; }
hc_sink_start
/usr/libexec/sendmail/sendmail -bi >"$WORK/newaliases.out" 2>&1 || { cat "$WORK/newaliases.out"; hc_die newaliases; }
/usr/libexec/sendmail/sendmail -L sm-mta -bd -q1h
hc_wait_listen "$MX_PORT" "$SUB_PORT" "$SINK_PORT" || { tail "$WORK/maillog"; hc_die "a listener did not come up"; }

# one to= line per mailer call, naming every recipient of that call: count the recipients
hc_final_lines() {
    grep -E 'sm-mta\[[0-9]+\]: [0-9A-Za-z]+: to=.*stat=' "$WORK/maillog" 2>/dev/null |
        sed -E 's/.*: to=//; s/, (ctladdr|delay)=.*//' | awk -F, '{ n += NF } END { print n + 0 }'
}
hc_play
hc_wait
sleep 2
trap - EXIT
cleanup

mkdir -p "$OUT"
cp "$WORK/maillog" "$OUT/maillog"
hc_write_expected "$OUT/expected.txt" "sendmail $SMVER, tests/corpus/hunt_sendmail_capture.sh"
echo "$HC_NAME: wrote $OUT/maillog ($(wc -l <"$OUT/maillog") lines), expected.txt"
