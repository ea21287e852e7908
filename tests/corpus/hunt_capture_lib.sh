# tests/corpus/hunt_capture_lib.sh - what the hunt captures of every MTA share (sourced, never run):
# the scenario plan of hunt_capture.sh (spraying, takeover + burst, harvesting, relay probing, spoofed and
# look-alike senders, benign traffic with an alias), the swaks wrapper, the scripted remote MTA, a
# self-signed certificate, and the ground truth writer. Each tests/corpus/hunt_<mta>_capture.sh sets up
# its MTA (private dirs and ports on 127.0.0.1), defines hc_final_lines (how many final delivery lines
# its log holds) and calls hc_play, hc_wait and hc_write_expected.
#
# Needs, set by the caller: HERE (tests/corpus), WORK, OUT, MX_PORT (the "port 25" service), SUB_PORT
# (submission with AUTH after STARTTLS), SINK_PORT (the scripted remote MTA), HC_NAME (for messages).
# Optional: HC_NO_AUTH=reason (the MTA cannot take AUTH here: the authenticated scenarios are skipped and
# their findings left out of the truth, with the reason written there), HC_AUTH_USER_FMT = full (user@example.test, default) or bare (the login is the local part).

TRUSTED_IP=127.0.0.2     # the site's own relaying host (the MTA's relay list)
SPRAY_IP=127.0.0.7       # scenario 1: spraying, brute force, takeover, burst
HARVEST_IP=127.0.0.8     # scenario 2: unknown-recipient burst
RELAY_IP=127.0.0.9       # scenario 3: relay probing
SPOOF_IP=127.0.0.10      # scenario 4: spoofed local sender
LOOK_IP=127.0.0.11       # scenario 5: look-alike sender domain
GOOD_AUTH_IP=127.0.0.12  # scenario 6: benign authenticated user
PARTNER_IP=127.0.0.13    # scenario 6: benign inbound mail from a partner
HC_PASS_ALICE=alice-secret
HC_PASS_BOB=bob-secret
SPRAY_USERS="admin info sales test alice bob"

hc_die() { echo "${HC_NAME:-hunt capture}: $*" >&2; exit 1; }

hc_ports_free() { # port...
    local p
    for p in "$@"; do
        case $p in 25 | 587) hc_die "port $p is the system's: choose another" ;; esac
        if ss -ltn "sport = :$p" | grep -q LISTEN; then hc_die "port $p is in use"; fi
    done
}

hc_wait_listen() { # port...
    local p ok
    for _ in $(seq 100); do
        ok=1
        for p in "$@"; do ss -ltn "sport = :$p" | grep -q LISTEN || ok=0; done
        [ "$ok" = 1 ] && return 0
        sleep 0.2
    done
    return 1
}

# the scripted remote MTA of postfix_capture.sh (250; 451 defer*; 550 bounce*), on SINK_PORT
hc_sink_start() {
    sed -n "/^cat >\"\$WORK\/sink.py\" <<'EOF'/,/^EOF/p" "$HERE/postfix_capture.sh" | sed '1d;$d' >"$WORK/sink.py"
    grep -q serve_forever "$WORK/sink.py" || hc_die "could not take the sink from postfix_capture.sh"
    python3 "$WORK/sink.py" "$SINK_PORT" >"$WORK/sink.log" 2>&1 &
    echo $! >"$WORK/sink.pid"
}
hc_sink_stop() {
    if [ -f "$WORK/sink.pid" ]; then kill "$(cat "$WORK/sink.pid")" 2>/dev/null || true; rm -f "$WORK/sink.pid"; fi
}

hc_cert() { # dir hostname [keyspec]: dir/cert.pem dir/key.pem, self-signed, for STARTTLS
    openssl req -x509 -newkey "${3:-rsa:2048}" ${3:+-pkeyopt ec_paramgen_curve:prime256v1} -nodes -days 30 -subj "/CN=$2" \
        -keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1 || hc_die "openssl req failed"
}

# the login a user types: user@example.test, or the bare local part where the MTA's table wants that
hc_login() { if [ "${HC_AUTH_USER_FMT:-full}" = bare ]; then echo "${1%@*}"; else echo "$1"; fi; }

