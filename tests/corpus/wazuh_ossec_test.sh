#!/bin/sh
# Wazuh and OSSEC mail frequency rules ($SHARED/corpora/wazuh-ruleset: rules/*.xml and their
# tests; $SHARED/corpora/ossec-hids: OSSEC's test files, no rule files) against `mailsleuth
# hunt`.  A frequency rule fires when its base rule matched `frequency` times within
# `timeframe` seconds from one source IP (<same_source_ip/>); the mapped mailsleuth rule gets
# the same numbers through --rules (threshold = frequency, window = timeframe).
#
# The rule tests give one line per base rule (or the same line 8 times with one time stamp),
# so each sequence is built from the base rule's own sample line, taken verbatim from the
# test file and REPEATED N times with time stamps advancing by `step` seconds (a repeated real
# line, not a capture).  Each mapped rule must fire (a finding above info for the sample's
# IP) at N = frequency within the timeframe, and must not fire at frequency - 1, nor at
# frequency when the repeats are spread over more than the timeframe.
#
# Semantics: Wazuh 3.x/4.x fires at the frequency-th match (its own tests feed 8 lines to
# frequency="8" rules); OSSEC 2.x fired at frequency + 2 ("triggers when 2 more than this
# setting", Wazuh 2.1 documentation), so an OSSEC deployment maps to threshold = frequency + 2.
# OSSEC's rule XML files are not in the corpus: the OSSEC rows use OSSEC's own test lines with
# the frequency/timeframe of the same rule id in the Wazuh copy, at OSSEC's + 2.
# Without the corpora: "wazuh/ossec: 0 passed, 0 failed, 1 skipped".
. "$(dirname "$0")/../cli/testlib.inc"
WZ="$CORPORA/wazuh-ruleset"
OS="$CORPORA/ossec-hids"
if [ ! -d "$WZ/rules" ] || [ ! -d "$OS" ]; then
    skip "wazuh/ossec corpora not found at $CORPORA"
    finish wazuh/ossec
    exit $?
fi
T352="$WZ/tests-branch-improve-rules-testing-352"
THEAD="$WZ/tests-HEAD"

# sample FILE RULE: the first "log N pass = LINE" of the section whose "rule = RULE"
sample() {
    awk -v r="$2" '/^\[/ { n = 0; first = "" }
        /^log [0-9]+ pass = ./ { if (first == "") { first = $0; sub(/^log [0-9]+ pass = /, "", first) } }
        $0 == "rule = " r && first != "" { print first; exit }' "$1"
}

# freq XML RULE: "frequency timeframe" of a Wazuh rule (variables resolved)
freq() {
    line=$(grep -o "<rule id=\"$2\"[^>]*>" "$1")
    f=$(printf '%s' "$line" | sed 's/.*frequency="\([^"]*\)".*/\1/')
    t=$(printf '%s' "$line" | sed 's/.*timeframe="\([^"]*\)".*/\1/')
    case "$f" in
    \$*) f=$(sed -n "s/.*<var name=\"${f#\$}\">\([0-9]*\)<.*/\1/p" "$1") ;;
    esac
    echo "$f $t"
}

# repeat LINE N STEP > file: N copies, stamps from 10:00:00 advancing STEP s (syslog
# "Mon DD HH:MM:SS" or Exim "YYYY-MM-DD HH:MM:SS"; the rest of the line untouched)
repeat() {
    i=0
    while [ "$i" -lt "$2" ]; do
        printf '%s\n' "$1"
        i=$((i + 1))
    done | awk -v step="$3" '{ t = 36000 + (NR - 1) * step
        s = sprintf("%02d:%02d:%02d", int(t / 3600) % 24, int(t % 3600 / 60), t % 60)
        if ($0 ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] /)
            $0 = substr($0, 1, 11) s substr($0, 20)
        else
            $0 = substr($0, 1, 7) s substr($0, 16)
        print }'
}

# fired RULE JSON IP: 1 when a finding of RULE above info names IP
fired() {
    jq -r --arg r "$1" --arg ip "$3" '[.findings[] | select(.rule == $r and .severity != "info"
        and .entity.value == $ip)] | length' "$2"
}

