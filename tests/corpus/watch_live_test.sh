#!/bin/sh
# watch live: a real Postfix on 127.0.0.1 (private config, queue and ports, as the capture
# scripts run it; tests/corpus/hunt_capture.sh) logs through a private rsyslogd (the
# /dev/log socket, RSYSLOG_FileFormat) into a file that `mailsleuth watch` follows while
# attack scenarios are played with swaks (recipient harvesting, relay probing, a spoofed
# local sender, a look-alike sender domain, benign mail around them) and Debian's logrotate
# rotates the log mid-stream twice: `create` + `compress` (rsyslog HUP'd), then
# `copytruncate` + `compress`.  tests/corpus/watch_live_check.py judges: every finding hunt
# reports on the whole log is alerted exactly once, within 2 s of its triggering line, and
# watch read exactly the lines of the log and its rotated parts.
# Skips (saying why) unless root with postfix, rsyslogd, swaks and logrotate installed and
# no syslog daemon owning /dev/log; nothing is sent beyond 127.0.0.1.
. "$(dirname "$0")/../cli/testlib.inc"
HERE=$(cd "$(dirname "$0")" && pwd)
MX_PORT=${WATCH_LIVE_MX_PORT:-2554}
SINK_PORT=${WATCH_LIVE_SINK_PORT:-2556}

why=""
[ "$(id -u)" = 0 ] || why="not root (postfix's master needs it)"
for c in postfix postconf rsyslogd swaks logrotate python3 ss; do
    [ -z "$why" ] && ! command -v "$c" >/dev/null 2>&1 && why="$c is not installed (apt-get install postfix rsyslog swaks logrotate)"
done
[ -z "$why" ] && [ -e /dev/log ] && why="/dev/log exists: a system syslog daemon runs, the test starts its own"
for p in $MX_PORT $SINK_PORT; do
    [ -z "$why" ] && ss -ltn "sport = :$p" | grep -q LISTEN && why="port $p is in use"
done
if [ -n "$why" ]; then
    skip "live Postfix + rsyslog + watch: $why"
    finish "watch live"
    exit 0
fi

W="$TMPD/live"
CONF="$W/etc"
mkdir -p "$CONF" "$W/spool" "$W/data" "$W/mail" "$W/log" "$W/rsyslog" "$W/bodies"
chmod 1777 "$W/mail"
chown postfix "$W/data"
chmod 755 "$TMPD" "$W"
for u in alice bob; do
    getent passwd "$u" >/dev/null || useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$u"
done
cat >"$CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $W/spool
data_directory = $W/data
myhostname = mx4.example.test
mydomain = example.test
myorigin = example.test
mydestination = \$myhostname, example.test, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.2/32
relayhost = [127.0.0.1]:$SINK_PORT
smtpd_banner = \$myhostname ESMTP
biff = no
alias_maps =
alias_database =
local_recipient_maps = proxy:unix:passwd.byname
mail_spool_directory = $W/mail
mailbox_size_limit = 0
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_error_sleep_time = 0
smtpd_client_connection_rate_limit = 0
smtp_host_lookup = native
minimal_backoff_time = 3600s
maximal_backoff_time = 7200s
queue_run_delay = 3600s
delay_warning_time = 0
EOF
sed -n "/^cat >\"\$CONF\/master.cf\" <<EOF/,/^EOF/p" "$HERE/postfix_capture.sh" | sed '1d;$d' |
    grep -v -e '\$SUB_PORT' -e 'syslog_name=postfix/submission' -e 'smtpd_sasl_auth_enable' \
        -e 'permit_sasl_authenticated,reject' | sed "s/\$MX_PORT/$MX_PORT/" >"$CONF/master.cf"
sed -n "/^cat >\"\$WORK\/sink.py\" <<'EOF'/,/^EOF/p" "$HERE/postfix_capture.sh" | sed '1d;$d' >"$W/sink.py"
cat >"$W/rsyslog.conf" <<EOF
global(workDirectory="$W/rsyslog")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
mail.* action(type="omfile" file="$W/log/maillog" template="RSYSLOG_FileFormat")
EOF

stop_all() {
    [ -n "${wpid:-}" ] && kill "$wpid" 2>/dev/null
    postfix -c "$CONF" stop >/dev/null 2>&1
    [ -f "$W/sink.pid" ] && kill "$(cat "$W/sink.pid")" 2>/dev/null
    [ -f "$W/rsyslog.pid" ] && kill "$(cat "$W/rsyslog.pid")" 2>/dev/null
    touch "$W/stop"
    sleep 1
    [ -S /dev/log ] && [ -n "${our_devlog:-}" ] && rm -f /dev/log
}
trap 'stop_all; rm -rf "$TMPD"' EXIT

if ! postfix -c "$CONF" check >"$W/check.err" 2>&1 || ! grep -q "$MX_PORT inet" "$CONF/master.cf" ||
    ! grep -q serve_forever "$W/sink.py"; then
    cat "$W/check.err"
    check "postfix configuration for the live test" "bad" "ok"
    finish "watch live"
    exit 1
