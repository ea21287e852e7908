#!/bin/bash
# tests/corpus/postfix_multihop_capture.sh - regenerate the committed two-server Postfix capture in
# tests/corpus/postfix-multihop/.
#
# Run as root, by hand (the test suite never runs it):   sudo bash tests/corpus/postfix_multihop_capture.sh
#
# It installs Debian's postfix + swaks (+ Cyrus SASL tools) if missing and starts TWO private Postfix
# instances whose config, queue, data, mailboxes and logs live under $WORK (default
# /tmp/mailsleuth-postfix-multihop), listening on 127.0.0.1 only:
#   mx1.example.test  (syslog_name postfix-mx1)  smtpd 127.0.0.1:2534, submission+SASL 127.0.0.1:2535,
#                     local delivery for example.test, remote.test relayed to mx2 (transport_maps)
#   mx2.example.test  (syslog_name postfix-mx2)  smtpd 127.0.0.1:2544, local delivery for remote.test,
#                     content_filter = scan:[127.0.0.1]:10024 (a Python SMTP relay written below, which
#                     re-injects into mx2's second smtpd on 127.0.0.1:10025 - the amavis pattern),
#                     example.test relayed back to mx1 (so DSNs travel back)
# It plays a fixed list of scenarios with swaks, waiting after each one until every hop is finished, stops
# everything and writes:
#   tests/corpus/postfix-multihop/postfix-mx1/maillog   mx1's postlogd log (maillog_file)
#   tests/corpus/postfix-multihop/postfix-mx2/maillog   mx2's postlogd log
#   tests/corpus/postfix-multihop/expected.txt          ground truth (see README.md)
# /etc/postfix is not touched. Idempotent: every run starts from an empty $WORK. Self-cleaning: both
# instances and the relay are stopped on exit, also on error. Nothing is ever sent beyond 127.0.0.0/8.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/postfix-multihop}
WORK=${WORK:-/tmp/mailsleuth-postfix-multihop}
MX1_PORT=${MX1_PORT:-2534}        # "port 25" of mx1.example.test
MX1_SUB_PORT=${MX1_SUB_PORT:-2535} # mx1 submission with SASL AUTH
MX2_PORT=${MX2_PORT:-2544}        # "port 25" of mx2.example.test (MX of remote.test)
SCAN_PORT=${SCAN_PORT:-10024}     # the content filter (Python relay)
REINJECT_PORT=${REINJECT_PORT:-10025} # mx2's re-injection smtpd
MX1_IP=127.0.0.11                 # source address of mx1's SMTP client (what mx2 logs as client)
MX2_IP=127.0.0.12                 # source address of mx2's SMTP client (what mx1 logs as client)
TRUSTED_IP=127.0.0.2              # an internal workstation, in mx1's mynetworks
OUTSIDE_IP=127.0.0.1              # "the internet" (not in mynetworks)
LAPTOP_IP=127.0.0.5               # a roaming user's laptop (SASL submission)
MX1=$WORK/mx1
MX2=$WORK/mx2

