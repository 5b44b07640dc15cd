/*
 * imap_idle.c - waiting in the selected mailbox for news: IDLE (RFC 2177)
 * in rounds, or sleeping and NOOP on servers without it.
 */
#include "casemail/imap.h"

#include <errno.h>
#include <signal.h>

#include <libetpan/libetpan.h>

#include "imap_private.h"

/* RFC 2177: re-issue IDLE before the server's 30 minute logout timer. */
#define IMAP_IDLE_MAX_SECS (29 * 60)
/* imap_idle() looks at *stop at least this often (the header's promise). */
#define IMAP_IDLE_SLICE_SECS 1

/* Did the last answers report new or vanished messages? */
static int
imap_saw_change(const struct imap *im)
{
	const struct mailimap_selection_info *sel =
		im->session->imap_selection_info;
	const struct mailimap_response_info *ri =
		im->session->imap_response_info;

	if (sel != NULL && (sel->sel_has_exists || sel->sel_has_recent))
		return 1;
	return ri != NULL && ri->rsp_expunged != NULL &&
	       clist_count(ri->rsp_expunged) > 0;
}

static int
imap_stopped(volatile sig_atomic_t *stop)
{
	return stop != NULL && *stop;
}

/*
 * Wait on the idling stream until the server sends something, the deadline
 * (monotonic microseconds) passes or *stop is set.
 */
static int
imap_idle_wait(struct imap *im, gint64 deadline,
	       volatile sig_atomic_t *stop, struct cm_error *err)
{
	mailstream *s = im->session->imap_stream;

	/*
	 * mailimap_idle() may have read more than the "+ idling" line.  Data
	 * held inside GnuTLS cannot be seen from here; it is not lost, only
	 * noticed at the DONE that ends this round.
	 */
	if (s->read_buffer_len > 0)
		return 0;
	while (!imap_stopped(stop) && g_get_monotonic_time() < deadline) {
		int w = mailstream_wait_idle(s, IMAP_IDLE_SLICE_SECS);
		int saved = errno;

		if (w == MAILSTREAM_IDLE_HASDATA)
			return 0;
		/* A signal (SIGTERM setting *stop) ends poll() early. */
		if (w == MAILSTREAM_IDLE_ERROR && saved != EINTR) {
			im->broken = 1;
			return cm_error_set(err, CM_ETEMP, "imap: %s: waiting in "
					    "IDLE failed: %s", im->where,
					    g_strerror(saved));
		}
	}
	return 0;
}

/* One IDLE ... DONE round. */
static int
imap_idle_round(struct imap *im, gint64 deadline,
		volatile sig_atomic_t *stop, struct cm_error *err)
{
	mailstream *s;
	int r, rc;

	r = mailimap_idle(im->session);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, "IDLE failed");
	s = im->session->imap_stream;
	if (mailstream_setup_idle(s) < 0) {
		im->broken = 1;
		return cm_error_set(err, CM_ETEMP, "imap: %s: cannot set up "
				    "the IDLE wait", im->where);
	}
	rc = imap_idle_wait(im, deadline, stop, err);
	mailstream_unsetup_idle(s);
	if (rc != 0)
		return rc;
	/* Everything the server sent while idling is parsed here. */
	r = mailimap_idle_done(im->session);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, "IDLE DONE failed");
	return 0;
}

/* Servers without IDLE: wait, then let NOOP collect the news. */
static int
imap_idle_poll(struct imap *im, gint64 deadline,
	       volatile sig_atomic_t *stop, int *changed_r,
	       struct cm_error *err)
{
	int rc;

	while (!imap_stopped(stop) && g_get_monotonic_time() < deadline)
		g_usleep(MIN(deadline - g_get_monotonic_time(),
			     (gint64)IMAP_IDLE_SLICE_SECS * G_USEC_PER_SEC));
	if (im->session->imap_selection_info != NULL) {
		im->session->imap_selection_info->sel_has_exists = 0;
		im->session->imap_selection_info->sel_has_recent = 0;
	}
	if ((rc = imap_noop(im, err)) != 0)
		return rc;
	*changed_r = imap_saw_change(im);
	return 0;
}

int
imap_idle(struct imap *im, int timeout_secs, volatile sig_atomic_t *stop,
	  int *changed_r, struct cm_error *err)
{
	gint64 deadline = g_get_monotonic_time() +
			  (gint64)MAX(timeout_secs, 0) * G_USEC_PER_SEC;
	int rc;

	*changed_r = 0;
	if (!im->has_idle)
		return imap_idle_poll(im, deadline, stop, changed_r, err);
	/*
	 * A round ends with news, at the deadline, on *stop, or when woken
	 * for no change ("* OK Still here", flag updates) or at the 29 minute
	 * mark: then idle again until the caller's deadline.
	 */
	while (!imap_stopped(stop) && g_get_monotonic_time() < deadline) {
		gint64 round_end = MIN(deadline, g_get_monotonic_time() +
				       (gint64)IMAP_IDLE_MAX_SECS * G_USEC_PER_SEC);

		if ((rc = imap_idle_round(im, round_end, stop, err)) != 0)
			return rc;
		if (imap_saw_change(im)) {
			*changed_r = 1;
			return 0;
		}
	}
	return 0;
}

int
imap_noop(struct imap *im, struct cm_error *err)
{
	int r = mailimap_noop(im->session);

	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, "NOOP failed");
	return 0;
}
