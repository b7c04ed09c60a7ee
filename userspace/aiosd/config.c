// SPDX-License-Identifier: GPL-2.0
/* aiosd configuration (see config.h and Documentation/aiosd-config.md). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void config_defaults(struct aiosd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "/run/aios/aiosd.sock");
	c->socket_mode = 0666;
	snprintf(c->device, sizeof(c->device), "/dev/aios");
	snprintf(c->store_dir, sizeof(c->store_dir), "/var/lib/aios/store");
	snprintf(c->runs_fsync, sizeof(c->runs_fsync), "group");
	c->max_size_mb = 256;
	c->k_threshold = 0.9;
	c->key_max = 1024;
	c->value_max = 1u << 20;
	c->fsync = AIOS_FSYNC_BATCHED;
	c->fsync_interval_ms = 100;
	c->snapshot_log_mb = 64;
	c->snapshot_interval_s = 3600;
	c->evict_samples = 5;
	c->max_message = 4u << 20;
	c->max_clients = 4096;
	c->idle_timeout_s = 600;
	c->message_timeout_s = 30;
	c->log_level = 2;
	c->bootlog_boots = 20;
	/* tools and audit (toolops.c) */
	snprintf(c->tools_dir, sizeof(c->tools_dir), "/etc/aios/tools");
	c->tools_pool_size = 2;
	c->tools_max_calls = 16;
	c->tools_confirm_timeout_s = 300;
	c->tools_owner_confirm = true;
	c->tools_audit_ledger_max = 1000;
	snprintf(c->audit_ebpf, sizeof(c->audit_ebpf), "auto");
	snprintf(c->audit_lsm, sizeof(c->audit_lsm), "auto");
}

const char *config_fsync_name(enum aios_fsync f)
{
	return f == AIOS_FSYNC_ALWAYS ? "always" : f == AIOS_FSYNC_BATCHED ? "batched" : "never";
}

static const char *const level_names[] = { "error", "warn", "info", "debug", NULL };
static const char *const runs_fsync_names[] = { "always", "group", "none", NULL };
static const char *const check_names[] = { "refuse", "warn", "off", NULL };
static const char *const auto_on_off_names[] = { "auto", "on", "off", NULL };

const char *config_level_name(int level)
{
	return level >= 0 && level <= 3 ? level_names[level] : "?";
}

enum kind { K_STR, K_U32, K_U64, K_DBL, K_BOOL, K_FSYNC, K_MODE, K_LEVEL, K_ENUM };

struct key {
	const char *json;	/* dotted path below the root ("store.fsync") */
	const char *env;	/* NULL: no environment variable */
	enum kind kind;
	size_t off, size;
	double lo, hi;
	enum config_apply apply;
	const char *const *names;	/* K_ENUM: the allowed strings */
};

#define F(m) offsetof(struct aiosd_config, m), sizeof(((struct aiosd_config *)0)->m)
#define RT CONFIG_RUNTIME
#define RS CONFIG_RESTART