die() { echo "postfix_multihop_capture: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"

# ---------------------------------------------------------------- packages
need=()
for p in postfix swaks sasl2-bin libsasl2-modules python3; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
command -v python3 >/dev/null || die "python3 missing"
PFVER=$(postconf -d -h mail_version 2>/dev/null || true)
[ -n "$PFVER" ] || die "postconf does not work"

# ---------------------------------------------------------------- clean slate + cleanup trap
stop_all() {
    local d
    for d in "$MX1" "$MX2"; do
        # only a running instance (a second "postfix stop" would log a fatal line into the capture)
        if [ -f "$d/etc/main.cf" ] && [ -f "$d/spool/pid/master.pid" ] &&
            kill -0 "$(tr -d ' ' <"$d/spool/pid/master.pid")" 2>/dev/null; then
            postfix -c "$d/etc" stop >/dev/null 2>&1 || true
        fi
    done
    if [ -f "$WORK/relay.pid" ]; then
        kill "$(cat "$WORK/relay.pid")" 2>/dev/null || true
        rm -f "$WORK/relay.pid"
    fi
}
stop_all
sleep 1
trap stop_all EXIT
rm -rf "$WORK"
for d in "$MX1" "$MX2"; do
    mkdir -p "$d/etc" "$d/spool" "$d/data" "$d/mail"
    chmod 1777 "$d/mail"
    chown postfix "$d/data"
done
mkdir -p "$MX1/etc/sasl" "$WORK/bodies"

for port in "$MX1_PORT" "$MX1_SUB_PORT" "$MX2_PORT" "$SCAN_PORT" "$REINJECT_PORT"; do
    if ss -ltn "sport = :$port" | grep -q LISTEN; then die "port $port is in use (see the *_PORT variables)"; fi
done

# local mailbox owners (system users without login): alice on mx1; frank and grace on mx2
for u in alice frank grace; do
    getent passwd "$u" >/dev/null || useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$u"
done

# ---------------------------------------------------------------- Postfix configs
common_main() { # dir hostname syslog_name smtp_bind
    cat <<EOF
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
myhostname = $2
syslog_name = $3
mydomain = example.test
inet_interfaces = loopback-only
inet_protocols = ipv4
smtpd_banner = \$myhostname ESMTP
biff = no
alias_maps =
alias_database =
# accept mail for unknown local users, so local(8) bounces it (instead of an SMTP-time reject)
local_recipient_maps =
mail_spool_directory = $1/mail
mailbox_size_limit = 0
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_error_sleep_time = 0
smtp_host_lookup = native
smtp_bind_address = $4
# one SMTP session per message between the servers (deterministic connection counts)
smtp_connection_cache_on_demand = no
maillog_file = $1/maillog
maillog_file_prefixes = /var, /dev/stdout, /tmp
minimal_backoff_time = 3600s
maximal_backoff_time = 7200s
queue_run_delay = 3600s
delay_warning_time = 0
EOF
}

common_master() {
    cat <<'EOF'
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
}

# mx1: example.test's server. Internal hosts and SASL users relay through it; remote.test goes to mx2.
{
    common_main "$MX1" mx1.example.test postfix-mx1 "$MX1_IP"
    cat <<EOF
myorigin = example.test
mydestination = \$myhostname, example.test, localhost
mynetworks = $TRUSTED_IP/32
transport_maps = inline:{ { remote.test = smtp:[127.0.0.1]:$MX2_PORT } }
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $MX1/etc/sasl
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain = example.test
EOF
} >"$MX1/etc/main.cf"
{
    echo "127.0.0.1:$MX1_PORT inet n - n - - smtpd"
    echo "127.0.0.1:$MX1_SUB_PORT inet n - n - - smtpd"
    echo "  -o syslog_name=postfix-mx1/submission"
    echo "  -o smtpd_sasl_auth_enable=yes"
    echo "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"
    common_master
} >"$MX1/etc/master.cf"

# mx2: remote.test's MX, with an amavis-style content filter; example.test goes back to mx1.
{
    common_main "$MX2" mx2.example.test postfix-mx2 "$MX2_IP"
    cat <<EOF
myorigin = remote.test
mydestination = \$myhostname, remote.test, localhost
mynetworks = 127.0.0.1/32
transport_maps = inline:{ { example.test = smtp:[127.0.0.1]:$MX1_PORT } }
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
content_filter = scan:[127.0.0.1]:$SCAN_PORT
EOF
} >"$MX2/etc/main.cf"
{
    echo "127.0.0.1:$MX2_PORT inet n - n - - smtpd"
    cat <<EOF
# the content filter transport (amavis' "smtp-amavis"); from 127.0.0.1 like a local scanner
scan      unix  -       -       n       -       2       smtp
  -o smtp_bind_address=
  -o smtp_data_done_timeout=1200
  -o smtp_send_xforward_command=no
  -o disable_dns_lookups=yes
  -o max_use=20
# the re-injection smtpd (amavis' 127.0.0.1:10025 entry)
127.0.0.1:$REINJECT_PORT inet n - n - - smtpd
  -o content_filter=
  -o local_recipient_maps=
  -o relay_recipient_maps=
  -o smtpd_restriction_classes=
  -o smtpd_delay_reject=no
  -o smtpd_client_restrictions=permit_mynetworks,reject
  -o smtpd_helo_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o smtpd_data_restrictions=reject_unauth_pipelining
  -o smtpd_end_of_data_restrictions=
  -o mynetworks=127.0.0.0/8
  -o smtpd_error_sleep_time=0
  -o smtpd_soft_error_limit=1001
  -o smtpd_hard_error_limit=1000
  -o smtpd_client_connection_count_limit=0
  -o smtpd_client_connection_rate_limit=0
  -o receive_override_options=no_header_body_checks,no_unknown_recipient_checks,no_milters,no_address_mappings
EOF
    common_master
} >"$MX2/etc/master.cf"

# Cyrus SASL with a private sasldb for mx1's submission port
cat >"$MX1/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $MX1/etc/sasldb2
EOF
echo "carol-secret" | saslpasswd2 -p -c -f "$MX1/etc/sasldb2" -u example.test carol
chown root:postfix "$MX1/etc/sasldb2"
chmod 640 "$MX1/etc/sasldb2"

postfix -c "$MX1/etc" check
postfix -c "$MX2/etc" check

# ---------------------------------------------------------------- the content filter (amavis stand-in)
cat >"$WORK/relay.py" <<'EOF'
# A tiny SMTP relay playing amavis: accepts a message on 127.0.0.1:LISTEN, re-injects it unchanged with
# the same envelope into 127.0.0.1:REINJECT, and answers upstream with the re-injection's own final reply
# ("250 2.0.0 Ok: queued as <new qid>"). One thread per connection; RSET and several transactions per
# session are handled. Never connects anywhere but 127.0.0.1.
import smtplib, socketserver, sys
LISTEN, REINJECT = int(sys.argv[1]), int(sys.argv[2])
def addr(arg):
    a = arg.split(":", 1)[1].strip()
    return a[1:a.index(">")] if a.startswith("<") else a.split()[0]
class H(socketserver.StreamRequestHandler):
    def out(self, s):
        self.wfile.write((s + "\r\n").encode()); self.wfile.flush()
    def handle(self):
        self.out("220 localhost ESMTP scan-relay")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n"); u = cmd.upper()
            if u.startswith("EHLO"):
                self.out("250-localhost"); self.out("250 8BITMIME")
            elif u.startswith("HELO"):
                self.out("250 localhost")
            elif u.startswith("MAIL FROM:"):
                sender, rcpts = addr(cmd), []; self.out("250 2.1.0 Ok")
            elif u.startswith("RCPT TO:"):
                rcpts.append(addr(cmd)); self.out("250 2.1.5 Ok")
            elif u == "DATA":
                self.out("354 End data with <CR><LF>.<CR><LF>")
                body = []
                while True:
                    d = self.rfile.readline()
                    if not d or d in (b".\r\n", b".\n"):
                        break
                    body.append(d[1:] if d.startswith(b"..") else d)
                try:
                    s = smtplib.SMTP("127.0.0.1", REINJECT, local_hostname="localhost", timeout=60)
                    s.ehlo(); s.mail(sender)
                    for r in rcpts:
                        code, msg = s.rcpt(r)
                        if code != 250:
                            raise smtplib.SMTPResponseException(code, msg)
                    code, msg = s.data(b"".join(body))
                    s.quit()
                    self.out("%d %s" % (code, msg.decode("latin-1")))
                except smtplib.SMTPResponseException as e:
                    self.out("451 4.3.0 re-injection failed: %d %s" % (e.smtp_code, e.smtp_error))
                except Exception as e:
                    self.out("451 4.3.0 re-injection failed: %s" % e)
                sender, rcpts = None, []
            elif u in ("RSET", "NOOP"):
                sender, rcpts = None, []; self.out("250 2.0.0 Ok")
            elif u == "QUIT":
                self.out("221 2.0.0 Bye"); return
            else:
                self.out("502 5.5.2 Error: command not recognized")
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(("127.0.0.1", LISTEN), H).serve_forever()
EOF
python3 "$WORK/relay.py" "$SCAN_PORT" "$REINJECT_PORT" >"$WORK/relay.log" 2>&1 &
echo $! >"$WORK/relay.pid"

postfix -c "$MX1/etc" start
postfix -c "$MX2/etc" start
for _ in $(seq 50); do
    ok=1
    for port in "$MX1_PORT" "$MX1_SUB_PORT" "$MX2_PORT" "$SCAN_PORT" "$REINJECT_PORT"; do
        ss -ltn "sport = :$port" | grep -q LISTEN || ok=0
    done
    [ "$ok" = 1 ] && break
    sleep 0.2
done
[ "$ok" = 1 ] || die "a listener did not come up"

# ---------------------------------------------------------------- the model (ground truth by construction)
# Outcome rules of this little world:
#   rcpt @example.test, user alice           -> mx1 local delivery
#   rcpt @remote.test                        -> mx1 smtp to mx2 (2544) -> mx2 scan (10024, content filter)
#                                               -> re-injected on 10025 -> mx2 local:
#                                                  frank|grace: delivered; anyone else: bounced (unknown user)
#   a bounce at mx2 makes one DSN (from=<>) to the sender (always @example.test here), which mx2 relays to
#   mx1 (2534, not through the content filter: bounce(8) mail never gets content_filter) -> mx1 local.
# Counters (per server, in the log's own terms; README.md explains each):
mx1_received=0 mx1_sasl_ok=0 mx1_sasl_fail=0 mx1_connections=0
mx1_sent=0 mx1_sent_local=0 mx1_sent_relay=0 mx1_bounced=0
mx2_received=0 mx2_received_smtp=0 mx2_reinjected=0 mx2_connections=0
mx2_sent=0 mx2_sent_local=0 mx2_sent_relay=0 mx2_sent_filter=0 mx2_bounced=0 mx2_dsn=0
handoffs=0 hops_12=0 hops_21=0 messages_sent=0 messages_bounced=0
declare -a IDS=()
declare -A MID=() FROM=() RCPTS=() SASL=() CLIENT=() AUTHFAIL=()

mx2_user_ok() { case ${1%%@*} in frank|grace) return 0 ;; *) return 1 ;; esac; }

