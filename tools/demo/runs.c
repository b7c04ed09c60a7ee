// SPDX-License-Identifier: GPL-2.0
/*
 * aios-demo: an agent run that survives its agent and its aiosd.
 *
 * A "researcher" agent works through a run: each step updates the
 * working set with optimistic locking (expected_seq) and appends to the
 * hash-chained ledger; halfway it records a milestone (an episode) and
 * commits a long-term memory fact at it.  The agent is SIGKILLed mid-run.
 * The administrator exports the run as a resume pack; a second aiosd with
 * a fresh state directory stands in for another machine: a new agent
 * imports the pack there (a tampered copy is refused first), "aiosctl
 * ledger verify" walks the chain, and the new agent resumes where the
 * first one stopped - the working set seq and the ledger chain continue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"

#define RUN_ID		"wordcount-1"
#define GOAL		"count the words of the corpus"
#define FACT_SCOPE	"demo/corpus"

static const char *const corpus[] = {
	"agents are processes the kernel gives them identity",
	"capabilities decide what an agent may do",
	"every decision is written to the audit ring",
	"a run survives the agent that started it",
};

static unsigned int words(const char *line)
{
	unsigned int n = 0;
	bool in = false;

	for (; *line; line++) {
		if (*line == ' ')
			in = false;
		else if (!in)
			in = true, n++;
	}
	return n;
}

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	buf[n++] = '\n';
	if (write(fd, buf, n) != n)
		_exit(90);
}

static int agent_fail(struct aios_session *s, const char *who, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, aios_session_errmsg(s));
	return 70;
}

/* The working set after step (words counted so far). */
static char *workset_doc(unsigned int step, unsigned int total, const char *status)
{
	json_t *doc = json_pack("{s:s, s:s, s:i, s:{s:i, s:i}}", "goal", GOAL,
				"status", status, "step", step, "vars",
				"lines_done", step, "words", total);
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(doc);
	return text;
}

/* One step of work: count a line, update the working set, log it. */
static int work_step(struct aios_session *s, const char *who, unsigned int step,
		     unsigned int *total, uint64_t *wseq, uint64_t *lseq)
{
	char payload[256], *doc;
	unsigned int n = words(corpus[step - 1]);
	int err;

	*total += n;
	snprintf(payload, sizeof(payload), "{\"step\":%u,\"line\":\"%s\",\"words\":%u}",
		 step, corpus[step - 1], n);
	if (aios_runs_ledger_append(s, RUN_ID, "step", payload, lseq))
		return agent_fail(s, who, "ledger append");
	doc = workset_doc(step, *total, "active");
	err = doc ? aios_runs_workset_put(s, RUN_ID, *wseq, doc, wseq) : -ENOMEM;
	free(doc);
	if (err)
		return agent_fail(s, who, "working set update");
	say("%s: step %u: %u words (total %u); ledger record %" PRIu64
	    ", working set seq %" PRIu64 "\n", who, step, n, *total, *lseq, *wseq);
	return 0;
}

/*
 * The first agent: steps 1..3 (milestone after 2), a stale update, then
 * it reports "ready" and waits - it is killed before it can go on.
 */
static int run_researcher(const char *sock, int to, int from)
{
	const char *who = "researcher";
	struct aios *h = demo_agent_register(who);
	struct aios_session *s = demo_agent_session(sock, h);
	uint64_t wseq = 0, lseq = 0, cur = 0, committed = 0;
	char *run = NULL, *prop = NULL, *ep = NULL, *doc;
	unsigned int total = 0, step;
	json_t *e;
	char go;
	int err;

	if (aios_runs_create(s, RUN_ID, "always", &run))
		return agent_fail(s, who, "run create");
	say("%s (agent %" PRIu64 "): created run %s (ledger fsync: always)\n", who,
	    aios_agent_id(h), run);
	for (step = 1; step <= 3; step++) {
		err = work_step(s, who, step, &total, &wseq, &lseq);
		if (err)
			return err;
		if (step != 2)
			continue;
		if (aios_runs_ltm_propose(s, RUN_ID,
					  "[{\"text\":\"the first two corpus lines hold 15 words\","
					  "\"scope\":\"" FACT_SCOPE "\",\"tags\":[\"count\"]}]", &prop))
			return agent_fail(s, who, "ltm propose");
		if (aios_runs_episode_create(s, RUN_ID, "halfway", "two of four lines counted", &ep))
			return agent_fail(s, who, "episode");
		e = json_loads(ep, 0, NULL);
		say("%s: milestone \"halfway\": episode sha256 %.16s..., anchored at ledger record %"
		    JSON_INTEGER_FORMAT "\n", who, json_string_value(json_object_get(e, "sha256")),
		    json_integer_value(json_object_get(e, "ledger_seq")));
		json_decref(e);
		if (aios_runs_ltm_commit(s, RUN_ID, prop, "halfway", &committed) || committed != 1)
			return agent_fail(s, who, "ltm commit");
		say("%s: long-term memory proposal %s committed at the milestone (%" PRIu64 " fact)\n",
		    who, prop, committed);
	}
	/* a writer that did not see the last update loses, and learns why */
	doc = workset_doc(9, 0, "active");
	err = aios_runs_workset_put(s, RUN_ID, wseq - 1, doc, &cur);
	free(doc);
	say("%s: a stale update (expected_seq %" PRIu64 ") -> %s, current seq %" PRIu64 ": %s\n",
	    who, wseq - 1, err ? aios_errno_name(err) : "accepted", cur,
	    err ? aios_session_errmsg(s) : "");
	if (err != -ESTALE || cur != wseq)
		return 71;
	report(from, "%" PRIu64 " %" PRIu64 " %u", wseq, lseq, total);
	if (read(to, &go, 1) == 1)	/* never: the demo kills us */
		return 72;
	return 73;
}