# system | id | rules xml | test file with the sample | base rule of the sample | mailsleuth
# rule | + to the frequency (OSSEC) | why not mapped ('' = mapped)
MAP="wazuh|3357|0030-postfix_rules.xml|$T352/0030-postfix.ini|3357|auth-bruteforce|0|
wazuh|3351|0030-postfix_rules.xml|$T352/0030-postfix.ini|3351|relay-attempt|0|
wazuh|9751|0155-dovecot_rules.xml|$THEAD/dovecot.ini|9705|auth-bruteforce|0|
wazuh|87507|0515-exim_rules.xml|$THEAD/exim.ini|87506|auth-bruteforce|0|
ossec|9751|0155-dovecot_rules.xml|$OS/dovecot.ini|9705|auth-bruteforce|2|
wazuh|9750|0155-dovecot_rules.xml||9702||0|base 9702 matches the auth process's 'Password mismatch' line, which repeats a login failure logged by imap-login/pop3-login (MSL_EVF_ECHO): mailsleuth counts each failure once, at the login line, so a log of echo lines alone is no brute force
wazuh|3352|0030-postfix_rules.xml||3302||0|550 rejects (access lists, postscreen) per client: no rule counts generic rejects (summary does)
wazuh|3353|0030-postfix_rules.xml||3303||0|450 'sender domain not found' rejects per client: no rule
wazuh|3354|0030-postfix_rules.xml||3304||0|503 'bad sequence of commands' per client: no rule
wazuh|3355|0030-postfix_rules.xml||3305||0|504 rejects per client: no rule (recipient-harvest counts unknown-recipient rejects, not 504)
wazuh|3356|0030-postfix_rules.xml||3306||0|DNSBL 'blocked using' rejects per client: no rule (bulk-campaign reports OUR mail being blocklisted)
wazuh|3151|0025-sendmail_rules.xml||3102||0|the Wazuh test gives no line for base 3102 (bogus MX); no rule for sender-domain rejects
wazuh|3152|0025-sendmail_rules.xml||3103||0|the Wazuh test gives no line for base 3103; no rule for access-list rejects
wazuh|3153|0025-sendmail_rules.xml||3104||0|the Wazuh test gives no line for base 3104 (reject=550 5.7.1 relaying): relay-attempt would be the rule, but there is no real line to repeat
wazuh|3154|0025-sendmail_rules.xml||3105||0|the Wazuh test gives no line for base 3105; no rule for unknown sender domains
wazuh|3155|0025-sendmail_rules.xml||3106||0|the Wazuh test gives no line for base 3106; no rule for unknown senders
wazuh|3156|0025-sendmail_rules.xml||3107||0|any Sendmail reject per client: no generic reject rule
wazuh|3158|0025-sendmail_rules.xml||3108||0|pre-greeting rejects: no rule
wazuh|3651|0040-imapd_rules.xml||3601||0|UW imapd 'Login failed' lines are not parsed (0 events)
wazuh|3751|0045-mailscanner_rules.xml||3702||0|MailScanner spam verdicts: no rule
wazuh|3851|0050-ms-exchange_rules.xml||3801||0|IIS SMTPSVC W3C logs are not parsed (Exchange tracking and protocol logs are)
wazuh|3852|0050-ms-exchange_rules.xml||3802||0|IIS SMTPSVC W3C logs are not parsed
wazuh|3910|0055-courier_rules.xml||3902||0|Courier logs are not parsed (0 events)
wazuh|3911|0055-courier_rules.xml||3901||0|Courier connection counts: not parsed, and no connection-rate rule
wazuh|9351|0135-hordeimp_rules.xml||9306||0|Horde webmail log, not a mail-server log
wazuh|9352|0135-hordeimp_rules.xml||9304||0|Horde webmail emergency messages, not a mail-server log
wazuh|9403|0140-roundcube_rules.xml||9401||0|Roundcube webmail log, not a mail-server log
wazuh|9820|0160-vmpop3d_rules.xml||9801||0|vm-pop3d is not parsed (its test gives no line)
wazuh|9951|0165-vpopmail_rules.xml||9901||0|vpopmail is not parsed (its test gives no line)
wazuh|9952|0165-vpopmail_rules.xml||9902||0|vpopmail is not parsed
wazuh|9953|0165-vpopmail_rules.xml||9903||0|vpopmail is not parsed
ossec|87507|0515-exim_rules.xml||87506||0|OSSEC numbers its Exim rules 13006 ff. and ships no frequency rule for them in the corpus (its exim.ini tests single lines); the same line is tested under Wazuh 87507
ossec|3357|0030-postfix_rules.xml||3332||0|OSSEC's postfix.ini has no SASL failure line to repeat (Wazuh 3357 is tested)
ossec|3351|0030-postfix_rules.xml||3301||0|OSSEC's postfix.ini has no 'Relay access denied' line to repeat (Wazuh 3351 is tested)"

# every frequency rule of the Wazuh mail rule files appears in the table
for x in "$WZ"/rules/*.xml; do
    for id in $(grep -o '<rule id="[0-9]*"[^>]*frequency=' "$x" | sed 's/<rule id="\([0-9]*\)".*/\1/'); do
        check "wazuh $id ($(basename "$x")) is listed" \
            "$(printf '%s\n' "$MAP" | grep -c "^wazuh|$id|")" 1
    done
done

printf '%s\n' "$MAP" >"$TMPD/map"
while IFS='|' read -r sys id xml file base rule plus why; do
    if [ -n "$why" ]; then
        skip "$sys $id: $why"
        continue
    fi
    set -- $(freq "$WZ/rules/$xml" "$id")
    f=$(($1 + plus)) tf=$2
    line=$(sample "$file" "$base")
    ip=$(printf '%s' "$line" | grep -oE '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)
    if [ -z "$line" ] || [ -z "$ip" ]; then
        check "$sys $id: sample line of $base in $(basename "$file")" "${line:-none}" "a line with an IP"
        continue
    fi
    printf '%s.threshold = %s\n%s.window = %s\n' "$rule" "$f" "$rule" "$tf" >"$TMPD/$sys$id.rules"
    step=$(((tf - 1) / (f - 1)))
    wide=$((tf / (f - 1) + 1))
    for case in "$f $step fires" "$((f - 1)) $step quiet" "$f $wide quiet"; do
        set -- $case
        repeat "$line" "$1" "$2" >"$TMPD/$sys$id.log"
        "$MS" hunt -q -f json --tz UTC --year 2024 --rules "$TMPD/$sys$id.rules" \
            "$TMPD/$sys$id.log" >"$TMPD/$sys$id.json" 2>"$TMPD/$sys$id.err"
        want=0
        [ "$3" = fires ] && want=1
        check "$sys $id -> $rule (threshold $f, window $tf s): $1 x base $base every $2 s" \
            "$(fired "$rule" "$TMPD/$sys$id.json" "$ip")" "$want"
    done
done <"$TMPD/map"
finish wazuh/ossec
