#!/usr/bin/env python3
"""kernels_ref/kr_table.py — markdown tables of a kr_runner results file (docs/gpu.md).

    python3 kernels_ref/kr_table.py kernels_ref/results/h100/<file>.json

Per shape and M, each kernel's fastest variant that passed its check ("best": true), beside cuBLAS
fp16 on the same shape; then the numerics of every kernel over all results of the file.
"""
import json
import sys

KERNELS = ["mixpe-w4a16", "w4a16-dq", "mixpe-w4a8", "bitmod-w4", "bitmod-w3", "olive-w4a4", "cublas-fp16"]


def fmt(v, f):
    return "–" if v is None else f.format(v)


def main(path):
    d = json.load(open(path))
    res = d["results"]
    best = {(r["kernel"], r["m"], r["n"], r["k"]): r for r in res if r.get("best")}
    shapes = []
    for r in res:
        if (r["n"], r["k"]) not in shapes:
            shapes.append((r["n"], r["k"]))
    ms = sorted({r["m"] for r in res})
    print(f"Device {d['device']}, driver {d['driver']}, CUDA {d['cuda']}, {d['clocks']}; "
          f"copy {d['copy_gbps']:.0f} GB/s; idle {fmt(d.get('idle_power_w'), '{:.0f}')} W; "
          f"commit {d['commit']}; {d['date']}; seed {d['seed']}.\n")
    for m in ms:
        big = m >= 256
        print(f"#### M = {m}\n")
        if big:
            print("| N×K | kernel | variant | µs | TFLOP/s | × cuBLAS time | µJ | check | max rel err |")
            print("|---|---|---|---:|---:|---:|---:|---|---:|")
        else:
            print("| N×K | kernel | variant | µs | GB/s | % copy BW | speed-up vs cuBLAS | µJ | check | max rel err |")
            print("|---|---|---|---:|---:|---:|---:|---:|---|---:|")
        for n, k in shapes:
            cb = best.get(("cublas-fp16", m, n, k))
            for kern in KERNELS:
                r = best.get((kern, m, n, k))
                if not r:
                    continue
                e = fmt(r.get("energy_uj"), "{:.0f}")
                if big:
                    ratio = fmt(r["us"] / cb["us"] if cb else None, "{:.2f}")
                    print(f"| {n}×{k} | {kern} | {r['variant']} | {r['us']:.1f} | {r['tflops']:.0f} | {ratio} | {e} | "
                          f"{r['check']} | {r['max_rel_err']:.1e} |")
                else:
                    sp = fmt(cb["us"] / r["us"] if cb else None, "{:.2f}×")
                    print(f"| {n}×{k} | {kern} | {r['variant']} | {r['us']:.2f} | {r['gbps']:.0f} | {r['pct_copy_bw']:.1f} | "
                          f"{sp} | {e} | {r['check']} | {r['max_rel_err']:.1e} |")
        print()
    print("#### Numerics over every result of the file (all variants)\n")
    print("| kernel | check | results | outputs checked | mismatches | worst max rel err | worst error / bound |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for kern in KERNELS:
        rs = [r for r in res if r["kernel"] == kern]
        if not rs:
            continue
        checks = sorted({r["check"] for r in rs})
        print(f"| {kern} | {', '.join(checks)} | {len(rs)} | {sum(r['checked'] for r in rs)} | "
              f"{sum(r['mismatches'] + r['nonfinite'] for r in rs)} | {max(r['max_rel_err'] for r in rs):.2e} | "
              f"{max((r['bound_use'] or 0) for r in rs):.2e} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: kr_table.py RESULTS.json")
    main(sys.argv[1])