model_accepted() { # id from rcpts(comma) sasl_user|-
    local id=$1 from=$2 sasl=$4 r any_bounce=0
    IFS=, read -r -a rr <<<"$3"
    mx1_received=$((mx1_received + 1))
    [ "$sasl" != - ] && mx1_sasl_ok=$((mx1_sasl_ok + 1))
    local remote=0
    for r in "${rr[@]}"; do
        case $r in
        *@example.test) mx1_sent=$((mx1_sent + 1)); mx1_sent_local=$((mx1_sent_local + 1)) ;;
        *@remote.test)
            remote=$((remote + 1))
            mx1_sent=$((mx1_sent + 1)); mx1_sent_relay=$((mx1_sent_relay + 1))
            mx2_sent=$((mx2_sent + 1)); mx2_sent_filter=$((mx2_sent_filter + 1))
            if mx2_user_ok "$r"; then
                mx2_sent=$((mx2_sent + 1)); mx2_sent_local=$((mx2_sent_local + 1))
            else
                mx2_bounced=$((mx2_bounced + 1)); any_bounce=1
            fi ;;
        *) die "model: no rule for $r" ;;
        esac
    done
    if [ "$remote" -gt 0 ]; then
        # one SMTP transaction mx1 -> mx2, one hand-off to the filter, one re-injection
        hops_12=$((hops_12 + 1)); handoffs=$((handoffs + 1))
        mx2_received=$((mx2_received + 2)); mx2_received_smtp=$((mx2_received_smtp + 1))
        mx2_reinjected=$((mx2_reinjected + 1)); mx2_connections=$((mx2_connections + 2))
    fi
    if [ "$any_bounce" = 1 ]; then
        # one DSN per bounced message: mx2 smtp -> mx1 smtpd -> mx1 local (sender is alice@example.test)
        mx2_dsn=$((mx2_dsn + 1)); mx2_sent=$((mx2_sent + 1)); mx2_sent_relay=$((mx2_sent_relay + 1))
        hops_21=$((hops_21 + 1)); mx1_received=$((mx1_received + 1)); mx1_connections=$((mx1_connections + 1))
        mx1_sent=$((mx1_sent + 1)); mx1_sent_local=$((mx1_sent_local + 1))
        messages_bounced=$((messages_bounced + 1))
    else
        messages_sent=$((messages_sent + 1))
    fi
}

