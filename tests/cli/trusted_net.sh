#!/bin/sh
# --trusted-net is validated by the same CIDR parser that hunt and search use (lib/util/cidr.c):
# a value that is no address or prefix is a usage error naming the reason, before any input is read.
. "$(dirname "$0")/testlib.inc"
LOG=$(cd "$(dirname "$0")/../corpus/postfix-multihop/postfix-mx1" && pwd)/maillog
for bad in abc 10.0.0.0/33 192.0.2.1/ 2001:db8::/129 192.0.2.300; do
    "$MS" hunt -q --tz UTC --trusted-net "$bad" "$LOG" >"$TMPD/out" 2>"$TMPD/err"
    check_rc "--trusted-net $bad" $? 2
    check_grep "--trusted-net $bad: the message names the value" "not '$bad' (bad" "$TMPD/err"
done
for good in 192.0.2.0/24 2001:db8::/32 127.0.0.1; do
    "$MS" hunt -q --tz UTC --trusted-net "$good" "$LOG" >"$TMPD/out" 2>"$TMPD/err"
    check_rc "--trusted-net $good accepted" $? 0
done
finish "trusted-net validation"
