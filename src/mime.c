/*
 * mime.c - parse a raw message with GMime into struct mime_message.
 *
 * GMime does the MIME work (structure, transfer decoding, RFC 2047/2231,
 * charsets); this file decides which part is the body, which parts are
 * attachments, and makes every string safe to store and to show.
 */
#include "casemail/mime.h"

#include <gmime/gmime.h>
#include <string.h>

#include "casemail/html2text.h"

struct mime_walk {
	struct mime_message *msg;
	GString *plain;      /* text/plain body parts, in order */
	char *html;          /* the first text/html body part */
	int leaves;
};

static void mime_walk_object(struct mime_walk *w, GMimeObject *obj,
			     int depth, int skip_text);

void
mime_init(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		g_mime_init();
		g_once_init_leave(&once, 1);
	}
}

char *
mime_clean_text(const char *text, gssize len)
{
	char *valid, *out, *o;

	if (text == NULL)
		return g_strdup("");
	if (len < 0)
		len = (gssize)strlen(text);
	valid = g_utf8_make_valid(text, len);
	out = o = g_malloc(strlen(valid) + 1);
	for (const char *p = valid; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\r') {
			if (p[1] != '\n')
				*o++ = '\n';
		} else if (c >= 0x20 || c == '\n' || c == '\t') {
			if (c != 0x7f)
				*o++ = (char)c;
		}
	}
	*o = '\0';
	g_free(valid);
	return out;
}

char *
mime_clean_header(const char *value)
{
	char *valid, *out, *o;
	int space = 1;

	if (value == NULL)
		return NULL;
	valid = g_utf8_make_valid(value, -1);
	out = o = g_malloc(strlen(valid) + 1);
	/* Fold every control character (CR, LF, TAB, ...) into one space:
	 * a header value can never carry a line break out of here. */
	for (const char *p = valid; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!space)
				*o++ = ' ';
			space = 1;
		} else {
			*o++ = (char)c;
			space = 0;
		}
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	g_free(valid);
	return out;
}

