#!/bin/bash
# tests/data/site/login-mismatch/capture.sh - a real Postfix with smtpd_sender_login_maps and
# reject_sender_login_mismatch, for sender-login-mismatch (doc/DETECTIONS.md) and the site
# context (doc/SITE.md).  Run as root, by hand (the suite never runs it):
#     sudo bash tests/data/site/login-mismatch/capture.sh
# Same approach as tests/corpus/hunt_capture.sh (Debian's postfix, private config/queue/log
# under $WORK, maillog_file, Cyrus SASL sasldb on a submission smtpd, the scripted sink of
# postfix_capture.sh as "the internet"), other ports.  Writes maillog, etc/main.cf, etc/master.cf
# and etc/senders (the configuration the capture ran with, $WORK paths kept) and expected.txt
# (the plan; never mailsleuth's output).  Nothing is sent beyond 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$(cd "$HERE/../../../corpus" && pwd)
OUT=${OUT:-$HERE}
WORK=${WORK:-/tmp/mailsleuth-login-capture}
MX_PORT=2554 SUB_PORT=2555 SINK_PORT=2556
CONF=$WORK/etc
die() { echo "login capture: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
need=()
for p in postfix swaks sasl2-bin libsasl2-modules python3; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
PFVER=$(postconf -d -h mail_version)
if [ -d "$CONF" ]; then postfix -c "$CONF" stop >/dev/null 2>&1 || true; fi
if [ -f "$WORK/sink.pid" ]; then kill "$(cat "$WORK/sink.pid")" 2>/dev/null || true; fi
sleep 1
rm -rf "$WORK"
mkdir -p "$CONF/sasl" "$WORK/spool" "$WORK/data" "$WORK/mail"
chmod 1777 "$WORK/mail"
chown postfix "$WORK/data"
for port in $MX_PORT $SUB_PORT $SINK_PORT; do
    if ss -ltn "sport = :$port" | grep -q LISTEN; then die "port $port is in use"; fi
done
for u in alice bob; do
    getent passwd "$u" >/dev/null || useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$u"
done
# who owns which sender: alice also owns the role address sales@ (a configured alias)
cat >"$CONF/senders" <<EOF
alice@example.test alice@example.test
sales@example.test alice@example.test
bob@example.test   bob@example.test
EOF
cat >"$CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $WORK/spool
data_directory = $WORK/data
myhostname = mx4.example.test
mydomain = example.test
myorigin = example.test
mydestination = \$myhostname, example.test, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.2/32
relayhost = [127.0.0.1]:$SINK_PORT
alias_maps =
alias_database =
mail_spool_directory = $WORK/mail
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $CONF/sasl
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain = example.test
smtpd_sender_login_maps = texthash:$CONF/senders
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_error_sleep_time = 0
smtp_host_lookup = native
maillog_file = $WORK/maillog
maillog_file_prefixes = /var, /dev/stdout, /tmp
EOF
sed -n "/^cat >\"\$CONF\/master.cf\" <<EOF/,/^EOF/p" "$CORPUS/postfix_capture.sh" | sed '1d;$d' |
    sed "s/\$MX_PORT/$MX_PORT/; s/\$SUB_PORT/$SUB_PORT/" >"$CONF/master.cf"
grep -q "127.0.0.1:$SUB_PORT inet" "$CONF/master.cf" || die "no master.cf from postfix_capture.sh"
cat >"$CONF/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $CONF/sasldb2
EOF
echo "alice-secret" | saslpasswd2 -p -c -f "$CONF/sasldb2" -u example.test alice
echo "bob-secret" | saslpasswd2 -p -c -f "$CONF/sasldb2" -u example.test bob
chown root:postfix "$CONF/sasldb2"; chmod 640 "$CONF/sasldb2"
postfix -c "$CONF" check
sed -n "/^cat >\"\$WORK\/sink.py\" <<'EOF'/,/^EOF/p" "$CORPUS/postfix_capture.sh" | sed '1d;$d' >"$WORK/sink.py"
python3 "$WORK/sink.py" "$SINK_PORT" >"$WORK/sink.log" 2>&1 &
echo $! >"$WORK/sink.pid"
cleanup() { postfix -c "$CONF" stop >/dev/null 2>&1 || true; kill "$(cat "$WORK/sink.pid")" 2>/dev/null || true; }
trap cleanup EXIT
postfix -c "$CONF" start
for _ in $(seq 50); do ss -ltn "sport = :$SUB_PORT" | grep -q LISTEN && break; sleep 0.2; done

sent=0
smtp() { # id expect port ip from to [user pass]
    local args=(--server 127.0.0.1 --port "$3" --local-interface "$4" --helo "host-$1.example.test"
        --from "$5" --to "$6" --header "Subject: $1" --silent 2 --timeout 20)
    [ -n "${7:-}" ] && args+=(--auth LOGIN --auth-user "$7" --auth-password "$8")
    local rc=0; swaks "${args[@]}" >"$WORK/swaks.$1.log" 2>&1 || rc=$?
    [ "$rc" = "$2" ] || { cat "$WORK/swaks.$1.log" >&2; die "$1: swaks exit $rc, expected $2"; }
    [ "$rc" = 0 ] && sent=$((sent + 1))
    return 0
}
# benign: alice as herself, alice as her role address sales@ (owned: accepted), bob as himself
smtp own1 0 $SUB_PORT 127.0.0.12 alice@example.test x1@remote.test alice@example.test alice-secret
smtp alias1 0 $SUB_PORT 127.0.0.12 sales@example.test x2@remote.test alice@example.test alice-secret
smtp own2 0 $SUB_PORT 127.0.0.14 bob@example.test x3@remote.test bob@example.test bob-secret
# bob tries to send as ceo@ and as alice@ (not owned): refused at RCPT time (swaks exit 24)
smtp as-ceo 24 $SUB_PORT 127.0.0.14 ceo@example.test x4@remote.test bob@example.test bob-secret
smtp as-alice 24 $SUB_PORT 127.0.0.14 alice@example.test x5@remote.test bob@example.test bob-secret
# an unauthenticated client on submission (SASL enabled there) using alice's address:
# refused, "not logged in" (Postfix checks sender logins only where SASL is on)
smtp nolog 24 $SUB_PORT 127.0.0.15 alice@example.test alice@example.test
for _ in $(seq 100); do
    [ "$(grep -c ' status=sent' "$WORK/maillog" 2>/dev/null || true)" -ge "$sent" ] && break; sleep 0.2
done
sleep 1
postfix -c "$CONF" stop; sleep 1
kill "$(cat "$WORK/sink.pid")" 2>/dev/null || true
trap - EXIT
mkdir -p "$OUT/etc"
cp "$WORK/maillog" "$OUT/maillog"
cp "$CONF/main.cf" "$CONF/master.cf" "$CONF/senders" "$OUT/etc/"
{
    echo "# ground truth from capture.sh (Postfix $PFVER): the plan, never mailsleuth's output"
    echo "# refused LOGIN SENDER...: reject_sender_login_mismatch refusals per login"
    echo "refused bob@example.test ceo@example.test alice@example.test"
    echo "refused-nologin 127.0.0.15 alice@example.test"
    echo "# accepted with a configured alias: sales@ is owned by alice in etc/senders"
    echo "alias alice@example.test sales@example.test"
    echo "sent $sent"
} >"$OUT/expected.txt"
echo "login capture: wrote $OUT/maillog ($(wc -l <"$OUT/maillog") lines)"
