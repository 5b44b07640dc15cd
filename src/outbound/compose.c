/* compose.c - outgoing messages with GMime (see compose.h). */
#include "casemail/compose.h"

#include <gmime/gmime.h>
#include <string.h>

#include "casemail/addr.h"
#include "casemail/mime.h"

char *
compose_clean(const char *text)
{
	char *s;

	if (text == NULL)
		return g_strdup("");
	s = g_utf8_make_valid(text, -1);
	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

/* A Message-ID we put in a header: <local@domain>, no space or control. */
static int
compose_valid_msgid(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	if (n < 5 || n > 250 || id[0] != '<' || id[n - 1] != '>' ||
	    strchr(id, '@') == NULL)
		return 0;
	for (size_t i = 1; i + 1 < n; i++)
		if ((unsigned char)id[i] <= 0x20 || id[i] == '<' ||
		    id[i] == '>' || (unsigned char)id[i] >= 0x7f)
			return 0;
	return 1;
}

static int
compose_add(GMimeMessage *msg, GMimeAddressType type,
	    const struct compose_address *a, struct cm_error *err)
{
	char *addr = NULL, *name;
	int rc = addr_normalize(a->address, &addr, err);

	if (rc != 0)
		return CM_EUSAGE;
	name = a->name != NULL ? compose_clean(a->name) : NULL;
	g_mime_message_add_mailbox(msg, type, name, addr);
	g_free(name);
	g_free(addr);
	return 0;
}

static void
compose_header(GMimeMessage *msg, const char *name, const char *value)
{
	char *v = compose_clean(value);

	g_mime_object_set_header(GMIME_OBJECT(msg), name, v, "utf-8");
	g_free(v);
}

static int
compose_threading(GMimeMessage *msg, const struct compose_mail *m,
		  struct cm_error *err)
{
	GString *refs = g_string_new(NULL);

	if (!compose_valid_msgid(m->message_id))
		return cm_error_set(err, CM_EUSAGE, "compose: bad Message-ID");
	/* GMime wants it without the brackets. */
	{
		char *bare = g_strndup(m->message_id + 1,
				       strlen(m->message_id) - 2);

		g_mime_message_set_message_id(msg, bare);
		g_free(bare);
	}
	if (m->in_reply_to != NULL && compose_valid_msgid(m->in_reply_to))
		compose_header(msg, "In-Reply-To", m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++) {
		if (!compose_valid_msgid(m->references[i]))
			continue;
		if (refs->len > 0)
			g_string_append_c(refs, ' ');
		g_string_append(refs, m->references[i]);
	}
	if (refs->len > 0)
		compose_header(msg, "References", refs->str);
	g_string_free(refs, TRUE);
	if (m->thread_topic != NULL)
		compose_header(msg, "Thread-Topic", m->thread_topic);
	if (m->thread_index != NULL)
		compose_header(msg, "Thread-Index", m->thread_index);
	return 0;
}

static void
compose_system_headers(GMimeMessage *msg, const struct compose_mail *m)
{
	char *v;

	if (m->auto_generated) {
		compose_header(msg, "Auto-Submitted", "auto-generated");
		compose_header(msg, "X-Auto-Response-Suppress", "All");
		compose_header(msg, "Precedence", "bulk");
	}
	if (m->loop_token != NULL)
		compose_header(msg, MIME_LOOP_HEADER, m->loop_token);
	if (m->case_number != NULL)
		compose_header(msg, "X-Casemail-Case", m->case_number);
	if (m->list_unsubscribe != NULL) {
		v = g_strdup_printf("<%s>", m->list_unsubscribe);
		compose_header(msg, "List-Unsubscribe", v);
		g_free(v);
	}
}

static GMimeObject *
compose_text_part(const char *body)
{
	GMimeTextPart *text = g_mime_text_part_new_with_subtype("plain");
	char *clean = mime_clean_text(body != NULL ? body : "", -1);

	g_mime_text_part_set_text(text, clean);
	g_free(clean);
	/* Quoted-printable or 7bit as the text needs; never raw 8bit. */
	g_mime_part_set_content_encoding(GMIME_PART(text),
		g_mime_part_get_best_content_encoding(GMIME_PART(text),
			GMIME_ENCODING_CONSTRAINT_7BIT));
	return GMIME_OBJECT(text);
}

static GMimeObject *
compose_attachment_part(const struct compose_attachment *a)
{
	char *type = NULL, *subtype = NULL, *name;
	GMimePart *part;
	GMimeStream *stream;
	GMimeDataWrapper *wrapper;
	gsize len = 0;
	const void *data = a->data != NULL ? g_bytes_get_data(a->data, &len)
					   : NULL;
	const char *slash = a->content_type != NULL
				    ? strchr(a->content_type, '/') : NULL;

	if (slash != NULL && slash != a->content_type && slash[1] != '\0' &&
	    strspn(a->content_type, "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/.+-") ==
		    strlen(a->content_type)) {
		type = g_strndup(a->content_type, (gsize)(slash - a->content_type));
		subtype = g_strdup(slash + 1);
	}
	part = g_mime_part_new_with_type(type != NULL ? type : "application",
					 subtype != NULL ? subtype : "octet-stream");
	name = mime_safe_filename(a->filename);
	if (name != NULL)
		g_mime_part_set_filename(part, name);
	if (a->data == NULL) {
		/* By reference: the marker is the part's encoded body,
		 * written as it is (compose.h). */
		GByteArray *marker = g_byte_array_new();

		g_byte_array_append(marker, (const guint8 *)"",  1);
		g_byte_array_append(marker, (const guint8 *)COMPOSE_BLOB_MARKER,
				    sizeof(COMPOSE_BLOB_MARKER) - 1);
		g_byte_array_append(marker, (const guint8 *)a->sha256,
				    (guint)strlen(a->sha256));
		g_byte_array_append(marker, (const guint8 *)"\0\n", 2);
		stream = g_mime_stream_mem_new_with_byte_array(marker);
		wrapper = g_mime_data_wrapper_new_with_stream(stream,
			GMIME_CONTENT_ENCODING_BASE64);
	} else {
		stream = g_mime_stream_mem_new_with_buffer(data, len);
		wrapper = g_mime_data_wrapper_new_with_stream(stream,
			GMIME_CONTENT_ENCODING_DEFAULT);
	}
	g_mime_part_set_content(part, wrapper);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_object_unref(wrapper);
	g_object_unref(stream);
	g_free(name);
	g_free(type);
	g_free(subtype);
	return GMIME_OBJECT(part);
}

static void
compose_body(GMimeMessage *msg, const struct compose_mail *m)
{
	GMimeObject *text = compose_text_part(m->body);
	GMimeMultipart *mixed;

	if (m->n_attachments == 0) {
		g_mime_message_set_mime_part(msg, text);
		g_object_unref(text);
		return;
	}
	mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mixed, text);
	g_object_unref(text);
	for (size_t i = 0; i < m->n_attachments; i++) {
		GMimeObject *part = compose_attachment_part(&m->attachments[i]);

		g_mime_multipart_add(mixed, part);
		g_object_unref(part);
	}
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
	g_object_unref(mixed);
}

