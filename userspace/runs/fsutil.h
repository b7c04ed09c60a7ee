/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small file-system and hashing helpers shared by the libaiosruns modules:
 * whole-file reads, crash-safe replacement (write temp, fsync, rename,
 * fsync directory), SHA-256 in hex, safe identifiers.
 */
#ifndef AIOS_RUNS_FSUTIL_H
#define AIOS_RUNS_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rerr.h"

#define AIOS_SHA256_LEN 32
#define AIOS_SHA256_HEX 65	/* 64 hex digits + NUL */
#define AIOS_ID_MAX 64

/* Read a whole file (at most max bytes, else -EFBIG); *buf is malloc'd
 * and NUL-terminated. */
int aios_read_file(const char *path, size_t max, char **buf, size_t *len,
		   struct aios_rerr *e);
/* Replace path atomically and durably with buf; mode of the new file. */
int aios_write_file_atomic(const char *path, const void *buf, size_t len,
			   mode_t mode, struct aios_rerr *e);
/*
 * Replace path atomically but not durably, for caches whose truth is
 * elsewhere (a run's workset.json): the new content is written into
 * <path>.alt (the previous version, rewritten in place), then the two
 * names are exchanged (renameat2 RENAME_EXCHANGE; a plain rename where
 * that is unsupported or path is missing).  No fsync.  Openers of path
 * always get a complete version; a reader still holding the file open
 * two replacements later may see it rewritten.
 */
int aios_write_file_replace(const char *path, const void *buf, size_t len,
			    mode_t mode, struct aios_rerr *e);
/* Create a new file that must not exist (O_EXCL), write, fsync. */
int aios_write_file_excl(const char *path, const void *buf, size_t len,
			 mode_t mode, struct aios_rerr *e);
int aios_fsync_dir(const char *dir);
/* mkdir -p with mode 0700 for created components. */
int aios_mkdir_p(const char *path, struct aios_rerr *e);
/* rm -rf of a directory tree built by this library (no symlinks followed). */
int aios_rm_tree(const char *path);

void aios_sha256(const void *buf, size_t len, unsigned char out[AIOS_SHA256_LEN]);
void aios_hex(const unsigned char *in, size_t len, char *out);
int aios_unhex(const char *in, unsigned char *out, size_t len);
void aios_sha256_hex(const void *buf, size_t len, char out[AIOS_SHA256_HEX]);

/*
 * A safe identifier (run id, episode name, snapshot id, session id):
 * 1..64 bytes of [A-Za-z0-9_-], starting with a letter or digit.  No dot,
 * no slash: it can never name anything but one directory entry.
 */
int aios_id_valid(const char *id, const char *what, struct aios_rerr *e);
/* A fresh random id "<prefix><16 hex digits>" from getrandom(). */
int aios_id_random(const char *prefix, char *out, size_t outlen);

uint64_t aios_now_ns(void);

#endif
