/* traces/tokenizer.h — byte-level BPE (GPT-2 style) built from a GGUF file's tokenizer metadata.
 *
 * Read from the file (tokenizer.ggml.model must be "gpt2"):
 *   tokenizer.ggml.tokens      string array, the vocabulary; id = index
 *   tokenizer.ggml.merges      string array, "left right" pairs; rank = index (lower merges first)
 *   tokenizer.ggml.token_type  i32 array (optional): 1 normal, 3 control, 4 user-defined, ...
 *   tokenizer.ggml.pre         string (optional): the pre-tokenizer; "smollm" and "gpt2"/"default"
 *                              are known, others are refused by name
 *   tokenizer.ggml.bos_token_id / eos_token_id  u32 (optional)
 *
 * Encoding (UTF-8 text -> ids):
 *   1. pre-tokenize: split the text into words (tokenizer.c states the rule for each "pre");
 *   2. each word's bytes are mapped to the byte-level alphabet (each of the 256 bytes is one
 *      printable code point: the printable Latin-1 bytes map to themselves, the other 68 to
 *      U+0100.. in byte order), giving one symbol per byte;
 *   3. the adjacent pair of symbols with the lowest merge rank is merged, again and again, until
 *      no adjacent pair has a rank; each final symbol is a vocabulary entry (its id is emitted).
 * Special tokens in the text (e.g. "<|im_start|>") are not parsed: they are encoded as the plain
 * text they are. No BOS/EOS is added. Invalid UTF-8 in the text is refused (MP_EINPUT).
 * Decoding maps each token's code points back to bytes (control and user-defined tokens give their
 * text as is); decode(encode(s)) == s for every valid UTF-8 s whose bytes all have tokens.
 * A byte whose one-symbol token the vocabulary lacks makes tok_encode refuse the text (MP_EINPUT,
 * naming the byte offset): SmolLM2's lacks 0x04 0x06 0x13 0x14 0x16 0x1D and 15 bytes that
 * UTF-8 never or hardly uses.
 * A Tokenizer is read-only once built: tok_encode/tok_decode may run in several threads at once.
 */
#ifndef MP_TRACES_TOKENIZER_H
#define MP_TRACES_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "traces/gguf.h"

typedef struct Tokenizer Tokenizer;

/* Build the tokenizer of an open GGUF file (which may be closed afterwards). MP_EINPUT with
 * "FILE: key 'K': problem" for missing or malformed metadata (a merge naming no token, a
 * duplicate token, a byte with no token of its own, an unknown pre-tokenizer). */
int tok_from_gguf(const GgufFile *f, Tokenizer **out, MpErr *e) MP_MUST_CHECK;
void tok_free(Tokenizer *t);  /* NULL is fine */

size_t tok_vocab_size(const Tokenizer *t);
const char *tok_piece(const Tokenizer *t, int32_t id);  /* the vocabulary string; NULL if out of range */
int32_t tok_bos(const Tokenizer *t);                     /* -1 if the file names none */
int32_t tok_eos(const Tokenizer *t);                     /* -1 if the file names none */
const char *tok_pre_name(const Tokenizer *t);            /* "smollm", "gpt2", ... */

/* Encode len bytes of UTF-8 text into a new mp_malloc'ed array *ids of *n ids (*ids may be NULL
 * when *n is 0). */
int tok_encode(const Tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n,
               MpErr *e) MP_MUST_CHECK;
/* Decode n ids into a new mp_malloc'ed NUL-terminated buffer *text of *len bytes. MP_EINPUT for
 * an id out of range. */
int tok_decode(const Tokenizer *t, const int32_t *ids, size_t n, char **text, size_t *len,
               MpErr *e) MP_MUST_CHECK;

#endif