# wait until both logs hold at least the given numbers of final lines (status=sent|bounced)
finals() { grep -c -E ' status=(sent|bounced|deferred)' "$1" 2>/dev/null || true; }
removed() { grep -c -E '/qmgr\[[0-9]+\]: [0-9A-F]+: removed$' "$1" 2>/dev/null || true; }
wait_model() {
    local f1 f2
    for _ in $(seq 300); do
        f1=$(finals "$MX1/maillog"); f2=$(finals "$MX2/maillog")
        if [ "$f1" -ge $((mx1_sent + mx1_bounced)) ] && [ "$f2" -ge $((mx2_sent + mx2_bounced)) ]; then
            sleep 0.5; return 0
        fi
        sleep 0.2
    done
    die "timeout: mx1 has $f1 of $((mx1_sent + mx1_bounced)), mx2 $f2 of $((mx2_sent + mx2_bounced)) final lines"
}

SEQ=0
mkbody() { # file bytes
    python3 - "$1" "$2" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
words = "forensic postfix relay queue message delivery status report invoice meeting agenda".split()
out, i, line, size = [], 0, [], 0
while size < n:
    w = words[(i * 7 + i // 3) % len(words)]; i += 1
    line.append(w)
    if len(" ".join(line)) > 70:
        s = " ".join(line); out.append(s); size += len(s) + 2; line = []
open(path, "w").write("\n".join(out) + "\n")
EOF
}

# one swaks transaction; expect = designed exit code (0 accepted, 28 auth failed); anything else aborts.
smtp() { # id expect port client_ip helo from rcpts(comma) bytes [auth_user auth_pass]
    local id=$1 expect=$2 port=$3 cip=$4 helo=$5 from=$6 rcpts=$7 bytes=$8 au=${9:-} ap=${10:-}
    SEQ=$((SEQ + 1))
    local body=$WORK/bodies/$id.txt mid="$id.$SEQ@$helo"
    mkbody "$body" "$bytes"
    local args=(--server 127.0.0.1 --port "$port" --local-interface "$cip" --helo "$helo"
        --from "$from" --to "$rcpts" --body "$body"
        --header "Message-Id: <$mid>" --header "Subject: multihop scenario $id"
        --header "Date: Mon, 02 Mar 2026 10:00:00 +0000" --silent 2 --timeout 20)
    if [ -n "$au" ]; then args+=(--auth LOGIN --auth-user "$au" --auth-password "$ap"); fi
    local rc=0
    swaks "${args[@]}" >"$WORK/swaks.$id.log" 2>&1 || rc=$?
    mx1_connections=$((mx1_connections + 1))
    if [ "$rc" != "$expect" ]; then
        cat "$WORK/swaks.$id.log" >&2
        die "scenario $id: swaks exit $rc, expected $expect"
    fi
    case $rc in
    0)  IDS+=("$id"); MID[$id]=$mid; FROM[$id]=$from; RCPTS[$id]=$rcpts; SASL[$id]=${au:--}
        CLIENT[$id]=$cip
        model_accepted "$id" "$from" "$rcpts" "${au:--}" ;;
    28) mx1_sasl_fail=$((mx1_sasl_fail + 1))
        AUTHFAIL["$cip $au"]=$(( ${AUTHFAIL["$cip $au"]:-0} + 1 )) ;;
    esac
    wait_model
    echo "  $id: swaks exit $rc"
}

