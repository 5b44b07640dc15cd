/*
 * imap.c - one IMAP session over libetpan; see casemail/imap.h.  This file:
 * errors, LOGOUT, LIST/CREATE, SELECT, UID SEARCH, UID FETCH and its batch,
 * MOVE; imap_private.h names the other imap_*.c files.
 */
#include "casemail/imap.h"

#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "casemail/log.h"
#include "imap_private.h"

/* Server text quoted in an error message; the record holds 512 bytes. */
#define IMAP_SERVER_TEXT_MAX 200

static const char *
imap_strerror(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		return "connection lost or timed out";
	case MAILIMAP_ERROR_PARSE:
		return "unparsable server response";
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		return "refused, unreachable, timed out or unknown host";
	case MAILIMAP_ERROR_MEMORY:
		return "out of memory";
	case MAILIMAP_ERROR_FATAL:
		return "server closed the session (BYE)";
	case MAILIMAP_ERROR_PROTOCOL:
		return "server rejected the command (BAD)";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		return "server does not accept connections";
	case MAILIMAP_ERROR_BAD_STATE:
		return "command not allowed in this session state";
	case MAILIMAP_ERROR_SSL:
		return "TLS handshake failed";
	case MAILIMAP_ERROR_STARTTLS:
		return "STARTTLS refused";
	case MAILIMAP_ERROR_INVAL:
		return "invalid argument";
	default:
		/* The per-command codes: the tagged answer was NO. */
		return "refused (NO)";
	}
}

/*
 * After these the stream is gone or out of step with the server, and so is
 * anything libetpan kept of the last answer.
 */
static int
imap_is_stream_error(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	       r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	       r == MAILIMAP_ERROR_MEMORY || r == MAILIMAP_ERROR_SSL ||
	       r == MAILIMAP_ERROR_FATAL;
}

/*
 * The text of the server's last tagged answer, made safe for one log line.
 * Empty when that answer does not belong to the failed command: libetpan
 * keeps the previous text when the stream fails before a response is read.
 */
static void
imap_server_text(const struct imap *im, int r, char *buf, size_t size)
{
	const char *text = im->session->imap_response;
	size_t i;

	buf[0] = '\0';
	if (text == NULL || text[0] == '\0' ||
	    (imap_is_stream_error(r) && r != MAILIMAP_ERROR_FATAL))
		return;
	for (i = 0; text[i] != '\0' && i + 1 < size; i++)
		buf[i] = (unsigned char)text[i] < 0x20 ||
			 text[i] == 0x7f ? '?' : text[i];
	buf[i] = '\0';
}

/* Record "imap: HOST:PORT: what: libetpan's reason: server's text". */
int
imap_fail(struct imap *im, int code, int r, struct cm_error *err,
	  const char *what)
{
	char text[IMAP_SERVER_TEXT_MAX];

	if (imap_is_stream_error(r))
		im->broken = 1;
	imap_server_text(im, r, text, sizeof(text));
	return cm_error_set(err, code, "imap: %s: %s: %s%s%s", im->where, what,
			    imap_strerror(r), text[0] != '\0' ? ": " : "", text);
}

/* The response code (RFC 5530) of the last tagged answer, or "". */
const char *
imap_resp_code(const struct imap *im)
{
	const struct mailimap_response_info *ri =
		im->session->imap_response_info;

	return ri != NULL && ri->rsp_atom != NULL ? ri->rsp_atom : "";
}

void
imap_close(struct imap **imp)
{
	struct imap *im = imp != NULL ? *imp : NULL;

	if (im == NULL)
		return;
	if (im->session != NULL) {
		/*
		 * mailimap_free() sends LOGOUT on an open stream; a broken or
		 * untrusted one is closed without a word instead.
		 */
		if (im->broken && im->session->imap_stream != NULL) {
			mailstream_close(im->session->imap_stream);
			im->session->imap_stream = NULL;
		}
		mailimap_free(im->session);
	}
	g_free(im->host);
	g_free(im->where);
	g_free(im);
	*imp = NULL;
}

int
imap_has_idle(const struct imap *im)
{
	return im->has_idle;
}

