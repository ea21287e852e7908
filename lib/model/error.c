/* error.c - the only text source for library error codes. */
#include "mailsleuth/mailsleuth.h"

const char *msl_strerror(int err)
{
    switch (err) {
    case MSL_OK: return "success";
    case MSL_ENOMEM: return "out of memory";
    case MSL_EINPUT: return "some input could not be read";
    case MSL_EPARSE: return "syntax not recognised";
    case MSL_ESTOPPED: return "stopped";
    case MSL_EIO: return "input/output error";
    case MSL_ECORRUPT: return "corrupt or truncated data";
    case MSL_EUSAGE: return "invalid argument";
    default: return "unknown error";
    }
}
