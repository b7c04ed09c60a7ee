/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libaiossandbox: the seccomp deny-list.  Built once with libseccomp into a
 * classic BPF program (so that the code between clone and execve needs no
 * allocation), installed in the tool process right before execve.
 */
#ifndef SB_SECCOMP_H
#define SB_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/filter.h>

/* Builds the filter; net=false also denies sockets other than AF_UNIX. */
int sb_seccomp_build(bool net, struct sock_fprog *prog, char *msg,
		     size_t msglen);
void sb_seccomp_free(struct sock_fprog *prog);
/* Async-signal-safe: installs prog in the calling thread (needs NNP). */
int sb_seccomp_apply(const struct sock_fprog *prog);
/* Names of the denied syscalls, NULL-terminated (documentation, tests). */
extern const char *const sb_seccomp_denied[];

#endif
