/*
 * det_session_ip.h - the client address of an event whose line does not name it.  Some MTAs
 * log the client only when the session opens and name the session on every later line
 * (OpenSMTPD: "<sid> smtp connected address=IP", then "<sid> smtp failed-command ...": the
 * dialect puts the session id in .detail; Sendmail: "NOQUEUE: connect from [IP]", then
 * "<rcpt>... User unknown" from the same process).  Fed with every event, this remembers
 * host+session (or host+process) -> IP from connects and hands the IP to later events.
 */
#ifndef MSL_DET_SESSION_IP_H
#define MSL_DET_SESSION_IP_H

#include <stddef.h>

#include "mailsleuth/event.h"
#include "util/strmap.h"

struct det_session_ip {
    struct strmap *m; /* session or process key -> char[64] IP */
    size_t max;       /* entries kept; the table starts over when full */
};

int det_session_ip_init(struct det_session_ip *s, size_t max); /* 0 / ENOMEM */
/* The event's own client_ip, else that of the session its .detail names, else empty. */
struct msl_str det_session_ip_of(struct det_session_ip *s, const struct msl_event *e);
void det_session_ip_free(struct det_session_ip *s);

#endif