char *
mime_safe_filename(const char *name)
{
	char *clean, *p;
	GString *out;

	if (name == NULL)
		return NULL;
	clean = mime_clean_header(name);
	/* Keep only the last path component a sender may have sent. */
	p = clean + strlen(clean);
	while (p > clean && p[-1] != '/' && p[-1] != '\\')
		p--;
	while (*p == '.' || *p == ' ')
		p++;
	out = g_string_new(NULL);
	for (; *p != '\0' && out->len < 200; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if (u == ':' || u == '*' || u == '?' || u == '"' ||
		    u == '<' || u == '>' || u == '|')
			g_string_append_c(out, '_');
		else
			g_string_append_unichar(out, u);
	}
	g_free(clean);
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

static void
mime_address_free(gpointer p)
{
	struct mime_address *a = p;

	g_free(a->name);
	g_free(a->address);
	g_free(a);
}

static void
mime_part_free(gpointer p)
{
	struct mime_part *part = p;

	g_free(part->filename);
	g_free(part->content_type);
	g_free(part->content_id);
	if (part->data != NULL)
		g_bytes_unref(part->data);
	g_free(part);
}

static struct mime_message *
mime_message_new(void)
{
	struct mime_message *m = g_new0(struct mime_message, 1);

	m->to = g_ptr_array_new_with_free_func(mime_address_free);
	m->cc = g_ptr_array_new_with_free_func(mime_address_free);
	m->reply_to = g_ptr_array_new_with_free_func(mime_address_free);
	m->references = g_ptr_array_new_with_free_func(g_free);
	m->parts = g_ptr_array_new_with_free_func(mime_part_free);
	m->warnings = g_ptr_array_new_with_free_func(g_free);
	m->dsn_recipients = g_ptr_array_new_with_free_func(g_free);
	return m;
}

void
mime_message_free(struct mime_message **mp)
{
	struct mime_message *m;

	if (mp == NULL || *mp == NULL)
		return;
	m = *mp;
	g_free(m->subject);
	g_free(m->from.name);
	g_free(m->from.address);
	g_ptr_array_unref(m->to);
	g_ptr_array_unref(m->cc);
	g_ptr_array_unref(m->reply_to);
	g_free(m->message_id);
	g_free(m->in_reply_to);
	g_ptr_array_unref(m->references);
	g_free(m->text);
	g_ptr_array_unref(m->parts);
	g_ptr_array_unref(m->warnings);
	g_free(m->auto_submitted);
	g_free(m->precedence);
	g_free(m->x_autoreply);
	g_free(m->x_autorespond);
	g_free(m->x_auto_response_suppress);
	g_free(m->return_path);
	g_free(m->list_id);
	g_free(m->x_loop);
	g_free(m->content_type);
	g_free(m->report_type);
	g_ptr_array_unref(m->dsn_recipients);
	g_free(m->dsn_original_id);
	g_free(m);
	*mp = NULL;
}

/* ---- headers ----------------------------------------------------------- */

static void
mime_add_addresses(GPtrArray *out, InternetAddressList *list, int depth)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n && out->len < 1000; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < 2) {
			mime_add_addresses(out,
				internet_address_group_get_members(
					INTERNET_ADDRESS_GROUP(ia)), depth + 1);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *addr = internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(ia));
			struct mime_address *a;
			char *clean = mime_clean_header(addr);

			if (clean == NULL || clean[0] == '\0' ||
			    strchr(clean, ' ') != NULL) {
				g_free(clean);
				continue;
			}
			a = g_new0(struct mime_address, 1);
			a->address = g_utf8_strdown(clean, -1);
			g_free(clean);
			a->name = mime_clean_header(internet_address_get_name(ia));
			if (a->name != NULL && a->name[0] == '\0') {
				g_free(a->name);
				a->name = NULL;
			}
			g_ptr_array_add(out, a);
		}
	}
}

static char *
mime_header(GMimeObject *obj, const char *name)
{
	return mime_clean_header(g_mime_object_get_header(obj, name));
}

/* "<id>" from a bare id; NULL if the id is empty or has spaces. */
static char *
mime_bracket_id(const char *id)
{
	char *clean = mime_clean_header(id);
	char *out = NULL;

	if (clean != NULL && clean[0] != '\0' && strchr(clean, ' ') == NULL &&
	    strlen(clean) < 900)
		out = g_strdup_printf("<%s>", clean);
	g_free(clean);
	return out;
}

static void
mime_parse_refs(GPtrArray *out, const char *value,
		GMimeParserOptions *opts)
{
	GMimeReferences *refs;

	if (value == NULL)
		return;
	refs = g_mime_references_parse(opts, value);
	if (refs == NULL)
		return;
	for (int i = 0; i < g_mime_references_length(refs) && out->len < 200; i++) {
		char *id = mime_bracket_id(g_mime_references_get_message_id(refs, i));

		if (id != NULL)
			g_ptr_array_add(out, id);
	}
	g_mime_references_free(refs);
}

static void
mime_read_ids(struct mime_message *m, GMimeMessage *gm,
	      GMimeParserOptions *opts, const char *data, size_t len)
{
	GPtrArray *irt = g_ptr_array_new_with_free_func(g_free);

	m->message_id = mime_bracket_id(g_mime_message_get_message_id(gm));
	if (m->message_id == NULL) {
		/* Stable across re-fetches: the same bytes give the same id. */
		char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
							(const guchar *)data, len);

		m->message_id = g_strdup_printf("<sha256.%.40s@casemail.invalid>",
						sum);
		m->message_id_derived = 1;
		g_free(sum);
	}
	mime_parse_refs(irt, g_mime_object_get_header(GMIME_OBJECT(gm),
						      "In-Reply-To"), opts);
	if (irt->len > 0)
		m->in_reply_to = g_strdup(irt->pdata[0]);
	g_ptr_array_unref(irt);
	mime_parse_refs(m->references, g_mime_object_get_header(
				GMIME_OBJECT(gm), "References"), opts);
}

