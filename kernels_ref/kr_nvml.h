/* kernels_ref/kr_nvml.h — the few NVML calls the runner needs, loaded at run time with dlopen so
 * that the runner builds without NVML's header and runs (with energy reported as null) where the
 * library is missing. */
#ifndef MP_KERNELS_REF_KR_NVML_H
#define MP_KERNELS_REF_KR_NVML_H

/* 0 when NVML is loaded and the device with this PCI bus id ("0000:3B:00.0") is found; otherwise
 * -1 and why[] says what failed. */
int kr_nvml_open(const char *pci_bus_id, char *why, int why_len);
int kr_nvml_ok(void);
/* Total energy since the driver loaded, in mJ; -1 on failure. */
int kr_nvml_energy_mj(unsigned long long *mj);
int kr_nvml_power_mw(unsigned *mw);
/* clock: 0 graphics, 1 SM, 2 memory; max = 1 for the maximum clock. MHz, or -1. */
int kr_nvml_clock(int clock, int max, unsigned *mhz);
int kr_nvml_driver(char *buf, int len);
int kr_nvml_power_limit_mw(unsigned *mw);
void kr_nvml_close(void);

#endif
