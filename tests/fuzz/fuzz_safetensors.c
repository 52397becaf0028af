/* tests/fuzz/fuzz_safetensors.c — the strict safetensors reader (traces/safetensors.c).
 *
 * The input is written to a temporary .safetensors file and opened with st_open; for an accepted
 * file every accessor is called on every tensor and metadata entry, and every float tensor of at
 * most 1 Mi elements is read with st_read_f32_alloc (the conversions of F32, F16, BF16). */
#include "tests/fuzz/fuzzutil.h"

#include "traces/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    const char *path = fuzz_tmp_path("st", ".safetensors");
    if (fuzz_tmp_write(path, data, size))
        return 0;
    StFile *f = NULL;
    MpErr e = {0};
    if (st_open(path, &f, &e) == MP_OK) {
        volatile uint64_t sink = st_data_bytes(f);
        for (size_t i = 0; i < st_count(f); i++) {
            const char *name = st_name(f, i);
            sink += (uint64_t)st_find(f, name);
            StDtype d = st_dtype(f, i);
            sink += st_dtype_bits(d) + st_dtype_size(d) + strlen(st_dtype_name(d));
            int rank = st_rank(f, i);
            const uint64_t *shape = st_shape(f, i);
            for (int r = 0; r < rank; r++)
                sink += shape[r];
            uint64_t b, en;
            st_offsets(f, i, &b, &en);
            sink += b + en;
            if (st_dtype_is_float(d) && st_numel(f, i) <= (1u << 20)) {
                float *v = NULL;
                MpErr e2 = {0};
                if (st_read_f32_alloc(f, i, &v, &e2) == MP_OK)
                    mp_free(v);
            }
        }
        for (size_t i = 0; i < st_meta_count(f); i++) {
            sink += strlen(st_meta_key(f, i)) + strlen(st_meta_value(f, i));
            sink += st_meta_get(f, st_meta_key(f, i)) != NULL;
        }
        (void)sink;
        st_close(f);
    }
    unlink(path);
    return 0;
}
