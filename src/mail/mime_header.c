/*
 * mime_header.c - the header fields of a message: subject, addresses,
 * date and message ids, decoded to clean UTF-8.
 */
#include <string.h>

#include "mime_private.h"

/*
 * More addresses than this in one field are a list bomb, not mail: the
 * rest are counted in *unread (nobody is dropped without a word).
 */
#define MIME_MAX_ADDRESSES 1000

static void
mime_add_addresses(GPtrArray *out, InternetAddressList *list, int depth,
		   unsigned *unread)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < 2) {
			mime_add_addresses(out,
				internet_address_group_get_members(
					INTERNET_ADDRESS_GROUP(ia)), depth + 1,
				unread);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia) &&
			   out->len >= MIME_MAX_ADDRESSES) {
			(*unread)++;
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
char *
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

void
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

/* The first header RFC 5322 allows once that obj has more often, or
 * NULL. */
static const char *
mime_repeated_header(GMimeObject *obj)
{
	static const char *const once[] = {
		"From", "To", "Cc", "Subject", "Date", "Message-ID",
		"In-Reply-To", "References",
	};
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;
	int seen[G_N_ELEMENTS(once)] = { 0 };

	for (int i = 0; i < n; i++) {
		const char *name = g_mime_header_get_name(
			g_mime_header_list_get_header_at(hl, i));

		for (size_t k = 0; name != NULL && k < G_N_ELEMENTS(once); k++)
			if (g_ascii_strcasecmp(name, once[k]) == 0 &&
			    ++seen[k] > 1)
				return once[k];
	}
	return NULL;
}

/* Every field called name (a message may repeat one), parsed from the raw
 * value so encoded words are decoded once. */
static unsigned
mime_read_addresses(GPtrArray *out, GMimeObject *obj, const char *name,
		    GMimeParserOptions *opts)
{
	unsigned unread = 0;

	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *raw = g_mime_header_get_raw_value(h);
		InternetAddressList *list;
		char *fixed;

		if (raw == NULL ||
		    g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
			continue;
		/* Raw 8-bit bytes inside Q words (Outlook 2000) and runs of
		 * base64 words are decoded there (GMime reads them wrong). */
		fixed = mime_words_fix(raw, GMIME_IS_MESSAGE(obj)
			? mime_declared_charsets(GMIME_MESSAGE(obj)) : NULL);
		list = mime_addr_parse(fixed != NULL ? fixed : raw, opts);
		mime_add_addresses(out, list, 0, &unread);
		if (list != NULL)
			g_object_unref(list);
		g_free(fixed);
	}
	return unread;
}

/*
 * No From: the sender is the first of Reply-To, Sender and Return-Path
 * that has an address, said in warnings.  from_count stays the From's
 * (0), so trust.c never verifies a stand-in.
 */
static void
mime_read_stand_in(struct mime_message *m, GPtrArray *from, GMimeObject *o,
		   GMimeParserOptions *opts)
{
	static const char *const stand_ins[] = {
		"Reply-To", "Sender", "Return-Path",
	};

	for (size_t i = 0; from->len == 0 && i < G_N_ELEMENTS(stand_ins); i++) {
		mime_read_addresses(from, o, stand_ins[i], opts);
		if (from->len > 0)
			g_ptr_array_add(m->warnings, g_strdup_printf(
				"no From: the sender is taken from %s",
				stand_ins[i]));
	}
}

/* Every Authentication-Results in header order (GMime keeps it): the
 * raw value, so nothing is decoded that the server did not write. */
static void
mime_read_auth_results(struct mime_message *m, GMimeObject *obj)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n && m->auth_results->len < MIME_MAX_AUTH_RESULTS;
	     i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *raw = g_mime_header_get_raw_value(h);

		if (raw != NULL && g_ascii_strcasecmp(g_mime_header_get_name(h),
						      "Authentication-Results") == 0)
			g_ptr_array_add(m->auth_results,
					mime_clean_header(raw));
	}
}

void
mime_read_headers(struct mime_message *m, GMimeMessage *gm,
		  GMimeParserOptions *opts)
{
	GMimeObject *o = GMIME_OBJECT(gm);
	GPtrArray *from = g_ptr_array_new_with_free_func(mime_address_free);
	GDateTime *date = g_mime_message_get_date(gm);

	char *subject = mime_header_text(o, "Subject", opts,
					 mime_declared_charsets(gm));

	m->subject = mime_clean_header(subject != NULL ? subject
				       : g_mime_message_get_subject(gm));
	g_free(subject);
	if (m->subject == NULL)
		m->subject = g_strdup("");
	mime_read_addresses(from, o, "From", opts);
	m->from_count = (int)from->len;
	m->repeated_header = mime_repeated_header(o);
	mime_read_stand_in(m, from, o, opts);
	if (from->len > 0) {
		struct mime_address *a = from->pdata[0];

		m->from.name = g_steal_pointer(&a->name);
		m->from.address = g_steal_pointer(&a->address);
	}
	g_ptr_array_unref(from);
	m->addresses_unread = mime_read_addresses(m->to, o, "To", opts) +
			      mime_read_addresses(m->cc, o, "Cc", opts);
	if (m->addresses_unread > 0)
		g_ptr_array_add(m->warnings, g_strdup_printf(
			"%u addresses in To/Cc past the first %d of a field "
			"not read", m->addresses_unread, MIME_MAX_ADDRESSES));
	mime_read_addresses(m->reply_to, o, "Reply-To", opts);
	m->date = date != NULL ? g_date_time_to_unix(date) : 0;
	m->auto_submitted = mime_header(o, "Auto-Submitted");
	m->precedence = mime_header(o, "Precedence");
	m->x_autoreply = mime_header(o, "X-Autoreply");
	m->x_autorespond = mime_header(o, "X-Autorespond");
	m->x_auto_response_suppress = mime_header(o, "X-Auto-Response-Suppress");
	m->return_path = mime_header(o, "Return-Path");
	m->list_id = mime_header(o, "List-Id");
	m->x_loop = mime_header(o, MIME_LOOP_HEADER);
	mime_read_auth_results(m, o);
	m->delivered_to = mime_header(o, "Delivered-To");
	m->x_original_to = mime_header(o, "X-Original-To");
}
