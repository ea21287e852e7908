#!/bin/bash
# tests/corpus/hunt_capture.sh - regenerate the committed real-Postfix hunt capture in tests/corpus/hunt/.
#
# Run as root, by hand (the test suite never runs it):   sudo bash tests/corpus/hunt_capture.sh
#
# Same approach as postfix_capture.sh (Debian's postfix, private config/queue/log under $WORK, maillog_file,
# Cyrus SASL sasldb on a submission smtpd, scripted SMTP sink as "the internet"), but other ports, host
# mx3.example.test, local_recipient_maps on (unknown local users rejected at RCPT time), and attack
# scenarios played with real timing (swaks with small sleeps) so the hunt rules' windows are realistic.
# Writes tests/corpus/hunt/maillog and expected.txt (what must and must not fire, derived from this
# script's plan and the default thresholds of doc/hunt-rules.example; never from mailsleuth's output).
# /etc/postfix is not touched. Nothing is ever sent beyond 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/hunt}
WORK=${WORK:-/tmp/mailsleuth-hunt-capture}
MX_PORT=${MX_PORT:-2534}
SUB_PORT=${SUB_PORT:-2535}
SINK_PORT=${SINK_PORT:-2536}
HOSTNAME_SET=mx3.example.test
TRUSTED_IP=127.0.0.2     # mynetworks: benign internal relaying
SPRAY_IP=127.0.0.7       # scenario 1: spraying, brute force, takeover, burst
HARVEST_IP=127.0.0.8     # scenario 2: unknown-recipient burst
RELAY_IP=127.0.0.9       # scenario 3: relay probing
SPOOF_IP=127.0.0.10      # scenario 4: spoofed local sender
LOOK_IP=127.0.0.11       # scenario 5: look-alike sender domain
GOOD_AUTH_IP=127.0.0.12  # scenario 6: benign authenticated user
PARTNER_IP=127.0.0.13    # scenario 6: benign inbound mail from a partner
CONF=$WORK/etc