# ---------------------------------------------------------------- scenarios (played one at a time)
echo "postfix_multihop_capture: Postfix $PFVER, playing scenarios"
# single hop, for contrast: the internet -> mx1 -> alice's mailbox
smtp loc1 0 "$MX1_PORT" "$OUTSIDE_IP" mail.partner.test news@partner.test alice@example.test 1200
# internal workstation -> mx1 -> mx2 -> scan -> mx2 -> mailbox
smtp hop1 0 "$MX1_PORT" "$TRUSTED_IP" ws1.example.test alice@example.test frank@remote.test 3000
smtp hop2 0 "$MX1_PORT" "$TRUSTED_IP" ws2.example.test bob@example.test frank@remote.test,grace@remote.test 6000
smtp hop3 0 "$MX1_PORT" "$TRUSTED_IP" ws1.example.test alice@example.test nosuchuser@remote.test 2000
# a roaming user: two wrong passwords, then the right one; the message goes out through mx2
smtp auth1 28 "$MX1_SUB_PORT" "$LAPTOP_IP" laptop.example.test carol@example.test grace@remote.test 500 carol@example.test wrong1
smtp auth2 28 "$MX1_SUB_PORT" "$LAPTOP_IP" laptop.example.test carol@example.test grace@remote.test 500 carol@example.test wrong2
smtp sub1 0 "$MX1_SUB_PORT" "$LAPTOP_IP" laptop.example.test carol@example.test grace@remote.test 8000 carol@example.test carol-secret