/* The second agent: imports the pack (a tampered copy first), resumes. */
static int run_resumer(const char *sock, const char *pack_path, int to, int from)
{
	const char *who = "researcher-2";
	struct aios *h = demo_agent_register(who);
	struct aios_session *s = demo_agent_session(sock, h);
	uint64_t wseq = 0, lseq = 0, first;
	char *id = NULL, *man = NULL, *text = NULL;
	unsigned int total, step;
	json_t *doc, *j;
	unsigned char *bad;
	size_t len, rd;
	void *data;
	FILE *f;
	char go;
	int err;

	f = fopen(pack_path, "r");
	if (!f) {
		perror(pack_path);
		return 74;
	}
	data = malloc(16 << 20);
	rd = data ? fread(data, 1, 16 << 20, f) : 0;
	fclose(f);
	len = rd;
	if (!len)
		return 74;

	bad = malloc(len);
	if (!bad)
		return 74;
	memcpy(bad, data, len);
	bad[len / 2] ^= 0x20;	/* one flipped bit inside the archive */
	err = aios_runs_pack_import(s, bad, len, NULL, &id, NULL);
	say("%s (agent %" PRIu64 "): import of a copy with one flipped bit -> %s: %s\n", who,
	    aios_agent_id(h), err ? aios_errno_name(err) : "accepted", aios_session_errmsg(s));
	free(bad);
	if (!err || aios_runs_list(s, &text) || strcmp(text, "[]"))
		return 75;
	free(text);

	if (aios_runs_pack_import(s, data, len, NULL, &id, &man))
		return agent_fail(s, who, "pack import");
	j = json_loads(man, 0, NULL);
	say("%s: imported run %s: %zu files, every SHA-256 and the ledger chain (%" JSON_INTEGER_FORMAT
	    " records) verified before anything was written\n", who, id,
	    json_array_size(json_object_get(j, "files")),
	    json_integer_value(json_object_get(json_object_get(j, "ledger"), "records")));
	json_decref(j);
	free(man);
	free(data);
	report(from, "imported %s", id);
	if (read(to, &go, 1) != 1)
		return 76;

	/* resume where the first agent stopped */
	if (aios_runs_workset_get(s, id, &wseq, &text))
		return agent_fail(s, who, "working set");
	doc = json_loads(text, 0, NULL);
	free(text);
	step = (unsigned int)json_integer_value(json_object_get(doc, "step"));
	total = (unsigned int)json_integer_value(json_object_get(json_object_get(doc, "vars"), "words"));
	json_decref(doc);
	say("%s: working set at seq %" PRIu64 ": step %u done, %u words so far\n", who, wseq,
	    step, total);
	if (aios_runs_ltm_search(s, id, "corpus words", FACT_SCOPE, 5, &text))
		return agent_fail(s, who, "ltm search");
	j = json_loads(text, 0, NULL);
	free(text);
	say("%s: long-term memory search \"corpus words\": %zu hit: \"%s\"\n", who,
	    json_array_size(j), json_string_value(json_object_get(json_array_get(j, 0), "text")));
	if (json_array_size(j) != 1)
		return 77;
	json_decref(j);

	first = 0;
	for (step = step + 1; step <= 4; step++) {
		err = work_step(s, who, step, &total, &wseq, &lseq);
		if (err)
			return err;
		if (!first)
			first = lseq;
	}
	text = workset_doc(4, total, "done");
	err = text ? aios_runs_workset_put(s, id, wseq, text, &wseq) : -ENOMEM;
	free(text);
	if (err)
		return agent_fail(s, who, "final working set");
	if (aios_runs_episode_create(s, id, "done", "all lines counted", NULL))
		return agent_fail(s, who, "episode");
	say("%s: finished: %u words; working set seq %" PRIu64 ", status done; milestone \"done\"\n",
	    who, total, wseq);
	report(from, "%" PRIu64 " %" PRIu64 " %u", first, wseq, total);
	aios_session_close(s);
	aios_close(h);
	return 0;
}

