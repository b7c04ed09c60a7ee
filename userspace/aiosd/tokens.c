// SPDX-License-Identifier: GPL-2.0
/* HTTP front identities: bearer tokens, passed client sockets, audit.get
 * (see tokens.h and Documentation/http.md). */
#define _GNU_SOURCE
#include "tokens.h"
#include "server.h"

#include <aios.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define TOKENS_MAX	4096
#define TOKEN_PREFIX	"aios_"
#define TOKEN_HEX	64	/* 32 random bytes */
#define AUDIT_LIMIT_MAX	1000

struct token {
	char id[20];		/* "t-" + 16 hex */
	unsigned char sha[32];
	bool agent;		/* bound to agent_id, else to uid */
	uint64_t agent_id;
	uint32_t uid;
	uint64_t created_ns;
	char note[128];
};

struct aiosd_tokens {
	char path[512];
	struct token *v;
	size_t n;
	struct aios *kh;	/* netlink handle (agent lookups, audit) */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		out[i] = (unsigned char)b;
	}
	return 0;
}

/* ---- the file ---- */

static int load(struct aiosd_tokens *t, char *err, size_t errlen)
{
	json_error_t je;
	struct stat sb;
	json_t *root, *arr, *e;
	size_t i;
	int fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "token file %s: %s", t->path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(err, errlen, "token file %s is not a regular file", t->path);
		return -EINVAL;
	}
	if (sb.st_mode & 077) {
		close(fd);
		snprintf(err, errlen, "token file %s has mode %04o; it must not be readable by group or others (chmod 600)",
			 t->path, (unsigned int)(sb.st_mode & 07777));
		return -EPERM;
	}
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
	close(fd);
	if (!root) {
		snprintf(err, errlen, "token file %s: line %d: %s", t->path, je.line, je.text);
		return -EINVAL;
	}
	arr = json_object_get(root, "tokens");
	if (!json_is_array(arr) || json_array_size(arr) > TOKENS_MAX) {
		json_decref(root);
		snprintf(err, errlen, "token file %s: \"tokens\" must be an array of at most %d entries",
			 t->path, TOKENS_MAX);
		return -EINVAL;
	}
	t->v = calloc(json_array_size(arr) + 1, sizeof(*t->v));
	if (!t->v) {
		json_decref(root);
		return -ENOMEM;
	}
	json_array_foreach(arr, i, e) {
		struct token *k = &t->v[t->n];
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *sh = json_string_value(json_object_get(e, "sha256"));
		const char *note = json_string_value(json_object_get(e, "note"));
		json_t *ag = json_object_get(e, "agent"), *uid = json_object_get(e, "uid");

		if (!id || strlen(id) >= sizeof(k->id) || !sh || unhex(sh, k->sha, 32) ||
		    (!json_is_integer(ag) == !json_is_integer(uid))) {
			json_decref(root);
			snprintf(err, errlen, "token file %s: entry %zu is malformed", t->path, i);
			return -EINVAL;
		}
		strcpy(k->id, id);
		k->agent = json_is_integer(ag);
		k->agent_id = k->agent ? (uint64_t)json_integer_value(ag) : 0;
		k->uid = k->agent ? 0 : (uint32_t)json_integer_value(uid);
		k->created_ns = (uint64_t)json_integer_value(json_object_get(e, "created_ns"));
		snprintf(k->note, sizeof(k->note), "%s", note ? note : "");
		t->n++;
	}
	json_decref(root);
	return 0;
}

static int save(struct aiosd_tokens *t, char *err, size_t errlen)
{
	char tmp[600], hx[65];
	json_t *root = json_pack("{s:s, s:i, s:[]}", "format", "aios-http-tokens",
				 "version", 1, "tokens");
	json_t *arr = json_object_get(root, "tokens");
	char *s;
	int fd, r = 0;
	size_t len;

	if (!root)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		struct token *k = &t->v[i];
		json_t *e;

		hex(k->sha, 32, hx);
		e = json_pack("{s:s, s:s, s:I, s:s}", "id", k->id, "sha256", hx,
			      "created_ns", (json_int_t)k->created_ns, "note", k->note);
		if (!e) {
			json_decref(root);
			return -ENOMEM;
		}
		json_object_set_new(e, k->agent ? "agent" : "uid",
				    json_integer(k->agent ? (json_int_t)k->agent_id
						 : (json_int_t)k->uid));
		json_array_append_new(arr, e);
	}
	s = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (!s)
		return -ENOMEM;
	len = strlen(s);
	snprintf(tmp, sizeof(tmp), "%s.tmp", t->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) || write(fd, s, len) != (ssize_t)len || fsync(fd)) {
		r = -errno ? -errno : -EIO;
		snprintf(err, errlen, "writing the token file %.400s: %s", tmp, strerror(-r));
	}
	if (fd >= 0)
		close(fd);
	free(s);
	if (!r && rename(tmp, t->path)) {
		r = -errno;
		snprintf(err, errlen, "renaming %.400s: %s", tmp, strerror(errno));
	}
	if (r)
		unlink(tmp);
	return r;
}

