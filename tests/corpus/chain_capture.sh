#!/bin/bash
# tests/corpus/chain_capture.sh - regenerate the committed three-MTA capture in tests/corpus/chain/:
# a real mail chain Postfix -> Exim -> OpenSMTPD on 127.0.0.1, plus each MTA's own scenarios.
#
# Run as root, by hand (the test suite never runs it):   sudo bash tests/corpus/chain_capture.sh
#
# Debian's postfix (installed, used as is, /etc/postfix untouched) runs as a private instance; Exim
# (exim4-daemon-light 4.96) and OpenSMTPD (opensmtpd 6.8) conflict with postfix as packages, so the
# script fetches them with `apt-get download` and unpacks them with `dpkg -x` under $WORK/pkg, and
# runs the binaries from there with configs, spools, mailboxes and logs of their own under $WORK
# (default /tmp/mailsleuth-chain). OpenSMTPD logs through syslog(3) only (-d logs to stderr without
# stamps), so the script also runs Debian's rsyslogd (unpacked the same way, private config, its
# /dev/log socket at $WORK/dev/log) and starts smtpd -F inside a private mount namespace (unshare -m)
# where $WORK/dev is bind-mounted on /dev and private dirs on /var/spool, /var/lib, /run,
# /usr/libexec (its compiled-in paths) and /etc/resolv.conf, /etc/hosts. Nothing of the machine's
# /dev, /var, /run or /etc is changed.
#   mx1.origin.test     Postfix 3.7 (syslog_name postfix), smtpd 127.0.0.1:2584, local origin.test
#                       (alice, bob), remote.test and chain.test -> smtp:[127.0.0.1]:2554 (Exim),
#                       SMTP client source 127.0.0.21
#   exim.example.test   Exim 4.96, daemon 127.0.0.1:2554, local example.test (dave: appendfile),
#                       remote.test + chain.test -> manualroute 127.0.0.1 port 2564 (OpenSMTPD),
#                       origin.test -> manualroute 127.0.0.1 port 2584 (Postfix: bounces go home),
#                       AUTH PLAIN/LOGIN (plaintext, dave@example.test / dave-secret), SMTP client
#                       source 127.0.0.22
#   mx3.remote.test     OpenSMTPD 6.8, 127.0.0.1:2564, remote.test + chain.test -> maildir, virtual
#                       table: frank@remote.test -> frank, grace@chain.test -> grace (anyone else:
#                       550 Invalid recipient at RCPT time)
# It plays a fixed list of scenarios with swaks, waiting after each one until every hop is finished,
# stops everything and writes:
#   tests/corpus/chain/postfix/maillog     Postfix's postlogd log (maillog_file)
#   tests/corpus/chain/exim/mainlog        Exim's mainlog (log_file_path = .../%slog, log_selector = +all)
#   tests/corpus/chain/exim/rejectlog      Exim's rejectlog
#   tests/corpus/chain/opensmtpd/maillog   rsyslog's mail.* file (Debian 12 default RSYSLOG_FileFormat)
#   tests/corpus/chain/expected.txt        ground truth (see README.md)
# Idempotent (every run starts from an empty $WORK); self-cleaning (every daemon it started is
# stopped on exit, also on error); nothing is ever sent beyond 127.0.0.0/8.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/chain}
WORK=${WORK:-/tmp/mailsleuth-chain}
PF_PORT=${PF_PORT:-2584}      # "port 25" of mx1.origin.test (Postfix)
EXIM_PORT=${EXIM_PORT:-2554}  # exim.example.test
OS_PORT=${OS_PORT:-2564}      # mx3.remote.test (OpenSMTPD)
PF_IP=127.0.0.21              # Postfix's SMTP client source (what Exim logs)
EXIM_IP=127.0.0.22            # Exim's SMTP client source (what OpenSMTPD and Postfix log)
WS_IP=127.0.0.2               # an internal workstation, in Postfix's mynetworks
LAPTOP_IP=127.0.0.5           # a roaming user's laptop (AUTH at Exim)
OUTSIDE_IP=127.0.0.1          # "the internet"
PROBE_IP=127.0.0.6            # an unauthorised client trying to relay through Exim
AUTH_USER=dave@example.test
AUTH_PASS=dave-secret
EXIM_USER=Debian-exim          # compiled into Debian's exim (resolved before the config is read): made here
PKG=$WORK/pkg
PF=$WORK/postfix
EX=$WORK/exim
OS=$WORK/opensmtpd
export TZ=UTC                 # every MTA logs local time: make it UTC

