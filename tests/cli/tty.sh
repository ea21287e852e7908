#!/bin/sh
# Progress and colour on a terminal, tested under a pseudo-terminal (python3's pty module):
#   progress: appears on a TTY once a run lasts a second (a FIFO fed slowly makes it last),
#   never for a short run, never in a pipe, never with --no-progress or -q; --progress forces
#   it and its final line shows the inputs' exact size (compressed bytes for the .gz);
#   the line is cleared at the end and before any other stderr message.
#   colour: on a TTY and with --color=always, not with NO_COLOR, TERM=dumb, --color=never
#   or in a pipe; ESC bytes in log content stay escaped inside the coloured spans.
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
S="$ROOT/samples"
if ! command -v python3 >/dev/null; then
    skip "python3 missing: no pseudo-terminal to test with"; finish "cli tty"; exit 0
fi
# ptyrun.py CMD...: runs CMD with stdin, stdout and stderr on a new pseudo-terminal and
# prints what it wrote there (raw bytes); exits with CMD's status.
cat >"$TMPD/ptyrun.py" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
tty() { TERM=xterm python3 "$TMPD/ptyrun.py" "$@"; }
ESC=$(printf '\033')
CLEAR=$(printf '\r\033[K')
# slow FIFO: half the sample, a pause longer than the quiet second, the rest
slow_fifo() {
    rm -f "$TMPD/fifo" && mkfifo "$TMPD/fifo"
    (head -c 4000 "$S/maillog"; sleep 1.6; tail -c +4001 "$S/maillog") >"$TMPD/fifo" &
}
"$MS" summary --tz UTC "$S/maillog" >"$TMPD/direct.txt" 2>/dev/null
# the negative checks below mean something only if the pseudo-terminal is one
check "stdout and stderr are terminals under ptyrun.py" \
    "$(tty sh -c 'test -t 1 && test -t 2 && echo terminals' | tr -d '\r')" "terminals"

# --- progress -----------------------------------------------------------------------
slow_fifo
tty sh -c 'exec "$0" summary --tz UTC "$1" >"$2"' "$MS" "$TMPD/fifo" "$TMPD/slow.txt" >"$TMPD/p1"
check_rc "slow run on a terminal" $? 0
check_grep "progress appears on a TTY after a second (unknown size: bytes read)" \
    "mailsleuth: 3.9 KiB read, " "$TMPD/p1"
check_grep "progress shows a rate and the events" "KiB/s, " "$TMPD/p1"
check "the progress line is cleared at the end" "$(tail -c 4 "$TMPD/p1")" "$CLEAR"
check "progress does not change the result" "$(cmp -s "$TMPD/slow.txt" "$TMPD/direct.txt" && echo same)" "same"

slow_fifo
"$MS" summary --tz UTC "$TMPD/fifo" >/dev/null 2>"$TMPD/p2"
check "no progress in a pipe" "$(cat "$TMPD/p2")" ""

for opt in --no-progress -q; do
    slow_fifo
    tty sh -c 'exec "$0" summary "$1" "$2" >/dev/null' "$MS" $opt "$TMPD/fifo" >"$TMPD/p3"
    check "no progress on a TTY with $opt" "$(cat "$TMPD/p3")" ""
done

tty sh -c 'exec "$0" summary "$1" >/dev/null' "$MS" "$S/" >"$TMPD/p4"
check "a run shorter than a second shows nothing on a TTY" "$(cat "$TMPD/p4")" ""

# forced, in a pipe: the final state, with the exact total (981 B .gz + 7643 B plain)
total=$(cat "$S/maillog.1.gz" "$S/maillog" | wc -c)
want=$(awk -v n="$total" 'BEGIN { printf "%.1f KiB", n / 1024 }')
"$MS" summary --progress "$S/" >/dev/null 2>"$TMPD/p5"
check_grep "--progress forces it in a pipe; compressed bytes count against the file size" \
    "mailsleuth: 100% $want of $want" "$TMPD/p5"
check "forced line is cleared at the end too" "$(tail -c 4 "$TMPD/p5")" "$CLEAR"
# directories: counted as the reader reads them (a symlinked directory is not followed)
mkdir -p "$TMPD/d/sub" "$TMPD/other" && cp "$S/maillog.1.gz" "$TMPD/d/" && cp "$S/maillog" "$TMPD/d/sub/" &&
    cp "$S/maillog" "$TMPD/other/" && ln -s "$TMPD/other" "$TMPD/d/link"
"$MS" summary --progress "$TMPD/d" >/dev/null 2>"$TMPD/p5b"
check_grep "directory total leaves out the symlinked directory" "100% $want of $want" "$TMPD/p5b"
# stdin redirected from a file has a size too
one=$(awk -v n="$(wc -c <"$S/maillog")" 'BEGIN { printf "%.1f KiB", n / 1024 }')
"$MS" summary --progress - <"$S/maillog" >/dev/null 2>"$TMPD/p5c"
check_grep "stdin from a file: its size is the total" "100% $one of $one" "$TMPD/p5c"
# trace's own reading shows too (a further pass would be named "pass 2: ", t_meter)
"$MS" trace --progress alice@example.test "$S/maillog.1.gz" "$S/maillog" >/dev/null 2>"$TMPD/p6"
check_grep "trace shows its progress with the inputs' size" "100% $want of $want" "$TMPD/p6"

