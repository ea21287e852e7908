#!/bin/sh
# postfix_grok.sh - conformance of the Postfix dialect with the postfix-grok-patterns corpus
# (191 payloads with expected captures); see tests/tools/grok_check.c for the field mapping.
BUILD=${BUILD:-build}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
dir="$SHARED/corpora/postfix-grok/test"
if [ ! -d "$dir" ]; then
    echo "postfix-grok: corpus not found at $dir"
    echo "postfix-grok: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
exec "$BUILD/tests/tools/grok_check" "$dir"