die() { echo "hunt_capture: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"

need=()
for p in postfix swaks sasl2-bin libsasl2-modules python3; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
PFVER=$(postconf -d -h mail_version 2>/dev/null || true)
[ -n "$PFVER" ] || die "postconf does not work"

if [ -d "$CONF" ]; then postfix -c "$CONF" stop >/dev/null 2>&1 || true; fi
if [ -f "$WORK/sink.pid" ]; then kill "$(cat "$WORK/sink.pid")" 2>/dev/null || true; fi
sleep 1
rm -rf "$WORK"
mkdir -p "$CONF/sasl" "$WORK/spool" "$WORK/data" "$WORK/mail" "$WORK/bodies"
chmod 1777 "$WORK/mail"
chown postfix "$WORK/data"
for port in "$MX_PORT" "$SUB_PORT" "$SINK_PORT"; do
    if ss -ltn "sport = :$port" | grep -q LISTEN; then die "port $port is in use"; fi
done
for u in alice bob; do
    getent passwd "$u" >/dev/null || useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$u"
done

cat >"$CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $WORK/spool
data_directory = $WORK/data
myhostname = $HOSTNAME_SET
mydomain = example.test
myorigin = example.test
mydestination = \$myhostname, example.test, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = $TRUSTED_IP/32
relayhost = [127.0.0.1]:$SINK_PORT
smtpd_banner = \$myhostname ESMTP
biff = no
alias_maps =
alias_database =
# unknown local users are rejected at RCPT time: "User unknown in local recipient table"
local_recipient_maps = proxy:unix:passwd.byname
mail_spool_directory = $WORK/mail
mailbox_size_limit = 0
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $CONF/sasl
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain = example.test
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_error_sleep_time = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtp_host_lookup = native
maillog_file = $WORK/maillog
maillog_file_prefixes = /var, /dev/stdout, /tmp
minimal_backoff_time = 3600s
maximal_backoff_time = 7200s
queue_run_delay = 3600s
delay_warning_time = 0
EOF
# master.cf: the same services as postfix_capture.sh
sed -n "/^cat >\"\$CONF\/master.cf\" <<EOF/,/^EOF/p" "$HERE/postfix_capture.sh" | sed '1d;$d' |
    sed "s/\$MX_PORT/$MX_PORT/; s/\$SUB_PORT/$SUB_PORT/" >"$CONF/master.cf"
grep -q "127.0.0.1:$SUB_PORT inet" "$CONF/master.cf" || die "could not take master.cf from postfix_capture.sh"

cat >"$CONF/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $CONF/sasldb2
EOF
echo "alice-secret" | saslpasswd2 -p -c -f "$CONF/sasldb2" -u example.test alice
echo "bob-secret" | saslpasswd2 -p -c -f "$CONF/sasldb2" -u example.test bob
chown root:postfix "$CONF/sasldb2"
chmod 640 "$CONF/sasldb2"
postfix -c "$CONF" check

# the scripted remote MTA of postfix_capture.sh (250; 451 defer*; 550 bounce*)
sed -n "/^cat >\"\$WORK\/sink.py\" <<'EOF'/,/^EOF/p" "$HERE/postfix_capture.sh" | sed '1d;$d' >"$WORK/sink.py"
grep -q serve_forever "$WORK/sink.py" || die "could not take the sink from postfix_capture.sh"
python3 "$WORK/sink.py" "$SINK_PORT" >"$WORK/sink.log" 2>&1 &
echo $! >"$WORK/sink.pid"
cleanup() {
    postfix -c "$CONF" stop >/dev/null 2>&1 || true
    [ -f "$WORK/sink.pid" ] && kill "$(cat "$WORK/sink.pid")" 2>/dev/null || true
}
trap cleanup EXIT
postfix -c "$CONF" start
for _ in $(seq 50); do
    ss -ltn "sport = :$MX_PORT" | grep -q LISTEN && ss -ltn "sport = :$SINK_PORT" | grep -q LISTEN && break
    sleep 0.2
done

# ---------------------------------------------------------------- the plan's bookkeeping
SEQ=0 sent_final=0
declare -A TALLY=()
tally() { TALLY[$1]=$(( ${TALLY[$1]:-0} + ${2:-1} )); }
smtp() { # id expect port client_ip helo from rcpts(comma) [auth_user auth_pass]
    local id=$1 expect=$2 port=$3 cip=$4 helo=$5 from=$6 rcpts=$7 au=${8:-} ap=${9:-}
    SEQ=$((SEQ + 1))
    printf 'mailsleuth hunt capture, scenario %s\nquarterly report invoice meeting agenda\n' "$id" >"$WORK/bodies/$id.txt"
    local args=(--server 127.0.0.1 --port "$port" --local-interface "$cip" --helo "$helo"
        --from "$from" --to "$rcpts" --body "$WORK/bodies/$id.txt"
        --header "Message-Id: <$id.$SEQ@$helo>" --header "Subject: scenario $id"
        --header "Date: Mon, 02 Mar 2026 10:00:00 +0000" --silent 2 --timeout 20)
    if [ -n "$au" ]; then args+=(--auth LOGIN --auth-user "$au" --auth-password "$ap"); fi
    local rc=0
    swaks "${args[@]}" >"$WORK/swaks.$id.log" 2>&1 || rc=$?
    if [ "$rc" != "$expect" ]; then cat "$WORK/swaks.$id.log" >&2; die "scenario $id: swaks exit $rc, expected $expect"; fi
    local rr; IFS=, read -r -a rr <<<"$rcpts"
    [ "$rc" = 0 ] && sent_final=$((sent_final + ${#rr[@]}))
    tally "rc$rc"
}

echo "hunt_capture: Postfix $PFVER, playing scenarios"
T0=$(date +%s)
# (6) benign, before the attacks: partner mail in, trusted relaying, an authenticated user
smtp ben-in1 0 "$MX_PORT" "$PARTNER_IP" mail.partner.test news@partner.test alice@example.test
smtp ben-out1 0 "$MX_PORT" "$TRUSTED_IP" ws1.example.test alice@example.test frank@remote.test
smtp ben-sub1 0 "$SUB_PORT" "$GOOD_AUTH_IP" laptop.example.test alice@example.test grace@remote.test alice@example.test alice-secret
sleep 2

# (1) password spraying from 127.0.0.7: 6 user names, wrong passwords, ~10 s apart (about 1 minute)
SPRAY_USERS="admin info sales test alice bob"
n=0
for u in $SPRAY_USERS; do
    n=$((n + 1))
    smtp "spray$n" 28 "$SUB_PORT" "$SPRAY_IP" guess.elsewhere.test "$u@example.test" x@remote.test "$u@example.test" "Winter2026!"
    tally spray_fail
    sleep 10
done
T_SPRAY=$(( $(date +%s) - T0 ))
# ... then the guess that worked: bob, same IP
smtp take1 0 "$SUB_PORT" "$SPRAY_IP" guess.elsewhere.test bob@example.test henry@remote.test bob@example.test bob-secret
tally burst_msg; tally burst_rcpt
# ... then the burst: 40 messages x 3 recipients from bob, one recipient of each is bounce*, about one
# message a second (more than 30 within a minute)
B0=$(date +%s)
for i in $(seq 1 40); do
    smtp "burst$i" 0 "$SUB_PORT" "$SPRAY_IP" guess.elsewhere.test bob@example.test \
        "lead$i@remote.test,contact$i@remote.test,bounce$i@remote.test" bob@example.test bob-secret
    tally burst_msg; tally burst_rcpt 3; tally burst_bounce
    sleep 1
done
B_SECS=$(( $(date +%s) - B0 ))
[ "$B_SECS" -le 120 ] || die "the burst took $B_SECS s (plan: within 2 minutes)"

# (2) directory harvest from 127.0.0.8: 12 unknown local users in 3 sessions within a minute
H0=$(date +%s)
for s in 1 2 3; do
    b=$(( (s - 1) * 4 ))
    smtp "harv$s" 24 "$MX_PORT" "$HARVEST_IP" probe.elsewhere.test list@elsewhere.test \
        "user$((b+1))@example.test,user$((b+2))@example.test,user$((b+3))@example.test,user$((b+4))@example.test"
    tally harvest_rcpt 4
    sleep 5
done
H_SECS=$(( $(date +%s) - H0 ))
[ "$H_SECS" -le 60 ] || die "the harvest took $H_SECS s (plan: within a minute)"

# (3) relay probing from 127.0.0.9: 4 attempts, 4 outside domains
n=0
for d in elsewhere.test outside.test far.test away.test; do
    n=$((n + 1))
    smtp "relay$n" 24 "$MX_PORT" "$RELAY_IP" probe2.elsewhere.test "x@$d" "victim@$d"
    tally relay_denied
    sleep 3
done

# (4) spoofed local sender: an outside client, no AUTH, MAIL FROM a local address, to a local user
smtp spoof1 0 "$MX_PORT" "$SPOOF_IP" mail.elsewhere.test ceo@example.test alice@example.test
# (5) look-alike sender domain (examp1e with the digit one) to a local user
smtp look1 0 "$MX_PORT" "$LOOK_IP" mail.examp1e.test billing@examp1e.test bob@example.test

# (6) benign, after the attacks too
for i in 1 2 3; do
    smtp "ben-out$((i+1))" 0 "$MX_PORT" "$TRUSTED_IP" ws2.example.test bob@example.test "ops$i@partner.test"
    smtp "ben-sub$((i+1))" 0 "$SUB_PORT" "$GOOD_AUTH_IP" laptop.example.test alice@example.test "ivan$i@partner.test" alice@example.test alice-secret
    sleep 2
done
smtp ben-in2 0 "$MX_PORT" "$PARTNER_IP" mail.partner.test carol@partner.test bob@example.test

# ---------------------------------------------------------------- wait and stop
# every accepted recipient gets one final status line; each bounce* adds a DSN to bob (local sent)
want=$((sent_final + ${TALLY[burst_bounce]}))
for _ in $(seq 600); do
    have=$(grep -c -E ' status=(sent|bounced|deferred)' "$WORK/maillog" 2>/dev/null || true)
    [ "$have" -ge "$want" ] && break
    sleep 0.2
done
[ "$have" -ge "$want" ] || die "timeout: $have of $want delivery lines"
sleep 2
postfix -c "$CONF" stop
sleep 2
kill "$(cat "$WORK/sink.pid")" 2>/dev/null || true
rm -f "$WORK/sink.pid"
trap - EXIT

mkdir -p "$OUT"
cp "$WORK/maillog" "$OUT/maillog"
burst_pct=$(( 100 * ${TALLY[burst_bounce]} / ${TALLY[burst_rcpt]} ))
{
    echo "# ground truth from tests/corpus/hunt_capture.sh: the scenario plan and doc/hunt-rules.example defaults"
    echo "# Postfix $PFVER; README.md explains each line. Format: fire RULE ENTITY-TYPE ENTITY | quiet ENTITY-TYPE ENTITY | count KEY N"
    echo "count spray_failures ${TALLY[spray_fail]}"
    echo "count spray_users $(echo $SPRAY_USERS | wc -w)"
    echo "count spray_seconds $T_SPRAY"
    echo "count burst_messages ${TALLY[burst_msg]}"
    echo "count burst_recipients ${TALLY[burst_rcpt]}"
    echo "count burst_bounced ${TALLY[burst_bounce]}"
    echo "count burst_bounce_pct $burst_pct"
    echo "count burst_seconds $B_SECS"
    echo "count harvest_unknown ${TALLY[harvest_rcpt]}"
    echo "count harvest_seconds $H_SECS"
    echo "count relay_denied ${TALLY[relay_denied]}"
    # (1) 6 failures >= auth-bruteforce.threshold 5 within 10m; 6 users >= auth-spray.users 5 within 1h
    echo "fire auth-bruteforce ip $SPRAY_IP"
    echo "fire auth-spray ip $SPRAY_IP"
    # success after 6 failures from that IP (>= 5 within 1h): the rule is about the user or the IP
    echo "fire auth-success-after-failures ip|user $SPRAY_IP|bob@example.test"
    # 41 messages / 121 recipients within 2 minutes (> 30/min, > 100/h); 40 of 121 bounced (33% >= 30%, >= 10)
    echo "fire account-burst user bob@example.test"
    # ... and the bounce test is critical because auth-success-after-failures reported bob
    echo "fire account-burst user bob@example.test critical"
    # the same burst as a campaign: >= bulk-campaign.min_rcpts 100 recipients within 1h, >= 30% failed
    if [ "${TALLY[burst_rcpt]}" -ge 100 ] && [ $((TALLY[burst_bounce] * 100)) -ge $((TALLY[burst_rcpt] * 30)) ]; then
        echo "fire bulk-campaign sender bob@example.test"
    fi
    # (2) 12 unknown-recipient rejects >= recipient-harvest.threshold 10 within 10m
    echo "fire recipient-harvest ip $HARVEST_IP"
    # (3) 4 Relay access denied >= relay-attempt.threshold 3 within 1h: probing, at the rule's severity
    echo "fire relay-attempt ip $RELAY_IP medium"
    # (4), (5): rules being written (tested only when hunt --print-rules lists them)
    echo "fire spoofed-local-sender ip $SPOOF_IP"
    echo "fire lookalike-domain domain examp1e.test"
    # (6) benign entities: no finding may name them
    echo "quiet ip $TRUSTED_IP"
    echo "quiet ip $GOOD_AUTH_IP"
    echo "quiet ip $PARTNER_IP"
    echo "quiet user alice@example.test"
    echo "quiet domain partner.test"
    echo "absent open-relay"
} >"$OUT/expected.txt"
bad=$(grep -oE '\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b' "$OUT/maillog" | grep -v '^127\.' | sort -u || true)
[ -z "$bad" ] || echo "hunt_capture: WARNING: non-loopback addresses in the log: $bad" >&2
echo "hunt_capture: wrote $OUT/maillog ($(wc -l <"$OUT/maillog") lines), expected.txt"
cat "$OUT/expected.txt"