static int
compose_addresses(GMimeMessage *msg, const struct compose_mail *m,
		  struct cm_error *err)
{
	struct compose_address rt = { NULL, m->reply_to };
	int rc = compose_add(msg, GMIME_ADDRESS_TYPE_FROM, &m->from, err);

	if (rc == 0 && m->reply_to != NULL)
		rc = compose_add(msg, GMIME_ADDRESS_TYPE_REPLY_TO, &rt, err);
	for (size_t i = 0; rc == 0 && i < m->n_to; i++)
		rc = compose_add(msg, GMIME_ADDRESS_TYPE_TO, &m->to[i], err);
	for (size_t i = 0; rc == 0 && i < m->n_cc; i++)
		rc = compose_add(msg, GMIME_ADDRESS_TYPE_CC, &m->cc[i], err);
	return rc;
}

int
compose_build(const struct compose_mail *m, GBytes **raw_r,
	      struct cm_error *err)
{
	GMimeMessage *msg;
	GMimeStream *out;
	GByteArray *bytes;
	GDateTime *date;
	char *subject;
	int rc;

	*raw_r = NULL;
	mime_init();
	msg = g_mime_message_new(TRUE);
	rc = compose_addresses(msg, m, err);
	if (rc == 0)
		rc = compose_threading(msg, m, err);
	if (rc != 0) {
		g_object_unref(msg);
		return rc;
	}
	subject = compose_clean(m->subject);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_free(subject);
	date = g_date_time_new_from_unix_utc(m->date);
	g_mime_message_set_date(msg, date);
	g_date_time_unref(date);
	compose_system_headers(msg, m);
	compose_body(msg, m);
	bytes = g_byte_array_new();
	out = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, out);
	g_object_unref(out);
	g_object_unref(msg);
	*raw_r = g_byte_array_free_to_bytes(bytes);
	return 0;
}

char *
compose_thread_index(int64_t t, const char *seed)
{
	guint8 buf[22];
	/* FILETIME: 100 ns ticks since 1601; Outlook keeps its top 6 bytes. */
	guint64 ft = ((guint64)t + 11644473600ULL) * 10000000ULL;
	char *sum = g_compute_checksum_for_string(G_CHECKSUM_MD5, seed, -1);
	char *out;

	for (int i = 0; i < 6; i++)
		buf[i] = (guint8)(ft >> (56 - 8 * i));
	for (int i = 0; i < 16; i++) {
		unsigned v;

		sscanf(sum + 2 * i, "%2x", &v);
		buf[6 + i] = (guint8)v;
	}
	out = g_base64_encode(buf, sizeof(buf));
	g_free(sum);
	return out;
}