sleep 2   # trailing qmgr "removed" lines
postfix -c "$MX1/etc" stop
postfix -c "$MX2/etc" stop
sleep 2
stop_all
trap - EXIT

# ---------------------------------------------------------------- queue ids from the logs
# The script knows each message by its unique Message-ID; it follows the "queued as" replies hop by hop
# and checks at every hop that the next queue id carries the same Message-ID (else the model is wrong).
L1=$MX1/maillog L2=$MX2/maillog
esc() { printf '%s' "$1" | sed 's/[][\.*^$/]/\\&/g'; }
qid_of_mid() { # log mid -> all queue ids whose cleanup logged that message-id
    grep -E "/cleanup\[[0-9]+\]: [0-9A-F]+: message-id=<$(esc "$2")>\$" "$1" | sed -E 's/.*: ([0-9A-F]+): message-id=.*/\1/'
}
mid_of_qid() { # log qid -> message-id
    grep -E "/cleanup\[[0-9]+\]: $2: message-id=" "$1" | sed -E 's/.*message-id=<(.*)>$/\1/' | head -1
}
line_for() { # log qid rcpt -> the final delivery line
    grep -E ": $2: to=<$(esc "$3")>,.* status=(sent|bounced|deferred)" "$1" | tail -1
}
queued_as() { sed -nE 's/.*status=sent \(250 .*queued as ([0-9A-F]+)\)$/\1/p'; }
need_mid() { # log qid mid where
    local m; m=$(mid_of_qid "$1" "$2")
    [ "$m" = "$3" ] || die "$4: queue id $2 has message-id <$m>, expected <$3>"
}
follow_remote() { # mid mx1qid rcpt -> prints "mx2:B -> mx2:C(filter) -> <end>"
    local mid=$1 a=$2 r=$3 l b c end
    l=$(line_for "$L1" "$a" "$r"); b=$(queued_as <<<"$l")
    [ -n "$b" ] || die "mx1 $a to $r: no 'queued as' ($l)"
    grep -q "relay=127.0.0.1\[127.0.0.1\]:$MX2_PORT," <<<"$l" || die "mx1 $a to $r did not go to mx2 ($l)"
    need_mid "$L2" "$b" "$mid" "mx2 hop of $mid"
    l=$(line_for "$L2" "$b" "$r"); c=$(queued_as <<<"$l")
    [ -n "$c" ] || die "mx2 $b to $r: no 'queued as' ($l)"
    grep -q "relay=127.0.0.1\[127.0.0.1\]:$SCAN_PORT," <<<"$l" || die "mx2 $b to $r did not go to the filter ($l)"
    need_mid "$L2" "$c" "$mid" "re-injection of $mid"
    l=$(line_for "$L2" "$c" "$r")
    if mx2_user_ok "$r"; then
        grep -q 'relay=local,.*status=sent (delivered to mailbox)' <<<"$l" || die "mx2 $c to $r: not delivered ($l)"
        end="mailbox:$r"
    else
        grep -q 'relay=local,.*status=bounced' <<<"$l" || die "mx2 $c to $r: not bounced ($l)"
        end="bounced:$r"
    fi
    echo "mx2:$b -> mx2:$c(filter) -> $end"
}

