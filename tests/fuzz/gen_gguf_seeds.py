#!/usr/bin/env python3
"""Write the seed corpus of fuzz_gguf (tests/fuzz/corpus/gguf/) with the reference `gguf` package's
writer (an independent writer: the seeds are valid GGUF as llama.cpp's tools make it).

    PYTHONPATH=build/pylib python3 tests/fuzz/gen_gguf_seeds.py tests/fuzz/corpus/gguf
"""
import os
import sys

import numpy as np
import gguf
from gguf import GGUFWriter, GGMLQuantizationType as Q
from gguf.quants import quantize

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)


def byte_alphabet():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


# 1. metadata of every kind and small tensors of several types
w = GGUFWriter(os.path.join(out, "types.gguf"), "llama")
w.add_uint32("llama.block_count", 2)
w.add_float32("llama.rope.freq_base", 10000.0)
w.add_bool("flag", True)
w.add_int64("i64", -5)
w.add_float64("f64", 0.25)
w.add_string("general.name", "seed caf\u00e9")
w.add_array("ints", [1, 2, 3])
w.add_array("strs", ["a", "\u0120b"])
w.add_tensor("f32", rng.standard_normal((2, 8)).astype(np.float32))
w.add_tensor("f16", rng.standard_normal((1, 8)).astype(np.float16))
for name, qt, shape in (("q41", Q.Q4_1, (2, 32)), ("q80", Q.Q8_0, (1, 64))):
    x = rng.standard_normal(shape).astype(np.float32)
    q = quantize(x, qt)
    w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qt)
# the package cannot quantize to Q6_K: one block of random bytes with a finite scale
q6 = rng.integers(0, 256, size=(1, 210), dtype=np.uint8)
q6[0, 209] &= 0x3F
w.add_tensor("q6k", q6, raw_shape=q6.shape, raw_dtype=Q.Q6_K)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

# 2. a tokenizer: the 256 byte symbols, a few merges, the smollm pre-tokenizer
alpha = byte_alphabet()
merges = ["\u0120 t", "h e", "\u0120t he", "i n", "\u0120 w", "o r", "l d"]
toks = ["<|endoftext|>"] + alpha
for m in merges:
    a, b = m.split(" ")
    if a + b not in toks:
        toks.append(a + b)
w = GGUFWriter(os.path.join(out, "tokenizer.gguf"), "llama")
w.add_tokenizer_model("gpt2")
w.add_tokenizer_pre("smollm")
w.add_token_list(toks)
w.add_token_types([3] + [1] * (len(toks) - 1))
w.add_token_merges(merges)
w.add_bos_token_id(0)
w.add_eos_token_id(0)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

# 3. header only, alignment 64
w = GGUFWriter(os.path.join(out, "empty-a64.gguf"), "llama")
w.add_custom_alignment(64)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

# 4. a hostile one: two tensors at the same offset (written, then patched)
p = os.path.join(out, "overlap.gguf")
w = GGUFWriter(p, "llama")
w.add_tensor("a", np.ones(8, dtype=np.float32))
w.add_tensor("b", np.ones(8, dtype=np.float32))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
b = bytearray(open(p, "rb").read())
i = b.rfind(b"\x01b") if False else None
# the offset of "b" is the last u64 of the tensor infos: 32 -> 0
pos = b.find(b"\x01\x00\x00\x00\x00\x00\x00\x00b")  # name length 1 then "b"
off_at = pos + 9 + 4 + 8 + 4
assert b[off_at:off_at + 8] == (32).to_bytes(8, "little"), b[off_at:off_at + 8]
b[off_at:off_at + 8] = (0).to_bytes(8, "little")
open(p, "wb").write(bytes(b))
for f in sorted(os.listdir(out)):
    print(f, os.path.getsize(os.path.join(out, f)))
