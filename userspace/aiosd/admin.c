// SPDX-License-Identifier: GPL-2.0
/* aiosd operations side (see admin.h). */
#define _GNU_SOURCE
#include "admin.h"
#include "server.h"

#include <aios.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger.h"
#include "runops.h"

struct aiosd_admin {
	struct admin_source src;	/* strings point into main's argv/env */
	struct aiosd_config *cfg;	/* the running configuration */
	struct aios_store *st;
	struct aios_runops *runs;
	const char *runs_why;
	struct bootlog *bl;
	char sha256[CONFIG_SHA256_HEX];
	char expected[CONFIG_SHA256_HEX];
	char policy[8];
	char check[200];
	unsigned int reloads;
	json_t *last_reload;		/* result of the last reload, or NULL */
};

/* ---- loading and the hash check ---- */

static int policy_rank(const char *p)
{
	return !p || !*p ? -1 : !strcmp(p, "off") ? 0 : !strcmp(p, "warn") ? 1 : 2;
}

static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* HEX, or @FILE holding HEX as its first word (sha256sum's format). */
static int read_expected(const char *spec, char *out, char *err, size_t errlen)
{
	char buf[256];
	size_t n;

	if (spec[0] != '@') {
		if (!is_hex64(spec, strlen(spec))) {
			snprintf(err, errlen,
				 "the recorded config SHA-256 \"%.80s\" is not 64 hex digits (or @FILE)",
				 spec);
			return -EINVAL;
		}
		snprintf(buf, sizeof(buf), "%s", spec);
	} else {
		FILE *f = fopen(spec + 1, "re");

		if (!f) {
			snprintf(err, errlen, "the recorded config SHA-256 file %s: %s", spec + 1,
				 strerror(errno));
			return -errno;
		}
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		n = strcspn(buf, " \t\r\n");
		if (!is_hex64(buf, n)) {
			snprintf(err, errlen,
				 "the recorded config SHA-256 file %s does not start with 64 hex digits",
				 spec + 1);
			return -EINVAL;
		}
		buf[64] = 0;
	}
	for (int i = 0; i < 64; i++)
		out[i] = (char)tolower((unsigned char)buf[i]);
	out[64] = 0;
	return 0;
}

void admin_bootlog_path(const struct aiosd_config *c, char *out, size_t len)
{
	if (c->bootlog[0])
		snprintf(out, len, "%s", c->bootlog);
	else if (c->runs_dir[0])
		snprintf(out, len, "%s/bootlog.jsonl", c->runs_dir);
	else
		out[0] = 0;
}

int admin_load(const struct admin_source *src, struct admin_loaded *out,
	       char *err, size_t errlen)
{
	struct aiosd_config *c = &out->cfg;
	char file_policy[8];
	int r;

	memset(out, 0, sizeof(*out));
	config_defaults(c);
	if (src->config_path) {
		r = config_load_file_hash(c, src->config_path, out->sha256, err, errlen);
		if (r)
			return r;
	}
	snprintf(file_policy, sizeof(file_policy), "%s", c->config_check);
	r = config_load_env(c, err, errlen);
	if (r)
		return r;
	if (src->socket && snprintf(c->socket, sizeof(c->socket), "%s", src->socket) >=
	    (int)sizeof(c->socket)) {
		snprintf(err, errlen, "socket path too long (at most %zu bytes)", sizeof(c->socket) - 1);
		return -EINVAL;
	}
	if (src->store_dir && snprintf(c->store_dir, sizeof(c->store_dir), "%s", src->store_dir) >=
	    (int)sizeof(c->store_dir)) {
		snprintf(err, errlen, "store directory path too long");
		return -EINVAL;
	}
	if (src->memory_only)
		c->store_dir[0] = 0;
	if (src->recover)
		c->recover = true;
	/* by default runs live next to the store: /var/lib/aios/{store,runs} */
	if (!c->runs_dir[0] && c->store_dir[0]) {
		char *slash;

		snprintf(c->runs_dir, sizeof(c->runs_dir), "%s", c->store_dir);
		slash = strrchr(c->runs_dir, '/');
		if (slash && slash != c->runs_dir)
			*slash = 0;
		else
			c->runs_dir[0] = 0;
	}
	r = config_validate(c, err, errlen);
	if (r)
		return r;

	/* the SHA-256 check: policy = the stricter of the command line /
	 * environment and the file's own config_check */
	if (src->check && policy_rank(src->check) < 0) {
		snprintf(err, errlen, "config check policy \"%s\": expected refuse, warn or off",
			 src->check);
		return -EINVAL;
	}
	if (src->expect) {
		r = read_expected(src->expect, out->expected, err, errlen);
		if (r)
			return r;
	}
	if (policy_rank(src->check) >= 0 || policy_rank(file_policy) >= 0)
		snprintf(out->policy, sizeof(out->policy), "%s",
			 policy_rank(src->check) >= policy_rank(file_policy) ? src->check : file_policy);
	else
		snprintf(out->policy, sizeof(out->policy), "%s", out->expected[0] ? "refuse" : "off");
	snprintf(c->config_check, sizeof(c->config_check), "%s", out->policy);
	if (!strcmp(out->policy, "off")) {
		snprintf(out->check, sizeof(out->check), "not checked (config_check off)");
		return 0;
	}
	if (!src->config_path) {
		if (out->expected[0] || !strcmp(out->policy, "refuse")) {
			snprintf(err, errlen, "a recorded config SHA-256 or config_check refuse needs a configuration file (-c FILE)");
			return -EINVAL;
		}
		snprintf(out->check, sizeof(out->check), "no configuration file");
		return 0;
	}
	if (!out->expected[0]) {
		if (!strcmp(out->policy, "refuse")) {
			snprintf(err, errlen,
				 "%s: config_check is refuse but no SHA-256 is recorded (--config-sha256 HEX|@FILE or AIOS_CONFIG_SHA256)",
				 src->config_path);
			return -EPERM;
		}
		snprintf(out->check, sizeof(out->check), "no recorded SHA-256 to compare with");
		return 0;
	}
	if (!strcmp(out->expected, out->sha256)) {
		snprintf(out->check, sizeof(out->check), "matches the recorded SHA-256");
		return 0;
	}
	snprintf(out->check, sizeof(out->check), "MISMATCH: recorded %.16s..., file %.16s...",
		 out->expected, out->sha256);
	if (!strcmp(out->policy, "refuse")) {
		snprintf(err, errlen,
			 "%s: SHA-256 %s does not match the recorded %s%s%s (config_check refuse); "
			 "if the change is intended, record the new hash (aiosctl config hash %s)",
			 src->config_path, out->sha256, out->expected,
			 src->expect && src->expect[0] == '@' ? " from " : "",
			 src->expect && src->expect[0] == '@' ? src->expect + 1 : "",
			 src->config_path);
		return -EPERM;
	}
	out->mismatch_warned = true;
	return 0;
}

/* ---- state ---- */

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct aiosd_admin *admin_new(const struct admin_source *src,
			      const struct admin_loaded *loaded,
			      struct aiosd_config *cfg, struct bootlog *bl)
{
	struct aiosd_admin *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->src.config_path = dupstr(src->config_path);
	a->src.socket = dupstr(src->socket);
	a->src.store_dir = dupstr(src->store_dir);
	a->src.expect = dupstr(src->expect);
	a->src.check = dupstr(src->check);
	a->src.memory_only = src->memory_only;
	a->src.recover = src->recover;
	a->cfg = cfg;
	a->bl = bl;
	snprintf(a->sha256, sizeof(a->sha256), "%s", loaded->sha256);
	snprintf(a->expected, sizeof(a->expected), "%s", loaded->expected);
	snprintf(a->policy, sizeof(a->policy), "%s", loaded->policy);
	snprintf(a->check, sizeof(a->check), "%s", loaded->check);
	return a;
}

void admin_set_stores(struct aiosd_admin *a, struct aios_store *st,
		      struct aios_runops *runs, const char *runs_why)
{
	a->st = st;
	a->runs = runs;
	a->runs_why = runs_why;
}

void admin_free(struct aiosd_admin *a)
{
	if (!a)
		return;
	free((char *)a->src.config_path);
	free((char *)a->src.socket);
	free((char *)a->src.store_dir);
	free((char *)a->src.expect);
	free((char *)a->src.check);
	json_decref(a->last_reload);
	bootlog_close(a->bl);
	free(a);
}

struct bootlog *admin_bootlog(struct aiosd_admin *a)
{
	return a ? a->bl : NULL;
}

/* ---- start-up events ---- */

static char *read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return NULL;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return buf;
}

