#!/usr/bin/env python3
"""scripts/request_rows.py — one line per normalisation from `mpsim compare-gpu --phase request --json -`
on stdin (the main job's table, scripts/main-job.sh): design, normalisation, the GPU format compared with,
accelerator and GPU tokens/s and J/token, their ratios and who wins on what, then the decode floor: the
GPU's and the design's TPOT over the design's DRAM traffic per step at the GPU's copy bandwidth.

    request_rows.py DESIGN < compare.json
"""
import json
import sys


def floor(acc):
    f = acc.get("decode_floor")
    if not f:
        return ""
    other = "" if f.get("same_bytes") else " (GPU in another format)"
    return (f"; decode: GPU {f['gpu_tpot_over_floor']:.2f}x{other}, design {f['accel_tpot_over_floor']:.2f}x "
            "the floor")


def main():
    if len(sys.argv) != 2:
        print("usage: request_rows.py DESIGN < compare.json", file=sys.stderr)
        return 2
    doc = json.load(sys.stdin)
    gpu = doc["gpu"][0]
    for acc in doc["accel"]:
        vs = acc["vs_gpu"]
        speed, gain = vs["speedup"], vs.get("energy_gain")
        wins = []
        wins.append(("accelerator" if speed > 1 else "GPU") + f" on speed ({max(speed, 1 / speed):.2f}x)")
        if gain is not None:
            wins.append(("accelerator" if gain > 1 else "GPU") + f" on energy ({max(gain, 1 / gain):.2f}x)")
        print(f"{sys.argv[1]:<20} {acc['label']:<14} {gpu['label'][4:]:<16} {acc['tokens_per_s']:10.2f} "
              f"{gpu['tokens_per_s']:10.2f} {speed:9.3f} {acc.get('j_per_token', float('nan')):10.4f} "
              f"{gpu.get('j_per_token') or float('nan'):10.4f} {gain if gain is not None else float('nan'):9.3f}  "
              + ", ".join(wins) + floor(acc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
