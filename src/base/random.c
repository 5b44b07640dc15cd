/* random.c - bytes from getrandom(2) (see random.h). */
#include "casemail/random.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "casemail/log.h"

void
random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		/* Up to 256 bytes come in one call once the pool is seeded;
		 * larger requests may be cut short by a signal: loop. */
		ssize_t got = getrandom(p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			log_err("getrandom: no randomness from the kernel");
			abort();
		}
		p += got;
		n -= (size_t)got;
	}
}

void
random_hex(char *out, size_t nbytes)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[64];

	for (size_t done = 0; done < nbytes; done += sizeof(b)) {
		size_t n = nbytes - done < sizeof(b) ? nbytes - done : sizeof(b);

		random_bytes(b, n);
		for (size_t i = 0; i < n; i++) {
			out[2 * (done + i)] = digits[b[i] >> 4];
			out[2 * (done + i) + 1] = digits[b[i] & 15];
		}
	}
	out[2 * nbytes] = '\0';
}
