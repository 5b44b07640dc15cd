/*
 * imap_diag.c - why connecting to the IMAP server failed.
 *
 * libetpan reports every socket-level failure (no such host, refused,
 * unreachable, timed out) as one code, MAILIMAP_ERROR_CONNECTION_REFUSED,
 * and a server that never greets as a stream error, without keeping errno.
 * An administrator needs to know which it was, so after a failed connect
 * we look ourselves: how long libetpan waited, the host name in the
 * resolver, and one TCP connect of our own to each of its addresses.
 * This costs a connect only when the real one failed.
 */
#include "imap_private.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Our own probe waits at most this long (and never longer than the
 * configured timeout): it only tells the kinds of failure apart. */
#define IMAP_DIAG_PROBE_SECS 5
/* libetpan's wait counts as the timeout when it came this close to it. */
#define IMAP_DIAG_SLACK_USECS 200000

const char *
imap_fault_name(enum imap_fault f)
{
	switch (f) {
	case IMAP_FAULT_UNKNOWN_HOST: return "unknown host";
	case IMAP_FAULT_REFUSED: return "connection refused";
	case IMAP_FAULT_UNREACHABLE: return "network or host unreachable";
	case IMAP_FAULT_TIMEOUT: return "timed out";
	case IMAP_FAULT_TLS: return "TLS handshake failed";
	case IMAP_FAULT_CLOSED: break;
	}
	return "connected, but no IMAP greeting (connection closed)";
}

/* The fault of one failed connect() by its errno. */
static enum imap_fault
imap_fault_of_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return IMAP_FAULT_REFUSED;
	case ETIMEDOUT:
		return IMAP_FAULT_TIMEOUT;
	default:
		/* ENETUNREACH, EHOSTUNREACH, ENETDOWN, EADDRNOTAVAIL, ... */
		return IMAP_FAULT_UNREACHABLE;
	}
}

/* One non-blocking connect to ai, waited for up to wait_ms: 0 when it
 * connected, else the fault. */
static int
imap_probe(const struct addrinfo *ai, int wait_ms, enum imap_fault *fault_r)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, e = 0, n;

	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0) {
		*fault_r = IMAP_FAULT_UNREACHABLE;
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		e = errno;
		if (e == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			do
				n = poll(&p, 1, wait_ms);
			while (n < 0 && errno == EINTR);
			if (n == 0)
				e = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
					    &len) != 0)
				e = errno;
		}
	}
	close(fd);
	if (e == 0)
		return 0;
	*fault_r = imap_fault_of_errno(e);
	return -1;
}

enum imap_fault
imap_diagnose(const char *host, int port, int tls_first, int r,
	      int64_t waited_usecs, int timeout_secs, char *detail,
	      size_t size)
{
	struct addrinfo hints, *res = NULL;
	enum imap_fault fault = IMAP_FAULT_UNREACHABLE;
	char service[16];
	int rc, wait_ms;

	detail[0] = '\0';
	if (waited_usecs + IMAP_DIAG_SLACK_USECS >=
	    (int64_t)timeout_secs * 1000000) {
		snprintf(detail, size, "no answer within %d s ([imap] timeout)",
			 timeout_secs);
		return IMAP_FAULT_TIMEOUT;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		snprintf(detail, size, "%s", rc == EAI_SYSTEM ? strerror(errno)
							       : gai_strerror(rc));
		return IMAP_FAULT_UNKNOWN_HOST;
	}
	wait_ms = 1000 * (timeout_secs < IMAP_DIAG_PROBE_SECS
			  ? timeout_secs : IMAP_DIAG_PROBE_SECS);
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (imap_probe(ai, wait_ms, &fault) == 0) {
			/* TCP works: it was what came after the connect. */
			fault = r == MAILIMAP_ERROR_SSL ||
				(tls_first && r == MAILIMAP_ERROR_STREAM)
				? IMAP_FAULT_TLS : IMAP_FAULT_CLOSED;
			break;
		}
	}
	freeaddrinfo(res);
	return fault;
}

int
imap_connect_failed(struct imap *im, const struct imap_conf *conf, int r,
		    int64_t waited_usecs, int timeout_secs,
		    struct cm_error *err)
{
	char detail[128];
	enum imap_fault f;

	im->broken = 1;
	f = imap_diagnose(conf->host, conf->port, conf->tls == IMAP_TLS_IMAPS,
			  r, waited_usecs, timeout_secs, detail,
			  sizeof(detail));
	return cm_error_set(err, CM_ETEMP, "imap: %s: connect failed: %s%s%s",
			    im->where, imap_fault_name(f),
			    detail[0] != '\0' ? ": " : "", detail);
}
