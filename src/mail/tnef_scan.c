/*
 * tnef_scan.c - the framing of a TNEF stream, checked before libytnef
 * sees it, and the MAPI properties we need, read without it.
 *
 * Why not leave it all to libytnef (Debian's 2.0): it allocates the length
 * an attribute declares before looking whether the bytes are there; an
 * empty attribute stops its parse; a repeated attAttachData or
 * attAttachTitle is allocated again and the first leaks.  Its MAPI reader
 * fails the whole stream on a named property whose name is over 99 bytes
 * or a value over 512 KiB (current Outlook writes the first in every
 * message, an attachment easily has the second; the corpus's real Outlook
 * mail fails), and it reads PT_CURRENCY and PT_APPTIME values as 4 bytes
 * where MS-OXTNEF has 8, so a block holding one fails.  So libytnef is
 * given only the attributes we read from its structures, each once, none
 * empty, and the two MAPI attributes (attMAPIProps, attAttachment) are
 * walked here, by the layout of MS-OXTNEF 2.1.3.4, keeping only the few
 * single-valued properties used.
 */
#include "tnef_private.h"

#include <string.h>

/* Properties tnef.c reads: names, type, data and the message body. */
static const unsigned tnef_wanted_ids[] = {
	PR_ATTACH_LONG_FILENAME, PR_ATTACH_FILENAME, PR_ATTACH_MIME_TAG,
	PR_ATTACH_CONTENT_ID, PR_ATTACH_DATA_OBJ, PR_RTF_COMPRESSED,
	PR_BODY_HTML, PR_BODY,
};

/* Attributes libytnef parses for us: a new file, its 8.3 title and data,
 * the plain body, the code page of the 8-bit strings. */
static const uint32_t tnef_ytnef_attrs[] = {
	attAttachRenddata, attAttachTitle, attAttachData, attBody,
	attOemCodepage,
};