int tokens_open(const char *path, struct aiosd_tokens **out, char *err,
		size_t errlen)
{
	struct aiosd_tokens *t = calloc(1, sizeof(*t));
	int r;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	if (strlen(path) >= sizeof(t->path)) {
		free(t);
		snprintf(err, errlen, "http.tokens path is too long");
		return -ENAMETOOLONG;
	}
	strcpy(t->path, path);
	if (path[0]) {
		r = load(t, err, errlen);
		if (r) {
			tokens_close(t);
			return r;
		}
	}
	*out = t;
	return 0;
}

void tokens_close(struct aiosd_tokens *t)
{
	if (!t)
		return;
	OPENSSL_cleanse(t->v, t->n * sizeof(*t->v));
	free(t->v);
	aios_close(t->kh);
	free(t);
}

static struct aios *kh(struct aiosd_tokens *t)
{
	if (!t->kh)
		t->kh = aios_new();
	return t->kh;
}

/* ---- auth ---- */

bool tokens_fd_is_socket(int fd)
{
	struct stat sb;

	return fd >= 0 && !fstat(fd, &sb) && S_ISSOCK(sb.st_mode);
}

/*
 * The socket must be the server side of an accepted AF_UNIX stream
 * connection: its own address a bound name (the listener's) and its peer
 * unnamed.  A client socket connected to some other (root) server has a
 * named peer whose SO_PEERCRED are the server's, and is refused: passing
 * one must not make anybody that server.
 */
static int peer_of_socket(int fd, uint32_t *uid, int32_t *pid, char *err, size_t errlen)
{
	struct sockaddr_un self, peer;
	socklen_t sl = sizeof(self), pl = sizeof(peer), ol;
	struct ucred cr;
	int dom = 0, type = 0;

	ol = sizeof(dom);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &ol) || dom != AF_UNIX) {
		snprintf(err, errlen, "the attached socket is not an AF_UNIX socket");
		return -EBADF;
	}
	ol = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ol) || type != SOCK_STREAM) {
		snprintf(err, errlen, "the attached socket is not a stream socket");
		return -EBADF;
	}
	if (getsockname(fd, (struct sockaddr *)&self, &sl) ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl)) {
		snprintf(err, errlen, "the attached socket is not connected: %s", strerror(errno));
		return -ENOTCONN;
	}
	if (sl <= sizeof(sa_family_t) || pl > sizeof(sa_family_t)) {
		snprintf(err, errlen,
			 "the attached socket must be an accepted connection of a listener bound to a name, from an unbound client");
		return -EBADF;
	}
	ol = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &ol)) {
		snprintf(err, errlen, "SO_PEERCRED of the attached socket: %s", strerror(errno));
		return -EBADF;
	}
	*uid = cr.uid;
	*pid = cr.pid;
	return 0;
}

static int token_lookup(struct aiosd_tokens *t, const char *tok, struct token *out)
{
	unsigned char sha[32];
	size_t match = (size_t)-1;

	sha256(tok, strlen(tok), sha);
	/* every entry is compared, in constant time each */
	for (size_t i = 0; i < t->n; i++) {
		int ne = CRYPTO_memcmp(sha, t->v[i].sha, 32);

		if (!ne)
			match = i;
	}
	OPENSSL_cleanse(sha, sizeof(sha));
	if (match == (size_t)-1)
		return -EACCES;
	*out = t->v[match];
	return 0;
}

json_t *tokens_auth(struct aiosd_tokens *t, struct client_id *id,
		    struct proto_req *req, int fd, bool kernel, int *ok)
{
	static const char *const fields[] = { "token", NULL };
	json_t *tokj = json_object_get(req->root, "token");
	char err[512];
	json_t *r;

