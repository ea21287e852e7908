/*
 * event_export.h - one event as a document for Elasticsearch (ECS) or Splunk (HEC), one
 * line each (timeline -f ecs|splunk-hec).  All log content is JSON-escaped.
 */
#ifndef MSL_REPORT_EVENT_EXPORT_H
#define MSL_REPORT_EVENT_EXPORT_H

#include "mailsleuth/event.h"
#include "util/buf.h"

/* An ECS 8.x document and a newline; with bulk, preceded by the `_bulk` action line
 * {"create":{}} (the index is named in the request URL). */
void event_ecs(struct buf *b, const struct msl_event *e, const char *src, int bulk);
/* A Splunk HTTP Event Collector event (time, host, source, sourcetype, event with CIM
 * Email field names) and a newline. */
void event_hec(struct buf *b, const struct msl_event *e, const char *src);

#endif
