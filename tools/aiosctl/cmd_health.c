// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl health [--live | --ready | --full] [--no-module] [--timeout MS]
 *
 * Probes for systemd and Kubernetes: each check is timed and reported as
 * ok, warn (works, but degraded), fail or skip; the exit status is 0 when
 * no required check failed, 1 otherwise, 2 on a usage error.
 *
 *   live   the module is loaded (/dev/aios is a character device and the
 *          generic netlink family "aios" resolves) and aiosd answers
 *   ready  live, and: task queues and the GPU table are readable, aiosd's
 *          memory store is open, runs/contexts are enabled, the eBPF
 *          audit is attached when configured
 *   full   ready, and: audit ring, agents, memory statistics, the boot
 *          log of this boot, the configuration (admin), and the sandbox
 *          protections this host offers (from aiosd's "sandbox" block)
 *
 * With --no-module the module checks are reported but not required (aiosd
 * runs with identity by peer uid only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "aiosd_client.h"
#include "ctl.h"
#include "table.h"

static const char help_text[] =
"usage: aiosctl health [--live | --ready | --full] [--no-module] [--timeout MS]\n"
"\n"
"  --live       the module is loaded (/dev/aios, netlink family \"aios\")\n"
"               and aiosd answers on $AIOS_SOCKET (default " AIOSD_DEFAULT_SOCKET ")\n"
"  --ready      (default) live, plus: task queues and the GPU table are\n"
"               readable, the memory store is open, runs are enabled, the\n"
"               eBPF audit is attached when configured\n"
"  --full       ready, plus: audit ring, agents, memory statistics, this\n"
"               boot's log, the configuration (admin only), and the sandbox\n"
"               protections this host offers; every check with its time\n"
"  --no-module  do not require the kernel module (its checks still show)\n"
"  --timeout MS how long to wait for aiosd (default 5000)\n"
"\n"
"Each check is ok, warn (working but degraded), fail or skip.  Exit\n"
"status: 0 no required check failed, 1 some did, 2 usage error; usable as\n"
"a systemd ExecStartPost= / Kubernetes exec liveness or readiness probe.\n";

enum state { ST_OK, ST_WARN, ST_FAIL, ST_SKIP };
static const char *const state_names[] = { "ok", "warn", "fail", "skip" };

struct hc {
	struct ctl *c;
	json_t *checks;		/* array */
	bool ok;
	bool module_required;
	struct timespec t0;
	struct aiosd_client *cl;
	json_t *status;		/* aiosd's status reply, NULL if not answering */
};

static void start(struct hc *h)
{
	clock_gettime(CLOCK_MONOTONIC, &h->t0);
}

static double elapsed_ms(const struct hc *h)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - h->t0.tv_sec) * 1e3 + (double)(t.tv_nsec - h->t0.tv_nsec) / 1e6;
}

static void add(struct hc *h, const char *name, bool required, enum state st,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct hc *h, const char *name, bool required, enum state st,
		const char *fmt, ...)
{
	char detail[600];
	va_list ap;
	double ms = elapsed_ms(h);

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (required && st == ST_FAIL)
		h->ok = false;
	json_array_append_new(h->checks, json_pack("{s:s, s:s, s:b, s:f, s:s}", "name", name,
						   "state", state_names[st], "required", required,
						   "ms", (double)(long long)(ms * 1000) / 1000, "detail",
						   detail));
}

/* ---- live ---- */

static void check_module(struct hc *h, struct aios_status *ks, bool *have)
{
	struct stat sb;
	char feat[256];

	start(h);
	if (stat("/dev/aios", &sb))
		add(h, "module.device", h->module_required, ST_FAIL,
		    "/dev/aios: %s (is the aios module loaded? modprobe aios)", strerror(errno));
	else if (!S_ISCHR(sb.st_mode))
		add(h, "module.device", h->module_required, ST_FAIL,
		    "/dev/aios is not a character device");
	else
		add(h, "module.device", h->module_required, ST_OK, "/dev/aios (char %u:%u)",
		    major(sb.st_rdev), minor(sb.st_rdev));
	start(h);
	*have = aios_status(h->c->h, ks) >= 0;
	if (*have) {
		aios_features_format(ks->features, feat, sizeof(feat));
		add(h, "module.netlink", h->module_required, ST_OK,
		    "family aios: API %u, features %s, %u agents", ks->api_version, feat,
		    ks->agents);
	} else {
		add(h, "module.netlink", h->module_required, ST_FAIL, "%s",
		    aios_errmsg(h->c->h));
	}
}

