/* kernels_ref/kr_nvml.c — see kr_nvml.h. Function types follow nvml.h (NVML API v2 names). */
#include "kernels_ref/kr_nvml.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void *nvmlDevice_t;
typedef int (*fn_void)(void);
typedef int (*fn_handle_pci)(const char *, nvmlDevice_t *);
typedef int (*fn_energy)(nvmlDevice_t, unsigned long long *);
typedef int (*fn_uint)(nvmlDevice_t, unsigned *);
typedef int (*fn_clock)(nvmlDevice_t, int, unsigned *);
typedef int (*fn_driver)(char *, unsigned);
typedef const char *(*fn_errstr)(int);

static struct {
    void *lib;
    nvmlDevice_t dev;
    fn_void shutdown;
    fn_energy energy;
    fn_uint power, limit;
    fn_clock clock, maxclock;
    fn_driver driver;
    int ok;
} nv;

static void *sym(const char *name)
{
    void *p = dlsym(nv.lib, name);
    return p;
}

int kr_nvml_open(const char *pci_bus_id, char *why, int why_len)
{
    memset(&nv, 0, sizeof nv);
    nv.lib = dlopen("libnvidia-ml.so.1", RTLD_NOW);
    if (!nv.lib)
        nv.lib = dlopen("libnvidia-ml.so", RTLD_NOW);
    if (!nv.lib) {
        snprintf(why, (size_t)why_len, "libnvidia-ml.so.1 not loadable: %s", dlerror());
        return -1;
    }
    fn_void init = (fn_void)sym("nvmlInit_v2");
    fn_handle_pci by_pci = (fn_handle_pci)sym("nvmlDeviceGetHandleByPciBusId_v2");
    fn_errstr es = (fn_errstr)sym("nvmlErrorString");
    nv.shutdown = (fn_void)sym("nvmlShutdown");
    nv.energy = (fn_energy)sym("nvmlDeviceGetTotalEnergyConsumption");
    nv.power = (fn_uint)sym("nvmlDeviceGetPowerUsage");
    nv.limit = (fn_uint)sym("nvmlDeviceGetEnforcedPowerLimit");
    nv.clock = (fn_clock)sym("nvmlDeviceGetClockInfo");
    nv.maxclock = (fn_clock)sym("nvmlDeviceGetMaxClockInfo");
    nv.driver = (fn_driver)sym("nvmlSystemGetDriverVersion");
    if (!init || !by_pci || !nv.energy) {
        snprintf(why, (size_t)why_len, "libnvidia-ml lacks nvmlInit_v2 / nvmlDeviceGetHandleByPciBusId_v2 / "
                                       "nvmlDeviceGetTotalEnergyConsumption");
        return -1;
    }
    int rc = init();
    if (rc != 0) {
        snprintf(why, (size_t)why_len, "nvmlInit_v2 failed: %s (%d)", es ? es(rc) : "?", rc);
        return -1;
    }
    rc = by_pci(pci_bus_id, &nv.dev);
    if (rc != 0) {
        snprintf(why, (size_t)why_len, "nvmlDeviceGetHandleByPciBusId_v2(%s) failed: %s (%d)", pci_bus_id,
                 es ? es(rc) : "?", rc);
        return -1;
    }
    unsigned long long mj;
    rc = nv.energy(nv.dev, &mj);
    if (rc != 0) {
        snprintf(why, (size_t)why_len, "nvmlDeviceGetTotalEnergyConsumption failed: %s (%d)", es ? es(rc) : "?", rc);
        return -1;
    }
    nv.ok = 1;
    return 0;
}

int kr_nvml_ok(void) { return nv.ok; }

int kr_nvml_energy_mj(unsigned long long *mj) { return nv.ok && nv.energy(nv.dev, mj) == 0 ? 0 : -1; }
int kr_nvml_power_mw(unsigned *mw) { return nv.ok && nv.power && nv.power(nv.dev, mw) == 0 ? 0 : -1; }
int kr_nvml_power_limit_mw(unsigned *mw) { return nv.ok && nv.limit && nv.limit(nv.dev, mw) == 0 ? 0 : -1; }

int kr_nvml_clock(int clock, int max, unsigned *mhz)
{
    fn_clock f = max ? nv.maxclock : nv.clock;
    return nv.ok && f && f(nv.dev, clock, mhz) == 0 ? 0 : -1;
}

int kr_nvml_driver(char *buf, int len) { return nv.ok && nv.driver && nv.driver(buf, (unsigned)len) == 0 ? 0 : -1; }

void kr_nvml_close(void)
{
    if (nv.ok && nv.shutdown)
        nv.shutdown();
    if (nv.lib)
        dlclose(nv.lib);
    memset(&nv, 0, sizeof nv);
}
