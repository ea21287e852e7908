/*
 * mailsleuth.h - umbrella header: version, error codes, and the other public headers.
 *
 * Library functions return MSL_OK (0) or a negative MSL_E* code; msl_strerror() is the only
 * source of text for them.  The library never prints and never exits on bad input.
 */
#ifndef MAILSLEUTH_H
#define MAILSLEUTH_H

#define MSL_VERSION "0.1.0"

enum msl_error {
    MSL_OK = 0,
    MSL_ENOMEM = -1,   /* out of memory */
    MSL_EINPUT = -2,   /* some input could not be read (see the problems reported) */
    MSL_EPARSE = -3,   /* text did not match the expected syntax */
    MSL_ESTOPPED = -4, /* a callback asked to stop */
    MSL_EIO = -5,      /* read or write error (errno says which) */
    MSL_ECORRUPT = -6, /* corrupt or truncated compressed/archive data */
    MSL_EUSAGE = -7    /* invalid argument */
};

const char *msl_strerror(int err);

#include "event.h"
#include "source.h"
#include "envelope.h"
#include "dialect.h"
#include "format.h"
#include "pipeline.h"

#endif