static void check_aiosd(struct hc *h, unsigned int timeout_ms)
{
	const char *sock = getenv("AIOS_SOCKET") ? getenv("AIOS_SOCKET") : AIOSD_DEFAULT_SOCKET;
	int rc;

	start(h);
	rc = aiosd_connect(NULL, &h->cl);
	if (rc) {
		add(h, "aiosd", true, ST_FAIL, "%s: %s (is aiosd running?)", sock, strerror(-rc));
		h->cl = NULL;
		return;
	}
	aiosd_set_timeout(h->cl, timeout_ms);
	rc = aiosd_status(h->cl, &h->status);
	if (rc) {
		add(h, "aiosd", true, ST_FAIL, "%s: status: %s", sock, aiosd_client_error(h->cl));
		json_decref(h->status);
		h->status = NULL;
		return;
	}
	add(h, "aiosd", true, ST_OK, "%s: protocol %lld, up %llds, identity %s", sock,
	    (long long)json_integer_value(json_object_get(h->status, "protocol")),
	    (long long)json_integer_value(json_object_get(h->status, "uptime_s")),
	    json_string_value(json_object_get(h->status, "identity_mode")) ?: "?");
}

/* ---- ready ---- */

static void check_ready(struct hc *h, bool have_module)
{
	struct aios_queue_info *q = NULL;
	struct aios_gpu *g = NULL;
	json_t *runs, *audit, *mem;
	size_t n = 0;

	start(h);
	if (!have_module)
		add(h, "queues", h->module_required, h->module_required ? ST_FAIL : ST_SKIP,
		    "the module is not available");
	else if (aios_queues(h->c->h, &q, &n) < 0)
		add(h, "queues", h->module_required, ST_FAIL, "%s", aios_errmsg(h->c->h));
	else
		add(h, "queues", h->module_required, ST_OK, "%zu queues readable", n);
	free(q);
	start(h);
	n = 0;
	if (!have_module)
		add(h, "gpu_table", h->module_required, h->module_required ? ST_FAIL : ST_SKIP,
		    "the module is not available");
	else if (aios_gpu_list(h->c->h, &g, &n) < 0)
		add(h, "gpu_table", h->module_required, ST_FAIL, "%s", aios_errmsg(h->c->h));
	else
		add(h, "gpu_table", h->module_required, ST_OK, "%zu GPU devices registered", n);
	free(g);

	start(h);
	if (!h->status) {
		add(h, "store", true, ST_FAIL, "aiosd is not answering");
		add(h, "runs", true, ST_FAIL, "aiosd is not answering");
		add(h, "bpf_audit", false, ST_SKIP, "aiosd is not answering");
		return;
	}
	mem = json_object_get(h->status, "memory");
	if (json_is_object(mem))
		add(h, "store", true, ST_OK, "memory store open%s%s",
		    json_object_get(h->status, "store") ? ": " : "",
		    json_string_value(json_object_get(json_object_get(h->status, "store"),
						      "load_report")) ?: "");
	else
		add(h, "store", true, ST_FAIL, "aiosd's status has no memory store");
	start(h);
	runs = json_object_get(h->status, "runs");
	if (!runs)
		add(h, "runs", false, ST_SKIP, "aiosd does not report runs");
	else if (json_is_true(json_object_get(runs, "enabled")))
		add(h, "runs", true, ST_OK, "runs and contexts enabled%s%s",
		    json_object_get(runs, "dir") ? " in " : "",
		    json_string_value(json_object_get(runs, "dir")) ?: "");
	else
		add(h, "runs", false, ST_WARN, "runs and contexts disabled%s%s",
		    json_object_get(runs, "why") ? ": " : "",
		    json_string_value(json_object_get(runs, "why")) ?: "");
	start(h);
	audit = json_object_get(h->status, "audit");
	if (!audit) {
		add(h, "bpf_audit", false, ST_SKIP, "aiosd reports no eBPF audit");
	} else if (json_is_true(json_object_get(audit, "attached"))) {
		add(h, "bpf_audit", true, ST_OK, "eBPF audit attached%s",
		    json_is_true(json_object_get(audit, "lsm")) ? " (BPF LSM enforcing)" : "");
	} else {
		const char *d = json_string_value(json_object_get(audit, "detail")) ?: "";

		/* audit.ebpf "on" makes aiosd refuse to start without it, so
		 * a running aiosd without it has it off or "auto" */
		if (!strncmp(d, "disabled", 8))
			add(h, "bpf_audit", false, ST_SKIP, "%s", d);
		else
			add(h, "bpf_audit", false, ST_WARN, "not attached (audit.ebpf auto): %s", d);
	}
}