void admin_boot_kernel(struct aiosd_admin *a)
{
	char buf[256], path[512];
	json_t *mod = json_object(), *params = json_object();
	struct aios_status ks;
	struct aios *h;
	struct stat sb;
	DIR *d;

	if (!mod || !params) {
		json_decref(mod);
		json_decref(params);
		return;
	}
	/* what sysfs says about the module */
	if (stat("/sys/module/aios", &sb)) {
		json_object_set_new(mod, "loaded", json_false());
		json_decref(params);
		params = NULL;
	} else {
		json_object_set_new(mod, "loaded", json_true());
		if (read_small("/sys/module/aios/version", buf, sizeof(buf)))
			json_object_set_new(mod, "version", json_string(buf));
		if (read_small("/sys/module/aios/srcversion", buf, sizeof(buf)))
			json_object_set_new(mod, "srcversion", json_string(buf));
		if (read_small("/sys/module/aios/initstate", buf, sizeof(buf)))
			json_object_set_new(mod, "initstate", json_string(buf));
		if (read_small("/sys/module/aios/taint", buf, sizeof(buf)))
			json_object_set_new(mod, "taint", json_string(buf));
		d = opendir("/sys/module/aios/parameters");
		if (d) {
			struct dirent *de;

			while ((de = readdir(d))) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "/sys/module/aios/parameters/%s",
					 de->d_name);
				json_object_set_new(params, de->d_name,
						    read_small(path, buf, sizeof(buf)) ?
						    json_string(buf) : json_string("(unreadable)"));
			}
			closedir(d);
		}
		json_object_set_new(mod, "parameters", params);
	}
	json_object_set_new(mod, "device", json_string(a->cfg->device));
	json_object_set_new(mod, "device_present",
			    json_boolean(!stat(a->cfg->device, &sb) && S_ISCHR(sb.st_mode)));

	/* what the module itself reports over netlink (STATUS_GET) */
	h = aios_new();
	if (h && !aios_status(h, &ks)) {
		char feat[256], caps[512];
		json_t *kp;

		aios_features_format(ks.features, feat, sizeof(feat));
		aios_caps_format(ks.default_caps, caps, sizeof(caps));
		kp = json_pack("{s:i, s:s, s:i, s:s, s:i, s:I, s:I, s:I}",
			       "api_version", (int)ks.api_version, "features", feat,
			       "agents", (int)ks.agents, "default_caps", caps,
			       "audit_ring_size", (int)ks.audit_ring_size,
			       "audit_first_seq", (json_int_t)ks.audit_first_seq,
			       "audit_next_seq", (json_int_t)ks.audit_next_seq,
			       "audit_lost", (json_int_t)ks.audit_lost);
		json_object_set_new(mod, "status", kp);
		bootlog_event(a->bl, 2, "kernel", "module", mod,
			      "aios module: API %u, features %s, %u agents, audit ring %u, default caps %s",
			      ks.api_version, feat, ks.agents, ks.audit_ring_size, caps);
	} else {
		const char *why = h ? aios_errmsg(h) : "out of memory";

		json_object_set_new(mod, "status_error", json_string(why));
		bootlog_event(a->bl, 1, "kernel", "module", mod,
			      "aios module not available (netlink STATUS_GET: %s); aiosd runs with identity by peer uid only",
			      why);
		aios_close(h);
		h = NULL;
	}

	/* GPUs: the module's table and the device nodes present */
	{
		json_t *g = json_object(), *reg = json_array(), *nodes = json_array();
		struct aios_gpu *list = NULL;
		struct aios_gpu_node *nl = NULL;
		size_t n = 0, nn = 0;
		char err[256] = "";
		int r;

		if (h && aios_gpu_list(h, &list, &n) >= 0) {
			for (size_t i = 0; i < n; i++)
				json_array_append_new(reg, json_pack("{s:i, s:s, s:s, s:s}",
					"id", (int)list[i].id, "name", list[i].name,
					"path", list[i].path,
					"state", aios_gpu_state_name(list[i].state) ?
					aios_gpu_state_name(list[i].state) : "?"));
			free(list);
		}
		r = aios_gpu_discover(NULL, &nl, &nn, err, sizeof(err));
		if (r >= 0) {
			for (size_t i = 0; i < nn; i++)
				json_array_append_new(nodes, json_pack("{s:s, s:s}",
					"kind", aios_gpu_node_kind_name(nl[i].kind), "path", nl[i].path));
			free(nl);
		}
		json_object_set_new(g, "registered", reg);
		json_object_set_new(g, "device_nodes", nodes);
		if (r < 0)
			json_object_set_new(g, "discover_error", json_string(err));
		bootlog_event(a->bl, 2, "kernel", "gpus", g,
			      "GPUs: %zu registered with the module, %zu device nodes found",
			      json_array_size(reg), json_array_size(nodes));
	}
	aios_close(h);
}

