#!/bin/sh
# Other MTAs through the same commands, on real lines kept in tests/dialect/<mta>/:
# a Sendmail MSP -> MTA hand-off traced as one path, messages that complete without an end
# line, and the year and zone recovered from the UTC time inside Sendmail queue ids.
. "$(dirname "$0")/testlib.inc"
SM=$(cd "$(dirname "$0")/../dialect/sendmail" && pwd)/0006-service-unavailable-return-to-sender.log
MSGID='<201710251250.v9PCoLxI006666@localhost.localdomain>'
"$MS" trace -f json --tz UTC "$MSGID" "$SM" >"$TMPD/t.json" 2>"$TMPD/t.err"
check "MSP and MTA transactions on one path, with the bounce" "$(jq -r '[.messages[].qid] | join(" ")' "$TMPD/t.json")" \
    "v9PCoLxI006666 v9PCoLiO006667 v9PCoLiP006667"
check "the bounce is linked to the MTA transaction" "$(jq -r '.messages[2].bounce_of' "$TMPD/t.json")" v9PCoLiO006667
check "linked by the MTA's queue id in the MSP's reply" "$(jq -r '[.hops[].by] | join(",")' "$TMPD/t.json")" local-reinjection
check "complete without an end line" "$(jq -r '[.messages[0:2][].end] | unique | join(",")' "$TMPD/t.json")" all-recipients-final
check "the MTA's delivery bounced" "$(jq -r '.messages[1].final' "$TMPD/t.json")" bounced
check_grep "year recovered from queue ids" "year-less stamps dated 2017" "$TMPD/t.err"
check "events dated 2017" "$(jq -r '.messages[0].first[0:4]' "$TMPD/t.json")" 2017
# the ids say the stamps are UTC: a machine zone of Tokyo is corrected, an explicit --tz is kept
TZ=Asia/Tokyo "$MS" summary -f json "$SM" >"$TMPD/s.json" 2>"$TMPD/s.err"
check "zone inferred from queue ids" "$(jq -r '.inputs.sources[0].zone' "$TMPD/s.json")" "UTC+00:00"
check_grep "inference said on stderr" "zone-less stamps read as UTC+00:00" "$TMPD/s.err"
"$MS" summary -f json --tz Asia/Tokyo "$SM" >"$TMPD/k.json" 2>"$TMPD/k.err"
check "explicit --tz kept" "$(jq -r '.inputs.sources[0].zone_inferred' "$TMPD/k.json")" false
check_grep "explicit --tz warned" "not Asia/Tokyo as --tz says" "$TMPD/k.err"
finish "other MTAs"
