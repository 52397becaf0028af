/* base/jsonout.h — writing machine output (--json FILE, "-" for stdout) atomically. */
#ifndef MP_SIM_JSONOUT_H
#define MP_SIM_JSONOUT_H

#include <cJSON.h>

#include "base/err.h"

/* Print `root` (not freed) to path; the file appears whole or not at all. */
int json_write(const char *path, const cJSON *root, MpErr *e) MP_MUST_CHECK;
/* cJSON_Add*ToObject return NULL on allocation failure; this macro-free helper
 * checks a whole build at the end instead: returns MP_ENOMEM if root is NULL. */

#endif