	*ok = 0;
	if (proto_check_fields(req->root, fields, err, sizeof(err))) {
		if (fd >= 0)
			close(fd);
		return proto_error(req->id, -EINVAL, err);
	}
	if (tokj) {
		struct token k;
		const char *s = json_string_value(tokj);

		if (fd >= 0)
			close(fd);
		if (!s)
			return proto_error(req->id, -EINVAL, "\"token\" must be a string");
		if (!t || !t->path[0])
			return proto_error(req->id, -EACCES, "tokens are disabled (http.tokens is empty)");
		if (token_lookup(t, s, &k))
			return proto_error(req->id, -EACCES, "unknown or revoked token");
		if (k.agent) {
			struct aios_agent a;
			int e;

			if (!kernel)
				return proto_error(req->id, -ENODEV,
						   "the token is bound to an agent but the aios kernel module is not available");
			e = kh(t) ? aios_agent_get(t->kh, k.agent_id, &a) : -ENOMEM;
			if (e || a.state != AIOS_AGENT_LIVE) {
				snprintf(err, sizeof(err),
					 "the token's agent %llu is gone; the token is no longer valid",
					 (unsigned long long)k.agent_id);
				return proto_error(req->id, -EACCES, err);
			}
			id->agent = true;
			id->agent_id = k.agent_id;
			id->caps = a.caps;
			id->uid = a.uid;
			id->pid = a.pid;
			id->admin = a.caps & AIOS_CAP_ADMIN;
		} else {
			id->agent = false;
			id->uid = k.uid;
			id->pid = 0;
			id->admin = k.uid == 0;
		}
		r = proto_ok(req->id);
		if (r) {
			json_object_set_new(r, "token", json_string(k.id));
			if (k.agent)
				json_object_set_new(r, "agent", json_integer((json_int_t)k.agent_id));
			json_object_set_new(r, "uid", json_integer((json_int_t)id->uid));
			json_object_set_new(r, "admin", json_boolean(id->admin));
		}
		*ok = 1;
		return r;
	} else {
		uint32_t uid;
		int32_t pid;
		int e = peer_of_socket(fd, &uid, &pid, err, sizeof(err));

		close(fd);
		if (e)
			return proto_error(req->id, e, err);
		id->agent = false;
		id->agent_id = 0;
		id->caps = 0;
		id->uid = uid;
		id->pid = pid;
		id->admin = uid == 0;	/* the caller adds CAP_SYS_ADMIN */
		r = proto_ok(req->id);
		if (r) {
			json_object_set_new(r, "uid", json_integer(uid));
			json_object_set_new(r, "pid", json_integer(pid));
		}
		*ok = 1;
		return r;
	}
}

/* ---- token.* ---- */

static json_t *token_json(const struct token *k)
{
	json_t *e = json_pack("{s:s, s:I, s:s}", "id", k->id, "created_ns",
			      (json_int_t)k->created_ns, "note", k->note);

	if (e)
		json_object_set_new(e, k->agent ? "agent" : "uid",
				    json_integer(k->agent ? (json_int_t)k->agent_id
						 : (json_int_t)k->uid));
	return e;
}

