/*
 * test_relay.c - the desk cannot be made a relay: acknowledgements go
 * through their token buckets and quote little of a stranger, a
 * notification over a limit waits instead of being dropped, and
 * notifications reference attachments instead of copying them.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "casemail/attach.h"
#include "casemail/compose.h"
#include "casemail/ingest.h"
#include "casemail/outbox.h"
#include "casemail/outbound.h"
#include "casemail/store.h"
#include "casemail/template.h"

#include "ingestutil.h"

struct fixture_relay {
	struct fixture fx;     /* first: feed() and friends take it */
	GPtrArray *templates;
};

static int
setup_relay(void **state, const char *conf)
{
	struct fixture_relay *fr;
	struct cm_error err = { 0 };
	const char *dir = getenv("TEMPLATES_DIR");

	setup_conf(state, conf);
	fr = g_realloc(*state, sizeof(*fr));
	if (dir == NULL || template_load_dir(dir, &fr->templates, &err) != 0)
		fail_msg("templates: %s", dir != NULL ? err.msg : "no dir");
	outbound_init(&fr->fx.out, fr->fx.env.store, fr->fx.env.cfg,
		      fr->templates);
	fr->fx.ing.out = &fr->fx.out;
	*state = fr;
	return 0;
}

static int
setup(void **state)
{
	return setup_relay(state, "max_messages_per_hour = 100000\n");
}

static int
teardown_relay(void **state)
{
	struct fixture_relay *fr = *state;
	GPtrArray *t = fr->templates;
	int rc = teardown(state);

	g_ptr_array_unref(t);
	return rc;
}

/* The queued outbox mails (queued, not yet sent). */
static GPtrArray *
outbox(struct fixture *fx)
{
	GPtrArray *mails = NULL;

	assert_int_equal(store_outbox_list(fx->env.store, 0, &mails, NULL), 0);
	return mails;
}

static unsigned
count_kind(struct fixture *fx, const char *kind)
{
	GPtrArray *mails = outbox(fx);
	unsigned n = 0;

	for (guint i = 0; i < mails->len; i++)
		n += strcmp(((struct store_outbox *)mails->pdata[i])->kind,
			    kind) == 0;
	g_ptr_array_unref(mails);
	return n;
}

/* The events of case id named what. */
static unsigned
count_events(struct fixture *fx, int64_t id, const char *what)
{
	GPtrArray *ev = NULL;
	unsigned n = 0;

	assert_int_equal(store_events_get(fx->env.store, id, &ev, NULL), 0);
	for (guint i = 0; i < ev->len; i++)
		n += strcmp(((struct store_event *)ev->pdata[i])->what,
			    what) == 0;
	g_ptr_array_unref(ev);
	return n;
}

static enum ingest_outcome
feed_forged(struct fixture *fx, int i, const char *subject)
{
	char *raw = g_strdup_printf(
		"From: Buyer %d <buyer%d@spam.test>\n"
		"To: cases@desk.example\n"
		"Subject: %s %d\n"
		"Message-ID: <forged%d@spam.test>\n\n"
		"Cheap watches.\n", i, i, subject, i, i);
	enum ingest_outcome out = feed(fx, raw);

	g_free(raw);
	return out;
}

/* 300 new cases within a minute from 300 forged addresses of one domain:
 * every case is opened, at most 60 are acknowledged, and each skip is on
 * its case. */
static void
test_ack_flood(void **state)
{
	struct fixture *fx = *state;
	unsigned acks, skipped = 0;

	for (int i = 1; i <= 300; i++) {
		assert_int_equal(feed_forged(fx, i, "BUY NOW"), INGEST_STORED);
		if (i % 5 == 0)
			fx->now--;     /* 300 mails in 240 s */
	}
	acks = count_kind(fx, "ack");
	assert_true(acks > 0);
	assert_true(acks <= 60);
	for (int64_t id = 1; id <= 300; id++)
		skipped += count_events(fx, id, "not acknowledged");
	assert_int_equal(case_of(fx, "<forged300@spam.test>"), 300);
	assert_int_equal(acks + skipped, 300);
	/* The 61st and later: opened, not acknowledged, recorded. */
	assert_int_equal(count_events(fx, 61, "not acknowledged"), 1);
}

