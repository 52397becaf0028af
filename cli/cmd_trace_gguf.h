/* cli/cmd_trace_gguf.h — the GGUF half of `mpsim trace info` (cli/cmd_trace_data.c dispatches to it
 * when the file starts with the magic "GGUF"). */
#ifndef MP_CLI_CMD_TRACE_GGUF_H
#define MP_CLI_CMD_TRACE_GGUF_H

/* 1 when the regular file at path starts with "GGUF"; 0 otherwise (including unreadable files,
 * which the safetensors path then reports). Never blocks on a FIFO. */
int trace_is_gguf(const char *path);
/* Validate a GGUF file and describe it (stdout; JSON to json_path when not NULL). Returns the exit
 * status: 0, or 2 with "FILE: place: problem" on stderr for a bad file. */
int trace_info_gguf(const char *path, const char *json_path);

#endif
