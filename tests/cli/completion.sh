#!/bin/sh
# The bash and zsh completions (completions/) cannot drift from the program: their commands
# and options are compared with `mailsleuth --help` both ways, their search fields with the
# query parser's field table, their statuses with what `search status:X` accepts; then the
# bash function is run on real command lines (COMP_WORDS) and zsh parses its file.
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASHC="$ROOT/completions/mailsleuth.bash"
ZSHC="$ROOT/completions/_mailsleuth"
"$MS" --help >"$TMPD/help"

# options in --help: every --long token, and the short ones of the option lines
{ grep -o -- '--[a-z][a-z-]*' "$TMPD/help"; grep -oE '^  -[a-zA-Z],' "$TMPD/help" | tr -d ' ,'; } |
    sort -u >"$TMPD/help.opts"
# commands in --help: the first word of each line of the commands: section
sed -n '/^commands:/,/^$/p' "$TMPD/help" | grep -oE '^  [a-z]+' | tr -d ' ' | sort -u >"$TMPD/help.cmds"

# bash: the lists the completion function offers
bash -c ". '$BASHC'; printf '%s\n' \$_mailsleuth_options" | sort -u >"$TMPD/bash.opts"
bash -c ". '$BASHC'; printf '%s\n' \$_mailsleuth_commands" | sort -u >"$TMPD/bash.cmds"
check "bash completion offers exactly the options of --help" \
    "$(diff "$TMPD/help.opts" "$TMPD/bash.opts")" ""
check "bash completion offers exactly the commands of --help" \
    "$(diff "$TMPD/help.cmds" "$TMPD/bash.cmds")" ""
# zsh: options named in the _arguments specs, commands in the commands array
sed -n '/^  args=(/,/^  )/p' "$ZSHC" | sed 's/\[[^]]*\]//g' |
    grep -oE -- '(^|[^a-zA-Z0-9])--?[a-zA-Z][a-z-]*' | grep -oE -- '--?[a-zA-Z][a-z-]*' |
    sort -u >"$TMPD/zsh.opts"
sed -n "/commands=(/,/^  )/p" "$ZSHC" | grep -oE "^    '[a-z]+:" | tr -d " ':" | sort -u >"$TMPD/zsh.cmds"
check "zsh completion offers exactly the options of --help" \
    "$(diff "$TMPD/help.opts" "$TMPD/zsh.opts")" ""
check "zsh completion offers exactly the commands of --help" \
    "$(diff "$TMPD/help.cmds" "$TMPD/zsh.cmds")" ""

# search fields: the parser's table (lib/query/parser.c) against both completions
grep -oE '^    \{"[a-z-]+", QF_' "$ROOT/lib/query/parser.c" | cut -d'"' -f2 | sort -u >"$TMPD/fields"
bash -c ". '$BASHC'; printf '%s\n' \$_mailsleuth_fields" | tr -d ':<>' | sort -u >"$TMPD/bash.fields"
sed -n '/fields=(/,/)$/p' "$ZSHC" | tr -s " '()" '\n' | grep -E '[:<>]$' | tr -d ':<>' |
    sort -u >"$TMPD/zsh.fields"
check "parser table read" "$([ "$(wc -l <"$TMPD/fields")" -ge 20 ] && echo yes)" "yes"
check "bash completion offers exactly the parser's fields" "$(diff "$TMPD/fields" "$TMPD/bash.fields")" ""
check "zsh completion offers exactly the parser's fields" "$(diff "$TMPD/fields" "$TMPD/zsh.fields")" ""
# every status offered is one the parser accepts (exit 0 on an empty input, not 2)
bad=""
for s in $(bash -c ". '$BASHC'; echo \$_mailsleuth_statuses"); do
    "$MS" search -q "status:$s" /dev/null >/dev/null 2>&1 || bad="$bad $s"