static void
mime_read_headers(struct mime_message *m, GMimeMessage *gm)
{
	GMimeObject *o = GMIME_OBJECT(gm);
	GPtrArray *from = g_ptr_array_new_with_free_func(mime_address_free);
	GDateTime *date = g_mime_message_get_date(gm);

	m->subject = mime_clean_header(g_mime_message_get_subject(gm));
	if (m->subject == NULL)
		m->subject = g_strdup("");
	mime_add_addresses(from, g_mime_message_get_from(gm), 0);
	if (from->len == 0)
		mime_add_addresses(from, g_mime_message_get_sender(gm), 0);
	if (from->len > 0) {
		struct mime_address *a = from->pdata[0];

		m->from.name = g_steal_pointer(&a->name);
		m->from.address = g_steal_pointer(&a->address);
	}
	g_ptr_array_unref(from);
	mime_add_addresses(m->to, g_mime_message_get_to(gm), 0);
	mime_add_addresses(m->cc, g_mime_message_get_cc(gm), 0);
	mime_add_addresses(m->reply_to, g_mime_message_get_reply_to(gm), 0);
	m->date = date != NULL ? g_date_time_to_unix(date) : 0;
	m->auto_submitted = mime_header(o, "Auto-Submitted");
	m->precedence = mime_header(o, "Precedence");
	m->x_autoreply = mime_header(o, "X-Autoreply");
	m->x_autorespond = mime_header(o, "X-Autorespond");
	m->x_auto_response_suppress = mime_header(o, "X-Auto-Response-Suppress");
	m->return_path = mime_header(o, "Return-Path");
	m->list_id = mime_header(o, "List-Id");
	m->x_loop = mime_header(o, "X-Casemail-Loop");
}

/* ---- parts ------------------------------------------------------------- */

static GBytes *
mime_part_bytes(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *mem;
	GByteArray *ba;
	GBytes *b;

	if (w == NULL)
		return g_bytes_new(NULL, 0);
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	b = g_bytes_new(ba->data, ba->len);
	g_object_unref(mem);
	return b;
}

static char *
mime_part_text(GMimePart *part)
{
	char *text = NULL, *clean;
	GBytes *b;

	if (GMIME_IS_TEXT_PART(part))
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
	if (text != NULL) {
		clean = mime_clean_text(text, -1);
		g_free(text);
		return clean;
	}
	/* Unknown charset: keep the bytes, invalid sequences as U+FFFD. */
	b = mime_part_bytes(part);
	clean = mime_clean_text(g_bytes_get_data(b, NULL),
				(gssize)g_bytes_get_size(b));
	g_bytes_unref(b);
	return clean;
}

static char *
mime_type_of(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *t = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	char *low = g_ascii_strdown(t != NULL ? t : "application/octet-stream",
				    -1);

	g_free(t);
	return low;
}

static void
mime_add_part(struct mime_walk *w, GMimeObject *obj, GBytes *data,
	      const char *filename)
{
	struct mime_part *p = g_new0(struct mime_part, 1);
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	const char *cid = g_mime_object_get_content_id(obj);
	int attachment = disp != NULL && g_mime_content_disposition_is_attachment(disp);

	p->content_type = mime_type_of(obj);
	p->filename = mime_safe_filename(filename);
	p->content_id = cid != NULL ? mime_clean_header(cid) : NULL;
	/* Inline: explicitly so, or an image the HTML refers to by CID. */
	p->inline_part = !attachment && (disp != NULL || p->content_id != NULL);
	p->data = data;
	g_ptr_array_add(w->msg->parts, p);
}

