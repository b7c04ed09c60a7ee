// SPDX-License-Identifier: GPL-2.0
/*
 * Principals and a pool of authenticated aiosd connections per principal.
 *
 * aios-httpd never tells aiosd who a client is: every pooled connection
 * was authenticated by aiosd itself, with the HTTP client's socket
 * (SO_PEERCRED read by aiosd) or with its bearer token.  A pooled
 * connection is reused for at most POOL_MAX_AGE_MS after its "auth", so a
 * revoked token or a dead agent stops working within that time.
 */
#define _GNU_SOURCE
#include "httpd.h"
#include "aiosd_client.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define POOL_MAX_AGE_MS		5000
/*
 * Idle connections kept per principal: a worker thread holds one aiosd
 * connection for the duration of a call, so a principal never uses more
 * than --threads at once; keeping that many idle means a busy principal
 * never reconnects and re-authenticates within the reuse window.
 */
#define POOL_IDLE_MIN		16
#define PRINCIPALS_MAX		4096
#define TOKEN_MAX		256

struct pconn {
	struct aiosd_client *c;
	int64_t authed_ms;
	struct pconn *next;
};

struct principal {
	char key[80];			/* "uid:1000:pid:42" or "token:<sha256>" */
	char name[64];			/* for logs and problems */
	char *token;			/* bearer token (TCP principals) */
	unsigned int refs;		/* protected by g_lock */
	unsigned int inflight;		/* protected by g_lock */
	struct pconn *idle;		/* protected by g_lock */
	unsigned int nidle;
	struct principal *next;
};

/* g_lock protects the principal list and every principal's counters and
 * idle list. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct principal *g_principals;
static size_t g_nprincipals, g_busy;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void principal_free(struct principal *p)
{
	while (p->idle) {
		struct pconn *n = p->idle->next;

		aiosd_close(p->idle->c);
		free(p->idle);
		p->idle = n;
	}
	if (p->token) {
		OPENSSL_cleanse(p->token, strlen(p->token));
		free(p->token);
	}
	free(p);
}

static void sweep(void);

/* Find or create the principal for key (g_lock held). */
static struct principal *lookup(const char *key, const char *name, const char *token)
{
	struct principal *p;

	for (p = g_principals; p; p = p->next)
		if (!strcmp(p->key, key)) {
			p->refs++;
			return p;
		}
	if (g_nprincipals >= PRINCIPALS_MAX)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->key, sizeof(p->key), "%s", key);
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (token) {
		p->token = strdup(token);
		if (!p->token) {
			free(p);
			return NULL;
		}
	}
	p->refs = 1;
	p->next = g_principals;
	g_principals = p;
	g_nprincipals++;
	return p;
}

struct principal *principal_unix(int sockfd, int *status, const char **detail)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char key[80], name[64];
	struct principal *p;

	if (sockfd < 0 || getsockopt(sockfd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
		*status = 401;
		*detail = "cannot read the peer credentials of this connection";
		return NULL;
	}
	snprintf(key, sizeof(key), "uid:%u:pid:%d", (unsigned int)cr.uid, (int)cr.pid);
	snprintf(name, sizeof(name), "uid %u (pid %d)", (unsigned int)cr.uid, (int)cr.pid);
	pthread_mutex_lock(&g_lock);
	p = lookup(key, name, NULL);
	pthread_mutex_unlock(&g_lock);
	if (!p) {
		/* full: drop unused principals whose pooled connections expired */
		sweep();
		pthread_mutex_lock(&g_lock);
		p = lookup(key, name, NULL);
		pthread_mutex_unlock(&g_lock);
	}
	if (!p) {
		*status = 503;
		*detail = "too many principals; retry later";
	}
	return p;
}

struct principal *principal_token(const char *token, int *status, const char **detail)
{
	unsigned char sha[32];
	unsigned int shalen = 32;
	char key[80], name[64];
	struct principal *p;
	size_t n = token ? strlen(token) : 0;