die() { echo "chain_capture: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"

# ---------------------------------------------------------------- packages
need=()
for p in postfix swaks python3 libidn12 util-linux; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
PFVER=$(postconf -d -h mail_version 2>/dev/null || true)
[ -n "$PFVER" ] || die "postconf does not work"

# ---------------------------------------------------------------- clean slate + cleanup trap
pid_alive() { [ -f "$1" ] && kill -0 "$(tr -d ' \n' <"$1")" 2>/dev/null; }
stop_all() {
    if [ -f "$PF/etc/main.cf" ] && pid_alive "$PF/spool/pid/master.pid"; then
        postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
    fi
    local f
    for f in "$EX/exim.pid" "$WORK/smtpd.pid" "$WORK/rsyslogd.pid"; do
        if pid_alive "$f"; then kill "$(tr -d ' \n' <"$f")" 2>/dev/null || true; fi
    done
    sleep 1
    for f in "$EX/exim.pid" "$WORK/smtpd.pid" "$WORK/rsyslogd.pid"; do
        if pid_alive "$f"; then kill -9 "$(tr -d ' \n' <"$f")" 2>/dev/null || true; fi
    done
}
stop_all
trap stop_all EXIT
rm -rf "$WORK"
mkdir -p "$PKG" "$WORK/bodies" "$WORK/dev" "$WORK/rsyslog" \
    "$PF/etc" "$PF/spool" "$PF/data" "$PF/mail" \
    "$EX/spool" "$EX/log" "$EX/mail" \
    "$OS/spool" "$OS/varlib/opensmtpd/empty" "$OS/run" "$OS/libexec" "$OS/mail" "$OS/etc"
chmod 1777 "$PF/mail"
chown postfix "$PF/data"

for port in "$PF_PORT" "$EXIM_PORT" "$OS_PORT"; do
    if ss -ltn "sport = :$port" | grep -q LISTEN; then die "port $port is in use (see the *_PORT variables)"; fi
done

# Exim and OpenSMTPD (and rsyslog, which is not installed here and would start a system logger)
(cd "$PKG" && apt-get download -q exim4-daemon-light opensmtpd rsyslog >/dev/null 2>&1) \
    || die "apt-get download failed (run apt-get update?)"
for d in "$PKG"/*.deb; do dpkg -x "$d" "$PKG/root"; done
EXIM=$PKG/root/usr/sbin/exim4
SMTPD=$PKG/root/usr/sbin/smtpd
RSYSLOGD=$PKG/root/usr/sbin/rsyslogd
EXIMVER=$(dpkg-deb -f "$PKG"/exim4-daemon-light_*.deb Version)
OSVER=$(dpkg-deb -f "$PKG"/opensmtpd_*.deb Version)
RSVER=$(dpkg-deb -f "$PKG"/rsyslog_*.deb Version)
for b in "$EXIM" "$SMTPD" "$RSYSLOGD"; do
    if ldd "$b" | grep -q 'not found'; then ldd "$b" >&2; die "$b: missing libraries"; fi
done

# users: Postfix mailboxes alice, bob (mail_spool_directory, no login); OpenSMTPD mailboxes frank,
# grace; Exim's own user; OpenSMTPD's privilege-separation users (Debian: opensmtpd, opensmtpq)
for u in alice bob frank grace "$EXIM_USER" opensmtpd opensmtpq; do
    getent passwd "$u" >/dev/null || useradd --system --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin "$u"
done
chown -R "$EXIM_USER:$EXIM_USER" "$EX/spool" "$EX/log" "$EX/mail"
for u in frank grace; do mkdir -p "$OS/mail/$u"; chown "$u:" "$OS/mail/$u"; done

# ---------------------------------------------------------------- Postfix (mx1.origin.test)
cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
myhostname = mx1.origin.test
mydomain = origin.test
myorigin = origin.test
mydestination = \$myhostname, origin.test, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = $WS_IP/32
smtpd_banner = \$myhostname ESMTP
biff = no
alias_maps =
alias_database =
local_recipient_maps =
mail_spool_directory = $PF/mail
mailbox_size_limit = 0
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_error_sleep_time = 0
smtp_host_lookup = native
smtp_bind_address = $PF_IP
smtp_connection_cache_on_demand = no
transport_maps = inline:{ { remote.test = smtp:[127.0.0.1]:$EXIM_PORT }, { chain.test = smtp:[127.0.0.1]:$EXIM_PORT } }
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = $PF/maillog
maillog_file_prefixes = /var, /dev/stdout, /tmp
minimal_backoff_time = 3600s
maximal_backoff_time = 7200s
queue_run_delay = 3600s
delay_warning_time = 0
EOF
cat >"$PF/etc/master.cf" <<EOF
127.0.0.1:$PF_PORT inet n - n - - smtpd
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
postfix -c "$PF/etc" check

# ---------------------------------------------------------------- Exim (exim.example.test)
cat >"$EX/exim.conf" <<EOF
# mailsleuth chain capture: Exim for example.test, gateway for remote.test and chain.test
primary_hostname = exim.example.test
qualify_domain = example.test
exim_path = $EXIM
exim_user = $EXIM_USER
exim_group = $EXIM_USER
never_users = root
spool_directory = $EX/spool
log_file_path = $EX/log/%slog
pid_file_path = $EX/exim.pid
log_selector = +all
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $EXIM_PORT
keep_environment =
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
tls_advertise_hosts =
auth_advertise_hosts = *
smtp_banner = \$smtp_active_hostname ESMTP Exim \$version_number \$tod_full
message_size_limit = 10M
queue_run_max = 1
ignore_bounce_errors_after = 2d
timeout_frozen_after = 7d

domainlist local_domains = example.test
domainlist relay_to_domains = remote.test : chain.test
hostlist   relay_from_hosts = $PF_IP

acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data

begin acl
acl_check_rcpt:
  accept  hosts         = :
  deny    message       = Restricted characters in address
          local_parts   = ^[.] : ^.*[@%!/|]
  accept  domains       = +local_domains
          endpass
          verify        = recipient
  accept  domains       = +relay_to_domains
          endpass
          verify        = recipient
  accept  hosts         = +relay_from_hosts
  accept  authenticated = *
  deny    message       = relay not permitted

acl_check_data:
  accept

begin routers
to_postfix:
  driver = manualroute
  domains = origin.test
  transport = smtp_postfix
  route_list = * 127.0.0.1
  self = send
  no_more

to_opensmtpd:
  driver = manualroute
  domains = +relay_to_domains
  transport = smtp_opensmtpd
  route_list = * 127.0.0.1
  self = send
  no_more

local_user:
  driver = accept
  domains = +local_domains
  local_parts = dave
  transport = local_mailbox
  cannot_route_message = Unknown user

begin transports
smtp_opensmtpd:
  driver = smtp
  port = $OS_PORT
  interface = $EXIM_IP
  allow_localhost
  hosts_avoid_tls = *
  helo_data = exim.example.test

smtp_postfix:
  driver = smtp
  port = $PF_PORT
  interface = $EXIM_IP
  allow_localhost
  hosts_avoid_tls = *
  helo_data = exim.example.test

local_mailbox:
  driver = appendfile
  file = $EX/mail/\${local_part_data}
  user = $EXIM_USER
  group = $EXIM_USER
  mode = 0600
  delivery_date_add
  envelope_to_add
  return_path_add

begin retry
*   *   F,2h,1h

begin rewrite

begin authenticators
PLAIN:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{$AUTH_USER}}{eq{\$auth3}{$AUTH_PASS}}}}
  server_set_id = \$auth2

LOGIN:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = \${if and {{eq{\$auth1}{$AUTH_USER}}{eq{\$auth2}{$AUTH_PASS}}}}
  server_set_id = \$auth1
EOF
chmod 644 "$EX/exim.conf"
"$EXIM" -C "$EX/exim.conf" -bV >"$WORK/exim-bV.txt" 2>&1 || { cat "$WORK/exim-bV.txt" >&2; die "exim -bV failed"; }
# Debian's exim reads /etc/exim4/exim4.conf or /var/lib/exim4/config.autogenerated (compiled in). With
# -C it would re-exec its delivery processes as the exim user and log "exim user lost privilege for
# using -C option" (main + panic log) for each one: the daemon runs instead in a private mount namespace
# where $EX/varlib is /var/lib, so the config sits at the compiled-in path, as on a real Debian host.
mkdir -p "$EX/varlib/exim4"
cp "$EX/exim.conf" "$EX/varlib/exim4/config.autogenerated"
cat >"$WORK/exim-ns.sh" <<EOF2
set -e
mount --make-rprivate /
mount --bind "$EX/varlib" /var/lib
cd "$EX/spool"
"$EXIM" -bV | grep -q '^Configuration file is /var/lib/exim4/config.autogenerated\$'
exec "$EXIM" -bd
EOF2

# ---------------------------------------------------------------- rsyslog (OpenSMTPD's syslog)
for n in null zero random urandom; do
    : >"$WORK/dev/$n"
done
: >"$OS/maillog"
cat >"$WORK/rsyslog.conf" <<EOF
# Debian 12's default file format (RSYSLOG_FileFormat: RFC 3339 stamps with microseconds and offset),
# the mail facility to its own file as Debian's rsyslog.conf does (mail.* -/var/log/mail.log)
global(workDirectory="$WORK/rsyslog" localHostname="mx3")
module(load="imuxsock" SysSock.Name="$WORK/dev/log")
mail.*  action(type="omfile" file="$OS/maillog" template="RSYSLOG_FileFormat")
EOF
"$RSYSLOGD" -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslogd.pid" -M "$PKG/root/usr/lib/x86_64-linux-gnu/rsyslog" \
    >"$WORK/rsyslogd.out" 2>&1 &
for _ in $(seq 50); do [ -S "$WORK/dev/log" ] && break; sleep 0.1; done
[ -S "$WORK/dev/log" ] || { cat "$WORK/rsyslogd.out" >&2; die "rsyslogd did not create its socket"; }

# ---------------------------------------------------------------- OpenSMTPD (mx3.remote.test)
cp -a "$PKG/root/usr/libexec/opensmtpd" "$OS/libexec/"
printf 'nameserver 127.0.0.1\n' >"$OS/etc/resolv.conf"       # no DNS beyond loopback: fail fast
printf '127.0.0.1\tlocalhost\n%s\texim.example.test\n' "$EXIM_IP" >"$OS/etc/hosts"
cat >"$OS/vusers" <<EOF
frank@remote.test   frank
grace@chain.test    grace
EOF
printf 'frank@remote.test\ngrace@chain.test\n' >"$OS/vrcpts"
cat >"$OS/smtpd.conf" <<EOF
# mailsleuth chain capture: OpenSMTPD for remote.test and chain.test
# known recipients only (anyone else: "550 Invalid recipient" at RCPT time; without the rcpt-to
# filter, 6.8 answers a virtual-table miss with "524 5.2.4 Mailing list expansion problem")
table vusers file:$OS/vusers
table vrcpts file:$OS/vrcpts
listen on 127.0.0.1 port $OS_PORT hostname mx3.remote.test
action "local" maildir "$OS/mail/%{user.username}" virtual <vusers>
match from any for domain { "remote.test", "chain.test" } rcpt-to <vrcpts> action "local"
EOF
chmod 644 "$OS/smtpd.conf" "$OS/vusers" "$OS/vrcpts"
"$SMTPD" -n -f "$OS/smtpd.conf" >"$WORK/smtpd-n.txt" 2>&1 || { cat "$WORK/smtpd-n.txt" >&2; die "smtpd -n failed"; }
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

# ---------------------------------------------------------------- start
unshare -m bash "$WORK/smtpd-ns.sh" >"$WORK/smtpd.out" 2>&1 &
unshare -m bash "$WORK/exim-ns.sh" >"$WORK/exim.out" 2>&1
postfix -c "$PF/etc" start
for _ in $(seq 50); do
    ok=1
    for port in "$PF_PORT" "$EXIM_PORT" "$OS_PORT"; do
        ss -ltn "sport = :$port" | grep -q LISTEN || ok=0
    done
    [ "$ok" = 1 ] && break
    sleep 0.2
done
[ "$ok" = 1 ] || { cat "$WORK/smtpd.out" >&2; die "a listener did not come up"; }
if [ -n "${CHAIN_PAUSE:-}" ]; then echo "paused; kill the sleep to stop"; sleep infinity; fi

# ---------------------------------------------------------------- the model (ground truth by construction)
# Outcome rules of this little world:
#   rcpt @remote.test|@chain.test at Postfix   -> Postfix smtp to Exim (2554) -> Exim smtp to OpenSMTPD
#                                                 (2564): frank@remote.test, grace@chain.test accepted
#                                                 and delivered to their maildir; anyone else refused at
#                                                 RCPT (550) -> Exim bounces (**), its bounce message
#                                                 (<= <> R=id) goes to the sender @origin.test via Postfix
#                                                 (2584) -> Postfix local delivery
#   rcpt @example.test at Exim (user dave)     -> Exim appendfile
#   AUTH at Exim with a wrong password         -> 535, swaks exit 28
#   rcpt @outside.test at Exim, no AUTH        -> 550 relay not permitted at RCPT, swaks exit 24
# Counters (per server, in the log's own terms; README.md explains each):
pf_received=0 pf_connections=0 pf_sent=0 pf_sent_relay=0 pf_sent_local=0 pf_bounced=0
ex_received=0 ex_received_smtp=0 ex_bounce_msgs=0 ex_connections=0 ex_delivered=0 ex_delivered_local=0
ex_delivered_relay=0 ex_delivered_dsn=0 ex_bounced=0 ex_rejected=0 ex_auth_ok=0 ex_auth_fail=0 ex_completed=0
os_connections=0 os_received=0 os_envelopes=0 os_delivered=0 os_rejected=0
hops_pf_ex=0 hops_ex_os=0 hops_ex_pf=0 messages_sent=0 messages_bounced=0
declare -a IDS=()
declare -A HELO=() MID=() FROM=() RCPTS=() AUTHU=() CLIENT=() ENTRY=() AUTHFAIL=() REJECTS=()

os_user_ok() { case $1 in frank@remote.test | grace@chain.test) return 0 ;; *) return 1 ;; esac; }

# Exim has accepted a message for rcpts (comma list): what follows at Exim, OpenSMTPD and Postfix
model_exim_accepted() {
    local r ok=0 bad=0
    IFS=, read -r -a rr <<<"$1"
    ex_received=$((ex_received + 1)); ex_received_smtp=$((ex_received_smtp + 1)); ex_completed=$((ex_completed + 1))
    for r in "${rr[@]}"; do
        case $r in
        dave@example.test) ex_delivered=$((ex_delivered + 1)); ex_delivered_local=$((ex_delivered_local + 1)) ;;
        *@remote.test | *@chain.test)
            if os_user_ok "$r"; then
                ok=$((ok + 1)); ex_delivered=$((ex_delivered + 1)); ex_delivered_relay=$((ex_delivered_relay + 1))
                os_envelopes=$((os_envelopes + 1)); os_delivered=$((os_delivered + 1))
            else
                bad=$((bad + 1)); ex_bounced=$((ex_bounced + 1)); os_rejected=$((os_rejected + 1))
            fi ;;
        *) die "model: no rule for $r at Exim" ;;
        esac
    done
    if [ $((ok + bad)) -gt 0 ]; then
        os_connections=$((os_connections + 1))   # one session Exim -> OpenSMTPD for the message
        [ "$ok" -gt 0 ] && { os_received=$((os_received + 1)); hops_ex_os=$((hops_ex_os + 1)); }
    fi
    if [ "$bad" -gt 0 ]; then
        # Exim's bounce message: <= <> R=id, => sender via Postfix -> Postfix local
        ex_received=$((ex_received + 1)); ex_bounce_msgs=$((ex_bounce_msgs + 1)); ex_completed=$((ex_completed + 1))
        ex_delivered=$((ex_delivered + 1)); ex_delivered_dsn=$((ex_delivered_dsn + 1)); hops_ex_pf=$((hops_ex_pf + 1))
        pf_received=$((pf_received + 1)); pf_connections=$((pf_connections + 1))
        pf_sent=$((pf_sent + 1)); pf_sent_local=$((pf_sent_local + 1))
        messages_bounced=$((messages_bounced + 1))
    else
        messages_sent=$((messages_sent + 1))
    fi
}

model_postfix_accepted() {
    local r n=0
    IFS=, read -r -a rr <<<"$1"
    pf_received=$((pf_received + 1))
    for r in "${rr[@]}"; do
        case $r in
        *@remote.test | *@chain.test) n=$((n + 1)); pf_sent=$((pf_sent + 1)); pf_sent_relay=$((pf_sent_relay + 1)) ;;
        *) die "model: no rule for $r at Postfix" ;;
        esac
    done
    # one transaction Postfix -> Exim (one nexthop for both domains)
    hops_pf_ex=$((hops_pf_ex + 1)); ex_connections=$((ex_connections + 1))
    model_exim_accepted "$1"
}

c_pf_final() { grep -c -E ' status=(sent|bounced|deferred)' "$PF/maillog" 2>/dev/null || true; }
c_pf_removed() { grep -c -E '/qmgr\[[0-9]+\]: [0-9A-F]+: removed$' "$PF/maillog" 2>/dev/null || true; }
c_ex_final() { grep -c -E '^[-0-9: .]+\[[0-9]+\] [0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2} (=>|->|\*\*|==) ' "$EX/log/mainlog" 2>/dev/null || true; }
c_ex_completed() { grep -c -E ' Completed( QT=|$)' "$EX/log/mainlog" 2>/dev/null || true; }
c_os_final() { grep -c -E ' (mda|mta) delivery evpid=' "$OS/maillog" 2>/dev/null || true; }
c_os_disc() { grep -c -E ' smtp disconnected reason=' "$OS/maillog" 2>/dev/null || true; }
wait_model() {
    local a b c d e f
    for _ in $(seq 300); do
        a=$(c_pf_final); b=$(c_pf_removed); c=$(c_ex_final); d=$(c_ex_completed); e=$(c_os_final); f=$(c_os_disc)
        if [ "$a" -ge $((pf_sent + pf_bounced)) ] && [ "$b" -ge "$pf_received" ] &&
            [ "$c" -ge $((ex_delivered + ex_bounced)) ] && [ "$d" -ge "$ex_completed" ] &&
            [ "$e" -ge "$os_delivered" ] && [ "$f" -ge "$os_connections" ]; then
            sleep 0.5; return 0
        fi
        sleep 0.2
    done
    die "timeout: postfix $a/$b, exim $c/$d, opensmtpd $e/$f (final lines/ends) behind the model"
}

SEQ=0
mkbody() { # file bytes
    python3 - "$1" "$2" <<'PYEOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
words = "forensic exim relay queue message delivery status report invoice meeting agenda chain".split()
out, i, line, size = [], 0, [], 0
while size < n:
    w = words[(i * 7 + i // 3) % len(words)]; i += 1
    line.append(w)
    if len(" ".join(line)) > 70:
        s = " ".join(line); out.append(s); size += len(s) + 2; line = []
open(path, "w").write("\n".join(out) + "\n")
PYEOF
}

# one swaks transaction; expect = designed exit code (0 accepted, 24 RCPT refused, 28 AUTH failed).
smtp() { # id expect port client_ip helo from rcpts(comma) bytes [auth_user auth_pass]
    local id=$1 expect=$2 port=$3 cip=$4 helo=$5 from=$6 rcpts=$7 bytes=$8 au=${9:-} ap=${10:-}
    SEQ=$((SEQ + 1))
    local body=$WORK/bodies/$id.txt mid="$id.$SEQ@$helo"
    mkbody "$body" "$bytes"
    local args=(--server 127.0.0.1 --port "$port" --local-interface "$cip" --helo "$helo"
        --from "$from" --to "$rcpts" --body "$body"
        --header "Message-Id: <$mid>" --header "Subject: chain scenario $id"
        --header "Date: Fri, 27 Nov 2026 14:00:00 +0000" --silent 2 --timeout 20)
    if [ -n "$au" ]; then args+=(--auth LOGIN --auth-user "$au" --auth-password "$ap"); fi
    local rc=0
    swaks "${args[@]}" >"$WORK/swaks.$id.log" 2>&1 || rc=$?
    if [ "$rc" != "$expect" ]; then
        cat "$WORK/swaks.$id.log" >&2
        die "scenario $id: swaks exit $rc, expected $expect"
    fi
    if [ "$port" = "$PF_PORT" ]; then pf_connections=$((pf_connections + 1)); else ex_connections=$((ex_connections + 1)); fi
    case $rc in
    0)  IDS+=("$id"); MID[$id]=$mid; FROM[$id]=$from; RCPTS[$id]=$rcpts; AUTHU[$id]=${au:--}
        CLIENT[$id]=$cip; HELO[$id]=$helo
        if [ "$port" = "$PF_PORT" ]; then
            ENTRY[$id]=postfix; model_postfix_accepted "$rcpts"
        else
            ENTRY[$id]=exim; model_exim_accepted "$rcpts"
            [ -n "$au" ] && ex_auth_ok=$((ex_auth_ok + 1))
        fi ;;
    24) ex_rejected=$((ex_rejected + 1)); REJECTS[$id]="exim client=$cip from=$from rcpt=$rcpts stage=rcpt" ;;
    28) ex_auth_fail=$((ex_auth_fail + 1))
        AUTHFAIL["$cip $au"]=$(( ${AUTHFAIL["$cip $au"]:-0} + 1 )) ;;
    *)  die "scenario $id: no model for exit $rc" ;;
    esac
    wait_model
    echo "  $id: swaks exit $rc"
}

# ---------------------------------------------------------------- scenarios (played one at a time)
echo "chain_capture: Postfix $PFVER, Exim $EXIMVER, OpenSMTPD $OSVER, rsyslog $RSVER: playing scenarios"
# (a) workstation -> Postfix -> Exim -> OpenSMTPD -> frank's maildir
smtp fwd1 0 "$PF_PORT" "$WS_IP" ws1.origin.test alice@origin.test frank@remote.test 3000
# (b) two recipients in two domains: one transaction at every hop
smtp fwd2 0 "$PF_PORT" "$WS_IP" ws2.origin.test bob@origin.test frank@remote.test,grace@chain.test 6000
# (c) unknown user at OpenSMTPD: 550 at RCPT, Exim bounces to alice via Postfix
smtp fwd3 0 "$PF_PORT" "$WS_IP" ws1.origin.test alice@origin.test nosuch@remote.test 2000
# (d) a roaming user at Exim: two wrong passwords (two sessions), then the right one and a message
smtp auth1 28 "$EXIM_PORT" "$LAPTOP_IP" laptop.example.test "$AUTH_USER" grace@chain.test 500 "$AUTH_USER" wrong1
smtp auth2 28 "$EXIM_PORT" "$LAPTOP_IP" laptop.example.test "$AUTH_USER" grace@chain.test 500 "$AUTH_USER" wrong2
smtp sub1 0 "$EXIM_PORT" "$LAPTOP_IP" laptop.example.test "$AUTH_USER" grace@chain.test 8000 "$AUTH_USER" "$AUTH_PASS"
# (e) the internet -> Exim -> dave's mailbox (single hop)
smtp loc1 0 "$EXIM_PORT" "$OUTSIDE_IP" mail.partner.test news@partner.test dave@example.test 1200
# (f) a relay attempt from an unauthorised client
smtp relay1 24 "$EXIM_PORT" "$PROBE_IP" probe.outside.test spam@outside.test victim@outside.test 300

sleep 2   # trailing lines
stop_all   # postfix stop (once: a second one would log a fatal line), then Exim, smtpd, rsyslogd
sleep 1
trap - EXIT

# ---------------------------------------------------------------- ids from the logs
# The script knows each message by its unique Message-ID. It finds the entry id by Message-ID (Postfix
# cleanup's message-id=, Exim's id= on the <= line), then follows each server's reply hop by hop
# (Exim's "250 OK id=X" to Postfix, OpenSMTPD's "250 2.0.0 M Message accepted for delivery" to Exim,
# Postfix's "queued as E" to Exim) and checks at every hop that the next id carries the same message:
# Message-ID at Exim and Postfix, envelope + delivered maildir file holding the Message-ID at
# OpenSMTPD (which logs no Message-ID). Any difference from the model stops the script.
PL=$PF/maillog EL=$EX/log/mainlog OL=$OS/maillog
EXID='[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}'
esc() { printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'; }
pf_qid_of_mid() { grep -E "/cleanup\[[0-9]+\]: [0-9A-F]+: message-id=<$(esc "$1")>\$" "$PL" | sed -E 's/.*: ([0-9A-F]+): message-id=.*/\1/'; }
pf_mid_of_qid() { grep -E "/cleanup\[[0-9]+\]: $1: message-id=" "$PL" | sed -E 's/.*message-id=<(.*)>$/\1/' | head -1; }
pf_line_for() { grep -E ": $1: to=<$(esc "$2")>,.* status=(sent|bounced|deferred)" "$PL" | tail -1; }
ex_id_of_mid() { grep -E "^[-0-9: .]+\[[0-9]+\] $EXID <= .* id\*?=$(esc "$1") " "$EL" | sed -E "s/^[-0-9: .]+\[[0-9]+\] ($EXID) .*/\1/"; }
ex_arrival() { grep -E "^[-0-9: .]+\[[0-9]+\] $1 <= " "$EL"; }
# "=> rcpt ..." for remote deliveries, "=> localpart <rcpt> ..." for local ones
ex_line_for() { grep -E "^[-0-9: .]+\[[0-9]+\] $1 (=>|->|\*\*|==) ($(esc "$2")|[^ <]+ <$(esc "$2")>) " "$EL" | tail -1; }
need() { grep -qE -- "$1" <<<"$2" || die "$3: expected /$1/ in: $2"; }

follow_exim() { # exim-id mid rcpt from -> prints "exim:X -> ..." and records the DSN
    local x=$1 mid=$2 r=$3 from=$4 l m ev u f b dmid e
    need " id=$(esc "$mid") " "$(ex_arrival "$x")" "exim $x arrival of <$mid>"
    l=$(ex_line_for "$x" "$r")
    [ -n "$l" ] || die "exim $x: no delivery line for $r"
    case $r in
    *@example.test)
        need " => ${r%%@*} <$(esc "$r")> .* R=local_user T=local_mailbox " "$l" "exim $x to $r"
        [ "$(grep -c "^Message-Id: <$(esc "$mid")>" "$EX/mail/${r%%@*}")" = 1 ] || die "no <$mid> in dave's mailbox"
        echo "exim:$x -> mailbox:$r"
        return ;;
    esac
    if os_user_ok "$r"; then
        need " (=>|->) $(esc "$r") .* R=to_opensmtpd T=smtp_opensmtpd .*H=127\.0\.0\.1 \[127\.0\.0\.1\]:$OS_PORT .*C=\"250 2\.0\.0 [0-9a-f]{8} Message accepted for delivery\"" "$l" "exim $x to $r"
        m=$(sed -E 's/.*C="250 2\.0\.0 ([0-9a-f]{8}) Message accepted.*/\1/' <<<"$l")
        [ "$(grep -cE " smtp message msgid=$m " "$OL")" = 1 ] || die "opensmtpd: no single 'smtp message msgid=$m'"
        ev=$(grep -E " smtp envelope evpid=$m[0-9a-f]{8} from=<$(esc "$from")> to=<$(esc "$r")>\$" "$OL" | sed -E 's/.* evpid=([0-9a-f]{16}) .*/\1/')
        [ "$(wc -w <<<"$ev")" = 1 ] || die "opensmtpd $m: envelope for $r: '$ev'"
        need " mda delivery evpid=$ev from=<$(esc "$from")> to=<$(esc "$r")> rcpt=<$(esc "$r")> user=[a-z]+ delay=[0-9a-z]+ result=Ok stat=Delivered\$" \
            "$(grep -E " mda delivery evpid=$ev " "$OL")" "opensmtpd $ev delivery"
        u=$(grep -E " mda delivery evpid=$ev " "$OL" | sed -E 's/.* user=([a-z]+) .*/\1/')
        f=$(grep -l "^Message-Id: <$(esc "$mid")>" "$OS/mail/$u/new/"* 2>/dev/null | wc -l)
        [ "$f" = 1 ] || die "maildir of $u: $f files with <$mid>"
        echo "exim:$x -> opensmtpd:$m -> mailbox:$r"
    else
        need " \*\* $(esc "$r") .* R=to_opensmtpd T=smtp_opensmtpd .*: SMTP error from remote mail server after RCPT TO:<$(esc "$r")>: 550 " "$l" "exim $x to $r"
        need " smtp failed-command command=\"RCPT TO:<$(esc "$r")>\" result=\"550 Invalid recipient: <$(esc "$r")>\"\$" "$(grep -F "RCPT TO:<$r>" "$OL")" "opensmtpd refusal of $r"
        echo "exim:$x -> bounced:$r"
        b=$(grep -E "^[-0-9: .]+\[[0-9]+\] $EXID <= <> R=$x " "$EL" | sed -E "s/^[-0-9: .]+\[[0-9]+\] ($EXID) .*/\1/")
        [ "$(wc -w <<<"$b")" = 1 ] || die "exim: bounce message of $x: '$b'"
        dmid=$(ex_arrival "$b" | sed -E 's/.* id\*=([^ ]+) .*/\1/')
        [ "$dmid" = "E$b@exim.example.test" ] || die "exim bounce $b: Message-ID $dmid"
        l=$(ex_line_for "$b" "$from")
        need " => $(esc "$from") .* R=to_postfix T=smtp_postfix .*H=127\.0\.0\.1 \[127\.0\.0\.1\]:$PF_PORT .*C=\"250 2\.0\.0 Ok: [0-9]+ bytes queued as [0-9A-F]+\"" "$l" "exim bounce $b to $from"
        e=$(sed -E 's/.*queued as ([0-9A-F]+)".*/\1/' <<<"$l")
        [ "$(pf_mid_of_qid "$e")" = "$dmid" ] || die "postfix $e: not the bounce <$dmid>"
        need "/smtpd\[[0-9]+\]: $e: client=unknown\[$(esc "$EXIM_IP")\]\$" "$(grep -E ": $e: client=" "$PL")" "postfix $e client"
        need "relay=local,.*status=sent \(delivered to mailbox\)" "$(pf_line_for "$e" "$from")" "postfix $e local delivery"
        echo "dsn <$dmid> bounce_of=exim:$x for=<$mid> exim:$b -> postfix:$e -> mailbox:$from" >>"$WORK/dsns.txt"
    fi
}

