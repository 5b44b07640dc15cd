/*
 * attach.h - content-addressed files: attachments and raw messages.
 *
 * A blob lives at DIR/ab/<sha256> where ab are the first two hex digits
 * of its SHA-256, so identical files are stored once and a name
 * never depends on anything a sender chose.  Writing follows the
 * write-tmp, fsync, rename, fsync-directory ladder, so a blob that exists
 * under its name is complete and durable before the database says so.
 *
 * For batches the fsyncs can be deferred: attach_put(..., deferred=1)
 * writes and renames only, and one attach_sync() before the commit that
 * names the blobs makes them all durable at once (one syncfs instead of
 * two fsyncs per file, which would cap ingest at a few hundred mails/s).
 */
#ifndef CASEMAIL_ATTACH_H
#define CASEMAIL_ATTACH_H

#include <stddef.h>

#include "casemail/error.h"

#define ATTACH_SHA256_HEX 65   /* 64 hex digits and NUL */

/*
 * Store len bytes under dir (created if missing) and put their SHA-256 in
 * sha_r.  An existing blob of the right size is left alone (*created_r
 * 0).  With deferred, nothing is fsynced: call attach_sync() before
 * committing a reference to it.  CM_ETEMP on I/O errors (disk full: try
 * again later), CM_ESTORE if dir is unusable.
 */
int attach_put(const char *dir, const void *data, size_t len, int deferred,
	       char sha_r[ATTACH_SHA256_HEX], int *created_r,
	       struct cm_error *err);

/*
 * The SHA-256 of len bytes as 64 lower-case hex digits in hex_r.  GnuTLS's
 * (hardware-accelerated where the CPU has it): every stored message and
 * attachment is hashed, and GLib's portable code was a tenth of ingest.
 */
void attach_sha256_hex(const void *data, size_t len,
		       char hex_r[ATTACH_SHA256_HEX]);

/* Make every blob written under dir durable (syncfs of its file system). */
int attach_sync(const char *dir, struct cm_error *err);

/* The path of a blob (caller g_free()s); it may not exist. */
char *attach_path(const char *dir, const char *sha256);

/* Read a whole blob (caller g_free()s *data_r).  CM_ENOTFOUND if absent. */
int attach_get(const char *dir, const char *sha256, char **data_r,
	       size_t *len_r, struct cm_error *err);

/* fsync() the directory dir, so that a rename in it is on disk: 0 or -1
 * (errno set).  Shared with the other files written by rename. */
int attach_fsync_dir(const char *dir);

/* Write all len bytes of p to fd (EINTR retried): 0 or -1 (errno set). */
int attach_write_all(int fd, const char *p, size_t len);

#endif
