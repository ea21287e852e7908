#!/bin/bash
# tests/corpus/postfix_capture.sh - regenerate the committed real-Postfix capture in tests/corpus/postfix/.
#
# Run as root, by hand (the test suite never runs it):   sudo bash tests/corpus/postfix_capture.sh
#
# It installs Debian's postfix + swaks (+ Cyrus SASL tools), starts a private Postfix instance whose
# config, queue and log live under $WORK (default /tmp/mailsleuth-postfix-capture), listening on
# 127.0.0.1 only, plus a scripted SMTP sink on 127.0.0.1 that plays "the internet" (250 / 451 / 550 per
# recipient). It then plays a fixed list of scenarios with swaks and sendmail, flushes the queue once
# more, stops Postfix and writes:
#   tests/corpus/postfix/maillog        the log written by postlogd (maillog_file)
#   tests/corpus/postfix/expected.txt   ground truth computed from the scenario table + swaks exit codes
#   tests/corpus/postfix/pflogsumm.txt  Debian's pflogsumm on the capture, for comparison
# /etc/postfix is not touched (only the Debian package's own files are installed). Idempotent: every run
# starts from an empty $WORK. Nothing is ever sent beyond 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/postfix}
WORK=${WORK:-/tmp/mailsleuth-postfix-capture}
MX_PORT=${MX_PORT:-2524}        # "port 25" of mx1.example.test
SUB_PORT=${SUB_PORT:-2525}      # submission with SASL AUTH
SINK_PORT=${SINK_PORT:-2526}    # the scripted remote MTA (relayhost)
HOSTNAME_SET=mx1.example.test
TRUSTED_IP=127.0.0.2            # an "internal" host, in mynetworks
OUTSIDE_IP=127.0.0.1            # an "internet" client, not in mynetworks
CONF=$WORK/etc