/* The acknowledgement quotes a short, cleaned subject. */
static void
test_ack_subject(void **state)
{
	struct fixture *fx = *state;
	GString *long_subject = g_string_new("Re: ");
	GPtrArray *mails;
	struct store_outbox *m = NULL;
	char *text;

	for (int i = 0; i < 50; i++)
		g_string_append(long_subject, "VIAGRA\tcheap ");
	assert_int_equal(feed_forged(fx, 1, long_subject->str),
			 INGEST_STORED);
	mails = outbox(fx);
	assert_int_equal(mails->len, 1);
	assert_int_equal(store_outbox_get(fx->env.store,
		((struct store_outbox *)mails->pdata[0])->id, &m, NULL), 0);
	text = g_strndup(g_bytes_get_data(m->raw, NULL),
			 g_bytes_get_size(m->raw));
	/* No more than 60 characters of theirs, nowhere (headers
	 * unfolded); control characters gone. */
	for (char *p; (p = strstr(text, "\n ")) != NULL;)
		memmove(p, p + 1, strlen(p));
	assert_non_null(strstr(text, "VIAGRA cheap VIAGRA"));
	assert_null(strstr(text, "VIAGRA cheap VIAGRA cheap VIAGRA cheap "
				 "VIAGRA cheap VIAGRA cheap"));
	assert_null(strchr(text, '\t'));
	assert_non_null(strstr(text, "CV000001"));
	g_free(text);
	store_outbox_free(&m);
	g_ptr_array_unref(mails);
	g_string_free(long_subject, TRUE);
}

static int
setup_tight(void **state)
{
	return setup_relay(state, "max_messages_per_hour = 100000\n"
			   "[smtp]\nlimit_global_hour = 1\n");
}

#define FIRST_MAIL                                                         \
	"From: Sara Shipper <sara@acme.test>\n"                            \
	"To: Carl Carrier <carl@trucks.test>, dan@trucks.test\n"          \
	"Cc: cases@desk.example\n"                                         \
	"Subject: Pallet crushed at Rotterdam\n"                           \
	"Message-ID: <first@acme.test>\n\n"                                \
	"The pallet for order 4471 arrived crushed.\n"

#define SECOND_MAIL                                                        \
	"From: Sara Shipper <sara@acme.test>\n"                            \
	"To: cases@desk.example\n"                                         \
	"Subject: Re: [CV000001] Pallet crushed at Rotterdam\n"            \
	"Message-ID: <second@acme.test>\n\n"                               \
	"Photos follow.\n"

/* The desk-wide limit used up: the next notification is queued to go
 * when the bucket has refilled, recorded, and listed as waiting. */
static void
test_deferred_not_dropped(void **state)
{
	struct fixture *fx = *state;
	GPtrArray *mails, *waits = NULL;
	const struct store_outbox_wait *w;
	int64_t now;
	unsigned due_now = 0, later = 0;

	assert_int_equal(feed(fx, FIRST_MAIL), INGEST_STORED);
	assert_int_equal(feed(fx, SECOND_MAIL), INGEST_STORED);
	now = fx->now;
	assert_int_equal(case_of(fx, "<second@acme.test>"), 1);
	mails = outbox(fx);
	for (guint i = 0; i < mails->len; i++) {
		const struct store_outbox *m = mails->pdata[i];

		if (strcmp(m->kind, "notify") != 0)
			continue;
		if (m->next_attempt_at <= now) {
			due_now++;
			assert_null(m->last_error);
		} else {
			later++;
			/* One token an hour: the next one in an hour. */
			assert_true(m->next_attempt_at >= now + 3500);
			assert_true(m->next_attempt_at <= now + 3600);
			assert_non_null(strstr(m->last_error, "rate limit"));
		}
	}
	g_ptr_array_unref(mails);
	assert_int_equal(due_now, 1);
	assert_int_equal(later, 1);
	assert_int_equal(count_events(fx, 1, "notification deferred"), 1);
	assert_int_equal(count_events(fx, 1, "not notified"), 0);
	/* What casectl show lists. */
	assert_int_equal(store_outbox_waiting(fx->env.store, 1, now, &waits,
					      NULL), 0);
	assert_int_equal(waits->len, 1);
	w = waits->pdata[0];
	assert_string_equal(w->kind, "notify");
	assert_int_equal(w->mails, 1);
	assert_true(w->until > now);
	g_ptr_array_unref(waits);
}