fi
rsyslogd -f "$W/rsyslog.conf" -i "$W/rsyslog.pid" 2>"$W/rsyslog.err"
n=0
while [ ! -S /dev/log ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
if [ ! -S /dev/log ]; then
    skip "live Postfix + rsyslog + watch: rsyslogd did not start ($(head -c 200 "$W/rsyslog.err"))"
    finish "watch live"
    exit 0
fi
our_devlog=1
python3 "$W/sink.py" "$SINK_PORT" >"$W/sink.log" 2>&1 &
echo $! >"$W/sink.pid"
postfix -c "$CONF" start >"$W/start.log" 2>&1
n=0
until ss -ltn "sport = :$MX_PORT" | grep -q LISTEN && ss -ltn "sport = :$SINK_PORT" | grep -q LISTEN; do
    sleep 0.2
    n=$((n + 1))
    if [ $n -ge 50 ]; then
        skip "live Postfix + rsyslog + watch: postfix did not listen on 127.0.0.1:$MX_PORT ($(head -c 200 "$W/start.log"))"
        finish "watch live"
        exit 0
    fi
done

python3 "$HERE/watch_live_check.py" monitor "$W" &
mpid=$!
"$MS" watch --from-start --local-domain example.test --alert "jsonl:$W/alerts.jsonl" \
    --state "$W/watch.state" "$W/log/maillog" 2>"$W/watch.err" &
wpid=$!
sleep 0.5

SEQ=0
smtp() { # id expect client_ip helo from rcpts(comma)
    SEQ=$((SEQ + 1))
    printf 'mailsleuth watch live test, scenario %s\n' "$1" >"$W/bodies/$1.txt"
    swaks --server 127.0.0.1 --port "$MX_PORT" --local-interface "$3" --helo "$4" --from "$5" \
        --to "$6" --body "$W/bodies/$1.txt" --header "Message-Id: <$1.$SEQ@$4>" \
        --header "Subject: scenario $1" --silent 2 --timeout 20 >"$W/swaks.$1.log" 2>&1
    rc=$?
    [ "$rc" = "$2" ] || { echo "scenario $1: swaks exit $rc, expected $2"; cat "$W/swaks.$1.log"; }
}
rotate() { # create|copytruncate
    cat >"$W/logrotate.conf" <<EOF
$W/log/maillog {
  rotate 9
  $1
  compress
  missingok
  postrotate
    kill -HUP \$(cat $W/rsyslog.pid)
  endscript
}
EOF
    chmod 600 "$W/logrotate.conf"
    logrotate -f -s "$W/logrotate.state" "$W/logrotate.conf" || echo "logrotate $1 failed"
}

smtp ben-in1 0 127.0.0.13 mail.partner.test news@partner.test alice@example.test
smtp ben-out1 0 127.0.0.2 ws1.example.test alice@example.test frank@remote.test
for s in 1 2 3; do
    b=$(( (s - 1) * 4 ))
    smtp "harv$s" 24 127.0.0.8 probe.elsewhere.test list@elsewhere.test \
        "user$((b+1))@example.test,user$((b+2))@example.test,user$((b+3))@example.test,user$((b+4))@example.test"
    sleep 1
done
rotate create
for d in elsewhere.test outside.test far.test away.test; do
    smtp "relay-$d" 24 127.0.0.9 probe2.elsewhere.test "x@$d" "victim@$d"
    sleep 1
done
smtp spoof1 0 127.0.0.10 mail.elsewhere.test ceo@example.test alice@example.test
sleep 1
rotate copytruncate
smtp look1 0 127.0.0.11 mail.examp1e.test billing@examp1e.test bob@example.test
for i in 1 2 3; do
    smtp "ben-out$((i + 1))" 0 127.0.0.2 ws2.example.test bob@example.test "ops$i@partner.test"
done
smtp ben-in2 0 127.0.0.13 mail.partner.test carol@partner.test bob@example.test
# every accepted message delivered (the queue empty), then a moment for the last lines
n=0
until postqueue -c "$CONF" -p 2>/dev/null | grep -q "Mail queue is empty"; do
    sleep 0.2
    n=$((n + 1))
    [ $n -ge 150 ] && break
done
sleep 3
kill -TERM "$wpid"
wait "$wpid"
check_rc "watch exits 0 on SIGTERM" $? 0
wpid=""
touch "$W/stop"
wait "$mpid"
python3 "$HERE/watch_live_check.py" check "$W" "$MS" >"$W/check.out" 2>&1
while IFS= read -r l; do
    case $l in
    "PASS "*) T_PASS=$((T_PASS + 1)) ;;
    "FAIL "*) T_FAIL=$((T_FAIL + 1)); echo "$l" ;;
    *) echo "$l" ;;
    esac
done <"$W/check.out"
grep -q '^FAIL' "$W/check.out" && tail -n 5 "$W/watch.err"
# WATCH_LIVE_KEEP=DIR keeps the log, its rotations, the alerts and watch's stderr
[ -n "${WATCH_LIVE_KEEP:-}" ] && mkdir -p "$WATCH_LIVE_KEEP" &&
    cp -r "$W/log" "$W/alerts.jsonl" "$W/watch.err" "$W/alert-times" "$WATCH_LIVE_KEEP/"
finish "watch live"
