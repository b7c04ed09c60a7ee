// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The handle and the /dev/aios descriptor: open, handshake, register,
 * agent info, spawn, last denial, no-op.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <netlink/socket.h>

#include "device.h"

#define DEFAULT_PATH "/dev/" AIOS_DEVICE_NAME

struct aios *aios_new(void)
{
	struct aios *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->fd = -1;
	return h;
}

void aios_close(struct aios *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	if (h->nl)
		nl_socket_free(h->nl);
	free(h->nlbuf);
	free(h);
}

int aios_fd(const struct aios *h)
{
	return h->fd >= 0 ? h->fd : -EBADF;
}

uint32_t aios_api_version(const struct aios *h)
{
	return h->api_version;
}

uint64_t aios_features(const struct aios *h)
{
	return h->features;
}

unsigned int aios_ioctl_size(const struct aios *h, unsigned int nr)
{
	return nr < AIOS_IOC_NR_MAX ? h->struct_size[nr] : 0;
}

uint64_t aios_agent_id(const struct aios *h)
{
	return h->agent_id;
}

int aios_set_via(struct aios *h, int via)
{
	if (via != AIOS_VIA_AUTO && via != AIOS_VIA_IOCTL &&
	    via != AIOS_VIA_NETLINK)
		return aiosi_failmsg(h, -EINVAL,
				     "aios_set_via: unknown transport %d", via);
	h->via = via;
	return 0;
}

const char *aiosi_errno_hint(int err)
{
	switch (err < 0 ? -err : err) {
	case EBADFD:
		return "the handle is in the wrong state for this call (register it as an agent first?)";
	case ENOLINK:
		return "this agent was killed; its handle is dead";
	case ESRCH:
		return "no agent with that id";
	case ENOTTY:
		return "not an aios device, or the loaded module does not know this call";
	case EPROTONOSUPPORT:
		return "library and kernel module speak different API versions";
	}
	return "";
}

int aiosi_need_fd(struct aios *h, const char *what)
{
	if (h->fd >= 0)
		return 0;
	return aiosi_failmsg(h, -EBADF,
			     "%s: no /dev/aios descriptor: call aios_open() first",
			     what);
}

int aiosi_need_agent(struct aios *h, const char *what)
{
	int ret = aiosi_need_fd(h, what);

	if (ret)
		return ret;
	if (h->agent_id)
		return 0;
	return aiosi_failmsg(h, -EBADFD,
			     "%s: this handle is not an agent: call aios_register() first",
			     what);
}

/* Detail for EPERM: the agent's last denial, as recorded by the kernel. */
static void denial_detail(struct aios *h, char *buf, size_t len)
{
	struct aios_denial d;
	int ret;

	buf[0] = '\0';
	if (!h->agent_id)
		return;
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	do
		ret = ioctl(h->fd, AIOS_IOC_LAST_DENIAL, &d);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return;
	d.reason[sizeof(d.reason) - 1] = '\0';
	snprintf(buf, len, "%s (audit op %llu, seq %llu)",
		 d.reason[0] ? d.reason : "denied",
		 (unsigned long long)d.op_id,
		 (unsigned long long)d.audit_seq);
}

int aiosi_ioctl(struct aios *h, unsigned long req, void *arg,
		const char *what)
{
	char detail[AIOS_REASON_MAX + 64];
	int ret, err;

	do
		ret = ioctl(h->fd, req, arg);
	while (ret < 0 && errno == EINTR);
	if (ret >= 0)
		return ret;
	err = -errno;
	if (err == -EPERM && req != AIOS_IOC_LAST_DENIAL)
		denial_detail(h, detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "%s", aiosi_errno_hint(err));
	return aiosi_fail(h, err, detail, "%s", what);
}

static int handshake(struct aios *h, const char *path)
{
	struct aios_api a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.api_version = AIOS_API_VERSION;
	do
		ret = ioctl(h->fd, AIOS_IOC_API, &a);
	while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
		if (ret == -EPROTONOSUPPORT)
			return aiosi_failmsg(h, ret,
					     "%s: API version mismatch: libaios speaks %u, the kernel module speaks %u: install matching versions of libaios and aios.ko",
					     path, AIOS_API_VERSION, a.api_version);
		if (ret == -ENOTTY)
			return aiosi_failmsg(h, ret,
					     "%s: not an aios device (API handshake ioctl not supported)",
					     path);
		return ret;	/* EALREADY is handled by the caller */
	}
	h->api_version = a.api_version;
	h->features = a.features;
	memcpy(h->struct_size, a.struct_size, sizeof(h->struct_size));
	h->ready = true;
	return 0;
}

