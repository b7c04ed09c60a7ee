/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libaiossandbox: small helpers (error text, files, async-signal-safe). */
#ifndef SB_UTIL_H
#define SB_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Formats a message into buf and returns -err (err > 0). */
int sb_err(char *buf, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes a whole string to dirfd/name (dirfd may be AT_FDCWD). */
int sb_write_at(int dirfd, const char *name, const char *s);
/* Reads up to len-1 bytes of dirfd/name into buf, NUL-terminated. */
int sb_read_at(int dirfd, const char *name, char *buf, size_t len);
/* Value of "key N" in a flat-keyed file such as memory.events; 0 if none. */
uint64_t sb_keyed_u64(const char *text, const char *key);
/* Removes a directory tree (does not cross mount points). */
int sb_rmtree(const char *path);
uint64_t sb_now_us(void);

/*
 * Async-signal-safe helpers for the code that runs between clone and
 * execve (no malloc, no stdio): string concatenation into a bounded buffer
 * and number formatting.
 */
size_t sb_scat(char *dst, size_t len, const char *src);
size_t sb_scat_u(char *dst, size_t len, unsigned long v);

#endif
