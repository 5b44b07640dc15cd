/*
 * tnef.c - winmail.dat unpacked: libytnef for the attribute layer, our
 * scan (tnef_scan.c) for the framing and the MAPI properties, and the
 * hook that turns the files into parts of the message.
 *
 * libytnef builds the list of files (one per attAttachRendData, in TNEF
 * order) with each file's 8.3 title and attAttachData, and the plain body
 * and code page.  It sees only what tnef_scan lets through; after its
 * parse its structures are made consistent again (tnef_sanitize) before
 * TNEFFree walks them, because a parse that failed half-way leaves sizes
 * without buffers and buffers TNEFFree does not free.
 */
#include "tnef_private.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "casemail/record.h"

#define TNEF_IID_BYTES 16    /* a PtypObject value starts with an IID */
#define TNEF_NAME_MAX_BYTES 1024  /* before mime_safe_filename cuts to 200 */

/* What naming and typing a file needs besides libytnef's attachment. */
struct tnef_ctx {
	const struct tnef_scan_result *scan;
	unsigned codepage;   /* of the stream's 8-bit strings, 0 if unknown */
};

/* ---- libytnef's structures ------------------------------------------------ */

/*
 * An empty value may still own a buffer that libytnef's free skips: free
 * it in each of the n values.
 */
static void
tnef_fix_vls(variableLength *const *vls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (vls[i]->size <= 0) {
			free(vls[i]->data);
			vls[i]->data = NULL;
			vls[i]->size = 0;
		}
	}
}

static void
tnef_fix_attachment(Attachment *a)
{
	variableLength *const vls[] = {
		&a->Title, &a->MetaFile, &a->TransportFilename, &a->FileData,
		&a->IconData,
	};

	tnef_fix_vls(vls, G_N_ELEMENTS(vls));
}

static void
tnef_sanitize(TNEFStruct *t)
{
	variableLength *const vls[] = {
		&t->from, &t->subject, &t->body, &t->CodePage,
		&t->OriginalMessageClass, &t->Owner, &t->SentFor,
		&t->Delegate, &t->AidOwner,
	};

	tnef_fix_vls(vls, G_N_ELEMENTS(vls));
	for (Attachment *a = &t->starting_attach; a != NULL; a = a->next)
		tnef_fix_attachment(a);
}

/*
 * Free everything libytnef allocated.  Attributes of a file that came
 * before the first attAttachRendData land in starting_attach, which
 * TNEFFree does not free; it is emptied first, and left so that a
 * TNEFFree that does free it finds nothing to free twice.  (No MAPI
 * block reaches libytnef, so its property lists stay empty.)
 */
static void
tnef_release(TNEFStruct *t)
{
	tnef_sanitize(t);
	TNEFFreeAttachment(&t->starting_attach);
	t->starting_attach.MAPI.properties = NULL;
	t->starting_attach.MAPI.count = 0;
	TNEFFree(t);
}

/* ---- strings -------------------------------------------------------------- */

static int
tnef_is_ascii(const guint8 *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 0x80)
			return 0;
	return 1;
}

/* 8-bit text in the stream's code page (attOemCodepage) as UTF-8. */
static char *
tnef_str8(const guint8 *s, size_t n, unsigned codepage)
{
	char *cs, *out;

	n = strnlen((const char *)s, MIN(n, TNEF_NAME_MAX_BYTES));
	if (tnef_is_ascii(s, n) || codepage == 65001)
		return g_utf8_make_valid((const char *)s, (gssize)n);
	cs = g_strdup_printf("CP%u", codepage != 0 ? codepage : 1252);
	out = g_convert((const char *)s, (gssize)n, "UTF-8", cs, NULL, NULL,
			NULL);
	g_free(cs);
	/* An unknown code page: windows-1252 decodes every byte. */
	if (out == NULL)
		out = g_convert((const char *)s, (gssize)n, "UTF-8",
				"WINDOWS-1252", NULL, NULL, NULL);
	return out != NULL ? out : g_utf8_make_valid((const char *)s,
						     (gssize)n);
}

