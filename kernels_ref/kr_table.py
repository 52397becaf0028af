#!/usr/bin/env python3
"""kernels_ref/kr_table.py — markdown tables of kr_runner results files (docs/gpu.md).

    python3 kernels_ref/kr_table.py kernels_ref/results/h100/<file>.json [more files of the same GPU ...]

Per shape and M, each kernel's fastest variant that passed its check ("best": true), beside cuBLAS
fp16 on the same shape; then the numerics of every kernel over all results of the files.

% of roofline: the roofline time of a result is max(bytes / copy bandwidth, operations / peak), with
the device-to-device copy bandwidth measured in the same run and the datasheet dense tensor-core peak
(SPEC_PEAK: int8 for mixpe-w4a8, whose tensor cores run int8, fp16 for every other kernel; the cuBLAS
8192^3 rates the run measured are printed beside it: they vary by a few % from run to run and cuBLAS
exceeds them on some shapes, so they make a poor ceiling); the column is roofline time / measured
time. At M <= 64 the bytes term dominates everywhere, at M = 2048 the operations term. "read-stream" is the time kr_stream_read needs for the shape's uint4 weight bytes: what
a kernel that did nothing but stream its weights would reach at that size.
"""
import json
import sys

KERNELS = ["mixpe-w4a16", "w4a16-dq", "mixpe-w4a8", "bitmod-w4", "bitmod-w3", "olive-w4a4", "cublas-fp16"]
# dense tensor-core peaks from the datasheets (SXM parts): fp16 TFLOP/s, int8 TOPS
SPEC_PEAK = {"H100": (989.4, 1978.9), "H200": (989.4, 1978.9)}


def fmt(v, f):
    return "–" if v is None else f.format(v)


def spec_peaks(run):
    for name, pk in SPEC_PEAK.items():
        if name in run["device"]:
            return pk
    return (run.get("peak_fp16_tflops"), run.get("peak_int8_tops"))


def roofline_us(r, run):
    pk = spec_peaks(run)
    peak = pk[1] if r["kernel"] == "mixpe-w4a8" else pk[0]
    t_mem = r["bytes"] / (run["copy_gbps"] * 1e3)                      # bytes / (GB/s) -> us
    t_ops = 2.0 * r["m"] * r["n"] * r["k"] / (peak * 1e6) if peak else 0.0  # ops / (T/s) -> us
    return max(t_mem, t_ops)


def main(paths):
    runs = [json.load(open(p)) for p in paths]
    res, best, streams = [], {}, {}
    for run in runs:
        for r in run["results"]:
            res.append((r, run))
            if r.get("best"):
                best[(r["kernel"], r["m"], r["n"], r["k"])] = (r, run)
        for s in run.get("streams", []):
            streams[(s["n"], s["k"])] = s
    for p, d in zip(paths, runs):
        print(f"`{p}`: device {d['device']}, driver {d['driver']}, CUDA {d['cuda']}, {d['clocks']}; "
              f"copy {d['copy_gbps']:.0f} GB/s; cuBLAS 8192³ fp16 {fmt(d.get('peak_fp16_tflops'), '{:.0f}')} "
              f"TFLOP/s, int8 {fmt(d.get('peak_int8_tops'), '{:.0f}')} TOPS (roofline peaks: {spec_peaks(d)[0]} / "
              f"{spec_peaks(d)[1]}); idle {fmt(d.get('idle_power_w'), '{:.0f}')} W; "
              f"commit {d['commit']}; {d['date']}; seed {d['seed']}; command `{d['command']}`.\n")
    shapes = []
    for r, _ in res:
        if (r["n"], r["k"]) not in shapes:
            shapes.append((r["n"], r["k"]))
    if streams:
        print("#### Read-stream ceiling (kr_stream_read over each shape's uint4 weight bytes)\n")
        print("| N×K | bytes | µs | GB/s | % copy BW |")
        print("|---|---:|---:|---:|---:|")
        for n, k in shapes:
            s = streams.get((n, k))
            if s:
                print(f"| {n}×{k} | {s['bytes']:.0f} | {s['us']:.2f} | {s['gbps']:.0f} | {s['pct_copy_bw']:.1f} |")
        print()
    ms = sorted({r["m"] for r, _ in res})
    for m in ms:
        big = m >= 256
        print(f"#### M = {m}\n")
        if big:
            print("| N×K | kernel | variant | µs | TFLOP/s | % roofline | × cuBLAS time | µJ | check | max rel err |")
            print("|---|---|---|---:|---:|---:|---:|---:|---|---:|")
        else:
            print("| N×K | kernel | variant | µs | GB/s | % copy BW | % roofline | speed-up vs cuBLAS | µJ | check | max rel err |")
            print("|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|")
        for n, k in shapes:
            cb = best.get(("cublas-fp16", m, n, k))
            for kern in KERNELS:
                rr = best.get((kern, m, n, k))
                if not rr:
                    continue
                r, run = rr
                e = fmt(r.get("energy_uj"), "{:.0f}")
                roof = 100.0 * roofline_us(r, run) / r["us"]
                if big:
                    ratio = fmt(r["us"] / cb[0]["us"] if cb else None, "{:.2f}")
                    print(f"| {n}×{k} | {kern} | {r['variant']} | {r['us']:.1f} | {r['tflops']:.0f} | {roof:.1f} | {ratio} | "
                          f"{e} | {r['check']} | {r['max_rel_err']:.1e} |")
                else:
                    sp = fmt(cb[0]["us"] / r["us"] if cb else None, "{:.2f}×")
                    print(f"| {n}×{k} | {kern} | {r['variant']} | {r['us']:.2f} | {r['gbps']:.0f} | {r['pct_copy_bw']:.1f} | "
                          f"{roof:.1f} | {sp} | {e} | {r['check']} | {r['max_rel_err']:.1e} |")
        print()
    print("#### Numerics over every result of the files (all variants)\n")
    print("| kernel | check | results | outputs checked | mismatches | worst max rel err | worst error / bound |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for kern in KERNELS:
        rs = [r for r, _ in res if r["kernel"] == kern]
        if not rs:
            continue
        checks = sorted({r["check"] for r in rs})
        print(f"| {kern} | {', '.join(checks)} | {len(rs)} | {sum(r['checked'] for r in rs)} | "
              f"{sum(r['mismatches'] + r['nonfinite'] for r in rs)} | {max(r['max_rel_err'] for r in rs):.2e} | "
              f"{max((r['bound_use'] or 0) for r in rs):.2e} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: kr_table.py RESULTS.json [RESULTS.json ...]")
    main(sys.argv[1:])