done
check "every completed status is accepted by search" "$bad" ""
bad=""
for o in $(bash -c ". '$BASHC'; echo \$_mailsleuth_outcomes"); do
    "$MS" search -q "outcome:$o" /dev/null >/dev/null 2>&1 || bad="$bad $o"
done
check "every completed outcome is accepted by search" "$bad" ""
check "the outcomes are the library's (msl_outcome_name; none is not searchable)" \
    "$(grep -oE '\[MSL_OUT_[A-Z]+\] = "[a-z]+"' "$ROOT/lib/correlate/outcome.c" | cut -d'"' -f2 | grep -vx none | sort | tr '\n' ' ')" \
    "$(bash -c ". '$BASHC'; printf '%s\n' \$_mailsleuth_outcomes" | sort | tr '\n' ' ')"
check "zsh statuses equal bash statuses" \
    "$(sed -n '/statuses=(/,/)$/p' "$ZSHC" | tr -s ' ()' '\n' | grep -E '^[a-z]+$' | grep -v statuses | sort | tr '\n' ' ')" \
    "$(bash -c ". '$BASHC'; printf '%s\n' \$_mailsleuth_statuses" | sort | tr '\n' ' ')"

# the bash function on real command lines; the binary is found as "mailsleuth" on PATH
mkdir -p "$TMPD/bin" && ln -s "$MS" "$TMPD/bin/mailsleuth"
comp() { # comp WORD... (the last word is the one being completed)
    PATH="$TMPD/bin:$PATH" bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
        COMP_WORDBREAKS=" \"'"'"'><=;|&(:"; _mailsleuth; echo "${COMPREPLY[*]}"' "$BASHC" "$@"
}
check "command names" "$(comp mailsleuth s)" "summary search sql"
check "headers command" "$(comp mailsleuth he)" "headers help"
check "all commands" "$(comp mailsleuth '')" "summary timeline trace search verify hunt headers report ingest sql watch formats help -h --help -V --version"
check "long option" "$(comp mailsleuth summary --fo)" "--format"
check "--format values" "$(comp mailsleuth search -f j)" "json jsonl"
check "--color=VALUE" "$(comp mailsleuth hunt --color=n)" "never"
check "--fail-on severities" "$(comp mailsleuth hunt --fail-on c)" "critical"
check "--dialect from mailsleuth formats" "$(comp mailsleuth summary --dialect po)" "postfix policyd-spf"
check "--log-format from mailsleuth formats" "$(comp mailsleuth summary --log-format ex)" "exim-mainlog exchange-msgtrk exchange-smtp"
check "search field" "$(comp mailsleuth search rcpt)" "rcpt-domain:"
check "search field after AND" "$(comp mailsleuth search 'from:x AND ms')" "from:x AND msgid:"
check "status values after the colon" "$(comp mailsleuth search status : b)" "bounced"
check "outcome values" "$(comp mailsleuth search --recipients outcome : re)" "relayed rejected"
check "trace --expr takes fields" "$(comp mailsleuth trace --expr fin)" "final:"
check "files after the expression" "$(cd "$ROOT" && comp mailsleuth search status:sent samples/maillog.)" "samples/maillog.1.gz"
check "files for summary" "$(cd "$ROOT" && comp mailsleuth summary samples/m)" "samples/maillog samples/maillog.1.gz"

if command -v zsh >/dev/null; then
    zsh -n "$ZSHC"
    check_rc "zsh parses _mailsleuth" $? 0
    # load it through compinit the way an installed copy is loaded
    mkdir -p "$TMPD/zfunc" && cp "$ZSHC" "$TMPD/zfunc/"
    out=$(HOME=$TMPD zsh -fc "fpath=($TMPD/zfunc \$fpath); autoload -Uz compinit; compinit -u -d $TMPD/zcd;
        print -r -- \$_comps[mailsleuth]" 2>&1)
    check "compinit binds _mailsleuth to mailsleuth" "$out" "_mailsleuth"
else
    skip "zsh not installed (tools/install-deps.sh installs it): zsh completion only checked as text"
fi
finish "cli completion"