PATHS=() OUTCOMES=() AUTHS=()
: >"$WORK/dsns.txt"   # follow_exim runs in $(...): it writes its DSN lines here
for id in "${IDS[@]}"; do
    mid=${MID[$id]}
    IFS=, read -r -a rr <<<"${RCPTS[$id]}"
    bounced_here=0
    if [ "${ENTRY[$id]}" = postfix ]; then
        a=$(pf_qid_of_mid "$mid")
        [ "$(wc -w <<<"$a")" = 1 ] || die "$id: expected one Postfix queue id for <$mid>, got '$a'"
        for r in "${rr[@]}"; do
            l=$(pf_line_for "$a" "$r")
            need "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$EXIM_PORT, .*status=sent \(250 OK id=$EXID\)\$" "$l" "postfix $a to $r"
            x=$(sed -E "s/.*250 OK id=($EXID)\)\$/\1/" <<<"$l")
            rest=$(follow_exim "$x" "$mid" "$r" "${FROM[$id]}")
            PATHS+=("path <$mid> $r postfix:$a -> $rest")
            [[ $rest == *bounced:* ]] && bounced_here=1
        done
    else
        x=$(ex_id_of_mid "$mid")
        [ "$(wc -w <<<"$x")" = 1 ] || die "$id: expected one Exim id for <$mid>, got '$x'"
        for r in "${rr[@]}"; do
            rest=$(follow_exim "$x" "$mid" "$r" "${FROM[$id]}")
            PATHS+=("path <$mid> $r $rest")
            [[ $rest == *bounced:* ]] && bounced_here=1
        done
        if [ "${AUTHU[$id]}" != - ]; then
            need " <= $(esc "${FROM[$id]}") H=\($(esc "${HELO[$id]}")\) \[$(esc "${CLIENT[$id]}")\]:[0-9]+ .*P=esmtpa .*A=LOGIN:$(esc "${AUTHU[$id]}") " \
                "$(ex_arrival "$x")" "exim $x: authenticated arrival"
            AUTHS+=("auth <$mid> exim:$x ${AUTHU[$id]} client=${CLIENT[$id]} authenticator=LOGIN")
        fi
    fi
    if [ "$bounced_here" = 1 ]; then OUTCOMES+=("outcome <$mid> bounced"); else OUTCOMES+=("outcome <$mid> sent"); fi