/* message/delivery-status: who could not be reached. */
static void
mime_read_dsn(struct mime_message *m, const char *text)
{
	char **lines = g_strsplit(text, "\n", 2000);

	for (char **l = lines; *l != NULL; l++) {
		const char *semi;

		if (g_ascii_strncasecmp(*l, "Final-Recipient:", 16) != 0 ||
		    (semi = strchr(*l, ';')) == NULL)
			continue;
		if (m->dsn_recipients->len < 100) {
			char *addr = g_strstrip(g_ascii_strdown(semi + 1, -1));

			g_ptr_array_add(m->dsn_recipients, addr);
		}
	}
	g_strfreev(lines);
}

static void
mime_walk_leaf(struct mime_walk *w, GMimeObject *obj, int skip_text)
{
	GMimePart *part = GMIME_PART(obj);
	char *type = mime_type_of(obj);
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	int attachment = disp != NULL && g_mime_content_disposition_is_attachment(disp);
	int is_plain = strcmp(type, "text/plain") == 0;
	int is_html = strcmp(type, "text/html") == 0;

	if (!attachment && (is_plain || is_html)) {
		char *text = skip_text ? NULL : mime_part_text(part);

		if (text != NULL && is_plain) {
			if (w->plain->len > 0)
				g_string_append(w->plain, "\n\n");
			g_string_append(w->plain, text);
		} else if (text != NULL && w->html == NULL) {
			w->html = g_steal_pointer(&text);
		}
		g_free(text);
	} else if (strcmp(type, "message/delivery-status") == 0) {
		char *text = mime_part_text(part);

		mime_read_dsn(w->msg, text);
		g_free(text);
		mime_add_part(w, obj, mime_part_bytes(part), "delivery-status.txt");
	} else {
		mime_add_part(w, obj, mime_part_bytes(part),
			      g_mime_part_get_filename(part));
	}
	g_free(type);
}

/* A forwarded message: kept whole as an .eml attachment. */
static void
mime_walk_message_part(struct mime_walk *w, GMimeObject *obj)
{
	GMimeMessage *inner = g_mime_message_part_get_message(
		GMIME_MESSAGE_PART(obj));
	GMimeStream *mem;
	GByteArray *ba;
	char *name;

	if (inner == NULL)
		return;
	mem = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	name = g_strdup_printf("%s.eml", g_mime_message_get_subject(inner) != NULL
				 ? g_mime_message_get_subject(inner)
				 : "forwarded message");
	if (w->msg->dsn_original_id == NULL &&
	    g_mime_message_get_message_id(inner) != NULL)
		w->msg->dsn_original_id =
			mime_bracket_id(g_mime_message_get_message_id(inner));
	mime_add_part(w, obj, g_bytes_new(ba->data, ba->len), name);
	g_free(name);
	g_object_unref(mem);
}

static int
mime_is_body_text(GMimeObject *obj)
{
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	char *type;
	int yes;

	if (!GMIME_IS_PART(obj) ||
	    (disp != NULL && g_mime_content_disposition_is_attachment(disp)))
		return 0;
	type = mime_type_of(obj);
	yes = strcmp(type, "text/plain") == 0;
	g_free(type);
	return yes;
}

/*
 * multipart/alternative: the text/plain child is the body; the others
 * say the same thing, so only their non-text parts (inline images of an
 * HTML alternative) are kept.  Without a plain child, the first child
 * (usually the HTML) is walked as the body.
 */
static void
mime_walk_alternative(struct mime_walk *w, GMimeMultipart *mp, int depth,
		      int skip_text)
{
	int n = g_mime_multipart_get_count(mp), body = -1;

	for (int i = 0; i < n && body < 0; i++)
		if (mime_is_body_text(g_mime_multipart_get_part(mp, i)))
			body = i;
	if (body < 0)
		body = n - 1; /* RFC 2046: the last is the richest */
	for (int i = 0; i < n; i++)
		mime_walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1,
				 skip_text || i != body);
}

