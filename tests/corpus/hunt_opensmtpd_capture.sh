#!/bin/bash
# tests/corpus/hunt_opensmtpd_capture.sh - the hunt scenario set of hunt_capture.sh played against a real
# OpenSMTPD (Debian's opensmtpd 6.8) on 127.0.0.1; writes tests/corpus/hunt-opensmtpd/{maillog,expected.txt}.
# Run as root, by hand (the test suite only replays):  sudo bash tests/corpus/hunt_opensmtpd_capture.sh
#
# As in chain_capture.sh: opensmtpd and rsyslog are fetched with apt-get download and unpacked with dpkg -x
# (opensmtpd conflicts with the installed postfix); smtpd -F runs in a private mount namespace where
# private dirs are bind-mounted on /dev (a /dev/log socket of a private rsyslogd), /var/spool, /var/lib,
# /run, /usr/libexec, /etc/resolv.conf and /etc/hosts. OpenSMTPD: host mx5.example.test, MX_PORT (2664)
# and SUB_PORT (2665, STARTTLS with a self-signed certificate, AUTH against a credentials table of
# crypt(3) hashes), example.test users alice and bob + alias finance -> alice (virtual table; anyone else
# "550 Invalid recipient" at RCPT), relaying for TRUSTED_IP (netaddr table) and authenticated clients to
# the scripted sink on SINK_PORT, no relaying for anyone else.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/hunt-opensmtpd}
WORK=${WORK:-/tmp/mailsleuth-hunt-opensmtpd}
MX_PORT=${MX_PORT:-2664}
SUB_PORT=${SUB_PORT:-2665}
SINK_PORT=${SINK_PORT:-2666}
HC_NAME=hunt_opensmtpd_capture
# Debian 12's opensmtpd 6.8 cannot finish a TLS handshake under its OpenSSL 3 (RSA and ECDSA keys alike: the
# privilege-separated signing fails, "SSL routines::EVP lib" / "internal error"), and it offers AUTH only
# after TLS: the authenticated scenarios cannot be played on it.
HC_NO_AUTH="opensmtpd 6.8 on Debian 12 fails every STARTTLS handshake (SSL routines::EVP lib) and offers AUTH only over TLS"
export TZ=UTC
. "$HERE/hunt_capture_lib.sh"
[ "$(id -u)" = 0 ] || hc_die "run as root"

for p in swaks python3 openssl util-linux libestr0 libfastjson4; do
    dpkg -s "$p" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p" >/dev/null
done

OS=$WORK/opensmtpd
pid_alive() { [ -f "$1" ] && kill -0 "$(tr -d ' \n' <"$1")" 2>/dev/null; }
stop_all() {
    local f
    for f in "$WORK/smtpd.pid" "$WORK/rsyslogd.pid"; do
        if pid_alive "$f"; then kill "$(tr -d ' \n' <"$f")" 2>/dev/null || true; fi
    done
    hc_sink_stop
}
stop_all
trap stop_all EXIT
rm -rf "$WORK"
mkdir -p "$WORK/pkg" "$WORK/bodies" "$WORK/dev" "$WORK/rsyslog" "$OS/spool" "$OS/varlib/opensmtpd/empty" \
    "$OS/run" "$OS/libexec" "$OS/mail" "$OS/etc" "$OS/tls"