PATHS=() DSNS=() OUTCOMES=() SASLS=()
for id in "${IDS[@]}"; do
    mid=${MID[$id]}
    a=$(qid_of_mid "$L1" "$mid")
    [ "$(wc -w <<<"$a")" = 1 ] || die "$id: expected one mx1 queue id for <$mid>, got '$a'"
    IFS=, read -r -a rr <<<"${RCPTS[$id]}"
    bounced_here=0
    for r in "${rr[@]}"; do
        case $r in
        *@example.test)
            l=$(line_for "$L1" "$a" "$r")
            grep -q 'relay=local,.*status=sent (delivered to mailbox)' <<<"$l" || die "mx1 $a to $r: ($l)"
            PATHS+=("path <$mid> $r mx1:$a -> mailbox:$r") ;;
        *)
            rest=$(follow_remote "$mid" "$a" "$r")
            PATHS+=("path <$mid> $r mx1:$a -> $rest")
            if [[ $rest == *bounced:* ]]; then
                bounced_here=1
                c=${rest#*-> mx2:}; c=${c%%(filter)*}
                d=$(grep -E ": $c: sender non-delivery notification: [0-9A-F]+\$" "$L2" | sed -E 's/.*: //')
                [ -n "$d" ] || die "mx2 $c: no sender non-delivery notification"
                dmid=$(mid_of_qid "$L2" "$d")
                [ -n "$dmid" ] || die "DSN $d: no message-id"
                l=$(line_for "$L2" "$d" "${FROM[$id]}"); e=$(queued_as <<<"$l")
                [ -n "$e" ] || die "mx2 DSN $d to ${FROM[$id]}: no 'queued as' ($l)"
                grep -q "relay=127.0.0.1\[127.0.0.1\]:$MX1_PORT," <<<"$l" || die "DSN $d did not go to mx1 ($l)"
                need_mid "$L1" "$e" "$dmid" "DSN hop"
                l=$(line_for "$L1" "$e" "${FROM[$id]}")
                grep -q 'relay=local,.*status=sent (delivered to mailbox)' <<<"$l" || die "mx1 DSN $e: ($l)"
                grep -q "/smtpd\[[0-9]*\]: $e: client=unknown\[$MX2_IP\]" "$L1" || die "mx1 DSN $e: not from mx2"
                DSNS+=("dsn <$dmid> bounce_of=mx2:$c for=<$mid> mx2:$d -> mx1:$e -> mailbox:${FROM[$id]}")
            fi ;;
        esac
    done
    if [ "$bounced_here" = 1 ]; then OUTCOMES+=("outcome <$mid> bounced"); else OUTCOMES+=("outcome <$mid> sent"); fi
    if [ "${SASL[$id]}" != - ]; then
        grep -qE "/submission/smtpd\[[0-9]+\]: $a: client=unknown\[${CLIENT[$id]//./\\.}\], sasl_method=LOGIN, sasl_username=${SASL[$id]}\$" "$L1" \
            || die "$id: no sasl_username on mx1's client= line for $a"
        SASLS+=("sasl <$mid> mx1:$a ${SASL[$id]} client=${CLIENT[$id]}")
    fi
done

# ---------------------------------------------------------------- outputs
mkdir -p "$OUT/postfix-mx1" "$OUT/postfix-mx2"
cp "$L1" "$OUT/postfix-mx1/maillog"
cp "$L2" "$OUT/postfix-mx2/maillog"
{
    echo "# ground truth from tests/corpus/postfix_multihop_capture.sh: paths follow the scenario model, queue ids"
    echo "# read from the logs by Message-ID and 'queued as' (each hop checked); counts from the model."
    echo "# Postfix $PFVER; README.md explains every line."
    printf '%s\n' "${PATHS[@]}"
    printf '%s\n' "${DSNS[@]}"
    printf '%s\n' "${OUTCOMES[@]}"
    printf '%s\n' "${SASLS[@]}"
    for k in "${!AUTHFAIL[@]}"; do
        echo "sasl_failed mx1 client=${k% *} user=${k#* } count=${AUTHFAIL[$k]}"
    done | sort
    echo "messages ${#IDS[@]}"
    echo "messages_sent $messages_sent"
    echo "messages_bounced $messages_bounced"
    echo "hops mx1->mx2 $hops_12"
    echo "hops mx2->mx1 $hops_21"
    echo "filter_handoffs mx2 $handoffs"
    echo "received mx1 $mx1_received"
    echo "received mx2 $mx2_received"
    echo "received_smtp mx2 $mx2_received_smtp"
    echo "reinjected mx2 $mx2_reinjected"
    echo "delivered mx1 $mx1_sent"
    echo "delivered_local mx1 $mx1_sent_local"
    echo "delivered_relay mx1 $mx1_sent_relay"
    echo "delivered mx2 $mx2_sent"
    echo "delivered_local mx2 $mx2_sent_local"
    echo "delivered_filter mx2 $mx2_sent_filter"
    echo "delivered_relay mx2 $mx2_sent_relay"
    echo "bounced mx1 $mx1_bounced"
    echo "bounced mx2 $mx2_bounced"
    echo "dsn_generated mx2 $mx2_dsn"
    echo "sasl_logins mx1 $mx1_sasl_ok"
    echo "sasl_failures mx1 $mx1_sasl_fail"
    echo "smtp_connections mx1 $mx1_connections"
    echo "smtp_connections mx2 $mx2_connections"
    echo "still_queued 0"
} >"$OUT/expected.txt"

# ---------------------------------------------------------------- self-checks (grep, never our tool)
chk() { # what model actual
    [ "$2" = "$3" ] || die "self-check $1: model says $2, log has $3"
}
cnt() { grep -cE "$2" "$1" || true; }
chk "mx1 client= lines" "$mx1_received" "$(cnt "$L1" 'smtpd\[[0-9]+\]: [0-9A-F]+: client=')"
chk "mx2 client= lines" "$mx2_received" "$(cnt "$L2" 'smtpd\[[0-9]+\]: [0-9A-F]+: client=')"
chk "mx1 status=sent" "$mx1_sent" "$(cnt "$L1" ' status=sent ')"
chk "mx2 status=sent" "$mx2_sent" "$(cnt "$L2" ' status=sent ')"
chk "mx1 status=bounced" "$mx1_bounced" "$(cnt "$L1" ' status=bounced ')"
chk "mx2 status=bounced" "$mx2_bounced" "$(cnt "$L2" ' status=bounced ')"
chk "mx2 scan lines" "$mx2_sent_filter" "$(cnt "$L2" "/smtp\[[0-9]+\]: .*relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SCAN_PORT,.* status=sent ")"
chk "mx1 SASL failures" "$mx1_sasl_fail" "$(cnt "$L1" 'SASL LOGIN authentication failed')"
chk "mx1 connects" "$mx1_connections" "$(cnt "$L1" 'smtpd\[[0-9]+\]: connect from')"
chk "mx2 connects" "$mx2_connections" "$(cnt "$L2" 'smtpd\[[0-9]+\]: connect from')"
chk "mx1 removed" "$mx1_received" "$(removed "$L1")"
chk "mx2 removed" "$((mx2_received + mx2_dsn))" "$(removed "$L2")"
chk "status=deferred lines" 0:0 "$(cnt "$L1" ' status=deferred '):$(cnt "$L2" ' status=deferred ')"

# privacy check: nothing but loopback addresses and *.test names
for f in "$OUT/postfix-mx1/maillog" "$OUT/postfix-mx2/maillog"; do
    bad=$(grep -oE '\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b' "$f" | grep -v '^127\.' | sort -u || true)
    [ -z "$bad" ] || die "non-loopback addresses in $f: $bad"
    bad=$(grep -oE '[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b' "$f" | grep -vE '\.test$|^127\.' | sort -u || true)
    [ -z "$bad" ] || echo "postfix_multihop_capture: note: non-.test names in $f: $bad" >&2
done
echo "postfix_multihop_capture: wrote $OUT/postfix-mx1/maillog ($(wc -l <"$L1") lines)," \
    "$OUT/postfix-mx2/maillog ($(wc -l <"$L2") lines), expected.txt"
cat "$OUT/expected.txt"