static int
setup_cap(void **state)
{
	return setup_relay(state, "max_messages_per_hour = 100000\n"
			   "[smtp]\nmax_attach_notifications = 1\n");
}

#define MAIL_WITH_FILE                                                     \
	"From: Sara Shipper <sara@acme.test>\n"                            \
	"To: cases@desk.example\n"                                         \
	"Subject: Re: [CV000001] Pallet crushed at Rotterdam\n"            \
	"Message-ID: <photo@acme.test>\n"                                  \
	"MIME-Version: 1.0\n"                                              \
	"Content-Type: multipart/mixed; boundary=b\n\n"                    \
	"--b\nContent-Type: text/plain\n\nPhoto attached.\n"               \
	"--b\nContent-Type: image/png\n"                                   \
	"Content-Disposition: attachment; filename=pallet.png\n"           \
	"Content-Transfer-Encoding: base64\n\n"                            \
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8\n"   \
	"--b--\n"

/* Just over [smtp] max_attach_notifications (1): one notification
 * carries the file, the second names it only, and the case says so. */
static void
test_attach_cap(void **state)
{
	struct fixture *fx = *state;
	GPtrArray *mails;
	unsigned with = 0, named = 0;

	assert_int_equal(feed(fx, FIRST_MAIL), INGEST_STORED);
	assert_int_equal(feed(fx, MAIL_WITH_FILE), INGEST_STORED);
	mails = outbox(fx);
	for (guint i = 0; i < mails->len; i++) {
		struct store_outbox *m = NULL;
		char *text;

		if (strcmp(((struct store_outbox *)mails->pdata[i])->kind,
			   "notify") != 0)
			continue;
		assert_int_equal(store_outbox_get(fx->env.store,
			((struct store_outbox *)mails->pdata[i])->id, &m,
			NULL), 0);
		text = g_strndup(g_bytes_get_data(m->raw, NULL),
				 g_bytes_get_size(m->raw));
		with += strstr(text, "Content-Type: image/png") != NULL;
		named += strstr(text, "pallet.png (not attached") != NULL;
		g_free(text);
		store_outbox_free(&m);
	}
	g_ptr_array_unref(mails);
	assert_int_equal(with, 1);
	assert_int_equal(named, 1);
	assert_int_equal(count_events(fx, 1, "attachments not sent"), 1);
}

/* The photo in MAIL_WITH_FILE is 45 bytes. */
#define FILE_BYTES 45

static int
setup_bytes_under(void **state)
{
	return setup_relay(state, "max_messages_per_hour = 100000\n"
			   "[smtp]\nmax_attach_bytes = 45\n");
}

static int
setup_bytes_over(void **state)
{
	return setup_relay(state, "max_messages_per_hour = 100000\n"
			   "[smtp]\nmax_attach_bytes = 44\n");
}

/* How many notifications carry the photo, and how many only name it. */
static void
count_photo(struct fixture *fx, unsigned *with_r, unsigned *named_r)
{
	GPtrArray *mails = outbox(fx);

	*with_r = *named_r = 0;
	for (guint i = 0; i < mails->len; i++) {
		const struct store_outbox *l = mails->pdata[i];
		struct store_outbox *m = NULL;
		char *text;

		if (strcmp(l->kind, "notify") != 0)
			continue;
		assert_int_equal(store_outbox_get(fx->env.store, l->id, &m,
						  NULL), 0);
		text = g_strndup(g_bytes_get_data(m->raw, NULL),
				 g_bytes_get_size(m->raw));
		*with_r += strstr(text, "Content-Type: image/png") != NULL;
		/* Named in the text though not attached. */
		*named_r += strstr(text, "Content-Type: image/png") == NULL &&
			    strstr(text, "pallet.png") != NULL;
		g_free(text);
		store_outbox_free(&m);
	}
	g_ptr_array_unref(mails);
}