# a message while the line is up clears it first
slow_fifo
tty sh -c 'exec "$0" summary "$1" /nonexistent.log >/dev/null' "$MS" "$TMPD/fifo" >"$TMPD/p7"
check_grep "an error message clears the progress line first" \
    "${CLEAR}mailsleuth: /nonexistent.log: error: " "$TMPD/p7"

# --- colour -------------------------------------------------------------------------
tty "$MS" hunt --tz UTC "$S/" >"$TMPD/c1"
check_grep "hunt severities coloured on a TTY" "${ESC}[2m[INFO]${ESC}[0m relay-attempt" "$TMPD/c1"
"$MS" hunt --tz UTC --color=always "$S/" >"$TMPD/c2" 2>/dev/null
check_grep "--color=always colours in a pipe" "${ESC}[2m[INFO]${ESC}[0m" "$TMPD/c2"
"$MS" hunt --tz UTC "$S/" >"$TMPD/c3" 2>/dev/null
check "no colour in a pipe" "$(grep -c "$ESC" "$TMPD/c3")" "0"
NO_COLOR=1 tty "$MS" hunt --tz UTC "$S/" >"$TMPD/c4"
check "NO_COLOR: no colour on a TTY" "$(grep -c "$ESC" "$TMPD/c4")" "0"
NO_COLOR= tty "$MS" hunt --tz UTC "$S/" >"$TMPD/c4b"
check_grep "an empty NO_COLOR does not count" "${ESC}[2m[INFO]" "$TMPD/c4b"
NO_COLOR=1 "$MS" hunt --tz UTC --color "$S/" >"$TMPD/c5" 2>/dev/null
check_grep "--color overrides NO_COLOR" "${ESC}[2m[INFO]" "$TMPD/c5"
TERM=dumb python3 "$TMPD/ptyrun.py" "$MS" hunt --tz UTC "$S/" >"$TMPD/c6"
check "TERM=dumb: no colour" "$(grep -c "$ESC" "$TMPD/c6")" "0"
tty "$MS" hunt --tz UTC --color=never "$S/" >"$TMPD/c7"
check "--color=never on a TTY" "$(grep -c "$ESC" "$TMPD/c7")" "0"
"$MS" hunt --color=sometimes "$S/" >/dev/null 2>"$TMPD/c8"
check_rc "--color with a bad value" $? 2
check_grep "--color error names the choices" "auto, always or never" "$TMPD/c8"

tty "$MS" summary --tz UTC "$S/" >"$TMPD/c9"
check_grep "summary headings bold on a TTY" "${ESC}[1mGrand Totals${ESC}[0m" "$TMPD/c9"
tty "$MS" search --tz UTC status:bounced "$S/" >"$TMPD/c10"
check_grep "search statuses coloured" "${ESC}[31mbounced${ESC}[0m" "$TMPD/c10"
tty "$MS" trace --tz UTC bounce@remote.test "$S/" >"$TMPD/c11"
check_grep "trace delivery statuses coloured" "${ESC}[31mbounced${ESC}[0m" "$TMPD/c11"
check_grep "trace final statuses coloured" "[final: ${ESC}[3" "$TMPD/c11"
check_grep "trace recipient outcomes coloured" ": ${ESC}[31mbounced${ESC}[0m at " "$TMPD/c11"
tty "$MS" search --tz UTC --recipients outcome:forwarded "$S/" >"$TMPD/c12"
check_grep "search --recipients outcomes coloured" "${ESC}[36mforwarded${ESC}[0m" "$TMPD/c12"

# hostile log content: ESC sequences in a sender (a colour reset, an OSC title) stay text
sed "s/from=<alice@example.test>/from=<alice$(printf '\033')[0m$(printf '\033')]0;pwn$(printf '\007')@example.test>/" \
    "$S/maillog" >"$TMPD/hostile.log"
"$MS" search --tz UTC --color=always 'from:alice*' "$TMPD/hostile.log" >"$TMPD/h1" 2>/dev/null
check_grep "hostile sender shown escaped inside the coloured row" 'from=<alice\x1b[0m\x1b]0;pwn\x07@example.test>' "$TMPD/h1"
# every ESC byte in the output starts one of the palette's own sequences
bad=$(LC_ALL=C grep -o "$ESC.\{0,6\}" "$TMPD/h1" | LC_ALL=C grep -vE "^$ESC\[(0|1|2|31|32|33|36|1;31)m" | head -3)
check "only palette sequences reach the terminal" "$bad" ""
check "the hostile row is coloured" "$(LC_ALL=C grep -c "$ESC\[3" "$TMPD/h1")" "$(LC_ALL=C grep -c 'from=<alice' "$TMPD/h1")"
"$MS" trace --tz UTC --color=always --expr 'from:alice*' "$TMPD/hostile.log" >"$TMPD/h2" 2>/dev/null
bad=$(LC_ALL=C grep -o "$ESC.\{0,6\}" "$TMPD/h2" | LC_ALL=C grep -vE "^$ESC\[(0|1|2|31|32|33|36|1;31)m" | head -3)
check "trace: only palette sequences reach the terminal" "$bad" ""
check_grep "trace: hostile sender escaped" 'alice\x1b[0m\x1b]0;pwn\x07@example.test' "$TMPD/h2"
finish "cli tty"