# ---------------------------------------------------------------- the plan's bookkeeping
SEQ=0 sent_final=0
declare -A TALLY=()
tally() { TALLY[$1]=$(( ${TALLY[$1]:-0} + ${2:-1} )); }
hc_smtp() { # id expect port client_ip helo from rcpts(comma) [auth_user auth_pass]: auth implies STARTTLS
    local id=$1 expect=$2 port=$3 cip=$4 helo=$5 from=$6 rcpts=$7 au=${8:-} ap=${9:-}
    SEQ=$((SEQ + 1))
    printf 'mailsleuth hunt capture, scenario %s\nquarterly report invoice meeting agenda\n' "$id" >"$WORK/bodies/$id.txt"
    local args=(--server 127.0.0.1 --port "$port" --local-interface "$cip" --helo "$helo"
        --from "$from" --to "$rcpts" --body "$WORK/bodies/$id.txt"
        --header "Message-Id: <$id.$SEQ@$helo>" --header "Subject: scenario $id"
        --header "Date: Mon, 02 Mar 2026 10:00:00 +0000" --silent 2 --timeout 20)
    if [ -n "$au" ]; then args+=(--tls ${HC_TLS_ARGS:-} --auth LOGIN --auth-user "$(hc_login "$au")" --auth-password "$ap"); fi
    local rc=0
    swaks "${args[@]}" >"$WORK/swaks.$id.log" 2>&1 || rc=$?
    if [ "$rc" != "$expect" ]; then cat "$WORK/swaks.$id.log" >&2; hc_die "scenario $id: swaks exit $rc, expected $expect"; fi
    local rr; IFS=, read -r -a rr <<<"$rcpts"
    [ "$rc" = 0 ] && sent_final=$((sent_final + ${#rr[@]}))
    tally "rc$rc"
}

# The scenario set of hunt_capture.sh, in its order and timing. The MTA must: deliver example.test users
# alice and bob locally (and the alias finance -> alice), reject other example.test users at RCPT
# (harvest), refuse relaying for clients that are neither TRUSTED_IP nor authenticated, relay the rest to
# the sink, and offer AUTH LOGIN after STARTTLS on SUB_PORT.
hc_play() {
    echo "${HC_NAME}: playing scenarios"
    local T0 n u i s b d
    T0=$(date +%s)
    # (6) benign, before the attacks: partner mail in (one to an alias), trusted relaying, an authenticated user
    hc_smtp ben-in1 0 "$MX_PORT" "$PARTNER_IP" mail.partner.test news@partner.test alice@example.test
    hc_smtp ben-alias1 0 "$MX_PORT" "$PARTNER_IP" mail.partner.test news@partner.test finance@example.test
    hc_smtp ben-out1 0 "$MX_PORT" "$TRUSTED_IP" ws1.example.test alice@example.test frank@remote.test
    [ -z "${HC_NO_AUTH:-}" ] && hc_smtp ben-sub1 0 "$SUB_PORT" "$GOOD_AUTH_IP" laptop.example.test alice@example.test grace@remote.test alice@example.test "$HC_PASS_ALICE"
    sleep 2
    if [ -z "${HC_NO_AUTH:-}" ]; then
    # (1) password spraying from SPRAY_IP: 6 user names, wrong passwords, ~10 s apart
    n=0
    for u in $SPRAY_USERS; do
        n=$((n + 1))
        hc_smtp "spray$n" 28 "$SUB_PORT" "$SPRAY_IP" guess.elsewhere.test "$u@example.test" x@remote.test "$u@example.test" "Winter2026!"
        tally spray_fail
        sleep 10
    done
    T_SPRAY=$(( $(date +%s) - T0 ))
    # ... the guess that worked: bob, same IP; then the burst: 40 messages x 3 recipients, one bounce* each
    hc_smtp take1 0 "$SUB_PORT" "$SPRAY_IP" guess.elsewhere.test bob@example.test henry@remote.test bob@example.test "$HC_PASS_BOB"
    tally burst_msg; tally burst_rcpt
    local B0; B0=$(date +%s)
    for i in $(seq 1 40); do
        hc_smtp "burst$i" 0 "$SUB_PORT" "$SPRAY_IP" guess.elsewhere.test bob@example.test \
            "lead$i@remote.test,contact$i@remote.test,bounce$i@remote.test" bob@example.test "$HC_PASS_BOB"
        tally burst_msg; tally burst_rcpt 3; tally burst_bounce
        sleep 1
    done
    B_SECS=$(( $(date +%s) - B0 ))
    [ "$B_SECS" -le 120 ] || hc_die "the burst took $B_SECS s (plan: within 2 minutes)"
    fi
    # (2) directory harvest from HARVEST_IP: 12 unknown local users in 3 sessions within a minute
    local H0; H0=$(date +%s)
    for s in 1 2 3; do
        b=$(( (s - 1) * 4 ))
        hc_smtp "harv$s" 24 "$MX_PORT" "$HARVEST_IP" probe.elsewhere.test list@elsewhere.test \
            "user$((b+1))@example.test,user$((b+2))@example.test,user$((b+3))@example.test,user$((b+4))@example.test"
        tally harvest_rcpt 4
        sleep 5
    done
    H_SECS=$(( $(date +%s) - H0 ))
    # (3) relay probing from RELAY_IP: 4 attempts, 4 outside domains
    for d in elsewhere.test outside.test far.test away.test; do
        hc_smtp "relay-$d" 24 "$MX_PORT" "$RELAY_IP" probe2.elsewhere.test "x@$d" "victim@$d"
        tally relay_denied
        sleep 3
    done
    # (4) spoofed local sender: outside client, no AUTH, MAIL FROM a local address, to a local user
    hc_smtp spoof1 0 "$MX_PORT" "$SPOOF_IP" mail.elsewhere.test ceo@example.test alice@example.test
    # (5) look-alike sender domain (examp1e with the digit one) to a local user
    hc_smtp look1 0 "$MX_PORT" "$LOOK_IP" mail.examp1e.test billing@examp1e.test bob@example.test
    # (6) benign, after the attacks too
    for i in 1 2 3; do
        hc_smtp "ben-out$((i+1))" 0 "$MX_PORT" "$TRUSTED_IP" ws2.example.test bob@example.test "ops$i@partner.test"
        [ -z "${HC_NO_AUTH:-}" ] && hc_smtp "ben-sub$((i+1))" 0 "$SUB_PORT" "$GOOD_AUTH_IP" laptop.example.test alice@example.test "ivan$i@partner.test" alice@example.test "$HC_PASS_ALICE"
        sleep 2
    done
    hc_smtp ben-in2 0 "$MX_PORT" "$PARTNER_IP" mail.partner.test carol@partner.test bob@example.test
}

# every accepted recipient gets one final line; each bounce* adds one for the DSN to bob
hc_wait() {
    local want have=0
    want=$((sent_final + ${TALLY[burst_bounce]:-0}))
    for _ in $(seq 900); do
        have=$(hc_final_lines)
        [ "$have" -ge "$want" ] && return 0
        sleep 0.2
    done
    hc_die "timeout: $have of $want final delivery lines"
}

# expected.txt: the plan and doc/hunt-rules.example defaults, never mailsleuth's output. Same format as
# tests/corpus/hunt/expected.txt; "login" is the SASL user name as this MTA logs it.
hc_write_expected() { # file mta-description
    local bob; bob=$(hc_login bob@example.test)
    {
        echo "# ground truth from tests/corpus/hunt_capture_lib.sh (scenario plan, doc/hunt-rules.example defaults)"
        echo "# $2. Format: see tests/corpus/hunt/README.md"
        if [ -z "${HC_NO_AUTH:-}" ]; then
        echo "count spray_failures ${TALLY[spray_fail]}"
        echo "count spray_users $(echo $SPRAY_USERS | wc -w)"
        echo "count spray_seconds $T_SPRAY"
        echo "count burst_messages ${TALLY[burst_msg]}"
        echo "count burst_recipients ${TALLY[burst_rcpt]}"
        echo "count burst_bounced ${TALLY[burst_bounce]}"
        echo "count burst_seconds $B_SECS"
        fi
        echo "count harvest_unknown ${TALLY[harvest_rcpt]}"
        echo "count harvest_seconds $H_SECS"
        echo "count relay_denied ${TALLY[relay_denied]}"
        if [ -z "${HC_NO_AUTH:-}" ]; then
        echo "fire auth-bruteforce ip $SPRAY_IP"
        echo "fire auth-spray ip $SPRAY_IP"
        echo "fire auth-success-after-failures ip|user $SPRAY_IP|$bob"
        echo "fire account-burst user $bob"
        # the same burst as a campaign: >= bulk-campaign.min_rcpts 100 recipients in 1h, >= 30% failed
        if [ "${TALLY[burst_rcpt]}" -ge 100 ] && [ $((TALLY[burst_bounce] * 100)) -ge $((TALLY[burst_rcpt] * 30)) ]; then
            echo "fire bulk-campaign sender bob@example.test"
        fi
        else
        echo "# not played: auth-bruteforce auth-spray auth-success-after-failures account-burst: $HC_NO_AUTH"
        fi
        echo "fire recipient-harvest ip $HARVEST_IP"
        echo "fire relay-attempt ip $RELAY_IP medium"
        echo "fire spoofed-local-sender ip $SPOOF_IP"
        echo "fire lookalike-domain domain examp1e.test"
        echo "quiet ip $TRUSTED_IP"
        echo "quiet ip $GOOD_AUTH_IP"
        echo "quiet ip $PARTNER_IP"
        echo "quiet user $(hc_login alice@example.test)"
        echo "quiet domain partner.test"
        echo "absent open-relay"
    } >"$1"
}

hc_check_loopback() { # log
    local bad
    bad=$(grep -oE '\[[0-9]{1,3}(\.[0-9]{1,3}){3}\]' "$1" | grep -v '^\[127\.' | sort -u || true)
    [ -z "$bad" ] || echo "${HC_NAME}: WARNING: non-loopback addresses in the log: $bad" >&2
}