/* [smtp] max_attach_bytes at the file's size: attached; one byte under
 * it (input just over the limit): named only, and said on the case. */
static void
test_attach_bytes_limit(void **state)
{
	struct fixture *fx = *state;
	unsigned with, named;

	assert_int_equal(feed(fx, FIRST_MAIL), INGEST_STORED);
	assert_int_equal(feed(fx, MAIL_WITH_FILE), INGEST_STORED);
	count_photo(fx, &with, &named);
	if (fx->env.cfg->smtp_max_attach_bytes >= FILE_BYTES) {
		assert_true(with > 0);
		assert_int_equal(named, 0);
	} else {
		assert_int_equal(with, 0);
		assert_true(named > 0);
		assert_true(count_events(fx, 1, "attachment not sent") > 0);
	}
}

/* ---- a receiver for the sender: one SMTP session at a time ------------- */

struct fake_smtp {
	int listener;
	int port;
	GThread *thread;
	GMutex lock;
	GPtrArray *mails;      /* GBytes *: each DATA as received */
};

/* Reply to one command line of a session; 1 to end it. */
static int
fake_smtp_line(int fd, const char *line, int *in_data)
{
	const char *reply = "250 ok\r\n";

	if (g_ascii_strncasecmp(line, "DATA", 4) == 0) {
		reply = "354 go on\r\n";
		*in_data = 1;
	} else if (g_ascii_strncasecmp(line, "QUIT", 4) == 0) {
		reply = "221 bye\r\n";
	}
	if (write(fd, reply, strlen(reply)) < 0)
		return 1;
	return g_ascii_strncasecmp(line, "QUIT", 4) == 0;
}

static void
fake_smtp_session(struct fake_smtp *f, int fd)
{
	GString *in = g_string_new(NULL), *data = g_string_new(NULL);
	char buf[65536];
	ssize_t n;
	int in_data = 0, done = 0;

	if (write(fd, "220 fake\r\n", 10) < 0)
		done = 1;
	while (!done && (n = read(fd, buf, sizeof(buf))) > 0) {
		char *eol;

		g_string_append_len(in, buf, n);
		while (!done && (eol = strstr(in->str, "\r\n")) != NULL) {
			gsize len = (gsize)(eol - in->str);

			in->str[len] = '\0';
			if (in_data && strcmp(in->str, ".") == 0) {
				g_mutex_lock(&f->lock);
				g_ptr_array_add(f->mails, g_bytes_new(
					data->str, data->len));
				g_mutex_unlock(&f->lock);
				g_string_truncate(data, 0);
				in_data = 0;
				done = write(fd, "250 kept\r\n", 10) < 0;
			} else if (in_data) {
				/* Dot-stuffing undone. */
				g_string_append(data, in->str +
						(in->str[0] == '.'));
				g_string_append(data, "\r\n");
			} else {
				done = fake_smtp_line(fd, in->str, &in_data);
			}
			g_string_erase(in, 0, (gssize)len + 2);
		}
	}
	close(fd);
	g_string_free(in, TRUE);
	g_string_free(data, TRUE);
}

static gpointer
fake_smtp_run(gpointer p)
{
	struct fake_smtp *f = p;
	int fd;

	while ((fd = accept(f->listener, NULL, NULL)) >= 0)
		fake_smtp_session(f, fd);
	return NULL;
}

static struct fake_smtp *
fake_smtp_start(struct fixture *fx)
{
	struct fake_smtp *f = g_new0(struct fake_smtp, 1);
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);

	f->listener = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->listener, (struct sockaddr *)&sa,
			      sizeof(sa)), 0);
	assert_int_equal(listen(f->listener, 8), 0);
	assert_int_equal(getsockname(f->listener, (struct sockaddr *)&sa,
				     &len), 0);
	f->port = ntohs(sa.sin_port);
	g_mutex_init(&f->lock);
	f->mails = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_bytes_unref);
	f->thread = g_thread_new("fake-smtp", fake_smtp_run, f);
	g_free(fx->env.cfg->smtp_url);
	fx->env.cfg->smtp_url = g_strdup_printf("smtp://127.0.0.1:%d",
						f->port);
	return f;
}

