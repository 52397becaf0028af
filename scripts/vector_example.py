#!/usr/bin/env python3
# scripts/vector_example.py — recompute docs/simulator.md's vector-unit worked example (Llama-2-7B, one
# decode step at KV 2048, batch 1, on iso/fp16) from the documented formulas alone, print it as the
# doc's table and compare every row with what `mpsim run --json` reports. Exit 1 on any difference.
#
#   python3 scripts/vector_example.py [MPSIM]        (from the repository root, after make)
import json, math, subprocess, sys

mpsim = sys.argv[1] if len(sys.argv) > 1 else "build/mpsim"
cd = lambda a, b: -(-a // b)

# The kernels of docs/simulator.md, "Vector unit": per element (fma, cmp, exp, rcp, act, rope, reduce),
# per row (the same classes), syncs; input and output tensors per element (fp16 everywhere here).
KERN = {
    "rmsnorm":  ((3, 0, 0, 0, 0, 0, 1), (1, 0, 0, 1, 0, 0, 0), 1, 1, 1),
    "rope":     ((0, 0, 0, 0, 0, 1, 0), (0,) * 7, 0, 1, 1),
    "softmax":  ((2, 1, 1, 0, 0, 0, 1), (0, 0, 0, 1, 0, 0, 0), 2, 1, 1),
    "silu-mul": ((1, 0, 0, 0, 1, 0, 0), (0,) * 7, 0, 2, 1),
    "add":      ((1, 0, 0, 0, 0, 0, 0), (0,) * 7, 0, 2, 1),
}
LAT = (11, 1, 4, 11, 1, 17, 11)  # [vector] *_latency of the presets (ii = 1 for every class)
LANES, BUF_KIB, DRAM_BPC, DRAM_LAT, BITS = 16, 64, 256, 100, 16


def job(kernel, rows, width, count, serial):
    """One layer's part (count / serial instances together), then serial parts one after another."""
    per_elem, per_row, syncs, n_in, n_out = KERN[kernel]
    total = rows * count // serial
    chunk = max(1, min(total, int(BUF_KIB * 8192 / 2 // (width * BITS * (n_in + n_out)))))
    levels = math.ceil(math.log2(LANES))
    sync = levels * LAT[6] + LAT[3]
    depth = max(LAT[i] for i in range(7) if per_elem[i] or per_row[i])

    def comp(n):  # lane issues + the rows' scalars + the last row's reductions + the pipeline drain
        return n * sum(per_elem) * cd(width, LANES) + cd(n, LANES) * sum(per_row) + syncs * sync + depth

    def xfer(bits):
        return DRAM_LAT + cd(bits, DRAM_BPC)

    # the double-buffered chunk recurrence on one channel (loads of j+1 issued when j starts)
    nch = cd(total, chunk)
    sizes = [min(chunk, total - j * chunk) for j in range(nch)]
    chan = 0
    lend = chan = xfer(sizes[0] * width * BITS * n_in)
    ce_prev, store_end, last = 0, [-1, -1], 0
    for j, n in enumerate(sizes):
        start = max(lend, ce_prev, store_end[j % 2] if j >= 2 else 0)
        if j + 1 < nch:
            s = max(start, chan)
            lend = chan = s + xfer(sizes[j + 1] * width * BITS * n_in)
        ce = start + comp(n)
        s = max(ce, chan)
        chan = store_end[j % 2] = s + xfer(n * width * BITS * n_out)
        last = max(last, chan)
        ce_prev = ce
    return chunk, comp(chunk), max(last, ce_prev) * serial


out = subprocess.run([mpsim, "run", "--arch", "iso/fp16", "--model", "llama2-7b", "--phase", "decode", "--kv", "2048",
                      "--json", "-", "--quiet"], capture_output=True, text=True, check=True).stdout
got = {v["name"]: v for v in json.loads(out)["vector"]}
bad = 0
print("| row | kernel | rows x width x count (layers) | rows per chunk | compute per chunk | formula cycles | mpsim cycles |")
print("|---|---|---|---|---|---|---|")
for name in ("attn_norm", "rope_q", "softmax", "act", "attn_add"):
    v = got[name]
    chunk, comp, cyc = job(v["kernel"], v["rows"], v["width"], v["count"], v["serial"])
    print("| %s | %s | %d x %d x %d (%d) | %d | %d | %d | %d |" % (name, v["kernel"], v["rows"], v["width"], v["count"],
                                                               v["serial"], chunk, comp, cyc, v["cycles"]))
    bad += cyc != v["cycles"]
sys.exit(1 if bad else 0)