static int open_fail(struct aios *h, int err, const char *path)
{
	switch (-err) {
	case ENOENT:
		return aiosi_failmsg(h, err,
				     "%s not found: is the aios module loaded? (modprobe aios)",
				     path);
	case ENXIO:
	case ENODEV:
		return aiosi_failmsg(h, err,
				     "%s: no such device: the aios module is not loaded (modprobe aios)",
				     path);
	case EACCES:
	case EPERM:
		return aiosi_fail(h, err,
				  "check the device permissions (normally mode 0666) or ask an administrator",
				  "cannot open %s", path);
	}
	return aiosi_fail(h, err, NULL, "cannot open %s", path);
}

int aios_open_path(struct aios *h, const char *path)
{
	int fd, ret;

	if (h->fd >= 0)
		return aiosi_failmsg(h, -EALREADY,
				     "aios_open: the handle already has a device open");
	if (!path)
		path = DEFAULT_PATH;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return open_fail(h, -errno, path);
	h->fd = fd;
	ret = handshake(h, path);
	if (ret) {
		if (ret != -EPROTONOSUPPORT && ret != -ENOTTY)
			aiosi_fail(h, ret, aiosi_errno_hint(ret),
				   "%s: API handshake", path);
		close(fd);
		h->fd = -1;
		return ret;
	}
	aiosi_clear_err(h);
	return 0;
}

int aios_open(struct aios *h)
{
	return aios_open_path(h, NULL);
}

int aios_adopt_fd(struct aios *h, int fd)
{
	struct aios_agent_info ai;
	int ret;

	if (h->fd >= 0)
		return aiosi_failmsg(h, -EALREADY,
				     "aios_adopt_fd: the handle already has a device open");
	if (fd < 0)
		return aiosi_failmsg(h, -EBADF, "aios_adopt_fd: bad descriptor %d",
				     fd);
	h->fd = fd;
	ret = handshake(h, "adopted descriptor");
	if (ret == -EALREADY) {
		/* handshake done by whoever opened it; features unknown */
		h->api_version = AIOS_API_VERSION;
		h->ready = true;
	} else if (ret) {
		h->fd = -1;
		if (ret != -EPROTONOSUPPORT && ret != -ENOTTY)
			aiosi_fail(h, ret, aiosi_errno_hint(ret),
				   "adopted descriptor %d: API handshake", fd);
		return ret;
	}
	memset(&ai, 0, sizeof(ai));
	ai.size = sizeof(ai);
	do
		ret = ioctl(fd, AIOS_IOC_AGENT_INFO, &ai);
	while (ret < 0 && errno == EINTR);
	if (!ret)
		h->agent_id = ai.agent_id;
	else if (errno != EBADFD) {
		ret = -errno;
		h->fd = -1;
		return aiosi_fail(h, ret, aiosi_errno_hint(ret),
				  "adopted descriptor %d: agent info", fd);
	}
	aiosi_clear_err(h);
	return 0;
}

static int copy_name(struct aios *h, char *dst, const char *name,
		     const char *what)
{
	size_t n;

	if (!name || !*name)
		return aiosi_failmsg(h, -EINVAL, "%s: agent name is empty", what);
	n = strlen(name);
	if (n >= AIOS_NAME_MAX)
		return aiosi_failmsg(h, -EINVAL,
				     "%s: agent name of %zu bytes is too long (at most %d)",
				     what, n, AIOS_NAME_MAX - 1);
	memcpy(dst, name, n + 1);
	return 0;
}

int aios_register(struct aios *h, const char *name, unsigned int prio,
		  uint64_t *id)
{
	struct aios_register r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.prio = prio;
	ret = copy_name(h, r.name, name, "register");
	if (ret)
		return ret;
	if (prio > AIOS_PRIO_MAX)
		return aiosi_failmsg(h, -EINVAL,
				     "register: priority %u out of range (0..%d)",
				     prio, AIOS_PRIO_MAX);
	ret = aiosi_need_fd(h, "register");
	if (ret)
		return ret;
	ret = aiosi_ioctl(h, AIOS_IOC_REGISTER, &r, "register");
	if (ret < 0)
		return ret;
	h->agent_id = r.agent_id;
	if (id)
		*id = r.agent_id;
	aiosi_clear_err(h);
	return 0;
}