static void
fake_smtp_stop(struct fake_smtp *f)
{
	shutdown(f->listener, SHUT_RDWR);
	close(f->listener);
	g_thread_join(f->thread);
	g_ptr_array_unref(f->mails);
	g_mutex_clear(&f->lock);
	g_free(f);
}

/* The mails f received that hold what (a new array of borrowed ones). */
static GPtrArray *
fake_smtp_with(struct fake_smtp *f, const char *what)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < f->mails->len; i++)
		if (g_strstr_len(g_bytes_get_data(f->mails->pdata[i], NULL),
				 (gssize)g_bytes_get_size(f->mails->pdata[i]),
				 what) != NULL)
			g_ptr_array_add(out, f->mails->pdata[i]);
	return out;
}

/* Drain the outbox into f once (the sender of casemaild). */
static void
send_outbox(struct fixture *fx)
{
	struct outbox_sender ob;
	struct cm_error err = { 0 };
	int rc;

	outbox_init(&ob, fx->env.store, fx->env.cfg);
	rc = outbox_drain(&ob, fx->now, NULL, NULL, &err);
	outbox_clear(&ob);
	if (rc != 0)
		fail_msg("outbox: %s", err.msg);
}

/* ---- attachments by reference ------------------------------------------ */

#define BLOB_PEOPLE 200
#define BLOB_BYTES (1400 * 1024)
/* What one row may hold beyond its text: headers, a marker, a note. */
#define BLOB_ROW_MAX (8 * 1024)

static int
setup_blob(void **state)
{
	return setup_relay(state, "max_messages_per_hour = 100000\n"
			   "max_new_participants = 1000\n"
			   "[smtp]\nmax_attach_notifications = 1000\n"
			   "sessions = 1\nurl = smtp://127.0.0.1:1\n");
}

/* A case of sara and BLOB_PEOPLE others. */
static void
feed_big_case(struct fixture *fx)
{
	GString *raw = g_string_new("From: Sara Shipper <sara@acme.test>\n"
				    "To: cases@desk.example\nCc: ");

	for (int i = 0; i < BLOB_PEOPLE; i++)
		g_string_append_printf(raw, "%sp%d@people.test",
				       i > 0 ? ", " : "", i);
	g_string_append(raw, "\nSubject: Pallet crushed at Rotterdam\n"
			"Message-ID: <first@acme.test>\n\n"
			"The pallet for order 4471 arrived crushed.\n");
	assert_int_equal(feed(fx, raw->str), INGEST_STORED);
	assert_int_equal(case_of(fx, "<first@acme.test>"), 1);
	g_string_free(raw, TRUE);
}

/* A reply on case 1 carrying data as report.bin. */
static void
feed_file(struct fixture *fx, const char *mid, const guint8 *data,
	  size_t len)
{
	GString *raw = g_string_new(NULL);
	char *b64;

	g_string_printf(raw,
		"From: Sara Shipper <sara@acme.test>\n"
		"To: cases@desk.example\n"
		"Subject: Re: [CV000001] Pallet crushed at Rotterdam\n"
		"Message-ID: %s\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: text/plain\n\nThe report.\n"
		"--b\nContent-Type: application/octet-stream\n"
		"Content-Disposition: attachment; filename=report.bin\n"
		"Content-Transfer-Encoding: base64\n\n", mid);
	for (size_t off = 0; off < len; off += 57) {
		b64 = g_base64_encode(data + off, MIN((size_t)57, len - off));
		g_string_append_printf(raw, "%s\n", b64);
		g_free(b64);
	}
	g_string_append(raw, "--b--\n");
	assert_int_equal(feed(fx, raw->str), INGEST_STORED);
	g_string_free(raw, TRUE);
}

static guint8 *
random_bytes(size_t len)
{
	GRand *r = g_rand_new_with_seed(13);
	guint8 *data = g_malloc(len);

	for (size_t i = 0; i < len; i++)
		data[i] = (guint8)g_rand_int(r);
	g_rand_free(r);
	return data;
}

static void
row_free(gpointer p)
{
	struct store_outbox *m = p;

	store_outbox_free(&m);
}