/* Runs under runs_dir/runs with a run.json. */
static long count_runs(const char *runs_dir)
{
	char p[PATH_MAX];
	struct dirent *de;
	long n = 0;
	DIR *d;

	if (!runs_dir[0])
		return -1;
	snprintf(p, sizeof(p), "%s/runs", runs_dir);
	d = opendir(p);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char m[PATH_MAX + 300];
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		snprintf(m, sizeof(m), "%s/%s/run.json", p, de->d_name);
		if (!stat(m, &sb))
			n++;
	}
	closedir(d);
	return n;
}

void admin_boot_runs(struct aiosd_admin *a)
{
	long n = count_runs(a->cfg->runs_dir);

	if (a->runs)
		bootlog_event(a->bl, 2, "aiosd", "runs",
			      json_pack("{s:s, s:s, s:I}", "dir", a->cfg->runs_dir,
					"fsync", a->cfg->runs_fsync, "runs", (json_int_t)n),
			      "runs and contexts in %s (fsync %s): %ld runs", a->cfg->runs_dir,
			      a->cfg->runs_fsync, n);
	else
		bootlog_event(a->bl, 1, "aiosd", "runs",
			      json_pack("{s:s, s:s}", "dir", a->cfg->runs_dir,
					"disabled", a->runs_why ? a->runs_why : ""),
			      "runs and contexts disabled: %s", a->runs_why ? a->runs_why : "");
}

