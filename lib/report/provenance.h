/*
 * provenance.h - what produced a JSON answer: the exact command line, tool version, zone,
 * and the SHA-256 of every input file and archive member, so a reader can prove which
 * evidence an answer came from.
 */
#ifndef MSL_REPORT_PROVENANCE_H
#define MSL_REPORT_PROVENANCE_H

#include "mailsleuth/envelope.h"
#include "mailsleuth/pipeline.h"
#include "mailsleuth/report.h"
#include "util/buf.h"

/* Writes "provenance":{...} (no leading comma). inv may be NULL. */
void provenance_json(struct buf *b, const struct msl_invocation *inv, const struct msl_tz *tz,
                     const struct msl_run *run);

#endif