/* The rows queued after row id after (whole, with raw). */
static GPtrArray *
rows_after(struct fixture *fx, int64_t after, const char *kind)
{
	GPtrArray *mails = outbox(fx);
	GPtrArray *rows = g_ptr_array_new_with_free_func(
		row_free);

	for (guint i = 0; i < mails->len; i++) {
		const struct store_outbox *l = mails->pdata[i];
		struct store_outbox *m = NULL;

		if (l->id <= after || strcmp(l->kind, kind) != 0)
			continue;
		assert_int_equal(store_outbox_get(fx->env.store, l->id, &m,
						  NULL), 0);
		g_ptr_array_add(rows, m);
	}
	g_ptr_array_unref(mails);
	return rows;
}

static int64_t
last_row(struct fixture *fx)
{
	GPtrArray *mails = outbox(fx);
	int64_t id = 0;

	for (guint i = 0; i < mails->len; i++)
		id = MAX(id, ((struct store_outbox *)mails->pdata[i])->id);
	g_ptr_array_unref(mails);
	return id;
}

/* The decoded body of part i of the multipart mail raw (g_byte_array_unref). */
static GByteArray *
decoded_part(GBytes *raw, int i, const char **type_r)
{
	gsize len;
	const char *data = g_bytes_get_data(raw, &len);
	GMimeStream *in = g_mime_stream_mem_new_with_buffer(data, len), *out;
	GMimeParser *p = g_mime_parser_new_with_stream(in);
	GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
	GMimeObject *body, *part;
	GByteArray *bytes = g_byte_array_new();
	char *type;

	assert_non_null(msg);
	body = g_mime_message_get_mime_part(msg);
	assert_true(GMIME_IS_MULTIPART(body));
	part = g_mime_multipart_get_part(GMIME_MULTIPART(body), i);
	assert_true(GMIME_IS_PART(part));
	type = g_mime_content_type_get_mime_type(
		g_mime_object_get_content_type(part));
	*type_r = g_intern_string(type);
	g_free(type);
	out = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_mime_data_wrapper_write_to_stream(
		g_mime_part_get_content(GMIME_PART(part)), out);
	g_object_unref(out);
	g_object_unref(msg);
	g_object_unref(p);
	g_object_unref(in);
	return bytes;
}

/* A 1.4 MB file to a case of 200 people: 200 rows of a few KB each, the
 * file once; the mail the sender builds from a row carries it intact,
 * in GMime's 76-column base64. */
static void
test_blob_growth(void **state)
{
	struct fixture *fx = *state;
	guint8 *data = random_bytes(BLOB_BYTES);
	char want[ATTACH_SHA256_HEX], got[ATTACH_SHA256_HEX];
	struct fake_smtp *f;
	GPtrArray *rows, *sent;
	GByteArray *file;
	GBytes *full;
	const char *type, *b64;
	int64_t before, total = 0;

	feed_big_case(fx);
	before = last_row(fx);
	feed_file(fx, "<report@acme.test>", data, BLOB_BYTES);
	rows = rows_after(fx, before, "notify");
	assert_int_equal(rows->len, BLOB_PEOPLE);
	for (guint i = 0; i < rows->len; i++) {
		gsize n = g_bytes_get_size(
			((struct store_outbox *)rows->pdata[i])->raw);

		assert_true(n < BLOB_ROW_MAX);
		total += (int64_t)n;
	}
	assert_true(total < BLOB_PEOPLE * BLOB_ROW_MAX);
	assert_true(total < BLOB_BYTES);
	/* What the sender sends. */
	f = fake_smtp_start(fx);
	send_outbox(fx);
	sent = fake_smtp_with(f, "report.bin");
	assert_true(sent->len > 0);
	full = g_bytes_ref(sent->pdata[0]);
	g_ptr_array_unref(sent);
	fake_smtp_stop(f);
	assert_null(memchr(g_bytes_get_data(full, NULL), '\0',
			   g_bytes_get_size(full)));
	file = decoded_part(full, 1, &type);
	assert_string_equal(type, "application/octet-stream");
	attach_sha256_hex(data, BLOB_BYTES, want);
	attach_sha256_hex(file->data, file->len, got);
	assert_int_equal(file->len, BLOB_BYTES);
	assert_string_equal(got, want);
	/* 76 columns, as GMime writes. */
	b64 = g_strstr_len(g_bytes_get_data(full, NULL),
			   (gssize)g_bytes_get_size(full),
			   "Content-Transfer-Encoding: base64\r\n\r\n");
	assert_non_null(b64);
	b64 += strlen("Content-Transfer-Encoding: base64\r\n\r\n");
	assert_int_equal(strchr(b64, '\r') - b64, 76);
	g_byte_array_unref(file);
	g_bytes_unref(full);
	g_ptr_array_unref(rows);
	g_free(data);
}

