// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: the eBPF audit loader (see aios_sb_audit.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "aios_sb_audit.h"
#include "audit.skel.h"
#include "sb_util.h"

struct aios_audit {
	struct audit_bpf *skel;
	struct ring_buffer *rb;
	aios_audit_cb cb;
	void *ctx;
	bool lsm;
	int ncpu;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct aios_audit *a = ctx;

	if (size < sizeof(struct aios_audit_event))
		return 0;
	return a->cb ? a->cb(a->ctx, data) : 0;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("AIOS_AUDIT_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static bool lsm_active(void)
{
	char buf[512];

	return sb_read_at(AT_FDCWD, "/sys/kernel/security/lsm", buf,
			  sizeof(buf)) > 0 && strstr(buf, "bpf");
}

int aios_audit_open(struct aios_audit **ap, unsigned int flags,
		    size_t ring_bytes, aios_audit_cb cb, void *ctx,
		    char *msg, size_t msglen)
{
	struct aios_audit *a;
	int rc;

	*ap = NULL;
	if (flags & ~AIOS_AUDIT_OPEN_LSM)
		return sb_err(msg, msglen, EINVAL, "unknown audit flags");
	if (!ring_bytes)
		ring_bytes = 8 << 20;
	if (ring_bytes & (ring_bytes - 1) || ring_bytes < 4096)
		return sb_err(msg, msglen, EINVAL, "ring buffer size must be a "
			      "power of two of at least 4096 bytes");
	if ((flags & AIOS_AUDIT_OPEN_LSM) && !lsm_active())
		return sb_err(msg, msglen, EOPNOTSUPP, "BPF LSM enforcement "
			      "requested but the bpf LSM is not active (boot "
			      "with lsm=...,bpf; /sys/kernel/security/lsm)");
	a = calloc(1, sizeof(*a));
	if (!a)
		return sb_err(msg, msglen, ENOMEM, "out of memory");
	a->cb = cb;
	a->ctx = ctx;
	a->ncpu = libbpf_num_possible_cpus();
	libbpf_set_print(quiet);
	a->skel = audit_bpf__open();
	if (!a->skel) {
		rc = sb_err(msg, msglen, errno ? errno : EINVAL, "opening the audit "
			    "BPF object failed");
		goto fail;
	}
	bpf_map__set_max_entries(a->skel->maps.events, ring_bytes);
	if (!(flags & AIOS_AUDIT_OPEN_LSM))
		bpf_program__set_autoload(a->skel->progs.deny_connect, false);
	rc = audit_bpf__load(a->skel);
	if (rc) {
		rc = sb_err(msg, msglen, -rc, "loading the audit BPF programs "
			    "failed: %s (needs root/CAP_BPF+CAP_PERFMON and a "
			    "kernel with BTF; AIOS_AUDIT_DEBUG=1 for details)",
			    strerror(-rc));
		goto fail;
	}
	rc = audit_bpf__attach(a->skel);
	if (rc) {
		rc = sb_err(msg, msglen, -rc, "attaching the audit BPF programs "
			    "failed: %s", strerror(-rc));
		goto fail;
	}
	a->lsm = flags & AIOS_AUDIT_OPEN_LSM;
	a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.events), on_event, a,
				 NULL);
	if (!a->rb) {
		rc = sb_err(msg, msglen, errno ? errno : ENOMEM, "ring buffer "
			    "setup failed");
		goto fail;
	}
	*ap = a;
	return 0;
fail:
	aios_audit_close(a);
	return rc;
}

void aios_audit_close(struct aios_audit *a)
{
	if (!a)
		return;
	ring_buffer__free(a->rb);
	audit_bpf__destroy(a->skel);
	free(a);
}

bool aios_audit_lsm(const struct aios_audit *a)
{
	return a && a->lsm;
}

int aios_audit_track(struct aios_audit *a, uint64_t cgroup_id,
		     unsigned int flags)
{
	__u32 v = flags;

	if (!cgroup_id || !flags ||
	    flags & ~(AIOS_AUDIT_TRACK | AIOS_AUDIT_DENY_NET))
		return -EINVAL;
	if (bpf_map__update_elem(a->skel->maps.tracked, &cgroup_id,
				 sizeof(cgroup_id), &v, sizeof(v), BPF_ANY))
		return -errno;
	return 0;
}

