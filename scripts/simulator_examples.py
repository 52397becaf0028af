#!/usr/bin/env python3
# Recompute docs/simulator.md's worked examples from the documented formulas alone and print them
# beside what `mpsim run` reports (run from the repository root after `make`).
import json, math, subprocess
cd = lambda a, b: -(-a // b)
# PE rows from docs/simulator.md: lanes, step cycles, latency, w bits, x bits, meta bits per group,
# and the activations' stored format: its bits per element and its scale bits per row (a token)
rows = {"fp16": (1,1,1,16,16,0,16,0), "int8": (1,1,1,8,8,0,8,32), "w4a16-dq": (1,1,2,4,16,20,16,0),
        "mixpe-w4a8": (1,1,2,4,8,20,8,32), "mixpe-w4a16": (1,1,2,4,16,20,16,0), "bitmod-w4": (4,2,12,4,16,24,16,0),
        "bitmod-w3": (4,2,12,3,16,24,16,0), "olive": (1,1,2,4,4,0,4,0), "ant": (1,1,2,4,4,0,4,0),
        "olive-w4a16": (1,1,2,4,16,0,16,0), "ant-w4a16": (1,1,2,4,16,0,16,0)}
M, N, K, R, C, bw, dbw, lat, g = 32, 32, 256, 8, 8, 8*256, 256, 100, 128
out = []
for kind, (lanes, sc, plat, wb, xb, meta, ab, arow) in rows.items():
    steps = cd(K, lanes); tm, tn = R, C
    se = max(sc, cd(tm*lanes*xb, bw), cd(tn*lanes*wb, bw))
    run = (tm-1) + (tn-1) + (steps-1)*se + sc + plat   # skew, steps, latency
    drain = tm*cd(tn*32, bw)                           # result rows out, one per cycle here
    tiles = (M//R) * (N//C)
    tile = run
    wbits = math.ceil((wb + meta/g) * N * K) ; xbits = (ab * K + arow) * M; ybits = (ab * N + arow) * M
    loads = (lat + cd(wbits, dbw)) + (lat + cd(xbits, dbw)); store = lat + cd(ybits, dbw)
    # back-to-back tiles: each drain hides behind the next tile's run (drain < run); the last shows
    total = loads + tiles*run + drain + store
    r = json.loads(subprocess.run(["build/mpsim","run","--arch","iso/"+kind,"--set","arch.rows=8,arch.cols=8",
        "--model","docs/examples/gemm-32x32x256.csv","--blocks","32x32x256","--orient","mxn","--json","-","--quiet"],capture_output=True,text=True).stdout)
    out.append((kind, steps, se, plat, tile, tiles, wbits, loads, store, total, r["cycles"], r["layers"][0]["mapping"]))
print("| kind | steps | se | latency | tile run | tiles | W bits | loads | store | formula total | mpsim total |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for o in out:
    print("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |" % o[:11])

