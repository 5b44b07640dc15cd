/*
 * compose_blob.c - attachments by reference: the sender's half (see
 * compose.h).  A composed mail holds a marker where a file's base64
 * belongs; compose_expand() writes the blob in when the mail is sent.
 */
#include "casemail/compose.h"

#include <string.h>

#include "casemail/attach.h"

#define BLOB_HEX 64
/* NUL, the tag, the digest, NUL. */
#define BLOB_MARKER_LEN (1 + sizeof(COMPOSE_BLOB_MARKER) - 1 + BLOB_HEX + 1)
/* 57 bytes make 76 base64 columns, GMime's line length. */
#define BLOB_LINE_BYTES 57
/* More header than GMime writes for one of our parts: not ours. */
#define BLOB_HEADER_MAX 4096

/* The marker at p (NUL first) as a digest in hex_r, or 0. */
static int
blob_marker(const char *p, const char *end, char hex_r[ATTACH_SHA256_HEX])
{
	const char *h = p + 1 + sizeof(COMPOSE_BLOB_MARKER) - 1;

	if ((size_t)(end - p) < BLOB_MARKER_LEN || p[0] != '\0' ||
	    memcmp(p + 1, COMPOSE_BLOB_MARKER,
		   sizeof(COMPOSE_BLOB_MARKER) - 1) != 0 ||
	    h[BLOB_HEX] != '\0')
		return 0;
	for (int i = 0; i < BLOB_HEX; i++)
		if (!g_ascii_isxdigit(h[i]) || g_ascii_isupper(h[i]))
			return 0;
	memcpy(hex_r, h, BLOB_HEX);
	hex_r[BLOB_HEX] = '\0';
	return 1;
}

/*
 * Where the header block of the part whose body starts at body begins,
 * or NULL when the marker is not the whole body of one of our base64
 * parts: the body follows a blank line, the header block follows a
 * boundary line ("--..."), and says base64.
 */
static const char *
blob_part_start(const char *raw, const char *body)
{
	const char *hdr = body - 1, *line;

	if (body - raw < 2 || body[-1] != '\n' || body[-2] != '\n')
		return NULL;
	/* hdr: the start of a line; back to the line before it until
	 * that one is a boundary. */
	for (;;) {
		if (hdr <= raw || body - hdr > BLOB_HEADER_MAX)
			return NULL;
		line = hdr - 1;
		while (line > raw && line[-1] != '\n')
			line--;
		if (hdr - 1 - line >= 2 && line[0] == '-' && line[1] == '-')
			break;
		hdr = line;
	}
	if (!g_strstr_len(hdr, body - hdr, "Content-Transfer-Encoding: base64"))
		return NULL;
	return hdr;
}

static void
blob_base64(GByteArray *out, const char *data, size_t len)
{
	for (size_t off = 0; off < len; off += BLOB_LINE_BYTES) {
		size_t n = MIN((size_t)BLOB_LINE_BYTES, len - off);
		char *line = g_base64_encode((const guchar *)data + off, n);

		g_byte_array_append(out, (const guint8 *)line,
				    (guint)strlen(line));
		g_byte_array_append(out, (const guint8 *)"\n", 1);
		g_free(line);
	}
}

/* The blob hex or why it cannot go (caller g_free()s). */
static char *
blob_load(const char *dir, const char *hex, int64_t *budget, char **data_r,
	  size_t *len_r)
{
	struct cm_error err = { 0 };
	char sum[ATTACH_SHA256_HEX];

	*data_r = NULL;
	if (dir == NULL)
		return g_strdup("no attachment store");
	if (attach_get(dir, hex, data_r, len_r, &err) != 0)
		return g_strdup(err.msg);
	attach_sha256_hex(*data_r, *len_r, sum);
	if (strcmp(sum, hex) != 0) {
		g_free(*data_r);
		*data_r = NULL;
		return g_strdup("the stored file does not match its digest");
	}
	if ((int64_t)*len_r > *budget) {
		g_free(*data_r);
		*data_r = NULL;
		return g_strdup_printf("%zu bytes, over [smtp] "
				       "max_attach_bytes", *len_r);
	}
	*budget -= (int64_t)*len_r;
	return NULL;
}

GBytes *
compose_expand(GBytes *raw, const char *dir, int64_t max_bytes,
	       GPtrArray **skipped_r)
{
	gsize len;
	const char *data = g_bytes_get_data(raw, &len), *end = data + len;
	const char *done = data, *p;
	GByteArray *out;
	int64_t budget = max_bytes;

	*skipped_r = NULL;
	if (len == 0 || memchr(data, '\0', len) == NULL)
		return g_bytes_ref(raw);
	out = g_byte_array_sized_new((guint)len);
	while ((p = memchr(done, '\0', (size_t)(end - done))) != NULL) {
		char hex[ATTACH_SHA256_HEX], *blob = NULL, *why;
		const char *hdr;
		size_t blen = 0;

		if (!blob_marker(p, end, hex) ||
		    (hdr = blob_part_start(data, p)) == NULL) {
			/* Not ours: passed on as it is, never expanded. */
			g_byte_array_append(out, (const guint8 *)done,
					    (guint)(p + 1 - done));
			done = p + 1;
			continue;
		}
		why = blob_load(dir, hex, &budget, &blob, &blen);
		if (why == NULL) {
			g_byte_array_append(out, (const guint8 *)done,
					    (guint)(p - done));
			blob_base64(out, blob, blen);
			g_free(blob);
		} else {
			/* The part becomes a note of what is missing. */
			char *note = g_strdup_printf(
				"Content-Type: text/plain; charset=us-ascii\n"
				"Content-Disposition: inline\n\n"
				"[An attached file was not sent with this "
				"mail: %s.]\n", why);

			g_byte_array_append(out, (const guint8 *)done,
					    (guint)(hdr - done));
			g_byte_array_append(out, (const guint8 *)note,
					    (guint)strlen(note));
			g_free(note);
			if (*skipped_r == NULL)
				*skipped_r = g_ptr_array_new_with_free_func(
					g_free);
			g_ptr_array_add(*skipped_r,
					g_strdup_printf("%s: %s", hex, why));
			g_free(why);
		}
		/* Past the marker and its line end. */
		done = p + BLOB_MARKER_LEN;
		if (done < end && *done == '\n')
			done++;
	}
	g_byte_array_append(out, (const guint8 *)done, (guint)(end - done));
	return g_byte_array_free_to_bytes(out);
}
