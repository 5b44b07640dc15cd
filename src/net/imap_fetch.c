/*
 * imap_fetch.c - reading UID FETCH answers: message sizes, and batches of
 * whole messages kept in libetpan's answer.
 */
#include "casemail/imap.h"

#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "imap_private.h"

/* What one FETCH answer says of the attributes we ask for. */
struct imap_att {
	uint32_t uid;           /* 0 if absent */
	int have_size;
	uint32_t size;          /* RFC822.SIZE */
	const char *data;       /* BODY[]; NULL if absent or NIL */
	size_t len;
};

static void
imap_att_read(const struct mailimap_msg_att *msg, struct imap_att *a)
{
	memset(a, 0, sizeof(*a));
	for (clistiter *it = clist_begin(msg->att_list); it != NULL;
	     it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);
		const struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    item->att_data.att_static == NULL)
			continue;
		st = item->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_UID) {
			a->uid = st->att_data.att_uid;
		} else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) {
			a->size = st->att_data.att_rfc822_size;
			a->have_size = 1;
		} else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
			   st->att_data.att_body_section != NULL &&
			   st->att_data.att_body_section->sec_body_part != NULL) {
			/* NIL (a message expunged meanwhile) counts as absent. */
			a->data = st->att_data.att_body_section->sec_body_part;
			a->len = st->att_data.att_body_section->sec_length;
		}
	}
}

/* UID and body of one FETCH answer; 0 when it lacks either. */
static int
imap_fetched_get(const struct mailimap_msg_att *msg, struct imap_fetched *f)
{
	struct imap_att a;

	imap_att_read(msg, &a);
	f->uid = a.uid;
	f->data = a.data;
	f->len = a.len;
	return a.uid != 0 && a.data != NULL;
}

static int
imap_fetched_cmp(const void *a, const void *b)
{
	return imap_uid_cmp(&((const struct imap_fetched *)a)->uid,
			    &((const struct imap_fetched *)b)->uid);
}

/*
 * The messages of a FETCH answer that were asked for, ascending, each once.
 * Unsolicited FETCH answers (flag changes by others) have no body and drop
 * out here.
 */
static GArray *
imap_fetched_collect(clist *result, const uint32_t *uids, size_t n)
{
	GArray *msgs = g_array_new(FALSE, FALSE, sizeof(struct imap_fetched));
	uint32_t *wanted = g_new(uint32_t, n);
	guint keep = 0;

	memcpy(wanted, uids, n * sizeof(*wanted));
	qsort(wanted, n, sizeof(*wanted), imap_uid_cmp);
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct imap_fetched f = { 0, NULL, 0 };

		if (imap_fetched_get(clist_content(it), &f) &&
		    bsearch(&f.uid, wanted, n, sizeof(*wanted), imap_uid_cmp))
			g_array_append_val(msgs, f);
	}
	g_array_sort(msgs, imap_fetched_cmp);
	for (guint i = 0; i < msgs->len; i++)
		if (keep == 0 || g_array_index(msgs, struct imap_fetched, i).uid !=
		    g_array_index(msgs, struct imap_fetched, keep - 1).uid)
			g_array_index(msgs, struct imap_fetched, keep++) =
				g_array_index(msgs, struct imap_fetched, i);
	g_array_set_size(msgs, keep);
	g_free(wanted);
	return msgs;
}

int
imap_sizes(struct imap *im, const uint32_t *uids, size_t n, uint32_t *sizes,
	   struct cm_error *err)
{
	clist *result;
	int rc;

	memset(sizes, 0, n * sizeof(*sizes));
	if ((rc = imap_uid_fetch(im, uids, n, 0, 0, &result, err)) != 0 ||
	    result == NULL)
		return rc;
	for (clistiter *it = clist_begin(result); it != NULL;
	     it = clist_next(it)) {
		const uint32_t *at;
		struct imap_att a;

		imap_att_read(clist_content(it), &a);
		if (a.uid == 0 || !a.have_size)
			continue;
		at = bsearch(&a.uid, uids, n, sizeof(*uids), imap_uid_cmp);
		if (at != NULL)
			sizes[at - uids] = a.size;
	}
	mailimap_fetch_list_free(result);
	return 0;
}

int
imap_fetch_heads(struct imap *im, const uint32_t *uids, size_t n,
		 uint32_t head_bytes, struct imap_batch **batch_r,
		 struct cm_error *err)
{
	struct imap_batch *b;
	clist *result;
	int rc;

	*batch_r = NULL;
	if ((rc = imap_uid_fetch(im, uids, n, 1, head_bytes, &result,
				 err)) != 0)
		return rc;
	b = g_new0(struct imap_batch, 1);
	b->result = result;
	b->msgs = result != NULL
			  ? imap_fetched_collect(result, uids, n)
			  : g_array_new(FALSE, FALSE, sizeof(struct imap_fetched));
	*batch_r = b;
	return 0;
}

int
imap_fetch_batch(struct imap *im, const uint32_t *uids, size_t n,
		 struct imap_batch **batch_r, struct cm_error *err)
{
	return imap_fetch_heads(im, uids, n, 0, batch_r, err);
}

int
imap_fetch(struct imap *im, const uint32_t *uids, size_t n,
	   imap_message_cb cb, void *ctx, struct cm_error *err)
{
	struct imap_batch *b = NULL;
	int rc = imap_fetch_batch(im, uids, n, &b, err);

	for (size_t i = 0; rc == 0 && i < imap_batch_count(b); i++) {
		const char *data;
		size_t len;
		uint32_t uid;

		imap_batch_get(b, i, &uid, &data, &len);
		rc = cb(uid, data, len, ctx);
	}
	imap_batch_free(&b);
	return rc;
}
