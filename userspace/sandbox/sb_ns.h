/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: namespaces and the root view.
 *
 * The view is a read-only tmpfs with read-only bind mounts of /usr, /bin,
 * /sbin, /lib*, a snapshot of a few /etc entries (sb_etc.h; never shadow,
 * gshadow, sudoers, ...),
 * /dev/{null,zero,full,random,urandom}, a fresh /proc of the sandbox's pid
 * namespace, a tmpfs /tmp, the run's writable /scratch, and the request's
 * extra paths at their host locations.
 */
#ifndef SB_NS_H
#define SB_NS_H

#include <stddef.h>
#include <sys/types.h>

struct sb_view {
	const char *root;		/* host dir to build the view on */
	const char *scratch;		/* host dir bound at /scratch */
	const char *etc;		/* host dir bound at /etc (sb_etc.h) */
	const char *const *ro;		/* extra host paths, read-only */
	const char *const *rw;		/* extra host paths, writable */
};

/* Parent side: identity map of uid/gid into the child's user namespace. */
int sb_ns_write_maps(pid_t pid, uid_t uid, gid_t gid, char *msg, size_t len);
/*
 * Child side, async-signal-safe: builds the view and pivots into it.  On
 * failure returns -errno with what failed in msg.
 */
int sb_ns_enter_view(const struct sb_view *v, char *msg, size_t len);
/* Whether an extra path may be bound (absolute, no "..", not a system dir). */
int sb_ns_check_path(const char *path, char *msg, size_t len);

#endif