	if (!n || n > TOKEN_MAX) {
		*status = 401;
		*detail = "this listener needs \"Authorization: Bearer <token>\" (see aiosctl http token add)";
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (token[i] <= ' ' || token[i] > '~') {
			*status = 401;
			*detail = "the bearer token contains invalid characters";
			return NULL;
		}
	EVP_Digest(token, n, sha, &shalen, EVP_sha256(), NULL);
	strcpy(key, "token:");
	for (int i = 0; i < 32; i++) {
		static const char hex[] = "0123456789abcdef";

		key[6 + 2 * i] = hex[sha[i] >> 4];
		key[7 + 2 * i] = hex[sha[i] & 15];
	}
	key[6 + 64] = 0;
	/* the name shows a short hash prefix, never the token */
	snprintf(name, sizeof(name), "token %.12s", key + 6);
	pthread_mutex_lock(&g_lock);
	p = lookup(key, name, token);
	pthread_mutex_unlock(&g_lock);
	if (!p) {
		/* full: drop unused principals whose pooled connections expired */
		sweep();
		pthread_mutex_lock(&g_lock);
		p = lookup(key, name, token);
		pthread_mutex_unlock(&g_lock);
	}
	if (!p) {
		*status = 503;
		*detail = "too many principals; retry later";
	}
	return p;
}

void principal_put(struct principal *p)
{
	struct principal **pp;

	if (!p)
		return;
	pthread_mutex_lock(&g_lock);
	if (--p->refs) {
		pthread_mutex_unlock(&g_lock);
		return;
	}
	/* keep principals that hold connections worth reusing */
	if (p->idle && now_ms() - p->idle->authed_ms < POOL_MAX_AGE_MS) {
		pthread_mutex_unlock(&g_lock);
		return;
	}
	for (pp = &g_principals; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	g_nprincipals--;
	pthread_mutex_unlock(&g_lock);
	principal_free(p);
}

/* Drop principals nobody references whose pooled connections expired
 * (called without g_lock held). */
static void sweep(void)
{
	struct principal **pp, *dead = NULL;
	int64_t now = now_ms();

	pthread_mutex_lock(&g_lock);
	for (pp = &g_principals; *pp;) {
		struct principal *p = *pp;

		if (!p->refs && (!p->idle || now - p->idle->authed_ms >= POOL_MAX_AGE_MS)) {
			*pp = p->next;
			g_nprincipals--;
			p->next = dead;
			dead = p;
		} else {
			pp = &p->next;
		}
	}
	pthread_mutex_unlock(&g_lock);
	while (dead) {
		struct principal *n = dead->next;

		principal_free(dead);
		dead = n;
	}
}

void principal_ref(struct principal *p)
{
	pthread_mutex_lock(&g_lock);
	p->refs++;
	pthread_mutex_unlock(&g_lock);
}

bool principal_enter(struct principal *p)
{
	bool ok;

	pthread_mutex_lock(&g_lock);
	ok = p->inflight < g_cfg.per_principal;
	if (ok)
		p->inflight++;
	pthread_mutex_unlock(&g_lock);
	return ok;
}

void principal_leave(struct principal *p)
{
	pthread_mutex_lock(&g_lock);
	p->inflight--;
	pthread_mutex_unlock(&g_lock);
}

const char *principal_name(const struct principal *p)
{
	return p->name;
}

static int auth_token(struct aiosd_client *c, const char *token)
{
	json_t *req = json_pack("{s:s, s:s}", "op", "auth", "token", token);
	int r;

	if (!req)
		return -ENOMEM;
	r = aiosd_call(c, req, NULL);
	json_decref(req);
	return r;
}

/* An idle connection has nothing to read: readable means aiosd closed it
 * (restarted, or timed the connection out). */
static bool hung_up(struct aiosd_client *c)
{
	struct pollfd p = { .fd = aiosd_client_fd(c), .events = POLLIN };

	return poll(&p, 1, 0) != 0;
}

int pool_get(struct principal *p, int fd, struct pconn **out, char *msg, size_t msglen)
{
	struct pconn *pc = NULL, *stale = NULL;
	struct aiosd_client *c;
	int64_t now = now_ms();
	int r;

	*out = NULL;
	pthread_mutex_lock(&g_lock);
	while (p->idle) {
		struct pconn *i = p->idle;

		p->idle = i->next;
		p->nidle--;
		if (now - i->authed_ms < POOL_MAX_AGE_MS && !hung_up(i->c)) {
			pc = i;
			break;
		}
		i->next = stale;
		stale = i;
	}
	if (pc)
		g_busy++;
	pthread_mutex_unlock(&g_lock);
	while (stale) {
		struct pconn *n = stale->next;

		aiosd_close(stale->c);
		free(stale);
		stale = n;
	}
	if (pc) {
		*out = pc;
		return 0;
	}
	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	r = aiosd_connect(g_cfg.aiosd, &c);
	if (r) {
		free(pc);
		snprintf(msg, msglen, "cannot connect to aiosd at %s: %s", g_cfg.aiosd, strerror(-r));
		return r == -ENOENT || r == -ECONNREFUSED ? -EHOSTDOWN : r;
	}
	aiosd_set_timeout(c, 30000);
	pc->authed_ms = now_ms();
	r = p->token ? auth_token(c, p->token) : aiosd_auth(c, fd);
	if (r) {
		snprintf(msg, msglen, "%s", aiosd_client_error(c));
		aiosd_close(c);
		free(pc);
		return r;
	}
	pc->c = c;
	pthread_mutex_lock(&g_lock);
	g_busy++;
	pthread_mutex_unlock(&g_lock);
	*out = pc;
	return 0;
}

struct aiosd_client *pconn_client(struct pconn *pc)
{
	return pc->c;
}

void pool_put(struct principal *p, struct pconn *pc, bool broken)
{
	static unsigned int n;
	bool keep = !broken && now_ms() - pc->authed_ms < POOL_MAX_AGE_MS;

	pthread_mutex_lock(&g_lock);
	g_busy--;
	if (keep && p->nidle < (g_cfg.threads > POOL_IDLE_MIN ? g_cfg.threads : POOL_IDLE_MIN)) {
		pc->next = p->idle;
		p->idle = pc;
		p->nidle++;
		pc = NULL;
	}
	pthread_mutex_unlock(&g_lock);
	if (pc) {
		aiosd_close(pc->c);
		free(pc);
	}
	if ((__atomic_add_fetch(&n, 1, __ATOMIC_RELAXED) & 255) == 0)
		sweep();
}

void pool_stats(size_t *principals, size_t *idle, size_t *busy)
{
	size_t n = 0;

	pthread_mutex_lock(&g_lock);
	for (struct principal *p = g_principals; p; p = p->next)
		n += p->nidle;
	*principals = g_nprincipals;
	*idle = n;
	*busy = g_busy;
	pthread_mutex_unlock(&g_lock);
}

void pool_shutdown(void)
{
	sweep();
}
