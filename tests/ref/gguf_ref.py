#!/usr/bin/env python3
"""Reference outputs for tests/model_smollm2.c, from independent implementations:
the `gguf` package (GGUFReader, gguf.quants.dequantize) and Hugging Face `tokenizers`.
Run with PYTHONPATH=build/pylib (scripts/fetch-model.sh installs them there).

  gguf_ref.py blocks OUT          random blocks of every type gguf dequantizes that mpsim converts:
                                  OUT/<TYPE>.raw (blocks) and OUT/<TYPE>.f32 (its dequantization)
  gguf_ref.py tensors MODEL OUT   for every tensor of MODEL: a few rows (first, last, and spread) as
                                  the reference dequantizes them: OUT/index.txt lists
                                  "name type row0 nrows file" lines, OUT/<i>.f32 the floats
  gguf_ref.py tokenize MODEL OUT TEXT...
                                  token ids of each UTF-8 file TEXT, one per line, into OUT/<i>.ids
                                  (OUT/list.txt: "<i>.ids TEXT" lines), by a tokenizers BPE built
                                  from MODEL's vocabulary and merges with the pre-tokenizer that
                                  tokenizer.ggml.pre names ("smollm": Digits(individual) + ByteLevel)
  gguf_ref.py all MODEL OUT TEXT...   the three above into OUT/blocks, OUT/tensors, OUT/tok
"""
import os
import sys

import numpy as np
import gguf
from gguf import GGUFReader, GGMLQuantizationType as Q
from gguf.quants import dequantize

TYPES = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]


def cmd_blocks(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261207)
    for name in TYPES:
        qt = Q[name]
        bsize, tsize = gguf.GGML_QUANT_SIZES[qt]
        nblocks = 64
        raw = rng.integers(0, 256, size=(nblocks, tsize), dtype=np.uint8)
        if name in ("F32",):
            raw = rng.standard_normal(nblocks * bsize).astype(np.float32).view(np.uint8).reshape(nblocks, tsize)
        # keep fp16/bf16 fields finite: random bytes may form NaN/Inf, whose payload handling is
        # not what is being compared; clear the exponent's top bit of every f16 scale field
        if name not in ("F32",):
            raw = fix_scales(name, raw)
        raw.tofile(os.path.join(out, name + ".raw"))
        deq = dequantize(raw.reshape(1, -1), qt).astype(np.float32)
        deq.tofile(os.path.join(out, name + ".f32"))


def fix_scales(name, raw):
    """Clear bit 14 of every f16 scale (and of every F16/BF16 element) so no field is Inf/NaN."""
    off = {"F16": [0], "BF16": [0], "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
           "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208]}[name]
    raw = raw.copy()
    for o in off:
        raw[:, o + 1] &= 0xBF
    return raw


_readers = {}


def reader(model):
    """One GGUFReader per file (parsing the 98 k vocabulary strings takes seconds)."""
    if model not in _readers:
        _readers[model] = GGUFReader(model)
    return _readers[model]


def cmd_tensors(model, out):
    os.makedirs(out, exist_ok=True)
    r = reader(model)
    lines = []
    for i, t in enumerate(r.tensors):
        data = t.data  # rows x row-bytes (quantized) or rows x ne0 (float)
        rows = data.shape[0] if data.ndim > 1 else 1
        data2 = data.reshape(rows, -1)
        pick = sorted(set([0, rows - 1] + [int(k) for k in np.linspace(0, rows - 1, 6)]))
        for r0 in pick:
            x = dequantize(data2[r0:r0 + 1], t.tensor_type).astype(np.float32)
            f = "%d_%d.f32" % (i, r0)
            x.tofile(os.path.join(out, f))
            lines.append("%s %s %d 1 %s" % (t.name, t.tensor_type.name, r0, f))
    with open(os.path.join(out, "index.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def cmd_tokenize(model, out, texts):
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders
    r = reader(model)

    def strs(key):
        f = r.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    toks = strs("tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ")) for m in strs("tokenizer.ggml.merges")]
    pre = bytes(r.fields["tokenizer.ggml.pre"].parts[-1]).decode() if "tokenizer.ggml.pre" in r.fields else "default"
    vocab = {s: i for i, s in enumerate(toks)}
    tk = Tokenizer(models.BPE(vocab, merges))
    bl = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if pre == "smollm":
        tk.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), bl])
    elif pre in ("gpt2", "default"):
        tk.pre_tokenizer = bl
    else:
        sys.exit("unknown pre-tokenizer " + pre)
    tk.decoder = decoders.ByteLevel()
    os.makedirs(out, exist_ok=True)
    lst = []
    for k, text in enumerate(texts):
        with open(text, encoding="utf-8", newline="") as fh:  # no newline translation
            s = fh.read()
        ids = tk.encode(s).ids
        assert tk.decode(ids) == s, "the reference does not round-trip"
        with open(os.path.join(out, "%d.ids" % k), "w") as fh:
            fh.write("".join("%d\n" % i for i in ids))
        lst.append("tok/%d.ids %s" % (k, text))
    with open(os.path.join(out, "list.txt"), "w") as fh:
        fh.write("\n".join(lst) + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "blocks":
        cmd_blocks(sys.argv[2])
    elif cmd == "tensors":
        cmd_tensors(sys.argv[2], sys.argv[3])
    elif cmd == "tokenize":
        cmd_tokenize(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "all":
        cmd_blocks(os.path.join(sys.argv[3], "blocks"))
        cmd_tensors(sys.argv[2], os.path.join(sys.argv[3], "tensors"))
        cmd_tokenize(sys.argv[2], os.path.join(sys.argv[3], "tok"), sys.argv[4:])
    else:
        sys.exit("usage: see the docstring")