void admin_boot_tools(struct aiosd_admin *a, json_t *sandbox, json_t *audit)
{
	json_t *prot = json_object_get(sandbox, "protections"), *v;
	char list[256] = "";
	const char *k;
	size_t o = 0;

	if (!a) {
		json_decref(sandbox);
		json_decref(audit);
		return;
	}
	json_object_foreach(prot, k, v)
		if (json_is_true(v) && o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o ? "," : "", k);
	bootlog_event(a->bl, json_is_true(json_object_get(sandbox, "available")) ? 2 : 1, "aiosd",
		      "sandbox", sandbox, "tool sandbox %s; protections: %s",
		      json_is_true(json_object_get(sandbox, "available")) ? "available" :
		      "unavailable", o ? list : "none");
	bootlog_event(a->bl, json_is_true(json_object_get(audit, "attached")) ? 2 : 1, "kernel",
		      "bpf_audit", audit, "eBPF audit %s%s%s",
		      json_is_true(json_object_get(audit, "attached")) ? "attached" : "not attached",
		      json_is_true(json_object_get(audit, "attached")) ? "" : ": ",
		      json_is_true(json_object_get(audit, "attached")) ? "" :
		      json_string_value(json_object_get(audit, "detail")) ?: "");
}

/* ---- reload ---- */

static void now_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void value_text(const struct aiosd_config *c, size_t i, char *buf, size_t len)
{
	json_t *v = config_key_json(c, i);
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;

	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
	json_decref(v);
}

