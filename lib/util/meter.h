/*
 * meter.h - the text of a progress line: "41% 412.3 MiB of 1.0 GiB, 251.0 MiB/s, ETA 0:03".
 * Pure formatting (no clock, no terminal), so it is unit-tested; src/progress.c draws it.
 */
#ifndef MSL_UTIL_METER_H
#define MSL_UTIL_METER_H

#include <stddef.h>
#include <stdint.h>

struct meter {
    uint64_t done;   /* bytes consumed in this pass */
    int64_t total;   /* bytes a pass reads, -1 when unknown (stdin, a FIFO) */
    double elapsed;  /* seconds since this pass began */
    unsigned pass;   /* 1-based; shown from 2 on (trace reads its inputs again) */
    uint64_t events; /* events so far, shown when the total is unknown */
};

/* Writes the line (no newline, no escape sequences) into out; returns its length. */
size_t meter_format(char *out, size_t cap, const struct meter *m);
/* "512 B", "1.5 KiB", "412.3 MiB", "1.0 GiB" */
void meter_bytes(char *out, size_t cap, double bytes);

#endif
