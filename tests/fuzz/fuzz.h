/*
 * fuzz.h - the libFuzzer entry points each target defines.  Built with
 * -fsanitize=fuzzer, libFuzzer's main() calls them; built without it,
 * replay.c's main() does, once per file.
 */
#ifndef CASEMAIL_FUZZ_H
#define CASEMAIL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Once, before the first input; argc/argv may be rewritten (unused). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* One input; the bytes are borrowed and not NUL-terminated.  Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
