/* base/inischema.h — INI files validated by one schema table (after Redis's static_configs[]).
 *
 * A schema is an array of IniKey rows, one per [section] key: type, place in the
 * target struct, bounds, default, unit and doc string. ini_schema_load() reads a
 * file with libinih and rejects, with "FILE:LINE: message" and MP_EINPUT:
 * unknown sections/keys, duplicate keys, values of the wrong type or out of bounds,
 * over-long lines, syntax errors, and (after the whole file) missing required keys.
 * Line numbers come from our own line-counting reader, so they are exact.
 */
#ifndef MP_BASE_INISCHEMA_H
#define MP_BASE_INISCHEMA_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

typedef enum { INI_INT, INI_F64, INI_BOOL, INI_ENUM, INI_STR } IniType;

typedef struct IniKey {
    const char *section;
    const char *key;
    IniType type;
    size_t offset;              /* offsetof(target struct, field); int for INT/BOOL/ENUM, double, char[str_cap] */
    double min, max;            /* inclusive bounds for INT and F64                                          */
    const char *def;            /* default value as text; NULL = required                                    */
    const char *const *names;   /* ENUM: NULL-terminated names; the field stores the index                   */
    size_t str_cap;             /* STR: capacity of the char array                                           */
    const char *unit;           /* shown by show; "" if none                                                 */
    const char *doc;
} IniKey;

#define INI_SCHEMA_MAX 128

typedef struct IniLoad {
    int line[INI_SCHEMA_MAX];  /* line each key was set on, 0 = default */
    int nlines;                /* lines in the file                      */
} IniLoad;

/* Fill every field from its default. Returns MP_EINTERNAL if a default itself is invalid. */
int ini_schema_defaults(const IniKey *rows, int nrows, void *target, MpErr *e) MP_MUST_CHECK;
/* Defaults, then the file. `where` (may be NULL) receives the line of every key set. */
int ini_schema_load(const char *path, const IniKey *rows, int nrows, void *target, IniLoad *where,
                    MpErr *e) MP_MUST_CHECK;
/* Same on an in-memory string; `name` is used in messages in place of a file name. */
int ini_schema_load_string(const char *name, const char *text, const IniKey *rows, int nrows, void *target,
                           IniLoad *where, MpErr *e) MP_MUST_CHECK;
/* Print the resolved values as a valid INI file with each key's unit and doc as comments. */
void ini_schema_print(FILE *f, const IniKey *rows, int nrows, const void *target, const IniLoad *where);
/* Format one field's value as text. */
void ini_schema_format(const IniKey *row, const void *target, char *buf, size_t cap);
/* Parse text into one field with the row's type and bounds; on error, msg explains. 0 ok, -1 bad. */
int ini_schema_set(const IniKey *row, void *target, const char *value, char *msg, size_t msgcap);

#endif