/* The blob gone before the mail is sent: the sender sends a note in its
 * place (the text part is still there), and the case says so. */
static void
test_blob_missing(void **state)
{
	struct fixture *fx = *state;
	guint8 *data = random_bytes(4096);
	char sha[ATTACH_SHA256_HEX], *path;
	struct fake_smtp *f;
	GPtrArray *rows, *sent, *skipped = NULL;
	GByteArray *note;
	GBytes *full;
	const char *type;
	int64_t before;

	assert_int_equal(feed(fx, FIRST_MAIL), INGEST_STORED);
	before = last_row(fx);
	feed_file(fx, "<report@acme.test>", data, 4096);
	rows = rows_after(fx, before, "notify");
	assert_true(rows->len > 0);
	attach_sha256_hex(data, 4096, sha);
	path = attach_path(fx->env.cfg->store_attachments, sha);
	assert_int_equal(g_unlink(path), 0);
	full = compose_expand(((struct store_outbox *)rows->pdata[0])->raw,
			      fx->env.cfg->store_attachments,
			      fx->env.cfg->smtp_max_attach_bytes, &skipped);
	assert_non_null(skipped);
	assert_int_equal(skipped->len, 1);
	assert_true(g_str_has_prefix(skipped->pdata[0], sha));
	note = decoded_part(full, 1, &type);
	assert_string_equal(type, "text/plain");
	g_byte_array_append(note, (const guint8 *)"", 1);
	assert_non_null(strstr((char *)note->data, "not sent"));
	g_byte_array_unref(note);
	g_bytes_unref(full);
	g_ptr_array_unref(skipped);
	/* The sender sends the mails with the note and records each file
	 * left out on the case. */
	assert_int_equal(count_events(fx, 1, "attachment not sent"), 0);
	f = fake_smtp_start(fx);
	send_outbox(fx);
	sent = fake_smtp_with(f, "report.bin");
	assert_int_equal(sent->len, rows->len);
	note = decoded_part(sent->pdata[0], 1, &type);
	g_ptr_array_unref(sent);
	assert_string_equal(type, "text/plain");
	g_byte_array_unref(note);
	fake_smtp_stop(f);
	assert_int_equal(count_events(fx, 1, "attachment not sent"),
			 rows->len);
	g_ptr_array_unref(rows);
	g_free(path);
	g_free(data);
}

/* A customer's text with a marker, NULs and all (in base64, so they
 * survive the transfer), naming a file that is in the store: nothing in
 * the notification is expanded. */
