// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Names of capabilities, priorities, operations, states, features and
 * errno values, in both directions.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aios.h"

struct name_bit {
	uint64_t bit;
	const char *name;
};

static const struct name_bit cap_names[] = {
	{ AIOS_CAP_SPAWN_AGENT, "SPAWN_AGENT" },
	{ AIOS_CAP_KILL_AGENT, "KILL_AGENT" },
	{ AIOS_CAP_ALLOC_MEMORY, "ALLOC_MEMORY" },
	{ AIOS_CAP_ACCESS_FS, "ACCESS_FS" },
	{ AIOS_CAP_ACCESS_NET, "ACCESS_NET" },
	{ AIOS_CAP_ACCESS_GPU, "ACCESS_GPU" },
	{ AIOS_CAP_ACCESS_IO, "ACCESS_IO" },
	{ AIOS_CAP_ADMIN, "ADMIN" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *aios_cap_name(uint64_t bit)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (cap_names[i].bit == bit)
			return cap_names[i].name;
	return NULL;
}

int aios_cap_from_name(const char *name, uint64_t *bit)
{
	size_t i;

	if (!name)
		return -EINVAL;
	/* accept an optional "CAP_" prefix: "cap_admin" */
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (i = 0; i < ARRAY_SIZE(cap_names); i++) {
		if (!strcasecmp(cap_names[i].name, name)) {
			*bit = cap_names[i].bit;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

int aios_caps_parse(const char *s, uint64_t *caps)
{
	uint64_t acc = 0, bit;
	const char *p, *q;
	char tok[64];
	size_t n;

	if (!s || !caps)
		return -EINVAL;
	for (p = s; isspace((unsigned char)*p); p++)
		;
	if (!*p)
		return -EINVAL;
	if (isdigit((unsigned char)*p)) {
		if (parse_u64(p, &acc))
			return -EINVAL;
		if (acc & ~AIOS_CAP_ALL)
			return -EINVAL;
		*caps = acc;
		return 0;
	}
	for (;;) {
		q = p + strcspn(p, ",|+");
		while (p < q && isspace((unsigned char)*p))
			p++;
		n = q - p;
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (!n || n >= sizeof(tok))
			return -EINVAL;
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (!strcasecmp(tok, "all"))
			bit = AIOS_CAP_ALL;
		else if (!strcasecmp(tok, "none"))
			bit = 0;
		else if (!strcasecmp(tok, "default"))
			bit = AIOS_CAP_DEFAULT;
		else if (aios_cap_from_name(tok, &bit))
			return -EINVAL;
		acc |= bit;
		if (!*q)
			break;
		p = q + 1;
	}
	*caps = acc;
	return 0;
}

/* Append "sep + s" to buf at *pos; -ENOSPC if it does not fit. */
static int append(char *buf, size_t len, size_t *pos, const char *sep,
		  const char *s)
{
	size_t need = strlen(sep) + strlen(s);

	if (*pos + need + 1 > len)
		return -ENOSPC;
	memcpy(buf + *pos, sep, strlen(sep));
	memcpy(buf + *pos + strlen(sep), s, strlen(s));
	*pos += need;
	buf[*pos] = '\0';
	return 0;
}

static int format_bits(uint64_t v, const struct name_bit *tbl, size_t ntbl,
		       char *buf, size_t len)
{
	size_t pos = 0, i;
	uint64_t rest = v;
	char hex[24];

	if (!buf || !len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!v)
		return append(buf, len, &pos, "", "none") ?: (int)pos;
	for (i = 0; i < ntbl; i++) {
		if (!(v & tbl[i].bit))
			continue;
		if (append(buf, len, &pos, pos ? "," : "", tbl[i].name))
			goto nospc;
		rest &= ~tbl[i].bit;
	}
	if (rest) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)rest);
		if (append(buf, len, &pos, pos ? "," : "", hex))
			goto nospc;
	}
	return (int)pos;
nospc:
	buf[0] = '\0';	/* no partial list on failure */
	return -ENOSPC;
}

int aios_caps_format(uint64_t caps, char *buf, size_t len)
{
	return format_bits(caps, cap_names, ARRAY_SIZE(cap_names), buf, len);
}

static const char *const prio_names[] = {
	[AIOS_PRIO_CRITICAL] = "critical",
	[AIOS_PRIO_HIGH] = "high",
	[AIOS_PRIO_NORMAL] = "normal",
	[AIOS_PRIO_LOW] = "low",
};

const char *aios_prio_name(unsigned int prio)
{
	return prio < ARRAY_SIZE(prio_names) ? prio_names[prio] : NULL;
}

int aios_prio_parse(const char *s, unsigned int *prio)
{
	uint64_t v;
	size_t i;

	if (!s || !prio)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(prio_names); i++) {
		if (!strcasecmp(s, prio_names[i])) {
			*prio = i;
			return 0;
		}
	}
	if (parse_u64(s, &v) || v > AIOS_PRIO_MAX)
		return -EINVAL;
	*prio = v;
	return 0;
}