static void
mime_walk_multipart(struct mime_walk *w, GMimeObject *obj, int depth,
		    int skip_text)
{
	GMimeMultipart *mp = GMIME_MULTIPART(obj);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *sub = ct != NULL ? g_mime_content_type_get_media_subtype(ct) : "";
	int n = g_mime_multipart_get_count(mp);

	if (sub != NULL && g_ascii_strcasecmp(sub, "alternative") == 0) {
		mime_walk_alternative(w, mp, depth, skip_text);
		return;
	}
	if (sub != NULL && g_ascii_strcasecmp(sub, "signed") == 0 && n > 1)
		n = 1; /* the second part is the signature itself */
	for (int i = 0; i < n; i++)
		mime_walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1,
				 skip_text);
}

static void
mime_walk_object(struct mime_walk *w, GMimeObject *obj, int depth,
		 int skip_text)
{
	if (obj == NULL)
		return;
	if (depth > MIME_MAX_DEPTH || w->leaves >= MIME_MAX_PARTS) {
		if (w->msg->warnings->len == 0)
			g_ptr_array_add(w->msg->warnings, g_strdup_printf(
				"structure beyond %d levels or %d parts not "
				"walked (the raw message keeps it)",
				MIME_MAX_DEPTH, MIME_MAX_PARTS));
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		mime_walk_multipart(w, obj, depth, skip_text);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		w->leaves++;
		mime_walk_message_part(w, obj);
	} else if (GMIME_IS_PART(obj)) {
		w->leaves++;
		mime_walk_leaf(w, obj, skip_text);
	}
}

static void
mime_read_body(struct mime_message *m, GMimeMessage *gm)
{
	struct mime_walk w = { m, g_string_new(NULL), NULL, 0 };
	GMimeObject *top = g_mime_message_get_mime_part(gm);
	GMimeContentType *ct = top != NULL ? g_mime_object_get_content_type(top) : NULL;

	m->content_type = top != NULL ? mime_type_of(top) : g_strdup("text/plain");
	if (ct != NULL && g_mime_content_type_get_parameter(ct, "report-type"))
		m->report_type = g_ascii_strdown(
			g_mime_content_type_get_parameter(ct, "report-type"), -1);
	mime_walk_object(&w, top, 0, 0);
	if (w.plain->len == 0 && w.html != NULL) {
		char *text = NULL;

		if (html2text(w.html, strlen(w.html), &text, NULL) == 0) {
			m->text = mime_clean_text(text, -1);
			m->text_from_html = 1;
		} else {
			m->text = g_strdup(w.html);
		}
		g_free(text);
	}
	if (m->text == NULL)
		m->text = g_strdup(w.plain->str);
	/* Trailing blank lines carry nothing and upset comparisons. */
	g_strchomp(m->text);
	g_string_free(w.plain, TRUE);
	g_free(w.html);
}

int
mime_parse(const char *data, size_t len, struct mime_message **msg_r,
	   struct cm_error *err)
{
	static const char *fallback[] = { "UTF-8", "windows-1252", NULL };
	GMimeParserOptions *opts;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *gm;
	struct mime_message *m;

	*msg_r = NULL;
	mime_init();
	if (len == 0)
		return cm_error_set(err, CM_EINPUT, "empty message");
	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(opts, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(opts,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(opts,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts,
		GMIME_RFC_COMPLIANCE_LOOSE);
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	gm = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	g_object_unref(stream);
	if (gm == NULL) {
		g_mime_parser_options_free(opts);
		return cm_error_set(err, CM_EINPUT, "not a mail message");
	}
	m = mime_message_new();
	mime_read_headers(m, gm);
	mime_read_ids(m, gm, opts, data, len);
	mime_read_body(m, gm);
	g_object_unref(gm);
	g_mime_parser_options_free(opts);
	*msg_r = m;
	return 0;
}
