/* base/jsonout.c — see jsonout.h. */
#include "base/jsonout.h"

#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"

int json_write(const char *path, const cJSON *root, MpErr *e)
{
    if (!root)
        return mp_errf(e, MP_ENOMEM, "%s: out of memory building JSON", path);
    char *text = cJSON_Print(root);
    if (!text)
        return mp_errf(e, MP_ENOMEM, "%s: out of memory printing JSON", path);
    size_t n = strlen(text);
    text[n] = '\n'; /* cJSON's buffer holds n+1 bytes: swap the NUL for a newline */
    int rc = mp_write_file(path, text, n + 1, e);
    free(text);
    return rc;
}