int aios_audit_untrack(struct aios_audit *a, uint64_t cgroup_id)
{
	if (bpf_map__delete_elem(a->skel->maps.tracked, &cgroup_id,
				 sizeof(cgroup_id), 0))
		return -errno;
	return 0;
}

int aios_audit_cgroup_id(const char *path, uint64_t *id)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = st.st_ino;	/* kernfs node id == cgroup id on cgroup2 */
	return 0;
}

int aios_audit_poll(struct aios_audit *a, int timeout_ms)
{
	int rc = timeout_ms ? ring_buffer__poll(a->rb, timeout_ms) :
			      ring_buffer__consume(a->rb);

	return rc < 0 ? rc : 0;
}

int aios_audit_fd(struct aios_audit *a)
{
	return ring_buffer__epoll_fd(a->rb);
}

uint64_t aios_audit_lost(struct aios_audit *a)
{
	__u64 *v;
	__u32 zero = 0;
	uint64_t sum = 0;
	int i;

	v = calloc(a->ncpu, sizeof(*v));
	if (!v)
		return 0;
	if (bpf_map__lookup_elem(a->skel->maps.lost, &zero, sizeof(zero), v,
				 sizeof(*v) * a->ncpu, 0) == 0)
		for (i = 0; i < a->ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

const char *aios_audit_type_name(unsigned int type)
{
	static const char *const names[] = {
		"?", "exec", "open", "connect", "exit", "connect_denied",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

/* JSON string body: escapes quotes, backslashes and control bytes. */
static size_t json_str(char *dst, size_t len, const char *s, size_t max)
{
	size_t n = 0, i;

	for (i = 0; i < max && s[i] && n + 7 < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			dst[n++] = '\\';
			dst[n++] = c;
		} else if (c < 0x20 || c == 0x7f) {
			n += snprintf(dst + n, len - n, "\\u%04x", c);
		} else {
			dst[n++] = c;
		}
	}
	dst[n] = '\0';
	return n;
}

int aios_audit_format(const struct aios_audit_event *e, char *buf, size_t len)
{
	char comm[64], path[AIOS_AUDIT_PATH_LEN * 6 + 1], addr[64] = "";
	int n;

	json_str(comm, sizeof(comm), e->comm, sizeof(e->comm));
	json_str(path, sizeof(path), e->path, sizeof(e->path));
	n = snprintf(buf, len, "{\"type\": \"%s\", \"ts_ns\": %llu, \"pid\": %u, "
		     "\"tid\": %u, \"uid\": %u, \"cgroup_id\": %llu, \"comm\": "
		     "\"%s\"", aios_audit_type_name(e->type), e->ts_ns, e->pid,
		     e->tid, e->uid, e->cgroup_id, comm);
	switch (e->type) {
	case AIOS_AUDIT_EXEC:
		n += snprintf(buf + n, len - n, ", \"path\": \"%s\"}", path);
		break;
	case AIOS_AUDIT_OPEN:
		n += snprintf(buf + n, len - n, ", \"path\": \"%s\", \"flags\": "
			      "\"0%o\"}", path, e->flags);
		break;
	case AIOS_AUDIT_CONNECT:
	case AIOS_AUDIT_CONNECT_DENIED:
		if (e->family == 2)
			inet_ntop(AF_INET, e->addr, addr, sizeof(addr));
		else if (e->family == 10)
			inet_ntop(AF_INET6, e->addr, addr, sizeof(addr));
		n += snprintf(buf + n, len - n, ", \"family\": %u, \"addr\": \"%s\","
			      " \"port\": %u%s}", e->family, addr, e->port,
			      e->type == AIOS_AUDIT_CONNECT_DENIED ?
			      ", \"denied\": true" : "");
		break;
	case AIOS_AUDIT_EXIT:
		n += snprintf(buf + n, len - n, ", \"exit_code\": %d, "
			      "\"signal\": %d}", (e->code >> 8) & 0xff,
			      e->code & 0x7f);
		break;
	default:
		n += snprintf(buf + n, len - n, "}");
	}
	return n;
}