static json_t *op_token_add(struct aiosd_tokens *t, struct proto_req *req)
{
	static const char *const fields[] = { "agent", "uid", "note", NULL };
	unsigned char raw[32], idb[8];
	char tok[sizeof(TOKEN_PREFIX) + TOKEN_HEX], err[512], idhex[17];
	uint64_t agent = 0, uid = 0;
	int ha, hu, r;
	json_t *note = json_object_get(req->root, "note"), *reply;
	struct token *k;

	if (proto_check_fields(req->root, fields, err, sizeof(err)))
		return proto_error(req->id, -EINVAL, err);
	ha = proto_get_u64(req->root, "agent", &agent, err, sizeof(err));
	hu = ha < 0 ? 0 : proto_get_u64(req->root, "uid", &uid, err, sizeof(err));
	if (ha < 0 || hu < 0)
		return proto_error(req->id, -EINVAL, err);
	if (ha == hu)
		return proto_error(req->id, -EINVAL, "give exactly one of \"agent\" or \"uid\"");
	if ((ha && !agent) || uid > UINT32_MAX - 1)
		return proto_error(req->id, -EINVAL, "\"agent\" must be an agent id >= 1, \"uid\" a uid");
	if (note && (!json_is_string(note) || strlen(json_string_value(note)) >= 128))
		return proto_error(req->id, -EINVAL, "\"note\" must be a string of at most 127 bytes");
	if (t->n >= TOKENS_MAX)
		return proto_error(req->id, -ENOSPC, "too many tokens; revoke some first");
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw) || getrandom(idb, sizeof(idb), 0) != sizeof(idb))
		return proto_error(req->id, -EIO, "getrandom failed");
	strcpy(tok, TOKEN_PREFIX);
	hex(raw, sizeof(raw), tok + strlen(TOKEN_PREFIX));
	OPENSSL_cleanse(raw, sizeof(raw));
	k = realloc(t->v, (t->n + 1) * sizeof(*t->v));
	if (!k)
		return proto_error(req->id, -ENOMEM, "out of memory");
	t->v = k;
	k = &t->v[t->n];
	memset(k, 0, sizeof(*k));
	hex(idb, sizeof(idb), idhex);
	snprintf(k->id, sizeof(k->id), "t-%s", idhex);
	sha256(tok, strlen(tok), k->sha);
	k->agent = ha;
	k->agent_id = agent;
	k->uid = (uint32_t)uid;
	k->created_ns = now_ns();
	snprintf(k->note, sizeof(k->note), "%s", note ? json_string_value(note) : "");
	t->n++;
	r = save(t, err, sizeof(err));
	if (r) {
		t->n--;
		OPENSSL_cleanse(tok, sizeof(tok));
		return proto_error(req->id, r, err);
	}
	reply = proto_ok(req->id);
	if (reply) {
		json_object_set_new(reply, "token", json_string(tok));
		json_object_set_new(reply, "entry", token_json(k));
	}
	OPENSSL_cleanse(tok, sizeof(tok));
	aiosd_log(2, "http token %s added", k->id);
	return reply;
}

static json_t *op_token_list(struct aiosd_tokens *t, struct proto_req *req)
{
	char err[256];
	json_t *r, *a;

	if (proto_check_fields(req->root, NULL, err, sizeof(err)))
		return proto_error(req->id, -EINVAL, err);
	r = proto_ok(req->id);
	a = json_array();
	for (size_t i = 0; r && a && i < t->n; i++)
		json_array_append_new(a, token_json(&t->v[i]));
	if (r)
		json_object_set_new(r, "tokens", a);
	else
		json_decref(a);
	return r;
}

static json_t *op_token_revoke(struct aiosd_tokens *t, struct proto_req *req)
{
	static const char *const fields[] = { "token", NULL };
	const char *id = json_string_value(json_object_get(req->root, "token"));
	char err[512];
	struct token saved;
	int r;

	if (proto_check_fields(req->root, fields, err, sizeof(err)))
		return proto_error(req->id, -EINVAL, err);
	if (!id)
		return proto_error(req->id, -EINVAL, "\"token\" (the token's id, t-...) is required");
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].id, id))
			continue;
		saved = t->v[i];
		memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
		t->n--;
		r = save(t, err, sizeof(err));
		if (r) {
			memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
			t->v[i] = saved;
			t->n++;
			return proto_error(req->id, r, err);
		}
		aiosd_log(2, "http token %s revoked", id);
		return proto_ok(req->id);
	}
	snprintf(err, sizeof(err), "no token with id \"%.40s\"", id);
	return proto_error(req->id, -ENOENT, err);
}

/* ---- audit.get ---- */

static json_t *audit_rec_json(const struct aios_audit_rec *a)
{
	char caps[512];
	const char *op = aios_op_name(a->op), *res = a->result ? aios_errno_name(a->result) : "ok";
	json_t *j;

	if (aios_caps_format(a->cap, caps, sizeof(caps)) < 0)
		snprintf(caps, sizeof(caps), "0x%llx", (unsigned long long)a->cap);
	j = json_pack("{s:I, s:I, s:I, s:s, s:i, s:s, s:I, s:I, s:I, s:s}",
		      "seq", (json_int_t)a->seq, "op_id", (json_int_t)a->op_id,
		      "agent", (json_int_t)a->agent_id, "op", op ? op : "unknown",
		      "result", (int)a->result, "result_name", res ? res : "unknown",
		      "object", (json_int_t)a->object, "time_ns", (json_int_t)a->time_ns,
		      "cap", (json_int_t)a->cap, "cap_names", caps);
	return j;
}

