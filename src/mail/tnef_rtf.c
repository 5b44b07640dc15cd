/*
 * tnef_rtf.c - Outlook's compressed RTF (PR_RTF_COMPRESSED), decoded
 * from MS-OXRTFCP.
 *
 * libytnef has a decoder (DecompressRTF), but it allocates the size the
 * header declares, copies a stored ("MELA") body by that size whatever
 * the input holds, and reads a reference's two bytes without looking
 * whether they are there.  This one checks every read against the input
 * and never writes more than the caller's bound.
 */
#include "tnef_private.h"

#include <string.h>

/* The dictionary's initial contents, fixed by MS-OXRTFCP 2.1.2.1. */
static const char tnef_rtf_prebuf[] =
	"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil "
	"\\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbol"
	"ArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n"
	"\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

#define TNEF_RTF_DICT 4096u
#define TNEF_RTF_HEADER 16u
#define TNEF_RTF_LZFU 0x75465A4Cu   /* "LZFu": compressed */
#define TNEF_RTF_MELA 0x414C454Du   /* "MELA": stored */

G_STATIC_ASSERT(sizeof(tnef_rtf_prebuf) - 1 == 207);

struct tnef_lzfu {
	guint8 dict[TNEF_RTF_DICT];
	unsigned wpos;
	GByteArray *out;
	size_t max;
};

static void
tnef_lzfu_put(struct tnef_lzfu *z, guint8 c)
{
	z->dict[z->wpos] = c;
	z->wpos = (z->wpos + 1) % TNEF_RTF_DICT;
	if (z->out->len < z->max)
		g_byte_array_append(z->out, &c, 1);
}

/*
 * One dictionary reference: 12 bits of offset, 4 of length - 2.  A
 * reference to the write position itself marks the end.  Returns 0 at
 * the end, 1 to go on.
 */
static int
tnef_lzfu_ref(struct tnef_lzfu *z, unsigned ref)
{
	unsigned off = ref >> 4, n = (ref & 0xF) + 2;

	if (off == z->wpos)
		return 0;
	/* Byte by byte: a reference may overlap what it is writing. */
	for (unsigned k = 0; k < n; k++)
		tnef_lzfu_put(z, z->dict[(off + k) % TNEF_RTF_DICT]);
	return 1;
}

/* Decode src[0..n) (the data after the header) until the end marker,
 * the input's end or max bytes of output, whichever comes first. */
static void
tnef_lzfu_run(struct tnef_lzfu *z, const guint8 *src, size_t n)
{
	size_t in = 0;

	while (in < n && z->out->len < z->max) {
		unsigned flags = src[in++];

		for (int bit = 0; bit < 8; bit++, flags >>= 1) {
			if ((flags & 1) == 0) {
				if (in >= n)
					return;
				tnef_lzfu_put(z, src[in++]);
			} else {
				if (n - in < 2 ||
				    !tnef_lzfu_ref(z, (unsigned)src[in] << 8 |
						   src[in + 1]))
					return;
				in += 2;
			}
		}
	}
}

int
tnef_rtf_decompress(const void *data, size_t len, size_t max_out,
		    GBytes **out_r, struct cm_error *err)
{
	const guint8 *p = data;
	uint32_t comp, raw, type;
	size_t body;
	struct tnef_lzfu *z;

	*out_r = NULL;
	if (len < TNEF_RTF_HEADER)
		return cm_error_set(err, CM_EINPUT, "RTF header cut short");
	comp = tnef_le32(p);
	raw = tnef_le32(p + 4);
	type = tnef_le32(p + 8);
	/* COMPSIZE counts everything after itself. */
	if (comp < TNEF_RTF_HEADER - 4 || comp > len - 4)
		return cm_error_set(err, CM_EINPUT, "RTF size %u does not fit "
				    "in %zu bytes", comp, len);
	if (raw > max_out)
		return cm_error_set(err, CM_EINPUT, "RTF of %u bytes is over "
				    "%zu", raw, max_out);
	body = (size_t)comp + 4 - TNEF_RTF_HEADER;
	if (type == TNEF_RTF_MELA) {
		if (raw > body)
			return cm_error_set(err, CM_EINPUT, "stored RTF cut "
					    "short");
		*out_r = g_bytes_new(p + TNEF_RTF_HEADER, raw);
		return 0;
	}
	if (type != TNEF_RTF_LZFU)
		return cm_error_set(err, CM_EINPUT, "unknown RTF compression "
				    "0x%08x", type);
	z = g_new0(struct tnef_lzfu, 1);
	memcpy(z->dict, tnef_rtf_prebuf, sizeof(tnef_rtf_prebuf) - 1);
	z->wpos = sizeof(tnef_rtf_prebuf) - 1;
	/* A 2-byte reference yields at most 17 bytes: 9 per input byte. */
	z->out = g_byte_array_sized_new((guint)MIN((size_t)raw, 9 * body));
	z->max = raw;
	tnef_lzfu_run(z, p + TNEF_RTF_HEADER, body);
	*out_r = g_byte_array_free_to_bytes(z->out);
	g_free(z);
	return 0;
}