int aios_agent_info(struct aios *h, struct aios_agent *out)
{
	struct aios_agent_info ai;
	int ret;

	ret = aiosi_need_fd(h, "agent info");
	if (ret)
		return ret;
	memset(&ai, 0, sizeof(ai));
	ai.size = sizeof(ai);
	ret = aiosi_ioctl(h, AIOS_IOC_AGENT_INFO, &ai, "agent info");
	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	out->id = ai.agent_id;
	out->parent_id = ai.parent_id;
	out->caps = ai.caps;
	out->created_ns = ai.created_ns;
	out->prio = ai.prio;
	out->state = ai.state;
	out->pid = ai.pid;
	out->uid = ai.uid;
	memcpy(out->name, ai.name, sizeof(out->name));
	out->name[sizeof(out->name) - 1] = '\0';
	out->present = (1u << AIOS_AGENT_A_ID) | (1u << AIOS_AGENT_A_PARENT_ID) |
		       (1u << AIOS_AGENT_A_CAPS) | (1u << AIOS_AGENT_A_PRIO) |
		       (1u << AIOS_AGENT_A_STATE) | (1u << AIOS_AGENT_A_PID) |
		       (1u << AIOS_AGENT_A_UID) | (1u << AIOS_AGENT_A_NAME) |
		       (1u << AIOS_AGENT_A_CREATED_NS);
	aiosi_clear_err(h);
	return 0;
}

int aios_spawn_fd(struct aios *h, const struct aios_spawn_opts *o,
		  uint64_t *id)
{
	struct aios_spawn s;
	int ret;

	ret = aiosi_need_agent(h, "spawn");
	if (ret)
		return ret;
	if (!o || o->sz < sizeof(*o))
		return aiosi_failmsg(h, -EINVAL,
				     "spawn: options missing or of an older size (set .sz = sizeof(struct aios_spawn_opts))");
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ret = copy_name(h, s.name, o->name, "spawn");
	if (ret)
		return ret;
	if (o->prio > AIOS_PRIO_MAX)
		return aiosi_failmsg(h, -EINVAL,
				     "spawn: priority %u out of range (0..%d)",
				     o->prio, AIOS_PRIO_MAX);
	s.prio = o->prio;
	if (o->pidfd >= 0) {
		s.flags |= AIOS_SPAWN_PIDFD;
		s.pidfd = o->pidfd;
	}
	if (o->set_caps) {
		if (o->caps & ~AIOS_CAP_ALL)
			return aiosi_failmsg(h, -EINVAL,
					     "spawn: unknown capability bits 0x%llx",
					     (unsigned long long)(o->caps & ~AIOS_CAP_ALL));
		s.flags |= AIOS_SPAWN_CAPS;
		s.caps = o->caps;
	}
	if (o->cloexec)
		s.flags |= AIOS_SPAWN_CLOEXEC;
	ret = aiosi_ioctl(h, AIOS_IOC_SPAWN, &s, "spawn");
	if (ret < 0)
		return ret;
	if (id)
		*id = s.agent_id;
	aiosi_clear_err(h);
	return s.fd;
}

int aios_spawn(struct aios *h, const struct aios_spawn_opts *o,
	       struct aios **child)
{
	struct aios *c;
	uint64_t id;
	int fd;

	c = aios_new();
	if (!c)
		return aiosi_fail(h, -ENOMEM, NULL, "spawn");
	fd = aios_spawn_fd(h, o, &id);
	if (fd < 0) {
		aios_close(c);
		return fd;
	}
	c->fd = fd;
	c->ready = true;
	c->agent_id = id;
	c->api_version = h->api_version;
	c->features = h->features;
	c->via = h->via;
	memcpy(c->struct_size, h->struct_size, sizeof(c->struct_size));
	*child = c;
	return 0;
}

int aios_last_denial(struct aios *h, struct aios_denial *out)
{
	int ret = aiosi_need_agent(h, "last denial");

	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	ret = aiosi_ioctl(h, AIOS_IOC_LAST_DENIAL, out, "last denial");
	if (ret == -ENOENT)
		return aiosi_failmsg(h, ret,
				     "last denial: this agent has not been denied anything yet");
	if (ret < 0)
		return ret;
	out->reason[sizeof(out->reason) - 1] = '\0';
	aiosi_clear_err(h);
	return 0;
}

int aios_noop(struct aios *h)
{
	struct aios_noop n;
	int ret = aiosi_need_fd(h, "noop");

	if (ret)
		return ret;
	memset(&n, 0, sizeof(n));
	n.size = sizeof(n);
	ret = aiosi_ioctl(h, AIOS_IOC_NOOP, &n, "noop");
	return ret < 0 ? ret : 0;
}