hc_ports_free "$MX_PORT" "$SUB_PORT" "$SINK_PORT"
(cd "$WORK/pkg" && apt-get download -q opensmtpd rsyslog >/dev/null 2>&1) || hc_die "apt-get download failed"
for d in "$WORK"/pkg/*.deb; do dpkg -x "$d" "$WORK/pkg/root"; done
SMTPD=$WORK/pkg/root/usr/sbin/smtpd
RSYSLOGD=$WORK/pkg/root/usr/sbin/rsyslogd
OSVER=$(dpkg-deb -f "$WORK"/pkg/opensmtpd_*.deb Version)
for b in "$SMTPD" "$RSYSLOGD"; do
    if ldd "$b" | grep -q 'not found'; then ldd "$b" >&2; hc_die "$b: missing libraries"; fi
done
for u in alice bob opensmtpd opensmtpq; do
    getent passwd "$u" >/dev/null || useradd --system --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin "$u"
done
for u in alice bob; do mkdir -p "$OS/mail/$u"; chown "$u:" "$OS/mail/$u"; done

# ---------------------------------------------------------------- rsyslog (OpenSMTPD logs through syslog(3) only)
for n in null zero random urandom; do : >"$WORK/dev/$n"; done
: >"$OS/maillog"
cat >"$WORK/rsyslog.conf" <<EOF
# Debian 12's default file format, mail.* to its own file as Debian's rsyslog.conf does
global(workDirectory="$WORK/rsyslog" localHostname="mx5")
module(load="imuxsock" SysSock.Name="$WORK/dev/log")
mail.*  action(type="omfile" file="$OS/maillog" template="RSYSLOG_FileFormat")
EOF
"$RSYSLOGD" -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslogd.pid" -M "$WORK/pkg/root/usr/lib/x86_64-linux-gnu/rsyslog" \
    >"$WORK/rsyslogd.out" 2>&1 &
for _ in $(seq 50); do [ -S "$WORK/dev/log" ] && break; sleep 0.1; done
[ -S "$WORK/dev/log" ] || { cat "$WORK/rsyslogd.out" >&2; hc_die "rsyslogd did not create its socket"; }

# ---------------------------------------------------------------- OpenSMTPD (mx5.example.test)
cp -a "$WORK/pkg/root/usr/libexec/opensmtpd" "$OS/libexec/"
printf 'nameserver 127.0.0.1\n' >"$OS/etc/resolv.conf"
printf '127.0.0.1\tlocalhost mx5.example.test\n' >"$OS/etc/hosts"
# ECDSA: 6.8's privilege-separated RSA signing fails under OpenSSL 3 ("SSL routines::EVP lib")
hc_cert "$OS/tls" mx5.example.test ec
chmod 600 "$OS/tls/key.pem"
hash() { python3 -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_SHA512)))' "$1" 2>/dev/null; }
printf 'alice@example.test %s\nbob@example.test %s\n' "$(hash "$HC_PASS_ALICE")" "$(hash "$HC_PASS_BOB")" >"$OS/passwd"
printf 'alice@example.test alice\nbob@example.test bob\nfinance@example.test alice\n' >"$OS/vusers"
printf 'alice@example.test\nbob@example.test\nfinance@example.test\n' >"$OS/vrcpts"
printf '%s\n' "$TRUSTED_IP" >"$OS/relayfrom"
cat >"$OS/smtpd.conf" <<EOF
# mailsleuth hunt capture: OpenSMTPD for example.test
pki mx5.example.test cert "$OS/tls/cert.pem"
pki mx5.example.test key "$OS/tls/key.pem"
table passwd file:$OS/passwd
table vusers file:$OS/vusers
table vrcpts file:$OS/vrcpts
table relayfrom file:$OS/relayfrom
listen on 127.0.0.1 port $MX_PORT hostname mx5.example.test tls pki mx5.example.test
listen on 127.0.0.1 port $SUB_PORT hostname mx5.example.test tls pki mx5.example.test auth <passwd>
action "local" maildir "$OS/mail/%{user.username}" virtual <vusers>
action "relay" relay host smtp://127.0.0.1:$SINK_PORT
match from any for domain "example.test" rcpt-to <vrcpts> action "local"
match from local for domain "example.test" rcpt-to <vrcpts> action "local"
match auth from any ! for domain "example.test" action "relay"
match from src <relayfrom> ! for domain "example.test" action "relay"
EOF
chmod 644 "$OS/smtpd.conf" "$OS/vusers" "$OS/vrcpts" "$OS/relayfrom"
chmod 640 "$OS/passwd"
"$SMTPD" -n -f "$OS/smtpd.conf" >"$WORK/smtpd-n.txt" 2>&1 || { cat "$WORK/smtpd-n.txt" >&2; hc_die "smtpd -n failed"; }
cat >"$WORK/smtpd-ns.sh" <<EOF
set -e
mount --make-rprivate /
for n in null zero random urandom; do mount --bind "/dev/\$n" "$WORK/dev/\$n"; done
mount --rbind "$WORK/dev" /dev
mount --bind "$OS/spool" /var/spool
mount --bind "$OS/varlib" /var/lib
mount --bind "$OS/run" /run
mount --bind "$OS/libexec" /usr/libexec
mount --bind "$OS/etc/resolv.conf" /etc/resolv.conf
mount --bind "$OS/etc/hosts" /etc/hosts
echo \$\$ >"$WORK/smtpd.pid"
exec "$SMTPD" -F -f "$OS/smtpd.conf"
EOF

hc_sink_start
unshare -m bash "$WORK/smtpd-ns.sh" >"$WORK/smtpd.out" 2>&1 &
hc_wait_listen "$MX_PORT" "$SUB_PORT" "$SINK_PORT" || { cat "$WORK/smtpd.out" >&2; hc_die "a listener did not come up"; }

hc_final_lines() { grep -c -E ' (mda|mta) delivery evpid=' "$OS/maillog" 2>/dev/null || true; }
hc_play
hc_wait
sleep 2
stop_all
trap - EXIT

mkdir -p "$OUT"
cp "$OS/maillog" "$OUT/maillog"
hc_write_expected "$OUT/expected.txt" "OpenSMTPD $OSVER, tests/corpus/hunt_opensmtpd_capture.sh"
hc_check_loopback "$OUT/maillog"
echo "$HC_NAME: wrote $OUT/maillog ($(wc -l <"$OUT/maillog") lines), expected.txt"