struct agentproc {
	pid_t pid;
	int to, from;
};

static int spawn_agent(struct demo *d, struct agentproc *p, int (*fn)(const char *, const char *, int, int),
		       const char *sock, const char *arg)
{
	int to[2], from[2];

	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return fail(d, "pipe: %s", strerror(errno));
	fflush(stdout);
	p->pid = fork();
	if (p->pid < 0)
		return fail(d, "fork: %s", strerror(errno));
	if (p->pid == 0) {
		close(to[1]);
		close(from[0]);
		drop_privileges();
		_exit(fn(sock, arg, to[0], from[1]));
	}
	close(to[0]);
	close(from[1]);
	p->to = to[1];
	p->from = from[0];
	return 0;
}

static int agent_line(struct demo *d, struct agentproc *p, const char *who, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(p->from, buf + n, 1);

		if (r <= 0) {
			int status = 0;

			waitpid(p->pid, &status, 0);
			p->pid = -1;
			return fail(d, "the %s agent ended unexpectedly (status 0x%x)", who, status);
		}
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return 0;
}

static void agent_close(struct agentproc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = -1;
	if (p->to >= 0)
		close(p->to);
	if (p->from >= 0)
		close(p->from);
	p->to = p->from = -1;
}

static int researcher_main(const char *sock, const char *arg, int to, int from)
{
	(void)arg;
	return run_researcher(sock, to, from);
}

static int resumer_main(const char *sock, const char *arg, int to, int from)
{
	return run_resumer(sock, arg, to, from);
}

/* Ledger records of RUN as aiosd reports them (run.show), or -1. */
static long ledger_records(struct demo *d, struct aios_session *s)
{
	char *text;
	json_t *j;
	long n;

	if (aios_runs_show(s, RUN_ID, &text))
		return fail(d, "run show: %s", aios_session_errmsg(s));
	j = json_loads(text, 0, NULL);
	free(text);
	n = (long)json_integer_value(json_object_get(json_object_get(j, "ledger"), "records"));
	json_decref(j);
	return n;
}

static int runs_steps(struct demo *d, struct demo_aiosd *a, struct demo_aiosd *b,
		      struct agentproc *ag)
{
	uint64_t wseq, lseq, first, wseq2;
	unsigned int total, total2;
	char line[256], pack_path[128], *man = NULL, path[160];
	struct aios_session *admin;
	long records, records2;
	pid_t victim;
	int status;
	size_t len;
	void *pack;
	json_t *m;
	FILE *f;

	step(d, "an agent works through a run: working set updates with expected_seq, a hash-chained ledger, a milestone with long-term memory");
	if (demo_aiosd_start(d, a))
		return -1;
	setenv("AIOS_SOCKET", a->sock, 1);	/* for aiosctl */
	if (spawn_agent(d, ag, researcher_main, a->sock, NULL) ||
	    agent_line(d, ag, "researcher", line, sizeof(line)))
		return -1;
	if (sscanf(line, "%" SCNu64 " %" SCNu64 " %u", &wseq, &lseq, &total) != 3)
		return fail(d, "the researcher reported \"%s\"", line);
	if (aiosctl(d, "run show %s", RUN_ID))
		return fail(d, "aiosctl run show failed");