static const char *const op_names[] = {
	[AIOS_OP_NONE] = "none",
	[AIOS_OP_REGISTER] = "register",
	[AIOS_OP_UNREGISTER] = "unregister",
	[AIOS_OP_SPAWN] = "spawn",
	[AIOS_OP_KILL] = "kill",
	[AIOS_OP_MIGRATE] = "migrate",
	[AIOS_OP_CAP_GRANT] = "cap_grant",
	[AIOS_OP_CAP_REVOKE] = "cap_revoke",
	[AIOS_OP_CAP_CHECK] = "cap_check",
	[AIOS_OP_AUDIT_CONFIG] = "audit_config",
	[AIOS_OP_QUEUE_CREATE] = "queue_create",
	[AIOS_OP_QUEUE_DESTROY] = "queue_destroy",
	[AIOS_OP_TASK_SUBMIT] = "task_submit",
	[AIOS_OP_TASK_CANCEL] = "task_cancel",
	[AIOS_OP_TASK_FAIL] = "task_fail",
	[AIOS_OP_TASK_REQUEUE] = "task_requeue",
	[AIOS_OP_GPU_REGISTER] = "gpu_register",
	[AIOS_OP_GPU_UNREGISTER] = "gpu_unregister",
	[AIOS_OP_GPU_CLAIM] = "gpu_claim",
	[AIOS_OP_GPU_RELEASE] = "gpu_release",
	[AIOS_OP_GPU_PREEMPT] = "gpu_preempt",
	[AIOS_OP_GPU_REVOKE] = "gpu_revoke",
	[AIOS_OP_MSG_SEND] = "msg_send",
	[AIOS_OP_MSG_POLICY] = "msg_policy",
};

const char *aios_op_name(unsigned int op)
{
	return op < ARRAY_SIZE(op_names) ? op_names[op] : NULL;	/* holes: NULL */
}

int aios_op_parse(const char *s, unsigned int *op)
{
	uint64_t v;
	size_t i;

	if (!s || !op)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(op_names); i++) {
		if (op_names[i] && !strcasecmp(s, op_names[i])) {
			*op = i;
			return 0;
		}
	}
	if (parse_u64(s, &v) || v > 0xff)
		return -EINVAL;
	*op = v;
	return 0;
}

const char *aios_state_name(unsigned int state)
{
	switch (state) {
	case AIOS_AGENT_LIVE:
		return "live";
	case AIOS_AGENT_DEAD:
		return "dead";
	}
	return NULL;
}

const char *aios_gpu_state_name(unsigned int state)
{
	switch (state) {
	case AIOS_GPU_FREE:
		return "free";
	case AIOS_GPU_HELD:
		return "held";
	case AIOS_GPU_PREEMPTING:
		return "preempting";
	case AIOS_GPU_REVOKED:
		return "revoked";
	case AIOS_GPU_RELEASED:
		return "released";
	case AIOS_GPU_WAITING:
		return "waiting";
	}
	return NULL;
}

const char *aios_exit_reason_name(unsigned int reason)
{
	switch (reason) {
	case AIOS_EXIT_CLOSED:
		return "closed";
	case AIOS_EXIT_KILLED:
		return "killed";
	case AIOS_EXIT_UNLOAD:
		return "unload";
	}
	return NULL;
}

static const struct name_bit feature_names[] = {
	{ AIOS_FEAT_AGENTS, "agents" },
	{ AIOS_FEAT_CAPS, "caps" },
	{ AIOS_FEAT_AUDIT, "audit" },
	{ AIOS_FEAT_QUEUES, "queues" },
	{ AIOS_FEAT_GPU, "gpu" },
	{ AIOS_FEAT_IPC, "ipc" },
};

const char *aios_feature_name(uint64_t bit)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(feature_names); i++)
		if (feature_names[i].bit == bit)
			return feature_names[i].name;
	return NULL;
}

int aios_features_format(uint64_t features, char *buf, size_t len)
{
	return format_bits(features, feature_names, ARRAY_SIZE(feature_names),
			   buf, len);
}

#define E(x) [x] = #x
static const char *const errno_names[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
	E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(EFBIG),
	E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM),
	E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS),
	E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ENOSTR), E(ENODATA),
	E(ETIME), E(ENOLINK), E(EPROTO), E(EBADMSG), E(EOVERFLOW),
	E(EBADFD), E(EMSGSIZE), E(EPROTONOSUPPORT), E(EOPNOTSUPP),
	E(EADDRINUSE), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ETIMEDOUT),
	E(ECONNREFUSED), E(EALREADY), E(EINPROGRESS), E(ESTALE),
	E(ECANCELED), E(EOWNERDEAD), E(ENOTRECOVERABLE),
};
#undef E

const char *aios_errno_name(int err)
{
	unsigned int e = err < 0 ? -(unsigned int)err : (unsigned int)err;

	return e < ARRAY_SIZE(errno_names) ? errno_names[e] : NULL;
}
