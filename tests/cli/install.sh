#!/bin/sh
# `make install` into a staging root (DESTDIR, PREFIX=/usr) gives a working tree: the
# installed binary analyses samples/, its man page renders, the completions load; then
# `make uninstall` leaves no file behind.
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST="$TMPD/root"
B=${BUILD:-build}
make -s -C "$ROOT" O="$B" install DESTDIR="$DEST" PREFIX=/usr >"$TMPD/install.log" 2>&1
check_rc "make install" $? 0
for f in usr/bin/mailsleuth usr/share/man/man1/mailsleuth.1 \
         usr/share/bash-completion/completions/mailsleuth usr/share/zsh/site-functions/_mailsleuth \
         usr/share/doc/mailsleuth/README.md usr/share/doc/mailsleuth/SEARCH.md; do
    check "installed $f" "$(test -f "$DEST/$f" && echo yes)" "yes"
done
check "binary is executable" "$(test -x "$DEST/usr/bin/mailsleuth" && echo yes)" "yes"
check "man page mode 644" "$(stat -c %a "$DEST/usr/share/man/man1/mailsleuth.1")" "644"

# the installed binary, run from outside the source tree, on the samples
(cd "$TMPD" && "$DEST/usr/bin/mailsleuth" summary --tz UTC "$ROOT/samples/") >"$TMPD/sum" 2>"$TMPD/sum.err"
check_rc "installed binary summarises samples/" $? 0
(cd "$TMPD" && "$MS" summary --tz UTC "$ROOT/samples/") >"$TMPD/sum.build" 2>/dev/null
check "same summary as the build tree's binary" "$(cmp -s "$TMPD/sum" "$TMPD/sum.build" && echo same)" "same"
check_grep "summary names the sample inputs" "Grand Totals" "$TMPD/sum"
"$DEST/usr/bin/mailsleuth" --version >"$TMPD/ver"
check_grep "installed --version" "mailsleuth " "$TMPD/ver"

# the man page renders (mandoc, else man -l)
if command -v mandoc >/dev/null; then
    mandoc -Tutf8 "$DEST/usr/share/man/man1/mailsleuth.1" >"$TMPD/man.txt" 2>"$TMPD/man.err"
    check_rc "mandoc renders the installed man page" $? 0
elif command -v man >/dev/null; then
    MANPAGER=cat man -l "$DEST/usr/share/man/man1/mailsleuth.1" >"$TMPD/man.txt" 2>"$TMPD/man.err"
    check_rc "man -l renders the installed man page" $? 0
else
    skip "neither mandoc nor man installed"; : >"$TMPD/man.txt"
fi
[ -s "$TMPD/man.txt" ] && check_grep "rendered man page has its synopsis" "mailsleuth" "$TMPD/man.txt"

# the installed bash completion completes commands
out=$(bash -c ". '$DEST/usr/share/bash-completion/completions/mailsleuth'; COMP_WORDS=(mailsleuth hu); COMP_CWORD=1; _mailsleuth; echo \"\${COMPREPLY[*]}\"")
check "installed bash completion works" "$out" "hunt"

make -s -C "$ROOT" O="$B" uninstall DESTDIR="$DEST" PREFIX=/usr >"$TMPD/uninstall.log" 2>&1
check_rc "make uninstall" $? 0
check "no file left after uninstall" "$(find "$DEST" ! -type d | sort)" ""
check "doc directory removed" "$(test -e "$DEST/usr/share/doc/mailsleuth" && echo left)" ""

# PREFIX is honoured too (default /usr/local)
make -s -C "$ROOT" O="$B" install DESTDIR="$DEST" >/dev/null 2>&1
check "default PREFIX is /usr/local" "$(test -x "$DEST/usr/local/bin/mailsleuth" && echo yes)" "yes"
make -s -C "$ROOT" O="$B" uninstall DESTDIR="$DEST" >/dev/null 2>&1
check "uninstall with the default PREFIX" "$(find "$DEST" ! -type d | sort)" ""
finish "cli install"
