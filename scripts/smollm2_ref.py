#!/usr/bin/env python3
"""scripts/smollm2_ref.py — an independent numpy forward pass of SmolLM2-135M, the reference for dse/lmfwd.c.

Reads the GGUF with the PyPI `gguf` package (its own reader and numpy dequantization of Q4_1, Q8_0, F32;
nothing of mpsim's C code), runs the Llama forward pass in float64 over a fixed token sequence, and writes
the logits of every position to OUT:

    line 1   "mpsim-smollm2-ref 1 ntok=N vocab=V"
    line 2   the N token ids, space-separated
    then     N*V little-endian float32 logits, position-major (logits[t*V + v])

The C test (tests/test_lmfwd.c, run by `make lm-test`) runs dse/lmfwd.c on the same tokens with no
quantization (fp32 dequantized weights) and requires max |logit_C - logit_ref| <= 2e-3 * max(1, max |logit_ref|
over all positions), i.e. about 5e-2 for logits reaching ~25 (LM_REF_TOL in the test states the number and why).

Independence from the C code, where it matters:
  - RoPE convention. llama.cpp's converter permutes the rows of attn_q and attn_k per head so that its RoPE
    rotates adjacent pairs (2i, 2i+1). The C code rotates adjacent pairs on the raw rows. Here the rows are
    un-permuted back to the Hugging Face layout (row 2i+s of a head -> row s*hd/2+i) and the HF convention
    (rotate_half: pair (i, i+hd/2)) is applied. Both give the same logits; a wrong convention on either side
    would not.
  - float64 throughout (the C code runs fp32 through BLAS).

Model facts (from the GGUF metadata, read here, not hard-coded): llama.block_count, embedding_length,
feed_forward_length, attention.head_count(_kv), rope.freq_base, attention.layer_norm_rms_epsilon.
Tied embeddings: lm_head = token_embd (the file has no output.weight).

Usage: smollm2_ref.py MODEL.gguf OUT [--tokens ID,ID,...]
Exit status: 0 ok, 2 bad input, 3 a needed package (gguf, numpy) is missing.
"""
import argparse
import os
import sys

try:
    import numpy as np
    import gguf
except ImportError as exc:  # the caller (scripts/lm-test.sh) reports the skip
    print(f"smollm2_ref.py: missing python package: {exc.name} (pip install gguf==0.19.0 numpy)", file=sys.stderr)
    sys.exit(3)

# A fixed sequence of 24 ids of the model's vocabulary, chosen by looking up whole-word tokens (not produced by a
# tokenizer): "The| GNU| General| Public| License| is| a| free|,| copy|left| license| for| software| and| other|
# kinds| of| works|.|\n|\n|1|2".
DEFAULT_TOKENS = [504, 28807, 4660, 4837, 6966, 314, 253, 1904, 28, 3784, 8842, 9768, 327, 3197, 284, 550, 5479,
                  282, 1806, 30, 198, 198, 33, 34]


def field(r, key):
    f = r.fields.get(key)
    if f is None:
        raise KeyError(f"metadata key {key} missing")
    return f.contents()


def tensor(r, name):
    for t in r.tensors:
        if t.name == name:
            # gguf's dequantize gives the numpy shape (rows, cols) = reversed GGUF ne
            return gguf.dequantize(t.data, t.tensor_type).astype(np.float64).reshape(
                [int(x) for x in reversed(t.shape.tolist())])
    raise KeyError(f"tensor {name} missing")


def unpermute(w, n_head):
    """Undo llama.cpp's Q/K row permutation: raw row (h, 2i+s) <- HF row (h, s*hd/2 + i)."""
    rows, cols = w.shape
    hd = rows // n_head
    return w.reshape(n_head, hd // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)


def rmsnorm(x, g, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g


def rope_hf(x, base):
    """x: [T, H, hd]; HF rotate_half convention."""
    T, H, hd = x.shape
    inv = base ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)  # [hd/2]
    ang = np.arange(T, dtype=np.float64)[:, None] * inv[None, :]  # [T, hd/2]
    cos = np.concatenate([np.cos(ang)] * 2, axis=-1)[:, None, :]
    sin = np.concatenate([np.sin(ang)] * 2, axis=-1)[:, None, :]
    rot = np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], axis=-1)
    return x * cos + rot * sin


def forward(r, toks):
    L = int(field(r, "llama.block_count"))
    D = int(field(r, "llama.embedding_length"))
    H = int(field(r, "llama.attention.head_count"))
    HK = int(field(r, "llama.attention.head_count_kv"))
    base = float(field(r, "llama.rope.freq_base"))
    eps = float(field(r, "llama.attention.layer_norm_rms_epsilon"))
    hd = D // H
    emb = tensor(r, "token_embd.weight")  # [V, D]
    x = emb[np.array(toks)]
    T = len(toks)
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(L):
        p = f"blk.{l}."
        h = rmsnorm(x, tensor(r, p + "attn_norm.weight"), eps)
        q = h @ unpermute(tensor(r, p + "attn_q.weight"), H).T
        k = h @ unpermute(tensor(r, p + "attn_k.weight"), HK).T
        v = h @ tensor(r, p + "attn_v.weight").T
        q = rope_hf(q.reshape(T, H, hd), base)
        k = rope_hf(k.reshape(T, HK, hd), base)
        v = v.reshape(T, HK, hd)
        out = np.empty((T, H, hd))
        for hh in range(H):
            kv = hh // (H // HK)  # GQA: consecutive query heads share a KV head
            s = q[:, hh, :] @ k[:, kv, :].T / np.sqrt(hd) + mask
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            out[:, hh, :] = s @ v[:, kv, :]
        x = x + out.reshape(T, D) @ tensor(r, p + "attn_output.weight").T
        h = rmsnorm(x, tensor(r, p + "ffn_norm.weight"), eps)
        g = h @ tensor(r, p + "ffn_gate.weight").T
        u = h @ tensor(r, p + "ffn_up.weight").T
        x = x + (g / (1.0 + np.exp(-g)) * u) @ tensor(r, p + "ffn_down.weight").T
    x = rmsnorm(x, tensor(r, "output_norm.weight"), eps)
    names = {t.name for t in r.tensors}
    head = tensor(r, "output.weight") if "output.weight" in names else emb
    return x @ head.T


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--tokens", help="comma-separated token ids (default: a fixed 24-token sequence)")
    a = ap.parse_args()
    try:
        toks = [int(t) for t in a.tokens.split(",")] if a.tokens else DEFAULT_TOKENS
        r = gguf.GGUFReader(a.model)
        V = int(tensor(r, "token_embd.weight").shape[0])
        if not toks or min(toks) < 0 or max(toks) >= V:
            raise ValueError(f"token ids must lie in 0..{V - 1}")
        logits = forward(r, toks)
    except (OSError, KeyError, ValueError) as exc:
        print(f"smollm2_ref.py: {a.model}: {exc}", file=sys.stderr)
        return 2
    with open(a.out + ".tmp", "wb") as f:
        f.write(f"mpsim-smollm2-ref 1 ntok={len(toks)} vocab={V}\n".encode())
        f.write((" ".join(str(t) for t in toks) + "\n").encode())
        f.write(logits.astype("<f4").tobytes())
    os.replace(a.out + ".tmp", a.out)
    print(f"smollm2_ref.py: {len(toks)} tokens, logits max |.| {np.abs(logits).max():.3f}, "
          f"argmax of last position {int(logits[-1].argmax())} -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
