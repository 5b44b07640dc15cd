/*
 * random.h - unpredictable bytes from the kernel (getrandom(2)) for
 * everything a stranger must not guess: signing keys, the nonces of our
 * Message-IDs, tokens.  GLib's g_random_*() is a Mersenne Twister whose
 * state can be rebuilt from its output, so nothing in src/ uses it.
 */
#ifndef CASEMAIL_RANDOM_H
#define CASEMAIL_RANDOM_H

#include <stddef.h>

/*
 * Fill buf with n random bytes.  Blocks only until the kernel's generator
 * is seeded (early boot).  If the kernel cannot give randomness at all
 * (no getrandom(2)), the process aborts with a log line: signing with
 * predictable values would be worse than stopping.
 */
void random_bytes(void *buf, size_t n);

/*
 * nbytes random bytes as 2 * nbytes lower-case hex digits and a NUL in
 * out (which holds 2 * nbytes + 1 characters).
 */
void random_hex(char *out, size_t nbytes);

#endif