static const struct key keys[] = {
	{ "socket", "AIOS_SOCKET", K_STR, F(socket), 0, 0, RS, NULL },
	{ "socket_mode", "AIOS_SOCKET_MODE", K_MODE, F(socket_mode), 0, 0777, RS, NULL },
	{ "device", "AIOS_DEVICE", K_STR, F(device), 0, 0, RS, NULL },
	{ "max_message", "AIOS_MAX_MESSAGE", K_U32, F(max_message), 1024, 64 << 20, RS, NULL },
	{ "max_clients", "AIOS_MAX_CLIENTS", K_U32, F(max_clients), 1, 1 << 20, RT, NULL },
	{ "idle_timeout_s", "AIOS_IDLE_TIMEOUT_S", K_U32, F(idle_timeout_s), 1, 1 << 30, RT, NULL },
	{ "message_timeout_s", "AIOS_MESSAGE_TIMEOUT_S", K_U32, F(message_timeout_s), 1, 1 << 30,
	  RT, NULL },
	{ "log_level", "AIOS_LOG_LEVEL", K_LEVEL, F(log_level), 0, 3, RT, NULL },
	/* AIOS_CONFIG_CHECK is read by the daemon itself (see main.c) */
	{ "config_check", NULL, K_ENUM, F(config_check), 0, 0, RT, check_names },
	{ "bootlog", "AIOS_BOOTLOG", K_STR, F(bootlog), 0, 0, RS, NULL },
	{ "bootlog_boots", "AIOS_BOOTLOG_BOOTS", K_U32, F(bootlog_boots), 1, 1000, RS, NULL },
	{ "store.dir", "AIOS_STORE_DIR", K_STR, F(store_dir), 0, 0, RS, NULL },
	{ "store.max_size_mb", "AIOS_MAX_SIZE_MB", K_U64, F(max_size_mb), 0, 1 << 24, RT, NULL },
	{ "store.k_threshold", "AIOS_K_THRESHOLD", K_DBL, F(k_threshold), 0.01, 1, RT, NULL },
	{ "store.key_max", "AIOS_KEY_MAX", K_U32, F(key_max), 1, 65535, RS, NULL },
	{ "store.value_max", "AIOS_VALUE_MAX", K_U32, F(value_max), 1, 64 << 20, RS, NULL },
	{ "store.fsync", "AIOS_FSYNC", K_FSYNC, F(fsync), 0, 0, RT, NULL },
	{ "store.fsync_interval_ms", "AIOS_FSYNC_INTERVAL_MS", K_U32, F(fsync_interval_ms), 1,
	  60000, RT, NULL },
	{ "store.snapshot_log_mb", "AIOS_SNAPSHOT_LOG_MB", K_U64, F(snapshot_log_mb), 0, 1 << 20,
	  RT, NULL },
	{ "store.snapshot_interval_s", "AIOS_SNAPSHOT_INTERVAL_S", K_U32, F(snapshot_interval_s),
	  0, 1 << 30, RT, NULL },
	{ "store.evict_samples", "AIOS_EVICT_SAMPLES", K_U32, F(evict_samples), 1, 64, RT, NULL },
	{ "store.recover", "AIOS_STORE_RECOVER", K_BOOL, F(recover), 0, 0, RS, NULL },
	{ "runs.dir", "AIOS_RUNS_DIR", K_STR, F(runs_dir), 0, 0, RS, NULL },
	{ "runs.fsync", "AIOS_RUNS_FSYNC", K_ENUM, F(runs_fsync), 0, 0, RT, runs_fsync_names },
	{ "runs.models", "AIOS_MODELS", K_STR, F(models), 0, 0, RS, NULL },
	{ "http.tokens", "AIOS_HTTP_TOKENS", K_STR, F(http_tokens), 0, 0, RS, NULL },
	/* tools and the eBPF audit (toolops.c) */
	{ "tools.dir", "AIOS_TOOLS_DIR", K_STR, F(tools_dir), 0, 0, RS, NULL },
	{ "tools.policy", "AIOS_TOOLS_POLICY", K_STR, F(tools_policy), 0, 0, RS, NULL },
	{ "tools.pool_size", "AIOS_TOOLS_POOL_SIZE", K_U32, F(tools_pool_size), 0, 64, RS, NULL },
	{ "tools.max_calls", "AIOS_TOOLS_MAX_CALLS", K_U32, F(tools_max_calls), 1, 1024, RS, NULL },
	{ "tools.confirm_timeout_s", "AIOS_TOOLS_CONFIRM_TIMEOUT_S", K_U32,
	  F(tools_confirm_timeout_s), 1, 86400, RS, NULL },
	{ "tools.owner_confirm", "AIOS_TOOLS_OWNER_CONFIRM", K_BOOL, F(tools_owner_confirm), 0, 0,
	  RS, NULL },
	{ "tools.allow_weak", "AIOS_TOOLS_ALLOW_WEAK", K_STR, F(tools_allow_weak), 0, 0, RS, NULL },
	{ "tools.cgroup", "AIOS_TOOLS_CGROUP", K_STR, F(tools_cgroup), 0, 0, RS, NULL },
	{ "tools.audit_ledger_max", "AIOS_TOOLS_AUDIT_LEDGER_MAX", K_U32,
	  F(tools_audit_ledger_max), 0, 1000000, RS, NULL },
	{ "audit.ebpf", "AIOS_AUDIT_EBPF", K_ENUM, F(audit_ebpf), 0, 0, RS, auto_on_off_names },
	{ "audit.lsm", "AIOS_AUDIT_LSM", K_ENUM, F(audit_lsm), 0, 0, RS, auto_on_off_names },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The objects that hold keys besides the root. */
static const char *const sections[] = { "store", "runs", "http", "tools", "audit", NULL };

size_t config_nkeys(void)
{
	return NKEYS;
}

const char *config_key_name(size_t i)
{
	return i < NKEYS ? keys[i].json : NULL;
}

const char *config_key_env(size_t i)
{
	return i < NKEYS ? keys[i].env : NULL;
}

enum config_apply config_key_apply(size_t i)
{
	return i < NKEYS ? keys[i].apply : CONFIG_RESTART;
}

bool config_key_equal(const struct aiosd_config *a, const struct aiosd_config *b, size_t i)
{
	const char *pa = (const char *)a + keys[i].off, *pb = (const char *)b + keys[i].off;

	switch (keys[i].kind) {
	case K_STR:
	case K_ENUM:
		return !strcmp(pa, pb);
	case K_DBL:
		return *(const double *)pa == *(const double *)pb;
	default:
		return !memcmp(pa, pb, keys[i].size);
	}
}

void config_key_copy(struct aiosd_config *dst, const struct aiosd_config *src, size_t i)
{
	memcpy((char *)dst + keys[i].off, (const char *)src + keys[i].off, keys[i].size);
}

json_t *config_key_json(const struct aiosd_config *c, size_t i)
{
	const void *p = (const char *)c + keys[i].off;
	char mode[16];

	switch (keys[i].kind) {
	case K_STR:
	case K_ENUM:
		return json_string(p);
	case K_U32:
		return json_integer(*(const uint32_t *)p);
	case K_U64:
		return json_integer((json_int_t)*(const uint64_t *)p);
	case K_DBL:
		return json_real(*(const double *)p);
	case K_BOOL:
		return json_boolean(*(const bool *)p);
	case K_FSYNC:
		return json_string(config_fsync_name(*(const enum aios_fsync *)p));
	case K_MODE:
		snprintf(mode, sizeof(mode), "%04o", *(const unsigned int *)p);
		return json_string(mode);
	case K_LEVEL:
		return json_string(config_level_name(*(const int *)p));
	}
	return json_null();
}

json_t *config_to_json(const struct aiosd_config *c)
{
	json_t *root = json_object();

	if (!root)
		return NULL;
	for (size_t i = 0; i < NKEYS; i++) {
		const char *dot = strchr(keys[i].json, '.');
		json_t *obj = root;

		/* an enum not set (config_check) has no value to write */
		if (keys[i].kind == K_ENUM && !*((const char *)c + keys[i].off))
			continue;

		if (dot) {
			char sec[16];

			snprintf(sec, sizeof(sec), "%.*s", (int)(dot - keys[i].json), keys[i].json);
			obj = json_object_get(root, sec);
			if (!obj) {
				obj = json_object();
				json_object_set_new(root, sec, obj);
			}
		}
		json_object_set_new(obj, dot ? dot + 1 : keys[i].json, config_key_json(c, i));
	}
	return root;
}

/* "$.store.fsync", or $["odd name"] for names that are not identifiers. */
static void json_path(char *out, size_t len, const char *scope, const char *name)
{
	bool plain = *name != 0;
	size_t o;

	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			plain = false;
	o = (size_t)snprintf(out, len, "$%s%s", scope ? "." : "", scope ? scope : "");
	if (o >= len)
		return;
	if (plain) {
		snprintf(out + o, len - o, ".%s", name);
		return;
	}
	/* quoted, with control characters and quotes escaped */
	snprintf(out + o, len - o, "[\"");
	o = strlen(out);
	for (const unsigned char *p = (const unsigned char *)name; *p && o + 8 < len; p++) {
		if (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", *p);
		else
			out[o++] = (char)*p;
	}
	snprintf(out + o, len - o, "\"]");
}

static int set_from_string(struct aiosd_config *c, const struct key *k,
			   const char *s, const char *where, char *err, size_t errlen)
{
	void *dst = (char *)c + k->off;
	char *end;

	switch (k->kind) {
	case K_STR:
		if (strlen(s) >= k->size) {
			snprintf(err, errlen, "%s: longer than %zu bytes", where, k->size - 1);
			return -EINVAL;
		}
		strcpy(dst, s);
		return 0;
	case K_BOOL:
		if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes")) {
			*(bool *)dst = true;
			return 0;
		}
		if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no")) {
			*(bool *)dst = false;
			return 0;
		}
		snprintf(err, errlen, "%s: expected true or false, got \"%.32s\"", where, s);
		return -EINVAL;
	case K_FSYNC:
		if (!strcmp(s, "always"))
			*(enum aios_fsync *)dst = AIOS_FSYNC_ALWAYS;
		else if (!strcmp(s, "batched"))
			*(enum aios_fsync *)dst = AIOS_FSYNC_BATCHED;
		else if (!strcmp(s, "never"))
			*(enum aios_fsync *)dst = AIOS_FSYNC_NEVER;
		else {
			snprintf(err, errlen, "%s: expected always, batched or never, got \"%.32s\"",
				 where, s);
			return -EINVAL;
		}
		return 0;
	case K_LEVEL:
		for (int i = 0; level_names[i]; i++)
			if (!strcmp(s, level_names[i])) {
				*(int *)dst = i;
				return 0;
			}
		snprintf(err, errlen, "%s: expected error, warn, info or debug, got \"%.32s\"",
			 where, s);
		return -EINVAL;
	case K_ENUM:
		for (int i = 0; k->names[i]; i++)
			if (!strcmp(s, k->names[i])) {
				snprintf(dst, k->size, "%s", s);
				return 0;
			}
		snprintf(err, errlen, "%s: expected %s, %s or %s, got \"%.32s\"", where,
			 k->names[0], k->names[1], k->names[2], s);
		return -EINVAL;
	case K_DBL: {
		double d;

		errno = 0;
		d = strtod(s, &end);
		if (errno || end == s || *end || !isfinite(d) || d < k->lo || d > k->hi) {
			snprintf(err, errlen, "%s: expected a number in [%g, %g], got \"%.32s\"",
				 where, k->lo, k->hi, s);
			return -EINVAL;
		}
		*(double *)dst = d;
		return 0;
	}
	default: {
		unsigned long long v;

		errno = 0;
		v = strtoull(s, &end, k->kind == K_MODE ? 8 : 10);
		if (errno || end == s || *end || *s == '-' || *s == '+' || *s == ' ' ||
		    (double)v < k->lo || (double)v > k->hi) {
			if (k->kind == K_MODE)
				snprintf(err, errlen, "%s: expected an octal mode in [0, 0777], got \"%.32s\"",
					 where, s);
			else
				snprintf(err, errlen, "%s: expected an integer in [%.0f, %.0f], got \"%.32s\"",
					 where, k->lo, k->hi, s);
			return -EINVAL;
		}
		if (k->kind == K_U64)
			*(uint64_t *)dst = v;
		else
			*(unsigned int *)dst = (unsigned int)v;
		return 0;
	}
	}
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static int set_from_json(struct aiosd_config *c, const struct key *k, json_t *v,
			 const char *path, char *err, size_t errlen)
{
	char buf[64];

	switch (k->kind) {
	case K_STR:
	case K_FSYNC:
	case K_LEVEL:
	case K_ENUM:
	case K_MODE:
		if (!json_is_string(v)) {
			snprintf(err, errlen, "%s: expected a string%s, got %s", path,
				 k->kind == K_MODE ? " (octal mode such as \"0660\")" : "",
				 json_type_name(v));
			return -EINVAL;
		}
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(err, errlen, "%s: the string contains a NUL byte", path);
			return -EINVAL;
		}
		return set_from_string(c, k, json_string_value(v), path, err, errlen);
	case K_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "%s: expected true or false, got %s", path,
				 json_type_name(v));
			return -EINVAL;
		}
		*(bool *)((char *)c + k->off) = json_is_true(v);
		return 0;
	case K_DBL:
		if (!json_is_number(v)) {
			snprintf(err, errlen, "%s: expected a number, got %s", path,
				 json_type_name(v));
			return -EINVAL;
		}
		snprintf(buf, sizeof(buf), "%.17g", json_number_value(v));
		return set_from_string(c, k, buf, path, err, errlen);
	default:
		if (!json_is_integer(v)) {
			snprintf(err, errlen, "%s: expected an integer, got %s", path,
				 json_type_name(v));
			return -EINVAL;
		}
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return set_from_string(c, k, buf, path, err, errlen);
	}
}

