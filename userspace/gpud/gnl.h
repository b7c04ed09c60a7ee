/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aios-gpud: the generic netlink client (registration, device dumps,
 * GPU events).
 */
#ifndef AIOS_GPUD_GNL_H
#define AIOS_GPUD_GNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/aios.h>

struct nl_sock;

struct gnl {
	struct nl_sock *sk;
	int family;
	int fd;
};

/* A device as the kernel reports it (dump or event). */
struct gnl_dev {
	uint32_t id, major, minor, state, owner_pid, prio;
	uint64_t owner_id, handle;
	char name[AIOS_GPU_NAME_MAX];
	char path[AIOS_GPU_PATH_MAX];
};

/* Open a socket of the "aios" family; -errno with a message in @err. */
int gnl_open(struct gnl *g, char *err, size_t errlen);
void gnl_close(struct gnl *g);
/* Join a multicast group by name ("events", "audit"). */
int gnl_join(struct gnl *g, const char *group);

/* AIOS_CMD_GPU_REGISTER (grace_ms 0: the default); extack into @err. */
int gnl_register(struct gnl *g, uint32_t id, const char *name,
		 const char *path, uint32_t grace_ms, char *err,
		 size_t errlen);

/* Dump every registered device into a malloc'd array (free it). */
int gnl_dump(struct gnl *g, struct gnl_dev **out, int *n);

/*
 * Receive multicast messages and call @fn for each GPU event
 * (AIOS_CMD_NTF_GPU_*) and for each audit record of a GPU registration
 * (cmd AIOS_CMD_NTF_AUDIT, @dev NULL).  Does not block when @nonblock.
 * Returns messages handled, -EAGAIN when there were none, -ENOBUFS when
 * the socket overflowed (the caller must resynchronise), or -errno.
 */
typedef void (*gnl_event_fn)(void *arg, uint8_t cmd,
			     const struct gnl_dev *dev);
int gnl_events(struct gnl *g, gnl_event_fn fn, void *arg);

#endif /* AIOS_GPUD_GNL_H */
