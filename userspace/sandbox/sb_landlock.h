/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: Landlock rules.  Inside the sandbox's root view: read and
 * execute everywhere, write only below /scratch, /tmp and the request's
 * writable paths (ACCESS_FS), and /dev/null.
 */
#ifndef SB_LANDLOCK_H
#define SB_LANDLOCK_H

/* Landlock ABI version of the running kernel, 0 when unavailable. */
int sb_landlock_abi(void);
/*
 * Async-signal-safe (runs between clone and execve): restricts the calling
 * thread.  rw is a NULL-terminated list of extra writable paths (may be
 * NULL).  Returns 0 or -errno.
 */
int sb_landlock_apply(int abi, const char *const *rw);

#endif