/* "dir, max_size_mb, ..." - the keys allowed in scope (NULL: the root). */
static void known_keys(char *out, size_t len, const char *scope)
{
	size_t sl = scope ? strlen(scope) : 0, o = 0;

	out[0] = 0;
	for (size_t i = 0; i < NKEYS && o < len; i++) {
		const char *n = keys[i].json;

		if (scope ? strncmp(n, scope, sl) || n[sl] != '.' : strchr(n, '.') != NULL)
			continue;
		o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", scope ? n + sl + 1 : n);
	}
	if (!scope)
		for (int i = 0; sections[i] && o < len; i++)
			o += (size_t)snprintf(out + o, len - o, ", %s", sections[i]);
}

static int load_obj(struct aiosd_config *c, json_t *obj, const char *scope,
		    char *err, size_t errlen)
{
	const char *name;
	json_t *v;

	json_object_foreach(obj, name, v) {
		char full[160], path[200];
		const struct key *k = NULL;
		bool section = false;
		int r;

		json_path(path, sizeof(path), scope, name);
		for (int i = 0; !scope && sections[i]; i++)
			if (!strcmp(name, sections[i]))
				section = true;
		if (section) {
			if (!json_is_object(v)) {
				snprintf(err, errlen, "%s: expected an object, got %s", path,
					 json_type_name(v));
				return -EINVAL;
			}
			r = load_obj(c, v, name, err, errlen);
			if (r)
				return r;
			continue;
		}
		snprintf(full, sizeof(full), "%s%s%.100s", scope ? scope : "", scope ? "." : "",
			 name);
		for (size_t i = 0; i < NKEYS; i++)
			if (!strcmp(keys[i].json, full) && strlen(name) == strlen(full) -
			    (scope ? strlen(scope) + 1 : 0))
				k = &keys[i];
		if (!k) {
			char known[600];

			known_keys(known, sizeof(known), scope);
			snprintf(err, errlen, "%s: unknown config key \"%s\" (allowed in %s%s: %s)",
				 path, full, scope ? "$." : "$", scope ? scope : "", known);
			return -EINVAL;
		}
		r = set_from_json(c, k, v, path, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

int config_read_file(const char *path, char **bufp, size_t *lenp, char *err,
		     size_t errlen)
{
	struct stat sb;
	size_t len = 0;
	char *buf;
	int fd, e;

	*bufp = NULL;
	*lenp = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (sb.st_size > CONFIG_MAX_FILE) {
		snprintf(err, errlen, "%s: %lld bytes, more than the limit of %u", path,
			 (long long)sb.st_size, CONFIG_MAX_FILE);
		close(fd);
		return -EFBIG;
	}
	buf = malloc(CONFIG_MAX_FILE + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CONFIG_MAX_FILE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			snprintf(err, errlen, "%s: read: %s", path, strerror(e));
			free(buf);
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_MAX_FILE) {
			snprintf(err, errlen, "%s: more than the limit of %u bytes", path,
				 CONFIG_MAX_FILE);
			free(buf);
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	buf[len] = 0;
	*bufp = buf;
	*lenp = len;
	return 0;
}

int config_sha256_hex(const void *buf, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	for (unsigned int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int config_load_buf(struct aiosd_config *c, const char *buf, size_t len,
		    const char *origin, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	char e2[768];
	int r;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", origin, je.line, je.column, je.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: $: the configuration must be a JSON object, not %s",
			 origin, json_type_name(root));
		json_decref(root);
		return -EINVAL;
	}
	r = load_obj(c, root, NULL, e2, sizeof(e2));
	if (r)
		snprintf(err, errlen, "%s: %s", origin, e2);
	json_decref(root);
	return r;
}

int config_load_file_hash(struct aiosd_config *c, const char *path, char *sha256,
			  char *err, size_t errlen)
{
	size_t len;
	char *buf;
	int r;

	r = config_read_file(path, &buf, &len, err, errlen);
	if (r)
		return r;
	if (sha256 && config_sha256_hex(buf, len, sha256)) {
		snprintf(err, errlen, "%s: SHA-256 failed (libcrypto)", path);
		free(buf);
		return -EIO;
	}
	r = config_load_buf(c, buf, len, path, err, errlen);
	free(buf);
	return r;
}

int config_load_file(struct aiosd_config *c, const char *path, char *err,
		     size_t errlen)
{
	return config_load_file_hash(c, path, NULL, err, errlen);
}

int config_load_env(struct aiosd_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const char *v = keys[i].env ? getenv(keys[i].env) : NULL;
		char where[96];
		int r;

		if (!v)
			continue;
		snprintf(where, sizeof(where), "environment %s ($.%s)", keys[i].env, keys[i].json);
		r = set_from_string(c, &keys[i], v, where, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

int config_validate(const struct aiosd_config *c, char *err, size_t errlen)
{
	if (!c->socket[0] || c->socket[0] != '/') {
		snprintf(err, errlen, "$.socket: need an absolute path, not \"%s\"", c->socket);
		return -EINVAL;
	}
	if (((uint64_t)c->value_max + c->key_max) * 4 / 3 + 1024 > (uint64_t)c->max_message) {
		snprintf(err, errlen,
			 "$.max_message (%u) is too small for $.store.key_max + $.store.value_max (%u) in base64 (4/3 of it plus 1 KiB)",
			 c->max_message, c->key_max + c->value_max);
		return -EINVAL;
	}
	if (c->store_dir[0] && c->store_dir[0] != '/') {
		snprintf(err, errlen, "$.store.dir: need an absolute path (or \"\" for memory only), not \"%s\"",
			 c->store_dir);
		return -EINVAL;
	}
	if (c->runs_dir[0] && c->runs_dir[0] != '/') {
		snprintf(err, errlen, "$.runs.dir: need an absolute path, not \"%s\"", c->runs_dir);
		return -EINVAL;
	}
	if (c->bootlog[0] && c->bootlog[0] != '/') {
		snprintf(err, errlen, "$.bootlog: need an absolute path, not \"%s\"", c->bootlog);
		return -EINVAL;
	}
	if (c->http_tokens[0] && c->http_tokens[0] != '/') {
		snprintf(err, errlen, "$.http.tokens: need an absolute path, not \"%s\"",
			 c->http_tokens);
		return -EINVAL;
	}
	if (c->models[0] && c->models[0] != '/') {
		snprintf(err, errlen, "$.runs.models: need an absolute path, not \"%s\"", c->models);
		return -EINVAL;
	}
	return 0;
}

void config_store(const struct aiosd_config *c, struct aios_store_config *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->dir = c->store_dir[0] ? c->store_dir : NULL;
	sc->max_bytes = c->max_size_mb << 20;
	sc->k_threshold = c->k_threshold;
	sc->key_max = c->key_max;
	sc->value_max = c->value_max;
	sc->fsync = c->fsync;
	sc->fsync_interval_ms = c->fsync_interval_ms;
	sc->snapshot_log_bytes = c->snapshot_log_mb << 20;
	sc->evict_samples = c->evict_samples;
	sc->recover = c->recover;
	/* aiosd syncs once per event-loop round before sending replies */
	sc->sync_by_caller = true;
}