done

# ---------------------------------------------------------------- self-checks (grep, never our tool)
chk() { [ "$2" = "$3" ] || die "self-check $1: model says $2, log has $3"; }
cnt() { grep -cE -- "$2" "$1" || true; }
XL="^[-0-9: .]+\[[0-9]+\] $EXID"
chk "postfix client= lines" "$pf_received" "$(cnt "$PL" 'smtpd\[[0-9]+\]: [0-9A-F]+: client=')"
chk "postfix status=sent" "$pf_sent" "$(cnt "$PL" ' status=sent ')"
chk "postfix status=sent to Exim" "$pf_sent_relay" "$(cnt "$PL" "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$EXIM_PORT, .* status=sent ")"
chk "postfix connects" "$pf_connections" "$(cnt "$PL" 'smtpd\[[0-9]+\]: connect from')"
chk "postfix removed" "$pf_received" "$(c_pf_removed)"
chk "postfix not sent" 0 "$(cnt "$PL" ' status=(bounced|deferred) ')"
chk "exim <= lines" "$ex_received" "$(cnt "$EL" "$XL <= ")"
chk "exim <= <> lines" "$ex_bounce_msgs" "$(cnt "$EL" "$XL <= <> R=")"
chk "exim => and -> lines" "$ex_delivered" "$(cnt "$EL" "$XL (=>|->) ")"
chk "exim ** lines" "$ex_bounced" "$(cnt "$EL" "$XL \*\* ")"
chk "exim == lines" 0 "$(cnt "$EL" "$XL == ")"
chk "exim Completed" "$ex_completed" "$(c_ex_completed)"
chk "exim rejected RCPT" "$ex_rejected" "$(cnt "$EL" ' rejected RCPT <')"
chk "exim authenticator failed" "$ex_auth_fail" "$(cnt "$EL" ' LOGIN authenticator failed for ')"
chk "exim A=LOGIN arrivals" "$ex_auth_ok" "$(cnt "$EL" "$XL <= .* A=LOGIN:")"
chk "exim connections" "$ex_connections" "$(cnt "$EL" '\(TCP/IP connection count = [0-9]+\)$')"
chk "exim panics" 0 "$(cat "$EX/log/paniclog" 2>/dev/null | wc -l)"
chk "opensmtpd connections" "$os_connections" "$(cnt "$OL" ' smtp connected address=')"
chk "opensmtpd disconnections" "$os_connections" "$(cnt "$OL" ' smtp disconnected reason=')"
chk "opensmtpd messages" "$os_received" "$(cnt "$OL" ' smtp message msgid=')"
chk "opensmtpd envelopes" "$os_envelopes" "$(cnt "$OL" ' smtp envelope evpid=')"
chk "opensmtpd deliveries" "$os_delivered" "$(cnt "$OL" ' mda delivery evpid=.* result=Ok stat=Delivered$')"
chk "opensmtpd refusals" "$os_rejected" "$(cnt "$OL" ' smtp failed-command ')"
chk "DSN lines" "$ex_bounce_msgs" "$(wc -l <"$WORK/dsns.txt")"

