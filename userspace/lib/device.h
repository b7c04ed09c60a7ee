/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal: ioctls on the handle's /dev/aios descriptor.
 */
#ifndef AIOS_DEVICE_H
#define AIOS_DEVICE_H

#include "handle.h"

/*
 * ioctl(h->fd, req, arg) restarted on EINTR; on failure sets the handle's
 * message "<what>: <strerror>: <detail>", where detail is the kernel's
 * denial reason for EPERM on an agent, or a hint for common errors.
 * Returns the ioctl's result or a negative errno.
 */
int aiosi_ioctl(struct aios *h, unsigned long req, void *arg,
		const char *what);

/* -EBADF with a message when the handle has no device, else 0. */
int aiosi_need_fd(struct aios *h, const char *what);
/* -EBADFD with a message when the handle is not an agent, else 0. */
int aiosi_need_agent(struct aios *h, const char *what);

/* Hint for an errno returned by an aios ioctl or command ("" if none). */
const char *aiosi_errno_hint(int err);

#endif /* AIOS_DEVICE_H */