die() { echo "postfix_capture: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"

# ---------------------------------------------------------------- packages
need=()
for p in postfix swaks sasl2-bin libsasl2-modules pflogsumm python3; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
command -v python3 >/dev/null || die "python3 missing"
PFVER=$(postconf -d -h mail_version 2>/dev/null || true)
[ -n "$PFVER" ] || die "postconf does not work"

# ---------------------------------------------------------------- clean slate
if [ -d "$CONF" ]; then postfix -c "$CONF" stop >/dev/null 2>&1 || true; fi
if [ -f "$WORK/sink.pid" ]; then kill "$(cat "$WORK/sink.pid")" 2>/dev/null || true; fi
sleep 1
rm -rf "$WORK"
mkdir -p "$CONF/sasl" "$WORK/spool" "$WORK/data" "$WORK/mail" "$WORK/bodies"
chmod 1777 "$WORK/mail"
chown postfix "$WORK/data"

for port in "$MX_PORT" "$SUB_PORT" "$SINK_PORT"; do
    if ss -ltn "sport = :$port" | grep -q LISTEN; then die "port $port is in use (set MX_PORT/SUB_PORT/SINK_PORT)"; fi
done
ip -4 addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || true

# local mailbox owners (system users without login; delivery goes to $WORK/mail)
for u in alice bob; do
    getent passwd "$u" >/dev/null || useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$u"
done

# ---------------------------------------------------------------- Postfix config
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
# accept mail for unknown local users, so local(8) bounces it (instead of an SMTP-time reject)
local_recipient_maps =
mail_spool_directory = $WORK/mail
mailbox_size_limit = 0
message_size_limit = 10240000
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_sender_access inline:{ { spammer@bad.test = REJECT Listed sender } }
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $CONF/sasl
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain = example.test
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_error_sleep_time = 0
smtp_host_lookup = native
maillog_file = $WORK/maillog
maillog_file_prefixes = /var, /dev/stdout, /tmp
minimal_backoff_time = 3600s
maximal_backoff_time = 7200s
queue_run_delay = 3600s
delay_warning_time = 0
EOF

cat >"$CONF/master.cf" <<EOF
127.0.0.1:$MX_PORT inet n - n - - smtpd
127.0.0.1:$SUB_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

# Cyrus SASL with a private sasldb (the "fair try" of the brief; see README.md if it ever fails)
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

# ---------------------------------------------------------------- the scripted remote MTA
cat >"$WORK/sink.py" <<'EOF'
# A tiny SMTP server: 451 for recipients whose local part starts with "defer", 550 for "bounce",
# 250 otherwise; "queued as SINKnnnn" after DATA. Listens on 127.0.0.1 only.
import socketserver, sys, threading
PORT = int(sys.argv[1])
lock = threading.Lock()
counter = [0]
class H(socketserver.StreamRequestHandler):
    def out(self, s):
        self.wfile.write((s + "\r\n").encode()); self.wfile.flush()
    def handle(self):
        self.out("220 smtp.remote.test ESMTP sink")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            u = cmd.upper()
            if u.startswith("EHLO"):
                self.out("250-smtp.remote.test"); self.out("250 8BITMIME")
            elif u.startswith("HELO"):
                self.out("250 smtp.remote.test")
            elif u.startswith("MAIL FROM:"):
                self.out("250 2.1.0 Ok")
            elif u.startswith("RCPT TO:"):
                addr = cmd[8:].strip().strip("<>").split(">")[0].lower()
                local = addr.split("@")[0]
                if local.startswith("defer"):
                    self.out("451 4.3.0 <%s>: Temporary lookup failure, try again later" % addr)
                elif local.startswith("bounce"):
                    self.out("550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table" % addr)
                else:
                    self.out("250 2.1.5 Ok")
            elif u == "DATA":
                self.out("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    d = self.rfile.readline()
                    if not d or d in (b".\r\n", b".\n"):
                        break
                with lock:
                    counter[0] += 1
                    n = counter[0]
                self.out("250 2.0.0 Ok: queued as SINK%04d" % n)
            elif u in ("RSET", "NOOP"):
                self.out("250 2.0.0 Ok")
            elif u == "QUIT":
                self.out("221 2.0.0 Bye"); return
            else:
                self.out("502 5.5.2 Error: command not recognized")
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(("127.0.0.1", PORT), H).serve_forever()
EOF
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

# ---------------------------------------------------------------- ground-truth bookkeeping
# Outcome rules (the whole model of this little world):
#   rcpt @example.test, user alice|bob         -> local delivery, status=sent
#   rcpt @example.test, any other user          -> local bounce (unknown user) + DSN to the sender
#   rcpt elsewhere, local part defer*           -> status=deferred at every attempt (sink says 451)
#   rcpt elsewhere, local part bounce*          -> status=bounced (sink says 550) + DSN to the sender
#   rcpt elsewhere, anything else               -> status=sent via the sink
# A DSN goes to the original sender with the same rules (senders here are always deliverable).
declare -A SENDERS=() SENT_RCPTS=() DEFER_MSGS=()
received=0 smtpd_received=0 pickup_received=0 sent=0 sent_local=0 sent_relay=0 bounced=0
deferred_rcpts=0 dsn=0 rejected=0 sasl_failures=0 sasl_ok=0 connections=0
ATTEMPTS=2   # initial delivery + one `postqueue -f`

outcome() { # rcpt -> sent-local | sent-relay | bounced | deferred
    local a=${1,,} lp=${1%%@*} dom=${1##*@}
    lp=${lp,,}; dom=${dom,,}
    if [ "$dom" = example.test ]; then
        case $lp in alice|bob) echo sent-local ;; *) echo bounced ;; esac
    else
        case $lp in defer*) echo deferred ;; bounce*) echo bounced ;; *) echo sent-relay ;; esac
    fi
    : "$a"
}

account_sent() { # rcpt kind
    sent=$((sent + 1)); SENT_RCPTS[${1,,}]=1
    if [ "$2" = sent-local ]; then sent_local=$((sent_local + 1)); else sent_relay=$((sent_relay + 1)); fi
}

account_accepted() { # id sender rcpt...
    local id=$1 from=$2; shift 2
    received=$((received + 1)); SENDERS[${from,,}]=1
    local r o
    for r in "$@"; do
        o=$(outcome "$r")
        case $o in
        sent-*) account_sent "$r" "$o" ;;
        deferred) deferred_rcpts=$((deferred_rcpts + 1)); DEFER_MSGS[$id]=1 ;;
        bounced)
            bounced=$((bounced + 1)); dsn=$((dsn + 1))
            o=$(outcome "$from"); account_sent "$from" "$o" ;;
        esac
    done
}

