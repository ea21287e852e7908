/*
 * scan_compat.h - the scanner kit's former names (pf_*, PF_LIT ...), from when it lived in
 * postfix_int.h, for dialect code written before the move (other branches): included by
 * postfix_int.h and sendmail_int.h, which such code includes.  New code says scan_* and
 * includes dialect/scan.h.  Drop once no pf_ scanner name is left.
 */
#ifndef MSL_DIALECT_SCAN_COMPAT_H
#define MSL_DIALECT_SCAN_COMPAT_H

#include "dialect/scan.h"

#define pf_sv scan_sv
#define pf_lit scan_lit
#define pf_starts scan_starts
#define pf_find scan_find
#define pf_rfind scan_rfind
#define pf_isdigit scan_isdigit
#define pf_uint scan_uint
#define pf_span_until scan_span_until
#define pf_decimal scan_decimal
#define pf_hostaddr scan_hostaddr
#define pf_bracket_addr scan_bracket_addr
#define pf_addr scan_addr
#define pf_reply scan_reply
#define pf_milter_jobid scan_milter_jobid
#define PF_LIT SCAN_LIT
#define PF_STARTS SCAN_STARTS
#define PF_FIND SCAN_FIND
#define PF_RFIND SCAN_RFIND

#endif
