/* tests/sweeputil.h — what the sweep-spec tests share: a spec text that must be refused with
 * "t.ini:LINE: " and a detail (test_sweep.c, test_sweep_shape.c). */
#ifndef MP_TESTS_SWEEPUTIL_H
#define MP_TESTS_SWEEPUTIL_H

#include <stdio.h>
#include <string.h>

#include "dse/sweep.h"

static inline void expect_bad(const char *text, int line, const char *detail)
{
    SweepPlan *p = NULL;
    MpErr e = {0};
    int rc = sweep_plan_load_string("t.ini", text, ".", &p, &e);
    if (rc != MP_EINPUT)
        fail_msg("wanted MP_EINPUT, got %d (%s) for:\n%s", rc, e.msg, text);
    assert_null(p);
    char want[32];
    snprintf(want, sizeof want, "t.ini:%d: ", line);
    if (strncmp(e.msg, want, strlen(want)) != 0 || !strstr(e.msg, detail))
        fail_msg("message '%s' lacks '%s' ... '%s' for:\n%s", e.msg, want, detail, text);
}

#endif
