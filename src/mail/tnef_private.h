/*
 * tnef_private.h - internals shared by tnef.c (libytnef, the files, the
 * hook), tnef_scan.c (the stream's framing and MAPI properties) and
 * tnef_rtf.c (compressed RTF).  Nothing outside tnef*.c includes it: it
 * pulls in libytnef's headers, which #define BYTE, WORD and DWORD.
 */
#ifndef CASEMAIL_TNEF_PRIVATE_H
#define CASEMAIL_TNEF_PRIVATE_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>   /* tnef-types.h uses FILE without including it */

#include <ytnef.h>

#include "casemail/tnef.h"

#define TNEF_SIGNATURE 0x223E9F78u
#define TNEF_HEADER_BYTES 6          /* signature and key */
#define TNEF_ATTR_OVERHEAD 11        /* level, id, length; checksum */

/* One MAPI property value we read, found by tnef_scan. */
struct tnef_prop {
	int object;          /* 0: the message; n: the n-th file */
	uint32_t tag;        /* PROP_TAG(type, id), single-valued */
	const guint8 *data;  /* into the caller's stream: valid as long as it */
	size_t len;
};

/* What the scan of a stream found. */
struct tnef_scan_result {
	size_t end;          /* up to the end of the last whole attribute */
	size_t trailing;     /* bytes after it: padding or damage */
	int attributes, files;
	GByteArray *kept;    /* the stream libytnef may see */
	GArray *props;       /* struct tnef_prop */
};

uint32_t tnef_le32(const guint8 *p);

/*
 * Walk the stream's attributes (p has the right signature).  Every
 * attribute must fit in len and carry its checksum; the first that does
 * not ends the stream (s->trailing).  s->kept gets a TNEF stream with only
 * the attributes libytnef is asked to read, each once and none empty;
 * the MAPI property blocks are read here instead (s->props).  Returns 0,
 * or CM_EINPUT over the limits of tnef.h or without one whole attribute.
 * Free with tnef_scan_clear() either way.
 */
int tnef_scan(const guint8 *p, size_t len, struct tnef_scan_result *s,
	      struct cm_error *err);
void tnef_scan_clear(struct tnef_scan_result *s);

/* A property of an object by id and type, or NULL. */
const struct tnef_prop *tnef_scan_prop(const struct tnef_scan_result *s,
				       int object, unsigned id,
				       unsigned type);

#endif