json_t *admin_reload(struct aiosd_admin *a, const char *why)
{
	struct admin_loaded *n = calloc(1, sizeof(*n));
	json_t *res, *applied = json_array(), *restart = json_array();
	struct aiosd_config old;
	char err[1024], when[32];
	bool store_changed = false;
	int r;

	now_iso(when, sizeof(when));
	a->reloads++;
	if (!n || !applied || !restart) {
		free(n);
		json_decref(applied);
		json_decref(restart);
		return NULL;
	}
	r = admin_load(&a->src, n, err, sizeof(err));
	if (r) {
		aiosd_log(0, "%s: configuration NOT reloaded, still running the previous one: %s",
			  why, err);
		res = json_pack("{s:b, s:s, s:s, s:s, s:o, s:o}", "ok", 0, "time", when,
				"trigger", why, "error", err, "applied", applied,
				"needs_restart", restart);
		bootlog_event(a->bl, 0, "aiosd", "reload", json_incref(res),
			      "%s: configuration refused, the previous one stays: %s", why, err);
		goto out;
	}
	if (n->mismatch_warned)
		aiosd_log(1, "%s: config %s: SHA-256 %s does not match the recorded %s (config_check warn): reloading anyway",
			  why, a->src.config_path, n->sha256, n->expected);
	old = *a->cfg;
	for (size_t i = 0; i < config_nkeys(); i++) {
		char ov[600], nv[600];

		if (config_key_equal(&old, &n->cfg, i))
			continue;
		value_text(&old, i, ov, sizeof(ov));
		value_text(&n->cfg, i, nv, sizeof(nv));
		if (config_key_apply(i) == CONFIG_RUNTIME) {
			config_key_copy(a->cfg, &n->cfg, i);
			if (!strncmp(config_key_name(i), "store.", 6))
				store_changed = true;
			aiosd_log(2, "%s: %s %s -> %s: applied", why, config_key_name(i), ov, nv);
			json_array_append_new(applied, json_pack("{s:s, s:s, s:s}", "key",
				config_key_name(i), "old", ov, "new", nv));
		} else {
			aiosd_log(1, "%s: %s %s -> %s: needs a restart (still %s)", why,
				  config_key_name(i), ov, nv, ov);
			json_array_append_new(restart, json_pack("{s:s, s:s, s:s}", "key",
				config_key_name(i), "old", ov, "new", nv));
		}
	}
	aiosd_log_level = a->cfg->log_level;
	if (store_changed && a->st) {
		struct aios_store_config sc;
		uint64_t ev = 0;

		config_store(a->cfg, &sc);
		if (aios_store_reconfigure(a->st, &sc, &ev)) {
			aiosd_log(0, "%s: store settings: %s", why, aios_store_errmsg(a->st));
		} else if (ev) {
			aiosd_log(2, "%s: the new store limits evicted %llu entries", why,
				  (unsigned long long)ev);
		}
	}
	if (a->runs && strcmp(old.runs_fsync, a->cfg->runs_fsync)) {
		enum aios_fsync_policy p;

		if (!aios_fsync_policy_parse(a->cfg->runs_fsync, &p))
			aios_runops_set_policy(a->runs, p);
	}
	snprintf(a->sha256, sizeof(a->sha256), "%s", n->sha256);
	snprintf(a->expected, sizeof(a->expected), "%s", n->expected);
	snprintf(a->policy, sizeof(a->policy), "%s", n->policy);
	snprintf(a->check, sizeof(a->check), "%s", n->check);
	aiosd_log(2, "%s: configuration reloaded (sha256 %s): %zu applied, %zu need a restart",
		  why, a->sha256[0] ? a->sha256 : "-", json_array_size(applied),
		  json_array_size(restart));
	res = json_pack("{s:b, s:s, s:s, s:s, s:s, s:o, s:o}", "ok", 1, "time", when,
			"trigger", why, "sha256", a->sha256, "check", a->check,
			"applied", applied, "needs_restart", restart);
	bootlog_event(a->bl, 2, "aiosd", "reload", json_incref(res),
		      "%s: configuration reloaded: %zu keys applied, %zu need a restart", why,
		      json_array_size(json_object_get(res, "applied")),
		      json_array_size(json_object_get(res, "needs_restart")));
out:
	free(n);
	if (res) {
		json_decref(a->last_reload);
		a->last_reload = json_incref(res);
	}
	return res;
}

/* ---- socket operations ---- */

int admin_owns(const char *op)
{
	return !strcmp(op, "bootlog") || !strcmp(op, "config.get") ||
	       !strcmp(op, "config.reload");
}

static json_t *strip_details(json_t *events)
{
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(events, i, e) {
		json_t *c = json_copy(e);

		json_object_del(c, "detail");
		json_array_append_new(out, c);
	}
	return out;
}

static json_t *op_bootlog(struct aiosd_admin *a, const struct client_id *who,
			  struct proto_req *req)
{
	static const char *const f[] = { "boot", "list", NULL };
	const char *path = bootlog_path(a->bl);
	uint64_t boot = 0, cur = bootlog_boot_id(a->bl);
	bool list = false;
	json_t *r, *boots = NULL, *events = NULL;
	char err[600];
	int rc;