static int
imap_list_has(clist *list, const char *mailbox)
{
	for (clistiter *it = list != NULL ? clist_begin(list) : NULL;
	     it != NULL; it = clist_next(it)) {
		const struct mailimap_mailbox_list *mb = clist_content(it);

		/* LIST treats % and * as wildcards: compare the names. */
		if (mb->mb_name != NULL && strcmp(mb->mb_name, mailbox) == 0)
			return 1;
	}
	return 0;
}

int
imap_ensure_mailbox(struct imap *im, const char *mailbox,
		    struct cm_error *err)
{
	char what[160];
	clist *list = NULL;
	int r, found;

	r = mailimap_list(im->session, "", mailbox, &list);
	found = imap_list_has(list, mailbox);
	if (list != NULL)
		mailimap_list_result_free(list);
	snprintf(what, sizeof(what), "LIST %s failed", mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, what);
	if (found || g_ascii_strcasecmp(mailbox, "INBOX") == 0)
		return 0;
	r = mailimap_create(im->session, mailbox);
	/* Another client may have created it since our LIST. */
	if (r != MAILIMAP_NO_ERROR &&
	    !(r == MAILIMAP_ERROR_CREATE &&
	      g_ascii_strcasecmp(imap_resp_code(im), "ALREADYEXISTS") == 0)) {
		snprintf(what, sizeof(what), "CREATE %s failed", mailbox);
		return imap_fail(im, CM_ETEMP, r, err, what);
	}
	log_info("imap: %s: created mailbox %s", im->where, mailbox);
	/* Best effort, so that mail clients show it; only a dead link counts. */
	r = mailimap_subscribe(im->session, mailbox);
	if (r != MAILIMAP_NO_ERROR && imap_is_stream_error(r)) {
		snprintf(what, sizeof(what), "SUBSCRIBE %s failed", mailbox);
		return imap_fail(im, CM_ETEMP, r, err, what);
	}
	return 0;
}

int
imap_select(struct imap *im, const char *mailbox, uint32_t *uidvalidity_r,
	    uint32_t *uidnext_r, struct cm_error *err)
{
	const struct mailimap_selection_info *sel;
	char what[160];
	int r;

	*uidvalidity_r = 0;
	*uidnext_r = 0;
	snprintf(what, sizeof(what), "SELECT %s failed", mailbox);
	r = mailimap_select(im->session, mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, what);
	sel = im->session->imap_selection_info;
	/* Without UIDVALIDITY, remembered UIDs would mean nothing. */
	if (sel == NULL || sel->sel_uidvalidity == 0)
		return cm_error_set(err, CM_ETEMP, "imap: %s: SELECT %s: server "
				    "sent no UIDVALIDITY", im->where, mailbox);
	if (sel->sel_perm == MAILIMAP_MAILBOX_READONLY)
		return cm_error_set(err, CM_ECONFIG, "imap: %s: SELECT %s: "
				    "mailbox is read-only", im->where, mailbox);
	*uidvalidity_r = sel->sel_uidvalidity;
	/* Optional in RFC 3501; 0 tells the caller the server did not say. */
	*uidnext_r = sel->sel_uidnext;
	return 0;
}

int
imap_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A UID set in ascending ranges ("1:3,7"); NULL when no UID is valid. */
static struct mailimap_set *
imap_set_new(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = NULL;
	uint32_t *sorted;
	size_t i = 0;

	sorted = g_new(uint32_t, n);
	memcpy(sorted, uids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), imap_uid_cmp);
	/* UID 0 does not exist, and libetpan would send it as "*". */
	while (i < n && sorted[i] == 0)
		i++;
	if (i < n)
		set = mailimap_set_new_empty();
	while (set != NULL && i < n) {
		uint32_t first = sorted[i], last = sorted[i];

		while (++i < n && (sorted[i] == last || sorted[i] == last + 1))
			last = sorted[i];
		if (mailimap_set_add_interval(set, first, last) !=
		    MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			set = NULL;
		}
	}
	g_free(sorted);
	return set;
}

static struct mailimap_search_key *
imap_key_undeleted(void)
{
	return mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNDELETED, NULL,
				       NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				       NULL, NULL, NULL, NULL, NULL, NULL, 0,
				       NULL, NULL, NULL, NULL, NULL, NULL, 0,
				       NULL, NULL, NULL);
}