# ---------------------------------------------------------------- outputs
rm -rf "$OUT/postfix" "$OUT/exim" "$OUT/opensmtpd"
mkdir -p "$OUT/postfix" "$OUT/exim" "$OUT/opensmtpd"
cp "$PL" "$OUT/postfix/maillog"
cp "$EL" "$OUT/exim/mainlog"
[ -f "$EX/log/rejectlog" ] && cp "$EX/log/rejectlog" "$OUT/exim/rejectlog"
cp "$OL" "$OUT/opensmtpd/maillog"
chmod 644 "$OUT"/*/*
{
    echo "# ground truth from tests/corpus/chain_capture.sh: paths follow the scenario model, ids read from"
    echo "# the logs by Message-ID and each server's reply (each hop checked); counts from the model."
    echo "# Postfix $PFVER, Exim $EXIMVER (exim4-daemon-light), OpenSMTPD $OSVER, rsyslog $RSVER; README.md explains every line."
    printf '%s\n' "${PATHS[@]}"
    cat "$WORK/dsns.txt"
    printf '%s\n' "${OUTCOMES[@]}"
    printf '%s\n' "${AUTHS[@]}"
    for k in "${!AUTHFAIL[@]}"; do
        echo "auth_failed exim client=${k% *} user=${k#* } count=${AUTHFAIL[$k]}"
    done | sort
    for k in "${!REJECTS[@]}"; do echo "refused ${REJECTS[$k]} scenario=$k"; done | sort
    grep -F 'smtp failed-command' "$OL" | sed -E 's/.*"RCPT TO:<([^>]*)>".*/refused opensmtpd client='"$EXIM_IP"' rcpt=\1 stage=rcpt scenario=fwd3/'
    echo "messages ${#IDS[@]}"
    echo "messages_sent $messages_sent"
    echo "messages_bounced $messages_bounced"
    echo "hops postfix->exim $hops_pf_ex"
    echo "hops exim->opensmtpd $hops_ex_os"
    echo "hops exim->postfix $hops_ex_pf"
    echo "received postfix $pf_received"
    echo "delivered postfix $pf_sent"
    echo "delivered_relay postfix $pf_sent_relay"
    echo "delivered_local postfix $pf_sent_local"
    echo "bounced postfix $pf_bounced"
    echo "rejected postfix 0"
    echo "connections postfix $pf_connections"
    echo "received exim $ex_received"
    echo "received_smtp exim $ex_received_smtp"
    echo "bounce_messages exim $ex_bounce_msgs"
    echo "delivered exim $ex_delivered"
    echo "delivered_local exim $ex_delivered_local"
    echo "delivered_relay exim $ex_delivered_relay"
    echo "delivered_dsn exim $ex_delivered_dsn"
    echo "bounced exim $ex_bounced"
    echo "rejected exim $ex_rejected"
    echo "auth_ok exim $ex_auth_ok"
    echo "auth_failures exim $ex_auth_fail"
    echo "connections exim $ex_connections"
    echo "received opensmtpd $os_received"
    echo "envelopes opensmtpd $os_envelopes"
    echo "delivered opensmtpd $os_delivered"
    echo "bounced opensmtpd 0"
    echo "rejected opensmtpd $os_rejected"
    echo "connections opensmtpd $os_connections"
    echo "still_queued 0"
} >"$OUT/expected.txt"

# privacy check: nothing but loopback addresses and *.test names (plus the private paths under /tmp)
for f in "$OUT"/*/*log; do
    bad=$(grep -oE '\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b' "$f" | grep -v '^127\.' | sort -u || true)
    [ -z "$bad" ] || die "non-loopback addresses in $f: $bad"
    bad=$(grep -oE '@[A-Za-z0-9.-]+' "$f" | grep -vE '\.test$' | sort -u || true)
    [ -z "$bad" ] || die "non-.test mail domains in $f: $bad"
done
echo "chain_capture: wrote $(cd "$OUT" && wc -l */*log | tail -n +1 | tr '\n' ';')"
cat "$OUT/expected.txt"