uint32_t
tnef_le32(const guint8 *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ---- MAPI property blocks --------------------------------------------------- */

struct tnef_walk {
	const guint8 *b;
	size_t n, off;
};

static int
tnef_walk_u32(struct tnef_walk *w, uint32_t *v)
{
	if (w->n - w->off < 4)
		return -1;
	*v = tnef_le32(w->b + w->off);
	w->off += 4;
	return 0;
}

/* Skip k bytes, then the padding to a multiple of 4 as far as present
 * (some writers leave it off the last value). */
static int
tnef_walk_skip(struct tnef_walk *w, size_t k)
{
	size_t pad = (4 - k % 4) % 4;

	if (w->n - w->off < k)
		return -1;
	w->off += k;
	w->off += MIN(pad, w->n - w->off);
	return 0;
}

static int
tnef_variable_type(unsigned type)
{
	return type == PT_STRING8 || type == PT_UNICODE || type == PT_BINARY ||
	       type == PT_OBJECT;
}

/* Bytes of one value of a fixed-size type (before padding), 0 if the
 * type is not one MS-OXTNEF allows. */
static size_t
tnef_fixed_size(unsigned type)
{
	switch (type) {
	case PT_I2:
		return 2;
	case PT_LONG: case PT_R4: case PT_ERROR: case PT_BOOLEAN:
		return 4;
	case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME: case PT_I8:
	case PT_SYSTIME:
		return 8;
	case PT_CLSID:
		return 16;
	default:
		return 0;
	}
}

static int
tnef_wanted(uint32_t tag)
{
	for (size_t i = 0; i < G_N_ELEMENTS(tnef_wanted_ids); i++)
		if (PROP_ID(tag) == tnef_wanted_ids[i])
			return 1;
	return 0;
}

/* Record a value we read, unless the object already has one (the first
 * wins; a repeat cannot grow the table). */
static void
tnef_keep_prop(struct tnef_scan_result *s, int object, uint32_t tag,
	       const guint8 *data, size_t len)
{
	struct tnef_prop p = { object, tag, data, len };

	if (!tnef_wanted(tag))
		return;
	for (guint i = s->props->len; i > 0; i--) {
		const struct tnef_prop *q =
			&g_array_index(s->props, struct tnef_prop, i - 1);

		if (q->object != object)
			break;
		if (q->tag == tag)
			return;
	}
	g_array_append_val(s->props, p);
}

/* A named property's name (MS-OXTNEF: GUID, kind, then an id or a
 * counted UTF-16 name).  We read no named property; it is only skipped. */
static int
tnef_walk_name(struct tnef_walk *w)
{
	uint32_t kind, len;

	if (w->n - w->off < 16)
		return -1;
	w->off += 16;
	if (tnef_walk_u32(w, &kind) != 0)
		return -1;
	if (kind == 0)
		return tnef_walk_u32(w, &len);
	if (kind != 1 || tnef_walk_u32(w, &len) != 0)
		return -1;
	return tnef_walk_skip(w, len);
}

/* One value of a property: its bytes in *v, *vlen. */
static int
tnef_walk_value(struct tnef_walk *w, unsigned type, const guint8 **v,
		size_t *vlen)
{
	uint32_t len;

	if (tnef_variable_type(type)) {
		if (tnef_walk_u32(w, &len) != 0)
			return -1;
		*vlen = len;
	} else if ((*vlen = tnef_fixed_size(type)) == 0) {
		return -1;
	}
	*v = w->b + w->off;
	return tnef_walk_skip(w, *vlen);
}

/*
 * One property.  Returns 0, or -1 when the block cannot be walked any
 * further (damaged, or a type we do not know the size of): what was read
 * before it stays good.
 */
static int
tnef_walk_prop(struct tnef_walk *w, struct tnef_scan_result *s, int object)
{
	uint32_t tag, count = 1;
	unsigned type;
	int single;

	if (tnef_walk_u32(w, &tag) != 0)
		return -1;
	type = PROP_TYPE(tag) & ~(unsigned)MV_FLAG;
	single = !(PROP_TYPE(tag) & MV_FLAG) && PROP_ID(tag) < 0x8000;
	if (PROP_ID(tag) >= 0x8000 && tnef_walk_name(w) != 0)
		return -1;
	if (((PROP_TYPE(tag) & MV_FLAG) || tnef_variable_type(type)) &&
	    tnef_walk_u32(w, &count) != 0)
		return -1;
	/* Every value takes at least 4 bytes: the loop ends with the block. */
	for (uint32_t i = 0; i < count; i++) {
		const guint8 *v;
		size_t vlen;

		if (tnef_walk_value(w, type, &v, &vlen) != 0)
			return -1;
		if (single && count == 1)
			tnef_keep_prop(s, object, tag, v, vlen);
	}
	return 0;
}

static void
tnef_walk_block(const guint8 *b, size_t n, struct tnef_scan_result *s, int object)
{
	struct tnef_walk w = { b, n, 0 };
	uint32_t count;

	if (tnef_walk_u32(&w, &count) != 0)
		return;
	for (uint32_t i = 0; i < count; i++)
		if (tnef_walk_prop(&w, s, object) != 0)
			return;
}

/* ---- attributes -------------------------------------------------------------- */

static uint16_t
tnef_checksum(const guint8 *p, size_t n)
{
	uint16_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint16_t)(sum + p[i]);
	return sum;
}

/*
 * Length of the attribute at off if it is whole (known level, fits, right
 * checksum), else 0.  One that is not ends the stream: truncation or
 * trailing garbage, and what came before is still good.
 */
static size_t
tnef_attr_size(const guint8 *p, size_t len, size_t off)
{
	uint32_t alen;

	if (len - off < TNEF_ATTR_OVERHEAD)
		return 0;
	if (p[off] != LVL_MESSAGE && p[off] != LVL_ATTACHMENT)
		return 0;
	alen = tnef_le32(p + off + 5);
	if (alen > len - off - TNEF_ATTR_OVERHEAD)
		return 0;
	if (tnef_checksum(p + off + 9, alen) !=
	    (uint16_t)(p[off + 9 + alen] | p[off + 10 + alen] << 8))
		return 0;
	return TNEF_ATTR_OVERHEAD + alen;
}