/* Add sub (may be NULL) to the multiple key; 0, or -1 with sub freed. */
static int
imap_key_add(struct mailimap_search_key *key, struct mailimap_search_key *sub)
{
	if (sub != NULL &&
	    mailimap_search_key_multiple_add(key, sub) == MAILIMAP_NO_ERROR)
		return 0;
	if (sub != NULL)
		mailimap_search_key_free(sub);
	return -1;
}

/* UID SEARCH UID after+1:* UNDELETED */
static struct mailimap_search_key *
imap_key_after(uint32_t after)
{
	struct mailimap_search_key *key, *sub;
	struct mailimap_set *set;

	key = mailimap_search_key_new_multiple_empty();
	if (key == NULL)
		return NULL;
	set = mailimap_set_new_interval(after + 1, 0); /* 0 is "*" */
	sub = set != NULL ? mailimap_search_key_new_uid(set) : NULL;
	if (sub == NULL && set != NULL)
		mailimap_set_free(set);
	if (imap_key_add(key, sub) != 0 ||
	    imap_key_add(key, imap_key_undeleted()) != 0) {
		mailimap_search_key_free(key);
		return NULL;
	}
	return key;
}

int
imap_uids_after(struct imap *im, uint32_t after, GArray **uids_r,
		struct cm_error *err)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	GArray *uids;
	int r;

	*uids_r = NULL;
	uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (after == UINT32_MAX) {
		*uids_r = uids;
		return 0;
	}
	key = imap_key_after(after);
	if (key == NULL) {
		g_array_unref(uids);
		return cm_error_set(err, CM_EINTERNAL, "imap: out of memory");
	}
	r = mailimap_uid_search(im->session, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		/* On NO libetpan still hands over (and leaves to us) a list. */
		if (result != NULL)
			mailimap_search_result_free(result);
		g_array_unref(uids);
		return imap_fail(im, CM_ETEMP, r, err, "UID SEARCH failed");
	}
	if (result == NULL) { /* no "* SEARCH" line at all */
		*uids_r = uids;
		return 0;
	}
	/*
	 * "n:*" always matches the highest UID, even when it is below n
	 * (RFC 3501 6.4.8): keep only what really is past "after".
	 */
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		guint32 uid = *(const uint32_t *)clist_content(it);

		if (uid > after)
			g_array_append_val(uids, uid);
	}
	mailimap_search_result_free(result);
	g_array_sort(uids, imap_uid_cmp);
	*uids_r = uids;
	return 0;
}

/* UID and either BODY.PEEK[] (the whole message, without setting \Seen)
 * or RFC822.SIZE. */
static struct mailimap_fetch_type *
imap_fetch_type_new(int body, uint32_t head_bytes)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_fetch_att *att;
	struct mailimap_section *section;

	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (ft == NULL)
		return NULL;
	att = mailimap_fetch_att_new_uid();
	if (att == NULL || mailimap_fetch_type_new_fetch_att_list_add(ft, att) !=
	    MAILIMAP_NO_ERROR)
		goto fail;
	if (body) {
		section = mailimap_section_new(NULL);
		att = section == NULL ? NULL : head_bytes > 0
			? mailimap_fetch_att_new_body_peek_section_partial(
				  section, 0, head_bytes)
			: mailimap_fetch_att_new_body_peek_section(section);
		if (att == NULL && section != NULL)
			mailimap_section_free(section);
	} else {
		att = mailimap_fetch_att_new_rfc822_size();
	}
	if (att == NULL || mailimap_fetch_type_new_fetch_att_list_add(ft, att) !=
	    MAILIMAP_NO_ERROR)
		goto fail;
	return ft;
fail:
	if (att != NULL)
		mailimap_fetch_att_free(att);
	mailimap_fetch_type_free(ft);
	return NULL;
}

/*
 * UID FETCH of imap_fetch_type_new(body, head_bytes) for these UIDs: *result_r is the
 * answer (mailimap_fetch_list_free()), NULL when there was nothing to ask
 * or nothing came.
 */