static json_t *op_audit_get(struct aiosd_tokens *t, const struct client_id *who,
			    struct proto_req *req, bool kernel)
{
	static const char *const fields[] = { "after", "audit_op", "agent", "limit", NULL };
	struct aios_audit_filter f = { 0 };
	struct aios_audit_rec *list = NULL;
	struct aios_status st;
	uint64_t after = 0, agent = 0, limit = 100;
	unsigned int opf = 0;
	const char *ops = NULL;
	json_t *opj = json_object_get(req->root, "audit_op"), *r, *arr;
	char err[512];
	size_t n = 0, out = 0;
	int e, ha;

	if (proto_check_fields(req->root, fields, err, sizeof(err)) ||
	    proto_get_u64(req->root, "after", &after, err, sizeof(err)) < 0 ||
	    (ha = proto_get_u64(req->root, "agent", &agent, err, sizeof(err))) < 0 ||
	    proto_get_u64(req->root, "limit", &limit, err, sizeof(err)) < 0)
		return proto_error(req->id, -EINVAL, err);
	if (limit < 1 || limit > AUDIT_LIMIT_MAX)
		return proto_error(req->id, -EINVAL, "\"limit\" must be 1..1000");
	if (opj) {
		ops = json_string_value(opj);
		if (!ops || aios_op_parse(ops, &opf) < 0) {
			snprintf(err, sizeof(err), "\"audit_op\": unknown audit operation \"%.64s\"",
				 ops ? ops : "(not a string)");
			return proto_error(req->id, -EINVAL, err);
		}
	}
	if (!who->admin) {
		if (!who->agent)
			return proto_error(req->id, -EPERM,
					   "reading the audit ring needs ADMIN; an agent may read its own records");
		if (ha && agent != who->agent_id)
			return proto_error(req->id, -EPERM, "only ADMIN may read another agent's audit records");
		ha = 1;
		agent = who->agent_id;
	}
	if (!kernel)
		return proto_error(req->id, -ENODEV, "the aios kernel module is not available: no audit ring");
	if (!kh(t))
		return proto_error(req->id, -ENOMEM, "out of memory");
	f.flags = AIOS_AUDIT_F_SEQ_AFTER | (ha ? AIOS_AUDIT_F_AGENT : 0);
	f.seq_after = after;
	f.agent_id = agent;
	e = aios_audit_read(t->kh, &f, &list, &n);
	if (e < 0)
		return proto_error(req->id, e, aios_errmsg(t->kh));
	r = proto_ok(req->id);
	arr = json_array();
	for (size_t i = 0; r && arr && i < n; i++) {
		if (ops && list[i].op != opf)
			continue;
		if (out == limit) {
			json_object_set_new(r, "more", json_true());
			break;
		}
		json_array_append_new(arr, audit_rec_json(&list[i]));
		out++;
	}
	free(list);
	if (!r) {
		json_decref(arr);
		return NULL;
	}
	json_object_set_new(r, "records", arr);
	if (!json_object_get(r, "more"))
		json_object_set_new(r, "more", json_false());
	if (!aios_status(t->kh, &st)) {
		json_object_set_new(r, "first_seq", json_integer((json_int_t)st.audit_first_seq));
		json_object_set_new(r, "next_seq", json_integer((json_int_t)st.audit_next_seq));
		json_object_set_new(r, "lost", json_integer((json_int_t)st.audit_lost));
	}
	return r;
}

json_t *tokens_handle(struct aiosd_tokens *t, const struct client_id *who,
		      struct proto_req *req, bool kernel)
{
	bool tok = !strncmp(req->op, "token.", 6);

	if (!tok && strcmp(req->op, "audit.get"))
		return NULL;
	if (!t)
		return proto_error(req->id, -ENOMEM, "token table unavailable");
	if (!strcmp(req->op, "audit.get"))
		return op_audit_get(t, who, req, kernel);
	if (!who->admin)
		return proto_error(req->id, -EPERM, "managing HTTP tokens needs ADMIN");
	if (!t->path[0])
		return proto_error(req->id, -EOPNOTSUPP, "tokens are disabled (http.tokens is empty)");
	if (!strcmp(req->op, "token.add"))
		return op_token_add(t, req);
	if (!strcmp(req->op, "token.list"))
		return op_token_list(t, req);
	if (!strcmp(req->op, "token.revoke"))
		return op_token_revoke(t, req);
	return NULL;
}
