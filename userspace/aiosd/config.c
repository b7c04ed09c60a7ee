// SPDX-License-Identifier: GPL-2.0
/* aiosd configuration (see config.h). */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
}

const char *config_fsync_name(enum aios_fsync f)
{
	return f == AIOS_FSYNC_ALWAYS ? "always" : f == AIOS_FSYNC_BATCHED ? "batched" : "never";
}

enum kind { K_STR, K_U32, K_U64, K_DBL, K_BOOL, K_FSYNC, K_MODE, K_LEVEL };

struct key {
	const char *json;	/* name in the file ("store.x" inside "store") */
	const char *env;
	enum kind kind;
	size_t off, size;
	double lo, hi;
};

#define F(m) offsetof(struct aiosd_config, m), sizeof(((struct aiosd_config *)0)->m)

static const struct key keys[] = {
	{ "socket", "AIOS_SOCKET", K_STR, F(socket), 0, 0 },
	{ "socket_mode", "AIOS_SOCKET_MODE", K_MODE, F(socket_mode), 0, 0777 },
	{ "device", "AIOS_DEVICE", K_STR, F(device), 0, 0 },
	{ "max_message", "AIOS_MAX_MESSAGE", K_U32, F(max_message), 1024, 64 << 20 },
	{ "max_clients", "AIOS_MAX_CLIENTS", K_U32, F(max_clients), 1, 1 << 20 },
	{ "idle_timeout_s", "AIOS_IDLE_TIMEOUT_S", K_U32, F(idle_timeout_s), 1, 1 << 30 },
	{ "message_timeout_s", "AIOS_MESSAGE_TIMEOUT_S", K_U32, F(message_timeout_s), 1, 1 << 30 },
	{ "log_level", "AIOS_LOG_LEVEL", K_LEVEL, F(log_level), 0, 3 },
	{ "store.dir", "AIOS_STORE_DIR", K_STR, F(store_dir), 0, 0 },
	{ "store.max_size_mb", "AIOS_MAX_SIZE_MB", K_U64, F(max_size_mb), 0, 1 << 24 },
	{ "store.k_threshold", "AIOS_K_THRESHOLD", K_DBL, F(k_threshold), 0.01, 1 },
	{ "store.key_max", "AIOS_KEY_MAX", K_U32, F(key_max), 1, 65535 },
	{ "store.value_max", "AIOS_VALUE_MAX", K_U32, F(value_max), 1, 64 << 20 },
	{ "store.fsync", "AIOS_FSYNC", K_FSYNC, F(fsync), 0, 0 },
	{ "store.fsync_interval_ms", "AIOS_FSYNC_INTERVAL_MS", K_U32, F(fsync_interval_ms), 1, 60000 },
	{ "store.snapshot_log_mb", "AIOS_SNAPSHOT_LOG_MB", K_U64, F(snapshot_log_mb), 0, 1 << 20 },
	{ "store.snapshot_interval_s", "AIOS_SNAPSHOT_INTERVAL_S", K_U32, F(snapshot_interval_s), 0, 1 << 30 },
	{ "store.evict_samples", "AIOS_EVICT_SAMPLES", K_U32, F(evict_samples), 1, 64 },
	{ "store.recover", "AIOS_STORE_RECOVER", K_BOOL, F(recover), 0, 0 },
	{ "runs.dir", "AIOS_RUNS_DIR", K_STR, F(runs_dir), 0, 0 },
	{ "runs.fsync", "AIOS_RUNS_FSYNC", K_STR, F(runs_fsync), 0, 0 },
	{ "runs.models", "AIOS_MODELS", K_STR, F(models), 0, 0 },
};

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
	case K_LEVEL: {
		static const char *const lv[] = { "error", "warn", "info", "debug" };

		for (int i = 0; i < 4; i++)
			if (!strcmp(s, lv[i])) {
				*(int *)dst = i;
				return 0;
			}
		snprintf(err, errlen, "%s: expected error, warn, info or debug", where);
		return -EINVAL;
	}
	case K_DBL: {
		double d;

		errno = 0;
		d = strtod(s, &end);
		if (errno || end == s || *end || d < k->lo || d > k->hi) {
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
		if (errno || end == s || *end || *s == '-' || (double)v < k->lo ||
		    (double)v > k->hi) {
			snprintf(err, errlen, "%s: expected an integer in [%.0f, %.0f]%s, got \"%.32s\"",
				 where, k->lo, k->hi, k->kind == K_MODE ? " (octal)" : "", s);
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

static int set_from_json(struct aiosd_config *c, const struct key *k, json_t *v,
			 char *err, size_t errlen)
{
	char buf[64], where[96];

	snprintf(where, sizeof(where), "config key \"%s\"", k->json);
	switch (k->kind) {
	case K_STR:
	case K_FSYNC:
	case K_LEVEL:
	case K_MODE:
		if (!json_is_string(v)) {
			snprintf(err, errlen, "%s: expected a string", where);
			return -EINVAL;
		}
		return set_from_string(c, k, json_string_value(v), where, err, errlen);
	case K_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "%s: expected true or false", where);
			return -EINVAL;
		}
		*(bool *)((char *)c + k->off) = json_is_true(v);
		return 0;
	case K_DBL:
		if (!json_is_number(v)) {
			snprintf(err, errlen, "%s: expected a number", where);
			return -EINVAL;
		}
		snprintf(buf, sizeof(buf), "%.17g", json_number_value(v));
		return set_from_string(c, k, buf, where, err, errlen);
	default:
		if (!json_is_integer(v)) {
			snprintf(err, errlen, "%s: expected an integer", where);
			return -EINVAL;
		}
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return set_from_string(c, k, buf, where, err, errlen);
	}
}

static int load_obj(struct aiosd_config *c, json_t *obj, const char *scope,
		    char *err, size_t errlen)
{
	const char *name;
	json_t *v;

	json_object_foreach(obj, name, v) {
		char full[128];
		const struct key *k = NULL;
		int r;

		if (!scope && (!strcmp(name, "store") || !strcmp(name, "runs"))) {
			if (!json_is_object(v)) {
				snprintf(err, errlen, "config key \"%s\": expected an object", name);
				return -EINVAL;
			}
			r = load_obj(c, v, name, err, errlen);
			if (r)
				return r;
			continue;
		}
		snprintf(full, sizeof(full), "%s%s%s", scope ? scope : "", scope ? "." : "", name);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(keys[i].json, full))
				k = &keys[i];
		if (!k) {
			snprintf(err, errlen, "unknown config key \"%.100s\"", full);
			return -EINVAL;
		}
		r = set_from_json(c, k, v, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

int config_load_file(struct aiosd_config *c, const char *path, char *err,
		     size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	int r;

	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: the configuration must be a JSON object", path);
		json_decref(root);
		return -EINVAL;
	}
	r = load_obj(c, root, NULL, err, errlen);
	if (r) {
		size_t l = strlen(err);
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
		(void)l;
		snprintf(err, errlen, "%s", tmp);
	}
	json_decref(root);
	return r;
}

int config_load_env(struct aiosd_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = getenv(keys[i].env);
		char where[96];
		int r;

		if (!v)
			continue;
		snprintf(where, sizeof(where), "environment %s", keys[i].env);
		r = set_from_string(c, &keys[i], v, where, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

int config_validate(const struct aiosd_config *c, char *err, size_t errlen)
{
	if (!c->socket[0] || c->socket[0] != '/') {
		snprintf(err, errlen, "socket: need an absolute path");
		return -EINVAL;
	}
	if (((uint64_t)c->value_max + c->key_max) * 4 / 3 + 1024 > (uint64_t)c->max_message) {
		snprintf(err, errlen,
			 "max_message (%u) is too small for key_max + value_max (%u) in base64 (4/3 of it plus 1 KiB)",
			 c->max_message, c->key_max + c->value_max);
		return -EINVAL;
	}
	if (c->store_dir[0] && c->store_dir[0] != '/') {
		snprintf(err, errlen, "store.dir: need an absolute path");
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