int
imap_uid_fetch(struct imap *im, const uint32_t *uids, size_t n, int body,
	       uint32_t head_bytes, clist **result_r, struct cm_error *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	int r;

	*result_r = NULL;
	if (n == 0 || (set = imap_set_new(uids, n)) == NULL)
		return 0;
	if ((ft = imap_fetch_type_new(body, head_bytes)) == NULL) {
		mailimap_set_free(set);
		return cm_error_set(err, CM_EINTERNAL, "imap: out of memory");
	}
	r = mailimap_uid_fetch(im->session, set, ft, result_r);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	/* On failure libetpan has freed the list already (without NULLing). */
	*result_r = NULL;
	return imap_fail(im, CM_ETEMP, r, err, body ? "UID FETCH failed"
					     : "UID FETCH RFC822.SIZE failed");
}

size_t
imap_batch_count(const struct imap_batch *b)
{
	return b != NULL ? b->msgs->len : 0;
}

void
imap_batch_get(const struct imap_batch *b, size_t i, uint32_t *uid_r,
	       const char **data_r, size_t *len_r)
{
	const struct imap_fetched *f =
		&g_array_index(b->msgs, struct imap_fetched, i);

	*uid_r = f->uid;
	*data_r = f->data;
	*len_r = f->len;
}

void
imap_batch_free(struct imap_batch **bp)
{
	struct imap_batch *b = bp != NULL ? g_steal_pointer(bp) : NULL;

	if (b == NULL)
		return;
	g_array_unref(b->msgs);
	if (b->result != NULL)
		mailimap_fetch_list_free(b->result);
	g_free(b);
}

/* Without MOVE: COPY, flag \Deleted, then expunge. */
static int
imap_copy_delete(struct imap *im, struct mailimap_set *set,
		 const char *mailbox, struct cm_error *err)
{
	struct mailimap_store_att_flags *store = NULL;
	struct mailimap_flag_list *flags;
	struct mailimap_flag *deleted = NULL;
	char what[160];
	int r;

	snprintf(what, sizeof(what), "UID COPY to %s failed", mailbox);
	if ((r = mailimap_uid_copy(im->session, set, mailbox)) != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, what);
	flags = mailimap_flag_list_new_empty();
	if (flags != NULL && (deleted = mailimap_flag_new_deleted()) != NULL &&
	    mailimap_flag_list_add(flags, deleted) == MAILIMAP_NO_ERROR) {
		deleted = NULL;
		store = mailimap_store_att_flags_new_add_flags_silent(flags);
	}
	if (store == NULL) {
		if (deleted != NULL)
			mailimap_flag_free(deleted);
		if (flags != NULL)
			mailimap_flag_list_free(flags);
		return cm_error_set(err, CM_EINTERNAL, "imap: out of memory");
	}
	r = mailimap_uid_store(im->session, set, store);
	mailimap_store_att_flags_free(store);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, "UID STORE \\Deleted failed");
	/*
	 * Plain EXPUNGE also removes messages someone else flagged \Deleted
	 * in this mailbox; UID EXPUNGE (RFC 4315) touches only ours.
	 */
	if (im->has_uidplus)
		r = mailimap_uid_expunge(im->session, set);
	else
		r = mailimap_expunge(im->session);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, CM_ETEMP, r, err, im->has_uidplus ?
				 "UID EXPUNGE failed" : "EXPUNGE failed");
	return 0;
}

int
imap_move(struct imap *im, const uint32_t *uids, size_t n,
	  const char *mailbox, struct cm_error *err)
{
	struct mailimap_set *set;
	char what[160];
	int r, rc = 0;

	if (n == 0 || (set = imap_set_new(uids, n)) == NULL)
		return 0;
	if (im->has_move) {
		r = mailimap_uid_move(im->session, set, mailbox);
		if (r != MAILIMAP_NO_ERROR) {
			snprintf(what, sizeof(what), "UID MOVE to %s failed",
				 mailbox);
			rc = imap_fail(im, CM_ETEMP, r, err, what);
		}
	} else {
		rc = imap_copy_delete(im, set, mailbox, err);
	}
	mailimap_set_free(set);
	return rc;
}
