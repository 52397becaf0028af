/* base/parse.h — strict number parsing for flags, configs and CSV fields.
 * The whole string must be a number (no trailing junk, no empty string). */
#ifndef MP_BASE_PARSE_H
#define MP_BASE_PARSE_H

#include <stdint.h>

int mp_parse_i64(const char *s, int64_t *out);  /* 0 ok, -1 not an integer or overflow */
int mp_parse_f64(const char *s, double *out);   /* 0 ok, -1 not a finite number       */
int mp_parse_bool(const char *s, int *out);     /* true/false/yes/no/on/off/1/0        */
/* Trim leading and trailing white space in place; returns s advanced. */
char *mp_trim(char *s);

#endif
