/* kernels_ref/kr_run_dev.c — what the kernel runner and kr_step share about the process and the
 * device: allocation that exits on failure, kernel names, the device's provenance (name, driver,
 * clocks as found, NVML) and its idle power. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kernels_ref/kr_nvml.h"
#include "kernels_ref/kr_run.h"

void *kr_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "kr_runner: out of memory (%zu bytes)\n", n);
        exit(3);
    }
    return p;
}
void *kr_xcalloc(size_t n, size_t s)
{
    void *p = calloc(n ? n : 1, s ? s : 1);
    if (!p) {
        fprintf(stderr, "kr_runner: out of memory\n");
        exit(3);
    }
    return p;
}
const char *kr_kname(int k) { return k == KR_CUBLAS ? "cublas-fp16" : kr_kernel_names[k]; }

static void slugify(const char *name, char *out, size_t len)
{
    const char *known[] = {"H100", "H200", "H800", "A100", "B200", "GH200", "L40S", "A10", "L4"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strstr(name, known[i])) {
            size_t j = 0;
            for (const char *s = known[i]; *s && j + 1 < len; s++)
                out[j++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
            out[j] = 0;
            return;
        }
    size_t j = 0;
    for (const char *s = name; *s && j + 1 < len; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        out[j++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-';
    }
    out[j] = 0;
}

/* Device 0, its name, driver, clocks and power limit as found (NVML, when it loads), the date. */
void kr_dev_open(Prov *pv)
{
    int ndev = 0;
    CK(cudaGetDeviceCount(&ndev));
    if (ndev < 1) {
        fprintf(stderr, "kr_runner: no CUDA device\n");
        exit(3);
    }
    CK(cudaSetDevice(0));
    struct cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    snprintf(pv->device, sizeof pv->device, "%s", prop.name);
    pv->sms = prop.multiProcessorCount;
    pv->l2 = (size_t)prop.l2CacheSize;
    slugify(prop.name, pv->slug, sizeof pv->slug);
    int drv = 0, rt = 0;
    CK(cudaDriverGetVersion(&drv));
    CK(cudaRuntimeGetVersion(&rt));
    snprintf(pv->cuda, sizeof pv->cuda, "runtime %d.%d, driver API %d.%d", rt / 1000, (rt % 1000) / 10, drv / 1000,
             (drv % 1000) / 10);
    char pci[32];
    CK(cudaDeviceGetPCIBusId(pci, sizeof pci, 0));
    char why[256] = "";
    if (kr_nvml_open(pci, why, sizeof why) == 0) {
        char dv[80];
        if (kr_nvml_driver(dv, sizeof dv) == 0)
            snprintf(pv->driver, sizeof pv->driver, "%s", dv);
        unsigned sm = 0, smx = 0, mem = 0, memx = 0, pl = 0;
        kr_nvml_clock(1, 0, &sm);
        kr_nvml_clock(1, 1, &smx);
        kr_nvml_clock(2, 0, &mem);
        kr_nvml_clock(2, 1, &memx);
        kr_nvml_power_limit_mw(&pl);
        snprintf(pv->clocks, sizeof pv->clocks, "SM %u MHz (max %u), memory %u MHz (max %u), power limit %.0f W (as found)",
                 sm, smx, mem, memx, pl / 1000.0);
        snprintf(pv->nvml_note, sizeof pv->nvml_note,
                 "NVML nvmlDeviceGetTotalEnergyConsumption over >= 2 s of back-to-back launches per result; "
                 "energy_uj per launch");
    } else {
        snprintf(pv->driver, sizeof pv->driver, "CUDA driver API %d", drv);
        snprintf(pv->clocks, sizeof pv->clocks, "unknown (NVML unavailable)");
        snprintf(pv->nvml_note, sizeof pv->nvml_note, "null: %s", why);
        fprintf(stderr, "kr_runner: energy not measured: %s\n", why);
    }
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(pv->date, sizeof pv->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("device: %s (%d SMs, L2 %zu MB), %s, driver %s\nclocks: %s\n", pv->device, pv->sms, pv->l2 >> 20, pv->cuda,
           pv->driver, pv->clocks);
}

/* Idle power over 2 s after a second's rest (NAN without NVML). */
double kr_dev_idle_w(void)
{
    if (!kr_nvml_ok())
        return NAN;
    unsigned long long e0, e1;
    CK(cudaDeviceSynchronize());
    sleep(1);
    double t0 = kr_time_now_s();
    kr_nvml_energy_mj(&e0);
    sleep(2);
    kr_nvml_energy_mj(&e1);
    return 1e-3 * (double)(e1 - e0) / (kr_time_now_s() - t0);
}


void kr_dev_result_path(const char *out_dir, const Prov *pv, const char *prefix, unsigned long long seed, char *path,
                        size_t len)
{
    char dir[2048], stamp[32];
    snprintf(dir, sizeof dir, "%s/%s", out_dir, pv->slug);
    mkdir(out_dir, 0777);
    mkdir(dir, 0777);
    snprintf(stamp, sizeof stamp, "%s", pv->date);
    for (char *c = stamp; *c; c++)
        if (*c == ':')
            *c = '-';
    snprintf(path, len, "%s/%s%s-%llu.json", dir, prefix, stamp, seed);
}
