/* traces/unicode_tab.h — code point ranges of the general categories L (\p{L}) and N (\p{N}) for
 * the tokenizer's pre-tokenizer: generated into traces/unicode_tab.c by
 * scripts/gen-unicode-tables.py. Each table is sorted, its ranges disjoint and inclusive. */
#ifndef MP_TRACES_UNICODE_TAB_H
#define MP_TRACES_UNICODE_TAB_H

#include <stddef.h>
#include <stdint.h>

extern const uint32_t uni_letter[][2];
extern const size_t uni_letter_count;
extern const uint32_t uni_number[][2];
extern const size_t uni_number_count;

#endif