/* UTF-16LE up to its first NUL as UTF-8; a lone surrogate becomes
 * U+FFFD (iconv would reject the whole string). */
static char *
tnef_utf16(const guint8 *s, size_t n)
{
	GString *out = g_string_sized_new(n / 2);

	for (size_t i = 0; i + 1 < n; i += 2) {
		gunichar u = (gunichar)(s[i] | s[i + 1] << 8), lo;

		if (u == 0)
			break;
		if (u >= 0xD800 && u < 0xDC00 && i + 3 < n &&
		    (lo = (gunichar)(s[i + 2] | s[i + 3] << 8)) >= 0xDC00 &&
		    lo < 0xE000) {
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			i += 2;
		} else if (u >= 0xD800 && u < 0xE000) {
			u = 0xFFFD;
		}
		g_string_append_unichar(out, u);
	}
	return g_string_free(out, FALSE);
}

/* A string property of an object as UTF-8, or NULL if absent or empty. */
static char *
tnef_prop_str(const struct tnef_ctx *c, int object, unsigned id)
{
	const struct tnef_prop *p;
	char *s = NULL;

	if ((p = tnef_scan_prop(c->scan, object, id, PT_UNICODE)) != NULL)
		s = tnef_utf16(p->data, MIN(p->len, 2 * TNEF_NAME_MAX_BYTES));
	else if ((p = tnef_scan_prop(c->scan, object, id, PT_STRING8)) != NULL)
		s = tnef_str8(p->data, p->len, c->codepage);
	if (s != NULL && s[0] == '\0') {
		g_free(s);
		s = NULL;
	}
	return s;
}

/* ---- names and types -------------------------------------------------------- */

/* Outlook's name for the file: the long MAPI name, else the 8.3 title
 * of the TNEF attribute, else the MAPI 8.3 name. */
static char *
tnef_file_name(const struct tnef_ctx *c, int object, Attachment *a)
{
	char *raw = tnef_prop_str(c, object, PR_ATTACH_LONG_FILENAME), *safe;

	if (raw == NULL && a->Title.size > 0) {
		raw = tnef_str8(a->Title.data, (size_t)a->Title.size,
				c->codepage);
		if (raw[0] == '\0')
			g_clear_pointer(&raw, g_free);
	}
	if (raw == NULL)
		raw = tnef_prop_str(c, object, PR_ATTACH_FILENAME);
	safe = mime_safe_filename(raw);
	g_free(raw);
	return safe != NULL ? safe : g_strdup(TNEF_UNTITLED);
}

static const struct {
	const char *ext, *type;
} tnef_ext_types[] = {
	{ "pdf", "application/pdf" },
	{ "doc", "application/msword" },
	{ "dot", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
		  "wordprocessingml.document" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
		  "spreadsheetml.sheet" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument."
		  "presentationml.presentation" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "rtf", "application/rtf" },
	{ "txt", "text/plain" },
	{ "csv", "text/csv" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "xml", "application/xml" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "png", "image/png" },
	{ "gif", "image/gif" },
	{ "bmp", "image/bmp" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "mp3", "audio/mpeg" },
	{ "wav", "audio/wav" },
	{ "zip", "application/zip" },
	{ "7z", "application/x-7z-compressed" },
	{ "gz", "application/gzip" },
	{ "eml", "message/rfc822" },
	{ "msg", "application/vnd.ms-outlook" },
	{ "ics", "text/calendar" },
	{ "vcf", "text/vcard" },
};

static const char *
tnef_type_from_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return "application/octet-stream";
	for (size_t i = 0; i < G_N_ELEMENTS(tnef_ext_types); i++)
		if (g_ascii_strcasecmp(dot + 1, tnef_ext_types[i].ext) == 0)
			return tnef_ext_types[i].type;
	return "application/octet-stream";
}

/* A MIME tag fit for a Content-Type: type/subtype of token characters.
 * Anything else is the sender's noise. */
