# bash completion for mailsleuth -*- shell-script -*-
# Installed as share/bash-completion/completions/mailsleuth (make install).
# tests/cli/completion.sh checks the commands, options and search fields below against
# `mailsleuth --help` and the query parser, so they cannot drift apart.

_mailsleuth_commands="summary timeline trace search verify hunt headers report ingest sql watch formats help"
_mailsleuth_options="-f --format -o --output --tz --year --since --until --top --log-format --dialect
    --db --against --detect --expr --recipients --sessions --events --rules --print-rules --fail-on
    --max-evidence --show-lines --local-domain --trusted-net --site-config --site --protected-domain --geoip --asn
    --ip-list --alert --min-severity --syslog-facility --state --idle --from-start --updates --poll
    --exec-timeout --exec-queue --unparsed --sort-memory --trace-memory -j --jobs --progress --no-progress --color -q --quiet -h --help
    -V --version"
# options followed by a value (completed below, or left to the user)
_mailsleuth_valued="-f --format -o --output --tz --year --since --until --top --log-format --dialect
    --db --against --rules --fail-on --max-evidence --local-domain --trusted-net --site-config --site
    --protected-domain
    --geoip --asn --ip-list --alert --min-severity --syslog-facility --state --idle --exec-timeout
    --exec-queue --sort-memory --trace-memory -j --jobs --color"
_mailsleuth_fields="from: to: rcpt-domain: from-domain: ip: client: user: host: msgid: qid:
    helo: status: final: relay: dsn: text: kind: since: until: size> size< nrcpt> nrcpt<
    outcome: attempts> attempts<"
_mailsleuth_statuses="sent deferred bounced expired discarded held forwarded undeliverable
    deliverable other rejected authfail"
_mailsleuth_outcomes="delivered relayed forwarded deferred expired bounced rejected discarded
    quarantined"
_mailsleuth_severities="info low medium high critical"

# Names of the file formats or syslog dialects `mailsleuth formats` lists.
_mailsleuth_formats_of() {
    "$1" formats 2>/dev/null | awk -v want="$2" '
        /^file formats/ { sec = "format"; next }
        /^dialects/ { sec = "dialect"; next }
        /^[^ ]/ { sec = ""; next }
        sec == want && NF { print $1 }'
}

_mailsleuth() {
    local cur prev i cmd=""
    COMPREPLY=()
    # Bash splits "status:se" at the colon; put the word back together.
    i=$COMP_CWORD
    cur=${COMP_WORDS[i]}
    while (( i > 1 )) && [[ ${COMP_WORDS[i]} == : || ${COMP_WORDS[i-1]} == : ]]; do
        cur=${COMP_WORDS[i-1]}$cur
        (( i-- ))
    done
    prev=${COMP_WORDS[i-1]}
    (( i > 1 )) && cmd=${COMP_WORDS[1]}

    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$_mailsleuth_commands -h --help -V --version" -- "$cur"))
        return 0
    fi

    # --opt=value
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
    fi
    case $prev in
    -f | --format)
        COMPREPLY=($(compgen -W "text json jsonl csv ecs ecs-bulk splunk-hec table" -- "$cur")); return 0 ;;
    --color)
        COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return 0 ;;
    --fail-on | --min-severity)
        COMPREPLY=($(compgen -W "$_mailsleuth_severities" -- "$cur")); return 0 ;;
    --log-format)
        COMPREPLY=($(compgen -W "$(_mailsleuth_formats_of "${COMP_WORDS[0]}" format)" -- "$cur"))
        return 0 ;;
    --dialect)
        COMPREPLY=($(compgen -W "$(_mailsleuth_formats_of "${COMP_WORDS[0]}" dialect)" -- "$cur"))
        return 0 ;;
    --tz)
        COMPREPLY=($(compgen -W "UTC $(cd /usr/share/zoneinfo 2>/dev/null &&
            compgen -f -- "$cur")" -- "$cur")); return 0 ;;
    -o | --output | --db | --against | --rules | --geoip | --asn | --site-config | --site)
        COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --year | --since | --until | --top | --max-evidence | --local-domain | --trusted-net | \
        --protected-domain | --ip-list | --sort-memory | --trace-memory | -j | --jobs)
        return 0 ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$_mailsleuth_options" -- "$cur"))
        return 0
    fi

    # The first non-option word after search (or trace --expr) is the expression.
    local expr=0 w nonopt=0
    for (( w = 2; w < i; w++ )); do
        case ${COMP_WORDS[w]} in
        --expr) [[ $cmd == trace ]] && expr=1 ;;
        -*) [[ " $_mailsleuth_valued " == *" ${COMP_WORDS[w]} "* ]] && (( w++ )) ;;
        *) (( nonopt++ )) ;;
        esac
    done
    if [[ $cmd == search || ( $cmd == trace && $expr == 1 ) ]] && (( nonopt == 0 )); then
        # complete the last term of a quoted expression: 'from:x AND sta'
        local word=${cur##*[ (\'\"]} head=${cur%"${cur##*[ (\'\"]}"}
        if [[ $word == status:* || $word == final:* ]]; then
            COMPREPLY=($(compgen -P "$head${word%%:*}:" -W "$_mailsleuth_statuses" -- "${word#*:}"))
        elif [[ $word == outcome:* ]]; then
            COMPREPLY=($(compgen -P "${head}outcome:" -W "$_mailsleuth_outcomes" -- "${word#*:}"))
        else
            COMPREPLY=($(compgen -P "$head" -W "$_mailsleuth_fields AND OR NOT" -- "$word"))
        fi
        # cur was joined from words split at colons: bash replaces only the last one
        if (( i < COMP_CWORD )) && [[ $cur == *:* ]]; then
            local pre=${cur%"${cur##*:}"} k
            for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]=${COMPREPLY[k]#"$pre"}; done
        fi
        [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *[:\<\>] ]] && compopt -o nospace 2>/dev/null
        return 0
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
    compopt -o filenames 2>/dev/null
    return 0
}
complete -F _mailsleuth mailsleuth