	if (proto_check_fields(req->root, f, err, sizeof(err)) ||
	    proto_get_u64(req->root, "boot", &boot, err, sizeof(err)) < 0 ||
	    proto_get_bool(req->root, "list", &list, err, sizeof(err)) < 0)
		return proto_error(req->id, -EINVAL, err);
	if (list && boot)
		return proto_error(req->id, -EINVAL, "\"list\" and \"boot\" exclude each other");
	if (!boot)
		boot = cur;
	if (path[0]) {
		unsigned int damaged = 0;

		rc = bootlog_read(path, list ? 0 : boot, &boots, list ? NULL : &events, &damaged,
				  err, sizeof(err));
		if (rc)
			return proto_error(req->id, rc, err);
		if (damaged)
			aiosd_log(1, "boot log %s: %u damaged lines skipped", path, damaged);
	} else {
		/* memory only: just this boot */
		if (boot != cur) {
			snprintf(err, sizeof(err),
				 "boot %llu is not known: the boot log is in memory only (no state directory or bootlog key)",
				 (unsigned long long)boot);
			return proto_error(req->id, -ENOENT, err);
		}
		events = json_copy(bootlog_current(a->bl));
		boots = json_array();
		json_array_append_new(boots, json_pack("{s:I, s:i, s:s}", "boot", (json_int_t)cur,
						       "events", (int)json_array_size(events),
						       "outcome", "served"));
		if (list) {
			json_decref(events);
			events = NULL;
		}
	}
	r = proto_ok(req->id);
	if (!r) {
		json_decref(boots);
		json_decref(events);
		return NULL;
	}
	json_object_set_new(r, "current_boot", json_integer((json_int_t)cur));
	json_object_set_new(r, "persistent", json_boolean(path[0] != 0));
	if (who->admin)
		json_object_set_new(r, "path", json_string(path));
	if (list) {
		json_object_set_new(r, "boots", boots);
		json_decref(events);
	} else {
		json_decref(boots);
		json_object_set_new(r, "boot", json_integer((json_int_t)boot));
		if (who->admin) {
			json_object_set_new(r, "events", events);
		} else {
			json_object_set_new(r, "events", strip_details(events));
			json_decref(events);
		}
	}
	return r;
}

static json_t *config_info(struct aiosd_admin *a)
{
	json_t *j = json_pack("{s:s?, s:s, s:s, s:s, s:s, s:i}",
			      "path", a->src.config_path, "sha256", a->sha256,
			      "recorded_sha256", a->expected, "check", a->policy,
			      "check_result", a->check, "reloads", (int)a->reloads);

	if (j)
		json_object_set(j, "last_reload", a->last_reload ? a->last_reload : json_null());
	return j;
}

json_t *admin_handle(struct aiosd_admin *a, const struct client_id *who,
		     struct proto_req *req)
{
	char err[256];
	json_t *r, *res;

	if (!a)
		return proto_error(req->id, -EOPNOTSUPP, "operations state not set up");
	if (!strcmp(req->op, "bootlog"))
		return op_bootlog(a, who, req);
	if (proto_check_fields(req->root, NULL, err, sizeof(err)))
		return proto_error(req->id, -EINVAL, err);
	if (!who->admin) {
		snprintf(err, sizeof(err), "\"%s\" is for administrators (uid 0 or CAP_SYS_ADMIN, or an agent with ADMIN)",
			 req->op);
		return proto_error(req->id, -EPERM, err);
	}
	r = proto_ok(req->id);
	if (!r)
		return NULL;
	if (!strcmp(req->op, "config.get")) {
		json_object_set_new(r, "config", config_to_json(a->cfg));
		json_object_set_new(r, "source", config_info(a));
		return r;
	}
	/* config.reload */
	res = admin_reload(a, "config.reload request");
	if (!res) {
		json_decref(r);
		return proto_error(req->id, -ENOMEM, "out of memory");
	}
	if (!json_is_true(json_object_get(res, "ok"))) {
		json_decref(r);
		r = proto_error(req->id, -EINVAL,
				json_string_value(json_object_get(res, "error")));
		if (r)
			json_object_set_new(json_object_get(r, "error"), "reload", res);
		else
			json_decref(res);
		return r;
	}
	json_object_set_new(r, "reload", res);
	return r;
}

void admin_status(struct aiosd_admin *a, json_t *reply, const struct client_id *who)
{
	json_t *runs;

	if (!a || !reply)
		return;
	json_object_set_new(reply, "boot", json_pack("{s:I, s:b}", "id",
				(json_int_t)bootlog_boot_id(a->bl),
				"persistent", bootlog_path(a->bl)[0] != 0));
	runs = json_pack("{s:b}", "enabled", a->runs != NULL);
	if (runs && who->admin) {
		long n = count_runs(a->cfg->runs_dir);

		json_object_set_new(runs, "dir", json_string(a->cfg->runs_dir));
		json_object_set_new(runs, "fsync", json_string(a->cfg->runs_fsync));
		json_object_set_new(runs, "runs", json_integer(n < 0 ? 0 : n));
		if (!a->runs)
			json_object_set_new(runs, "why", json_string(a->runs_why ? a->runs_why : ""));
	}
	json_object_set_new(reply, "runs", runs);
	if (who->admin)
		json_object_set_new(reply, "config", config_info(a));
}