static int
tnef_valid_type(const char *t)
{
	const char *slash = strchr(t, '/');

	if (slash == NULL || slash == t || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL || strlen(t) > 100)
		return 0;
	for (const char *p = t; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("/!#$&^_.+-", *p) == NULL)
			return 0;
	return 1;
}

static char *
tnef_file_type(const struct tnef_ctx *c, int object, const char *name,
	       GBytes *data, int embedded)
{
	char *tag = tnef_prop_str(c, object, PR_ATTACH_MIME_TAG), *low;
	gsize n;
	const guint8 *d = g_bytes_get_data(data, &n);

	if (tag != NULL && tnef_valid_type(tag)) {
		low = g_ascii_strdown(tag, -1);
		g_free(tag);
		return low;
	}
	g_free(tag);
	/* An embedded message is a TNEF stream of its own, an OLE object a
	 * compound file; their names ("Untitled Attachment") say nothing. */
	if (embedded && n >= 4 && tnef_le32(d) == TNEF_SIGNATURE)
		return g_strdup("application/ms-tnef");
	if (embedded && n >= 8 &&
	    memcmp(d, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
		return g_strdup("application/x-ole-storage");
	return g_strdup(tnef_type_from_name(name));
}

static char *
tnef_file_cid(const struct tnef_ctx *c, int object)
{
	char *raw = tnef_prop_str(c, object, PR_ATTACH_CONTENT_ID);
	char *clean, *cid = NULL;

	if (raw == NULL)
		return NULL;
	clean = mime_clean_header(g_strdelimit(raw, "<>", ' '));
	g_strstrip(clean);
	if (clean[0] != '\0' && strchr(clean, ' ') == NULL &&
	    strlen(clean) <= 200)
		cid = g_steal_pointer(&clean);
	g_free(clean);
	g_free(raw);
	return cid;
}

/* ---- files ---------------------------------------------------------------- */

/*
 * The file's bytes.  An embedded message or OLE object is a PtypObject,
 * whose value starts with the 16-byte IID of its interface (MS-OXTNEF
 * 2.1.3.4.1): the object itself follows.  Such a file also has an
 * attAttachData, but that is only the placeholder older readers show
 * ("This attachment is a MAPI 1.0 embedded message..."): the object wins.
 */
static GBytes *
tnef_file_data(const struct tnef_ctx *c, int object, Attachment *a,
	       int *embedded_r)
{
	const struct tnef_prop *p;

	*embedded_r = 0;
	p = tnef_scan_prop(c->scan, object, PR_ATTACH_DATA_OBJ, PT_OBJECT);
	if (p != NULL && p->len >= TNEF_IID_BYTES) {
		*embedded_r = 1;
		return g_bytes_new(p->data + TNEF_IID_BYTES,
				   p->len - TNEF_IID_BYTES);
	}
	p = tnef_scan_prop(c->scan, object, PR_ATTACH_DATA_OBJ, PT_BINARY);
	if (p != NULL)
		return g_bytes_new(p->data, p->len);
	if (a->FileData.size > 0)
		return g_bytes_new(a->FileData.data, (gsize)a->FileData.size);
	return g_bytes_new(NULL, 0);
}

static const struct record_field tnef_file_fields[] = {
	RECORD_STRING(struct tnef_file, name),
	RECORD_STRING(struct tnef_file, content_type),
	RECORD_STRING(struct tnef_file, content_id),
	RECORD_BYTES(struct tnef_file, data),
};

static void
tnef_file_free(gpointer p)
{
	record_free(p, tnef_file_fields, G_N_ELEMENTS(tnef_file_fields));
}

static struct tnef_file *
tnef_file_new(const struct tnef_ctx *c, int object, Attachment *a)
{
	struct tnef_file *f = g_new0(struct tnef_file, 1);
	int embedded;

	f->data = tnef_file_data(c, object, a, &embedded);
	f->name = tnef_file_name(c, object, a);
	f->content_type = tnef_file_type(c, object, f->name, f->data,
					 embedded);
	f->content_id = tnef_file_cid(c, object);
	return f;
}

/* ---- the body ------------------------------------------------------------- */

/* Text bytes without the C terminator some writers store with them. */
static GBytes *
tnef_text_bytes(const guint8 *d, size_t n)
{
	while (n > 0 && d[n - 1] == '\0')
		n--;
	return n > 0 ? g_bytes_new(d, n) : NULL;
}

/* A body property as stored (8-bit or binary), or as UTF-8 (Unicode). */
static GBytes *
tnef_body_prop(const struct tnef_ctx *c, unsigned id)
{
	const struct tnef_prop *p = tnef_scan_prop(c->scan, 0, id, PT_BINARY);
	char *s;
	GBytes *b;

	if (p == NULL)
		p = tnef_scan_prop(c->scan, 0, id, PT_STRING8);
	if (p != NULL)
		return tnef_text_bytes(p->data, p->len);
	if ((p = tnef_scan_prop(c->scan, 0, id, PT_UNICODE)) == NULL)
		return NULL;
	s = tnef_utf16(p->data, p->len);
	b = tnef_text_bytes((const guint8 *)s, strlen(s));
	g_free(s);
	return b;
}

static void
tnef_read_body(const struct tnef_ctx *c, TNEFStruct *t, struct tnef_result *r)
{
	const struct tnef_prop *rtf = tnef_scan_prop(c->scan, 0,
						     PR_RTF_COMPRESSED,
						     PT_BINARY);

	/* The body is extra: a damaged one is left out, not an error. */
	if (rtf != NULL)
		(void)tnef_rtf_decompress(rtf->data, rtf->len,
					  TNEF_MAX_BODY_BYTES, &r->body_rtf,
					  NULL);
	r->body_html = tnef_body_prop(c, PR_BODY_HTML);
	if (t->body.size > 0)
		r->body_text = tnef_text_bytes(t->body.data,
					       (size_t)t->body.size);
	if (r->body_text == NULL)
		r->body_text = tnef_body_prop(c, PR_BODY);
}

/* ---- the whole stream ----------------------------------------------------- */

static const struct record_field tnef_result_fields[] = {
	RECORD_PTR_ARRAY(struct tnef_result, files),
	RECORD_BYTES(struct tnef_result, body_rtf),
	RECORD_BYTES(struct tnef_result, body_html),
	RECORD_BYTES(struct tnef_result, body_text),
};

static struct tnef_result *
tnef_collect(const struct tnef_scan_result *s, TNEFStruct *t)
{
	struct tnef_result *r = g_new0(struct tnef_result, 1);
	struct tnef_ctx c = { s, 0 };
	int object = 0;

	/* attOemCodepage: the code page of every 8-bit string. */
	if (t->CodePage.size >= 4)
		c.codepage = tnef_le32(t->CodePage.data);
	r->files = g_ptr_array_new_with_free_func(tnef_file_free);
	/* libytnef's n-th file is the scan's object n: both count
	 * attAttachRendData. */
	for (Attachment *a = t->starting_attach.next; a != NULL; a = a->next)
		g_ptr_array_add(r->files, tnef_file_new(&c, ++object, a));
	tnef_read_body(&c, t, r);
	r->trailing_bytes = s->trailing;
	return r;
}

static int
tnef_parse(const struct tnef_scan_result *s, struct tnef_result **res_r,
	   struct cm_error *err)
{
	TNEFStruct t;
	int yrc;

	memset(&t, 0, sizeof(t));
	TNEFInitialize(&t);
	t.Debug = 0;
	yrc = TNEFParseMemory(s->kept->data, (long)s->kept->len, &t);
	tnef_sanitize(&t);
	if (yrc == 0)
		*res_r = tnef_collect(s, &t);
	tnef_release(&t);
	if (yrc != 0)
		return cm_error_set(err, CM_EINPUT, "libytnef cannot parse "
				    "it (error %d)", yrc);
	return 0;
}

int
tnef_unpack(const void *data, size_t len, struct tnef_result **res_r,
	    struct cm_error *err)
{
	const guint8 *p = data;
	struct tnef_scan_result s;
	int rc;

	*res_r = NULL;
	if (len > TNEF_MAX_INPUT_BYTES)
		return cm_error_set(err, CM_EINPUT, "TNEF stream of %zu bytes "
				    "is over %zu", len, TNEF_MAX_INPUT_BYTES);
	if (len < TNEF_HEADER_BYTES || tnef_le32(p) != TNEF_SIGNATURE)
		return cm_error_set(err, CM_EINPUT, "not a TNEF stream");
	rc = tnef_scan(p, len, &s, err);
	if (rc == 0)
		rc = tnef_parse(&s, res_r, err);
	tnef_scan_clear(&s);
	return rc;
}

void
tnef_result_free(struct tnef_result **res)
{
	record_clear(res, tnef_result_fields, G_N_ELEMENTS(tnef_result_fields));
}

/* ---- the hook for mime.c -------------------------------------------------- */

int
tnef_is_tnef(const char *content_type, const char *filename)
{
	if (content_type != NULL &&
	    (g_ascii_strcasecmp(content_type, "application/ms-tnef") == 0 ||
	     g_ascii_strcasecmp(content_type, "application/vnd.ms-tnef") == 0))
		return 1;
	return filename != NULL &&
	       g_ascii_strcasecmp(filename, "winmail.dat") == 0;
}

static void tnef_warn(struct mime_message *msg, const struct mime_part *part,
		      const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
tnef_warn(struct mime_message *msg, const struct mime_part *part,
	  const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(msg->warnings, g_strdup_printf("%s: %s",
		part->filename != NULL ? part->filename : "winmail.dat", what));
	g_free(what);
}

/* The files become parts after the winmail.dat, as many as fit. */
static int
tnef_add_parts(struct mime_message *msg, const struct mime_part *tnef,
	       struct tnef_result *r)
{
	guint room = msg->parts->len < MIME_MAX_PARTS
		? MIME_MAX_PARTS - msg->parts->len : 0;
	guint n = MIN(room, r->files->len);

	for (guint i = 0; i < n; i++) {
		struct tnef_file *f = r->files->pdata[i];
		struct mime_part *p = g_new0(struct mime_part, 1);

		p->filename = g_steal_pointer(&f->name);
		p->content_type = g_steal_pointer(&f->content_type);
		p->content_id = g_steal_pointer(&f->content_id);
		/* Not inline: the HTML body that shows them stays inside
		 * the winmail.dat, so they must be listed as attachments. */
		p->inline_part = 0;
		p->data = g_steal_pointer(&f->data);
		g_ptr_array_add(msg->parts, p);
	}
	if (n < r->files->len)
		tnef_warn(msg, tnef, "%u of its %u files not unpacked (at most "
			  "%d parts per message)", r->files->len - n,
			  r->files->len, MIME_MAX_PARTS);
	return (int)n;
}

int
tnef_expand_last_part(struct mime_message *msg)
{
	const struct mime_part *last;
	struct tnef_result *r = NULL;
	struct cm_error err = { 0 };
	const void *data;
	gsize len;
	int added;

	if (msg->parts->len == 0)
		return 0;
	last = msg->parts->pdata[msg->parts->len - 1];
	if (!tnef_is_tnef(last->content_type, last->filename))
		return 0;
	data = g_bytes_get_data(last->data, &len);
	if (tnef_unpack(data, len, &r, &err) != 0) {
		tnef_warn(msg, last, "not unpacked, kept as it is: %s", err.msg);
		return 0;
	}
	added = tnef_add_parts(msg, last, r);
	/* A few bytes of padding are common; more is a damaged stream. */
	if (r->trailing_bytes >= TNEF_ATTR_OVERHEAD)
		tnef_warn(msg, last, "damaged after byte %zu: its last %zu "
			  "bytes not unpacked", len - r->trailing_bytes,
			  r->trailing_bytes);
	tnef_result_free(&r);
	return added;
}
