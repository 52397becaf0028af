/* models/pekind.c — see pekind.h. */
#include "models/pekind.h"

#include <string.h>

const char *const pe_kind_names[PE_KIND_COUNT + 1] = {
    [PE_FP16] = "fp16",
    [PE_INT8] = "int8",
    [PE_W4A16_DQ] = "w4a16-dq",
    [PE_MIXPE_W4A8] = "mixpe-w4a8",
    [PE_MIXPE_W4A8_BS] = "mixpe-w4a8-bs",
    [PE_MIXPE_W4A16] = "mixpe-w4a16",
    [PE_BITMOD] = "bitmod",
    [PE_OLIVE] = "olive",
    [PE_ANT] = "ant",
    [PE_KIND_COUNT] = NULL,
};

int pe_kind_from_name(const char *name, PeKindId *id)
{
    for (int i = 0; i < PE_KIND_COUNT; i++)
        if (strcmp(pe_kind_names[i], name) == 0) {
            *id = (PeKindId)i;
            return 0;
        }
    return -1;
}