/* ---- full ---- */

static json_t *call(struct hc *h, json_t *req, int *rc)
{
	json_t *reply = NULL;

	*rc = aiosd_call(h->cl, req, &reply);
	json_decref(req);
	return reply;
}

static void check_full(struct hc *h, bool have_module, const struct aios_status *ks,
		       json_t **sandbox)
{
	json_t *r, *sb;
	int rc;

	start(h);
	if (have_module) {
		add(h, "audit_ring", h->module_required, ST_OK,
		    "%u entries, next seq %llu, %llu lost", ks->audit_ring_size,
		    (unsigned long long)ks->audit_next_seq, (unsigned long long)ks->audit_lost);
		start(h);
		{
			struct aios_agent *list = NULL;
			size_t n = 0;

			if (aios_agents(h->c->h, &list, &n) < 0)
				add(h, "agents", h->module_required, ST_FAIL, "%s",
				    aios_errmsg(h->c->h));
			else
				add(h, "agents", h->module_required, ST_OK, "%zu live agents", n);
			free(list);
		}
	} else {
		add(h, "audit_ring", h->module_required, h->module_required ? ST_FAIL : ST_SKIP,
		    "the module is not available");
		add(h, "agents", h->module_required, h->module_required ? ST_FAIL : ST_SKIP,
		    "the module is not available");
	}
	if (!h->cl || !h->status) {
		start(h);
		add(h, "memory", true, ST_FAIL, "aiosd is not answering");
		add(h, "bootlog", false, ST_SKIP, "aiosd is not answering");
		add(h, "config", false, ST_SKIP, "aiosd is not answering");
		add(h, "sandbox", false, ST_SKIP, "aiosd is not answering");
		return;
	}
	start(h);
	r = call(h, json_pack("{s:s}", "op", "memory.stats"), &rc);
	if (rc)
		add(h, "memory", true, ST_FAIL, "memory.stats: %s", aiosd_client_error(h->cl));
	else
		add(h, "memory", true, ST_OK, "%lld items in this namespace, hit rate %.2f",
		    (long long)json_integer_value(json_object_get(json_object_get(r, "stats"),
								  "items")),
		    json_number_value(json_object_get(json_object_get(r, "stats"), "hit_rate")));
	json_decref(r);
	start(h);
	r = call(h, json_pack("{s:s, s:b}", "op", "bootlog", "list", 1), &rc);
	if (rc) {
		add(h, "bootlog", false, ST_WARN, "bootlog: %s", aiosd_client_error(h->cl));
	} else {
		json_t *boots = json_object_get(r, "boots");
		json_t *last = json_array_get(boots, json_array_size(boots) - 1);
		long long errs = json_integer_value(json_object_get(last, "errors"));
		long long warns = json_integer_value(json_object_get(last, "warnings"));

		add(h, "bootlog", false, errs ? ST_WARN : ST_OK,
		    "boot %lld (%s): %lld events, %lld errors, %lld warnings; %zu boots kept",
		    (long long)json_integer_value(json_object_get(r, "current_boot")),
		    json_is_true(json_object_get(r, "persistent")) ? "persistent" : "memory only",
		    (long long)json_integer_value(json_object_get(last, "events")), errs, warns,
		    json_array_size(boots));
	}
	json_decref(r);
	start(h);
	r = call(h, json_pack("{s:s}", "op", "config.get"), &rc);
	if (rc == -EPERM) {
		add(h, "config", false, ST_SKIP, "config.get is for administrators");
	} else if (rc) {
		add(h, "config", false, ST_WARN, "config.get: %s", aiosd_client_error(h->cl));
	} else {
		json_t *src = json_object_get(r, "source");
		json_t *lr = json_object_get(src, "last_reload");
		const char *sha = json_string_value(json_object_get(src, "sha256"));
		bool bad = json_is_object(lr) && !json_is_true(json_object_get(lr, "ok"));

		add(h, "config", false, bad ? ST_WARN : ST_OK, "%s%s%s, check %s: %s%s%s",
		    json_string_value(json_object_get(src, "path")) ?: "(defaults)",
		    sha && *sha ? " sha256 " : "", sha && *sha ? sha : "",
		    json_string_value(json_object_get(src, "check")) ?: "?",
		    json_string_value(json_object_get(src, "check_result")) ?: "",
		    bad ? "; last reload FAILED: " : "",
		    bad ? json_string_value(json_object_get(lr, "error")) ?: "" : "");
	}
	json_decref(r);
	start(h);
	sb = json_object_get(h->status, "sandbox");
	if (!sb) {
		add(h, "sandbox", false, ST_SKIP, "aiosd reports no tool sandbox");
	} else {
		json_t *prot = json_object_get(sb, "protections"), *v;
		char have[256] = "", miss[256] = "";
		size_t oh = 0, om = 0;
		const char *k;

		json_object_foreach(prot, k, v) {
			if (json_is_true(v))
				oh += (size_t)snprintf(have + oh, oh < sizeof(have) ? sizeof(have) - oh : 0,
						       "%s%s", oh ? "," : "", k);
			else
				om += (size_t)snprintf(miss + om, om < sizeof(miss) ? sizeof(miss) - om : 0,
						       "%s%s", om ? "," : "", k);
		}
		add(h, "sandbox", false,
		    json_is_true(json_object_get(sb, "available")) ? ST_OK : ST_WARN,
		    "%s; offers %s%s%s", json_is_true(json_object_get(sb, "available")) ?
		    "tool sandbox available" : "tool sandbox unavailable",
		    oh ? have : "nothing", om ? "; missing " : "", om ? miss : "");
		*sandbox = json_incref(prot);
	}
}