static void
test_blob_forged(void **state)
{
	struct fixture *fx = *state;
	guint8 *data = random_bytes(4096);
	char sha[ATTACH_SHA256_HEX], *marker, *b64, *raw;
	GByteArray *text;
	GPtrArray *rows;
	int64_t before;

	assert_int_equal(feed(fx, FIRST_MAIL), INGEST_STORED);
	feed_file(fx, "<report@acme.test>", data, 4096);
	attach_sha256_hex(data, 4096, sha);
	/* Once as visible text, once as a marker between NULs. */
	text = g_byte_array_new();
	marker = g_strdup_printf("See %s%s here\nand ", COMPOSE_BLOB_MARKER,
				 sha);
	g_byte_array_append(text, (const guint8 *)marker,
			    (guint)strlen(marker));
	g_byte_array_append(text, (const guint8 *)"", 1);
	g_byte_array_append(text, (const guint8 *)marker + 4,
			    (guint)(strlen(COMPOSE_BLOB_MARKER) + 64));
	g_byte_array_append(text, (const guint8 *)"\0\nthere.\n", 9);
	b64 = g_base64_encode(text->data, text->len);
	raw = g_strdup_printf(
		"From: Sara Shipper <sara@acme.test>\n"
		"To: cases@desk.example\n"
		"Subject: Re: [CV000001] Pallet crushed at Rotterdam\n"
		"Message-ID: <forged@acme.test>\nMIME-Version: 1.0\n"
		"Content-Type: text/plain\n"
		"Content-Transfer-Encoding: base64\n\n%s\n", b64);
	before = last_row(fx);
	assert_int_equal(feed(fx, raw), INGEST_STORED);
	rows = rows_after(fx, before, "notify");
	assert_true(rows->len > 0);
	for (guint i = 0; i < rows->len; i++) {
		GBytes *r = ((struct store_outbox *)rows->pdata[i])->raw;
		GPtrArray *skipped = NULL;
		GBytes *full = compose_expand(r, fx->env.cfg->store_attachments,
					      fx->env.cfg->smtp_max_attach_bytes,
					      &skipped);

		/* Their text is there, without its NULs. */
		assert_non_null(g_strstr_len(g_bytes_get_data(r, NULL),
					     (gssize)g_bytes_get_size(r),
					     "See " COMPOSE_BLOB_MARKER));
		assert_null(memchr(g_bytes_get_data(r, NULL), '\0',
				   g_bytes_get_size(r)));
		assert_true(g_bytes_equal(full, r));
		assert_null(skipped);
		g_bytes_unref(full);
	}
	g_ptr_array_unref(rows);
	g_free(raw);
	g_free(b64);
	g_free(marker);
	g_byte_array_unref(text);
	g_free(data);
}

/* A well-formed marker outside one of our base64 parts (a text part, no
 * boundary before it) is left alone. */
static void
test_blob_marker_place(void **state)
{
	struct fixture *fx = *state;
	guint8 *data = random_bytes(100);
	char sha[ATTACH_SHA256_HEX], *dir = fx->env.cfg->store_attachments;
	static const char head[] = "Subject: x\n"
		"Content-Transfer-Encoding: base64\n\n";
	GByteArray *raw = g_byte_array_new();
	GPtrArray *skipped = NULL;
	GBytes *in, *full;
	int created;

	assert_int_equal(attach_put(dir, data, 100, 0, sha, &created, NULL),
			 0);
	g_byte_array_append(raw, (const guint8 *)head, sizeof(head) - 1);
	g_byte_array_append(raw, (const guint8 *)"", 1);
	g_byte_array_append(raw, (const guint8 *)COMPOSE_BLOB_MARKER,
			    strlen(COMPOSE_BLOB_MARKER));
	g_byte_array_append(raw, (const guint8 *)sha, 64);
	g_byte_array_append(raw, (const guint8 *)"\0\n", 2);
	in = g_byte_array_free_to_bytes(raw);
	full = compose_expand(in, dir, 1 << 20, &skipped);
	assert_true(g_bytes_equal(full, in));
	assert_null(skipped);
	g_bytes_unref(full);
	g_bytes_unref(in);
	g_free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ack_flood, setup,
						teardown_relay),
		cmocka_unit_test_setup_teardown(test_ack_subject, setup,
						teardown_relay),
		cmocka_unit_test_setup_teardown(test_deferred_not_dropped,
						setup_tight, teardown_relay),
		cmocka_unit_test_setup_teardown(test_blob_growth, setup_blob,
						teardown_relay),
		cmocka_unit_test_setup_teardown(test_blob_missing, setup_blob,
						teardown_relay),
		cmocka_unit_test_setup_teardown(test_blob_forged, setup_blob,
						teardown_relay),
		cmocka_unit_test_setup_teardown(test_blob_marker_place,
						setup_blob, teardown_relay),
		cmocka_unit_test_setup_teardown(test_attach_cap, setup_cap,
						teardown_relay),
		cmocka_unit_test_setup_teardown(test_attach_bytes_limit,
						setup_bytes_under,
						teardown_relay),
		cmocka_unit_test_setup_teardown(test_attach_bytes_limit,
						setup_bytes_over,
						teardown_relay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
