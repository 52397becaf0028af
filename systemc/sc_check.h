// systemc/sc_check.h — numbered pass/fail checks for the SystemC programs (vp, test_regs, cosim):
// each prints "  ok    ..." or "  FAIL  ...", and summary() ends the run with the one line the
// test scripts read, "<name>: N passed, N failed".
#ifndef MP_SYSTEMC_SC_CHECK_H
#define MP_SYSTEMC_SC_CHECK_H

#include <cmath>
#include <cstdarg>
#include <cstdio>

struct MpChecks {
    int passed = 0, failed = 0;
    bool quiet_ok = false; // print failures only

    bool operator()(bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)))
    {
        if (!ok || !quiet_ok) {
            va_list ap;
            va_start(ap, fmt);
            printf("  %s  ", ok ? "ok  " : "FAIL");
            vprintf(fmt, ap);
            printf("\n");
            va_end(ap);
        }
        (ok ? passed : failed)++;
        return ok;
    }
    int summary(const char *name) const
    {
        printf("%s: %d passed, %d failed\n", name, passed, failed);
        fflush(stdout);
        return failed ? 1 : 0;
    }
};

// |a - b| within tol relative to the larger (energies computed in different orders of summation).
static inline bool mp_rel_close(double a, double b, double tol)
{
    return std::fabs(a - b) <= tol * std::fmax(std::fabs(a), std::fabs(b)) + 1e-9;
}

#endif