	step(d, "the agent is killed mid-run; the administrator exports the run as a resume pack");
	victim = ag->pid;
	if (kill(victim, SIGKILL) || waitpid(victim, &status, 0) != victim)
		return fail(d, "kill the researcher: %s", strerror(errno));
	ag->pid = -1;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return fail(d, "the researcher was not killed (status 0x%x)", status);
	say("researcher (process %d) killed with SIGKILL after step 3 of 4\n", (int)victim);
	admin = demo_admin_session(d, a->sock);
	if (!admin)
		return -1;
	records = ledger_records(d, admin);
	if (records < 0)
		return -1;
	if (aios_runs_pack_export(admin, RUN_ID, &pack, &len, &man)) {
		fail(d, "pack export: %s", aios_session_errmsg(admin));
		aios_session_close(admin);
		return -1;
	}
	aios_session_close(admin);
	m = json_loads(man, 0, NULL);
	free(man);
	snprintf(pack_path, sizeof(pack_path), "%s/" RUN_ID ".aiospack", a->dir);
	f = fopen(pack_path, "w");
	if (!f || fwrite(pack, 1, len, f) != len || fclose(f) || chmod(pack_path, 0644)) {
		free(pack);
		json_decref(m);
		return fail(d, "writing %s: %s", pack_path, strerror(errno));
	}
	free(pack);
	say("resume pack %s: %zu bytes (tar.gz), %zu files; manifest: ledger %" JSON_INTEGER_FORMAT
	    " records, head hash %.16s..., working set seq %" JSON_INTEGER_FORMAT "\n",
	    pack_path, len, json_array_size(json_object_get(m, "files")),
	    json_integer_value(json_object_get(json_object_get(m, "ledger"), "records")),
	    json_string_value(json_object_get(json_object_get(m, "ledger"), "last_hash")),
	    json_integer_value(json_object_get(m, "workset_seq")));
	if (json_integer_value(json_object_get(json_object_get(m, "ledger"), "records")) != records ||
	    (uint64_t)json_integer_value(json_object_get(m, "workset_seq")) != wseq ||
	    (uint64_t)records < lseq) {
		json_decref(m);
		return fail(d, "the pack does not hold every acknowledged record and update");
	}
	json_decref(m);
	if (demo_aiosd_stop(d, a))
		return -1;

	step(d, "a fresh state directory (a second aiosd): a new agent imports the pack; aiosctl ledger verify");
	if (demo_aiosd_start(d, b))
		return -1;
	setenv("AIOS_SOCKET", b->sock, 1);
	snprintf(path, sizeof(path), "%s/runs/" RUN_ID, b->dir);
	if (!access(path, F_OK))
		return fail(d, "%s exists before the import", path);
	agent_close(ag);
	if (spawn_agent(d, ag, resumer_main, b->sock, pack_path) ||
	    agent_line(d, ag, "researcher-2", line, sizeof(line)))
		return -1;
	if (strcmp(line, "imported " RUN_ID))
		return fail(d, "the new agent reported \"%s\"", line);
	if (aiosctl(d, "ledger verify %s", RUN_ID))
		return fail(d, "aiosctl ledger verify found the imported ledger damaged");

	step(d, "the new agent resumes the run where it stopped: the seqs and the hash chain continue");
	if (write(ag->to, "g", 1) != 1)
		return fail(d, "the new agent is gone");
	if (agent_line(d, ag, "researcher-2", line, sizeof(line)))
		return -1;
	if (sscanf(line, "%" SCNu64 " %" SCNu64 " %u", &first, &wseq2, &total2) != 3)
		return fail(d, "the new agent reported \"%s\"", line);
	if (waitpid(ag->pid, &status, 0) != ag->pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return fail(d, "the new agent failed (status 0x%x)", status);
	ag->pid = -1;
	if (first != (uint64_t)records + 1)
		return fail(d, "the first record after the resume is %" PRIu64 ", not %ld",
			    first, records + 1);
	if (wseq2 != wseq + 2)
		return fail(d, "the working set went from seq %" PRIu64 " to %" PRIu64
			    " (expected two updates)", wseq, wseq2);
	if (total2 != words(corpus[0]) + words(corpus[1]) + words(corpus[2]) + words(corpus[3]))
		return fail(d, "the resumed count is %u", total2);
	admin = demo_admin_session(d, b->sock);
	if (!admin)
		return -1;
	records2 = ledger_records(d, admin);
	aios_session_close(admin);
	say("the ledger went on from record %ld to %ld in the same chain\n", records, records2);
	if (aiosctl(d, "ledger show %s --from %ld", RUN_ID, records - 1) ||
	    aiosctl(d, "ledger verify %s", RUN_ID))
		return fail(d, "aiosctl ledger show/verify failed");
	return demo_aiosd_stop(d, b);
}

int demo_runs(struct demo *d)
{
	struct agentproc ag = { .pid = -1, .to = -1, .from = -1 };
	struct demo_aiosd a, b;
	int err;

	if (demo_aiosd_init(d, &a, NULL) || demo_aiosd_init(d, &b, NULL))
		return -1;
	err = runs_steps(d, &a, &b, &ag);
	if (ag.to >= 0)
		agent_close(&ag);
	if (err) {
		demo_aiosd_cleanup(&a);
		demo_aiosd_cleanup(&b);
	}
	return err;
}
