/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: the sandbox's /etc.  A snapshot of the few entries a
 * program needs (passwd, group, hosts, resolv.conf, ld.so.cache, ssl certs,
 * alternatives, ...), taken when the handle is opened: regular files are
 * copied, symlinks recreated, directories walked; anything not readable by
 * everyone (shadow-like files, /etc/ssl/private) is left out.  One
 * read-only bind mount per sandbox instead of one per file.
 */
#ifndef SB_ETC_H
#define SB_ETC_H

#include <stddef.h>

/* Creates base/aios-sb-etc-XXXXXX; its path into dir. */
int sb_etc_snapshot(const char *base, char *dir, size_t len, char *msg,
		    size_t msglen);

#endif
