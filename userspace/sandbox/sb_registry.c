// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: tool registry and confirmation (aios_sb_registry.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aios_sb_registry.h"
#include "sb_util.h"

struct aios_sb_registry {
	struct aios_sb_tool **tools;	/* sorted by name */
	size_t n, cap;
};

int aios_sb_registry_new(struct aios_sb_registry **rp)
{
	*rp = calloc(1, sizeof(**rp));
	return *rp ? 0 : -ENOMEM;
}

void aios_sb_registry_free(struct aios_sb_registry *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		aios_sb_tool_free(r->tools[i]);
	free(r->tools);
	free(r);
}

static size_t lower_bound(struct aios_sb_registry *r, const char *name)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(r->tools[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int aios_sb_registry_add(struct aios_sb_registry *r, struct aios_sb_tool *t,
			 char *msg, size_t msglen)
{
	size_t i = lower_bound(r, t->name);

	if (i < r->n && !strcmp(r->tools[i]->name, t->name))
		return sb_err(msg, msglen, EEXIST, "tool %s is already "
			      "registered", t->name);
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct aios_sb_tool **v = realloc(r->tools, cap * sizeof(*v));

		if (!v)
			return sb_err(msg, msglen, ENOMEM, "out of memory");
		r->tools = v;
		r->cap = cap;
	}
	memmove(r->tools + i + 1, r->tools + i, (r->n - i) * sizeof(*r->tools));
	r->tools[i] = t;
	r->n++;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int aios_sb_registry_load_dir(struct aios_sb_registry *r, const char *dir,
			      char *msg, size_t msglen)
{
	struct dirent **ents;
	struct aios_sb_tool *t;
	char path[4096], why[512];
	int n, i, rc = 0;

	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0)
		return sb_err(msg, msglen, errno, "tool directory %s: %s", dir,
			      strerror(errno));
	for (i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);

		if (!rc && l > 5 && !strcmp(ents[i]->d_name + l - 5, ".json") &&
		    ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			rc = aios_sb_tool_load(path, &t, why, sizeof(why));
			if (!rc) {
				rc = aios_sb_registry_add(r, t, why, sizeof(why));
				if (rc)
					aios_sb_tool_free(t);
			}
			if (rc)
				sb_err(msg, msglen, -rc, "%s: %s", path, why);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

const struct aios_sb_tool *aios_sb_registry_find(struct aios_sb_registry *r,
						 const char *name)
{
	size_t i = lower_bound(r, name);

	return i < r->n && !strcmp(r->tools[i]->name, name) ? r->tools[i] : NULL;
}

const struct aios_sb_tool *aios_sb_registry_at(struct aios_sb_registry *r,
					       size_t i)
{
	return i < r->n ? r->tools[i] : NULL;
}

size_t aios_sb_registry_count(struct aios_sb_registry *r)
{
	return r->n;
}

int aios_sb_registry_check(struct aios_sb_registry *r, const char *tool,
			   enum aios_sb_perm level, const char *const *allowed,
			   const struct aios_sb_tool **tp, char *msg,
			   size_t msglen)
{
	const struct aios_sb_tool *t = aios_sb_registry_find(r, tool);
	const char *const *a;

	*tp = NULL;
	if (!t)
		return sb_err(msg, msglen, ENOENT, "unknown tool '%.64s'", tool);
	if (allowed) {
		for (a = allowed; *a && strcmp(*a, tool); a++)
			;
		if (!*a)
			return sb_err(msg, msglen, EPERM, "tool %s is not in the "
				      "agent's allowed tools", tool);
	}
	if (level < t->permission)
		return sb_err(msg, msglen, EPERM, "tool %s requires permission "
			      "%s, the agent has %s", tool,
			      aios_sb_perm_name(t->permission),
			      aios_sb_perm_name(level));
	*tp = t;
	return 0;
}

/* ---- confirmation ---------------------------------------------------------- */

enum { PENDING, ALLOWED, DENIED };

struct pending {
	uint64_t id, owner;
	int state;
	bool waited;
	char summary[256];
	struct pending *next;
};

struct aios_sb_confirm {
	pthread_mutex_t lock;	/* protects list and next_id */
	pthread_cond_t cond;	/* signalled on every decision */
	struct pending *list;
	uint64_t next_id;
};

int aios_sb_confirm_new(struct aios_sb_confirm **cp)
{
	struct aios_sb_confirm *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->next_id = 1;
	*cp = c;
	return 0;
}

void aios_sb_confirm_free(struct aios_sb_confirm *c)
{
	struct pending *p;

	if (!c)
		return;
	while ((p = c->list)) {
		c->list = p->next;
		free(p);
	}
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int aios_sb_confirm_park(struct aios_sb_confirm *c, const char *summary,
			 uint64_t owner, uint64_t *id)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	snprintf(p->summary, sizeof(p->summary), "%s", summary ? summary : "");
	p->owner = owner;
	pthread_mutex_lock(&c->lock);
	p->id = c->next_id++;
	p->next = c->list;
	c->list = p;
	pthread_mutex_unlock(&c->lock);
	*id = p->id;
	return 0;
}

static struct pending **find(struct aios_sb_confirm *c, uint64_t id)
{
	struct pending **pp;

	for (pp = &c->list; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id)
			return pp;
	return NULL;
}

int aios_sb_confirm_wait(struct aios_sb_confirm *c, uint64_t id,
			 unsigned int timeout_ms)
{
	struct pending **pp, *p;
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&c->lock);
	pp = find(c, id);
	if (!pp || (*pp)->waited) {
		pthread_mutex_unlock(&c->lock);
		return -ENOENT;
	}
	(*pp)->waited = true;
	for (;;) {
		pp = find(c, id);
		if ((*pp)->state != PENDING || rc)
			break;
		rc = pthread_cond_timedwait(&c->cond, &c->lock, &ts);
	}
	p = *pp;
	*pp = p->next;	/* decided or timed out: the entry goes away */
	pthread_mutex_unlock(&c->lock);
	rc = p->state == ALLOWED ? 0 : p->state == DENIED ? -EACCES : -ETIMEDOUT;
	free(p);
	return rc;
}

int aios_sb_confirm_decide(struct aios_sb_confirm *c, uint64_t id, bool allow,
			   bool is_admin, uint64_t who)
{
	struct pending **pp;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	pp = find(c, id);
	if (!pp || (*pp)->state != PENDING)
		rc = -ENOENT;
	else if (!is_admin && (*pp)->owner != who)
		rc = -EPERM;
	else
		(*pp)->state = allow ? ALLOWED : DENIED;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

size_t aios_sb_confirm_pending(struct aios_sb_confirm *c, uint64_t *ids,
			       size_t n)
{
	struct pending *p;
	size_t k = 0;

	pthread_mutex_lock(&c->lock);
	for (p = c->list; p; p = p->next)
		if (p->state == PENDING) {
			if (k < n)
				ids[k] = p->id;
			k++;
		}
	pthread_mutex_unlock(&c->lock);
	return k;
}