int cmd_health(struct ctl *c, int argc, char **argv)
{
	bool live = false, ready = false, full = false, nomod = false;
	const char *tmo = NULL;
	const struct ctl_opt opts[] = {
		{ "live", NULL, &live }, { "ready", NULL, &ready }, { "full", NULL, &full },
		{ "no-module", NULL, &nomod }, { "timeout", &tmo, NULL },
	};
	struct hc h = { .c = c, .ok = true };
	struct aios_status ks = { 0 };
	json_t *sandbox = NULL, *e;
	const char *mode;
	uint64_t timeout = 5000;
	char *pos[1];
	bool have_module;
	int npos, ret;
	size_t i;

	ret = ctl_parse_cmd(c, argc - 1, argv + 1, opts, 5, pos, 0, &npos, help_text);
	if (ret)
		return ctl_status(ret);
	if (live + ready + full > 1)
		return ctl_usage(c, "--live, --ready and --full exclude each other");
	if (tmo && (ctl_parse_u64(tmo, &timeout) || !timeout || timeout > 600000))
		return ctl_usage(c, "bad --timeout \"%s\" (milliseconds, 1..600000)", tmo);
	mode = live ? "live" : full ? "full" : "ready";
	h.module_required = !nomod;
	h.checks = json_array();
	if (!h.checks)
		return EXIT_FAIL;
	check_module(&h, &ks, &have_module);
	check_aiosd(&h, (unsigned int)timeout);
	if (!live)
		check_ready(&h, have_module);
	if (full)
		check_full(&h, have_module, &ks, &sandbox);
	if (c->json) {
		json_t *o = json_pack("{s:s, s:b, s:b, s:O}", "mode", mode, "ok", h.ok,
				      "module_required", h.module_required, "checks", h.checks);

		if (o && sandbox)
			json_object_set(o, "sandbox_protections", sandbox);
		ctl_json_print(c, o);
	} else {
		static const char *const head[] = { "CHECK", "STATE", "MS", "REQUIRED", "DETAIL" };
		struct table *t = table_new(5, head);
		bool okt = t != NULL;

		printf("aios health (%s): %s\n", mode, h.ok ? "OK" : "NOT OK");
		json_array_foreach(h.checks, i, e) {
			char ms[32];
			const char *cells[5];

			snprintf(ms, sizeof(ms), "%.1f", json_real_value(json_object_get(e, "ms")));
			cells[0] = json_string_value(json_object_get(e, "name"));
			cells[1] = json_string_value(json_object_get(e, "state"));
			cells[2] = ms;
			cells[3] = json_is_true(json_object_get(e, "required")) ? "yes" : "no";
			cells[4] = json_string_value(json_object_get(e, "detail"));
			if (okt && table_row(t, cells))
				okt = false;
		}
		table_finish(t, okt);
	}
	json_decref(sandbox);
	json_decref(h.checks);
	json_decref(h.status);
	aiosd_close(h.cl);
	return h.ok ? EXIT_OK : EXIT_FAIL;
}