static int
tnef_for_ytnef(uint32_t id)
{
	for (size_t i = 0; i < G_N_ELEMENTS(tnef_ytnef_attrs); i++)
		if (id == tnef_ytnef_attrs[i])
			return 1;
	return 0;
}

/* Whether libytnef gets this one: an attribute it reads, not empty (that
 * stops its parse), not a repeat within its object (that leaks). */
static int
tnef_pass(GHashTable *seen, int object, uint32_t id, size_t alen)
{
	gint64 *key;

	if (!tnef_for_ytnef(id) || alen == 0)
		return 0;
	key = g_new(gint64, 1);
	*key = (gint64)object << 32 | id;
	if (g_hash_table_contains(seen, key)) {
		g_free(key);
		return 0;
	}
	g_hash_table_add(seen, key);
	return 1;
}

/* Count the attribute against the limits; 0 if within them. */
static int
tnef_count(struct tnef_scan_result *s, uint32_t id, struct cm_error *err)
{
	if (++s->attributes > TNEF_MAX_ATTRIBUTES)
		return cm_error_set(err, CM_EINPUT, "more than %d TNEF "
				    "attributes", TNEF_MAX_ATTRIBUTES);
	if (id == attAttachRenddata && ++s->files > TNEF_MAX_FILES)
		return cm_error_set(err, CM_EINPUT, "more than %d files in one "
				    "TNEF stream", TNEF_MAX_FILES);
	return 0;
}

static void
tnef_take(struct tnef_scan_result *s, GHashTable *seen, const guint8 *attr,
	  size_t n)
{
	uint32_t id = tnef_le32(attr + 1);
	size_t alen = n - TNEF_ATTR_OVERHEAD;

	if (id == attMAPIProps)
		tnef_walk_block(attr + 9, alen, s, 0);
	else if (id == attAttachment && s->files > 0)
		tnef_walk_block(attr + 9, alen, s, s->files);
	else if (tnef_pass(seen, s->files, id, alen))
		g_byte_array_append(s->kept, attr, (guint)n);
}

int
tnef_scan(const guint8 *p, size_t len, struct tnef_scan_result *s,
	  struct cm_error *err)
{
	GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal,
						 g_free, NULL);
	size_t off = TNEF_HEADER_BYTES, n;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->kept = g_byte_array_new();
	s->props = g_array_new(FALSE, FALSE, sizeof(struct tnef_prop));
	g_byte_array_append(s->kept, p, TNEF_HEADER_BYTES);
	while (rc == 0 && (n = tnef_attr_size(p, len, off)) > 0) {
		uint32_t id = tnef_le32(p + off + 1);

		/* An empty file marker would make libytnef's files and
		 * ours disagree: the stream is taken to end there. */
		if (id == attAttachRenddata && n == TNEF_ATTR_OVERHEAD)
			break;
		if ((rc = tnef_count(s, id, err)) == 0)
			tnef_take(s, seen, p + off, n);
		off += n;
	}
	g_hash_table_unref(seen);
	s->end = off;
	s->trailing = len - off;
	if (rc == 0 && s->attributes == 0)
		rc = cm_error_set(err, CM_EINPUT, "no whole TNEF attribute");
	return rc;
}

void
tnef_scan_clear(struct tnef_scan_result *s)
{
	if (s->kept != NULL)
		g_byte_array_unref(s->kept);
	if (s->props != NULL)
		g_array_unref(s->props);
	s->kept = NULL;
	s->props = NULL;
}

const struct tnef_prop *
tnef_scan_prop(const struct tnef_scan_result *s, int object, unsigned id,
	       unsigned type)
{
	for (guint i = 0; i < s->props->len; i++) {
		const struct tnef_prop *p =
			&g_array_index(s->props, struct tnef_prop, i);

		if (p->object == object && p->tag == PROP_TAG(type, id))
			return p;
	}
	return NULL;
}