mkbody() { # file bytes
    python3 - "$1" "$2" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
words = "forensic postfix relay queue message delivery status report invoice meeting agenda".split()
out, i, line = [], 0, []
size = 0
while size < n:
    w = words[(i * 7 + i // 3) % len(words)]; i += 1
    line.append(w)
    if len(" ".join(line)) > 70:
        s = " ".join(line); out.append(s); size += len(s) + 2; line = []
open(path, "w").write("\n".join(out) + "\n")
EOF
}

# run one swaks transaction; $expect is the exit code we design for (0 accepted, 24 rcpt rejected,
# 28 auth failed). Any other result aborts the capture: the ground truth would be wrong.
SEQ=0
smtp() { # id expect port client_ip helo from rcpts(comma) bytes [auth_user auth_pass]
    local id=$1 expect=$2 port=$3 cip=$4 helo=$5 from=$6 rcpts=$7 bytes=$8 au=${9:-} ap=${10:-}
    SEQ=$((SEQ + 1))
    local body=$WORK/bodies/$id.txt
    mkbody "$body" "$bytes"
    local args=(--server 127.0.0.1 --port "$port" --local-interface "$cip" --helo "$helo"
        --from "$from" --to "$rcpts" --body "$body"
        --header "Message-Id: <$id.$SEQ@$helo>" --header "Subject: scenario $id"
        --header "Date: Mon, 02 Mar 2026 10:00:00 +0000" --silent 2 --timeout 20)
    if [ -n "$au" ]; then args+=(--auth LOGIN --auth-user "$au" --auth-password "$ap"); fi
    local rc=0
    swaks "${args[@]}" >"$WORK/swaks.$id.log" 2>&1 || rc=$?
    connections=$((connections + 1))
    if [ "$rc" != "$expect" ]; then
        cat "$WORK/swaks.$id.log" >&2
        die "scenario $id: swaks exit $rc, expected $expect"
    fi
    case $rc in
    0)  smtpd_received=$((smtpd_received + 1)); [ -n "$au" ] && sasl_ok=$((sasl_ok + 1))
        IFS=, read -r -a rr <<<"$rcpts"; account_accepted "$id" "$from" "${rr[@]}" ;;
    24) IFS=, read -r -a rr <<<"$rcpts"; rejected=$((rejected + ${#rr[@]})) ;;
    28) sasl_failures=$((sasl_failures + 1)) ;;
    esac
    echo "  $id: swaks exit $rc"
}

# ---------------------------------------------------------------- scenarios
echo "postfix_capture: Postfix $PFVER, playing scenarios"
# inbound from the internet to local users
smtp in1 0 "$MX_PORT" "$OUTSIDE_IP" mail.partner.test  news@partner.test  alice@example.test 1200
smtp in2 0 "$MX_PORT" "$OUTSIDE_IP" mail.partner.test  carol@partner.test alice@example.test,bob@example.test 5000
smtp in3 0 "$MX_PORT" "$OUTSIDE_IP" mx.remote.test     dave@remote.test   bob@example.test 20000
smtp in4 0 "$MX_PORT" "$OUTSIDE_IP" mail.partner.test  eve@partner.test   nosuchuser@example.test 800
smtp in5 0 "$MX_PORT" "$OUTSIDE_IP" mx.remote.test     zoe@remote.test    alice@example.test 100000
# outbound from the trusted internal host (mynetworks) through the relayhost (the sink)
smtp out1 0 "$MX_PORT" "$TRUSTED_IP" ws1.example.test alice@example.test frank@remote.test 3000
smtp out2 0 "$MX_PORT" "$TRUSTED_IP" ws2.example.test bob@example.test   defer@remote.test 2500
smtp out3 0 "$MX_PORT" "$TRUSTED_IP" ws1.example.test alice@example.test grace@remote.test,bounce@remote.test 4000
smtp out4 0 "$MX_PORT" "$TRUSTED_IP" ws2.example.test bob@example.test   henry@partner.test,defer2@partner.test 6000
# rejected at RCPT time
smtp rej1 24 "$MX_PORT" "$OUTSIDE_IP" spam.elsewhere.test spam@elsewhere.test victim@elsewhere.test 500
smtp rej2 24 "$MX_PORT" "$OUTSIDE_IP" spam.elsewhere.test spam@elsewhere.test someone@outside.test 500
smtp rej3 24 "$MX_PORT" "$OUTSIDE_IP" bad.test            spammer@bad.test    alice@example.test 500
# submission with SASL AUTH: one good login, three bad passwords
smtp sub1 0  "$SUB_PORT" "$OUTSIDE_IP" laptop.example.test alice@example.test ivan@partner.test 40000 alice@example.test alice-secret
smtp sub2 28 "$SUB_PORT" "$OUTSIDE_IP" brute.elsewhere.test alice@example.test ivan@partner.test 500 alice@example.test wrong1
smtp sub3 28 "$SUB_PORT" "$OUTSIDE_IP" brute.elsewhere.test bob@example.test  ivan@partner.test 500 bob@example.test wrong2
smtp sub4 28 "$SUB_PORT" "$OUTSIDE_IP" brute.elsewhere.test admin@example.test ivan@partner.test 500 admin@example.test wrong3
# local submission through sendmail(1) -> postdrop -> pickup
mkbody "$WORK/bodies/pick1.txt" 1500
{ printf 'From: ops@example.test\nTo: bob@example.test\nSubject: scenario pick1\n'
  printf 'Message-Id: <pick1@mx1.example.test>\nDate: Mon, 02 Mar 2026 10:00:00 +0000\n\n'
  cat "$WORK/bodies/pick1.txt"; } | sendmail -C "$CONF" -f ops@example.test bob@example.test
pickup_received=1
account_accepted pick1 ops@example.test bob@example.test
echo "  pick1: sendmail exit 0"

# ---------------------------------------------------------------- wait, flush, wait, stop
final_lines() { grep -c -E ' status=(sent|bounced|deferred)' "$WORK/maillog" 2>/dev/null || true; }
expect1=$((sent + bounced + deferred_rcpts))
wait_for() { # n what
    local n=$1 i
    for i in $(seq 300); do
        [ "$(final_lines)" -ge "$n" ] && return 0
        sleep 0.2
    done
    die "timeout waiting for $2: have $(final_lines) of $n delivery lines"
}
wait_for "$expect1" "first delivery round"
postqueue -c "$CONF" -f
wait_for $((expect1 + deferred_rcpts)) "the flush"
sleep 2   # let qmgr/local/smtp finish their trailing lines
postfix -c "$CONF" stop
sleep 2
kill "$(cat "$WORK/sink.pid")" 2>/dev/null || true
rm -f "$WORK/sink.pid"
trap - EXIT

# ---------------------------------------------------------------- outputs
mkdir -p "$OUT"
cp "$WORK/maillog" "$OUT/maillog"
deferrals=$((deferred_rcpts * ATTEMPTS))
{
    echo "# ground truth from tests/corpus/postfix_capture.sh (scenario table + swaks exit codes)"
    echo "# Postfix $PFVER; see README.md for what each number counts"
    echo "received $received"
    echo "received_smtpd $smtpd_received"
    echo "received_pickup $pickup_received"
    echo "delivered $sent"
    echo "delivered_local $sent_local"
    echo "delivered_relay $sent_relay"
    echo "deferred ${#DEFER_MSGS[@]}"
    echo "deferrals $deferrals"
    echo "deferred_recipients $deferred_rcpts"
    echo "bounced $bounced"
    echo "dsn_generated $dsn"
    echo "rejected $rejected"
    echo "sasl_failures $sasl_failures"
    echo "sasl_logins $sasl_ok"
    echo "senders ${#SENDERS[@]}"
    echo "recipients ${#SENT_RCPTS[@]}"
    echo "smtp_connections $connections"
    echo "still_queued ${#DEFER_MSGS[@]}"
} >"$OUT/expected.txt"
pflogsumm "$OUT/maillog" >"$OUT/pflogsumm.txt" 2>&1 || true

# privacy check: nothing but loopback addresses and the test domains
bad=$(grep -oE '\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b' "$OUT/maillog" | grep -v '^127\.' | sort -u || true)
[ -z "$bad" ] || echo "postfix_capture: WARNING: non-loopback addresses in the log: $bad" >&2
echo "postfix_capture: wrote $OUT/maillog ($(wc -l <"$OUT/maillog") lines), expected.txt, pflogsumm.txt"
cat "$OUT/expected.txt"
