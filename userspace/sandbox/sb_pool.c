// SPDX-License-Identifier: LGPL-2.1-or-later
/* libaiossandbox: the warm pool (see sb_pool.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aios_sandbox.h"
#include "sb_pool.h"
#include "sb_util.h"

static void *pool_main(void *arg)
{
	struct aios_sb *sb = arg;
	char msg[SB_MSG_LEN];
	struct sb_zygote *z;
	unsigned int fails = 0;
	struct timespec ts;
	int rc;

	pthread_mutex_lock(&sb->pool_lock);
	while (!sb->stop) {
		if (sb->n_ready >= sb->pool_size) {
			if (sb->dead) {
				z = sb->dead;
				sb->dead = z->next;
				sb->busy = true;
				pthread_mutex_unlock(&sb->pool_lock);
				sb_zygote_destroy(sb, z);
				pthread_mutex_lock(&sb->pool_lock);
				sb->busy = false;
				pthread_cond_broadcast(&sb->pool_cond);
				continue;
			}
			pthread_cond_wait(&sb->pool_cond, &sb->pool_lock);
			continue;
		}
		pthread_mutex_unlock(&sb->pool_lock);
		rc = sb_zygote_create(sb, false, NULL, NULL, &z, msg, sizeof(msg));
		pthread_mutex_lock(&sb->pool_lock);
		if (rc) {
			/* Back off; runs fall back to cold zygotes meanwhile. */
			fails = fails < 10 ? fails + 1 : 10;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10000000L * fails;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&sb->pool_cond, &sb->pool_lock, &ts);
			continue;
		}
		fails = 0;
		if (sb->stop) {
			pthread_mutex_unlock(&sb->pool_lock);
			sb_zygote_destroy(sb, z);
			pthread_mutex_lock(&sb->pool_lock);
			break;
		}
		sb->ready[sb->n_ready++] = z;
		pthread_cond_broadcast(&sb->pool_cond);
	}
	pthread_mutex_unlock(&sb->pool_lock);
	return NULL;
}

int sb_pool_start(struct aios_sb *sb, char *msg, size_t msglen)
{
	sigset_t all, old;
	int rc;

	/* Even without a pool the thread cleans up after runs. */
	sb->ready = calloc(sb->pool_size ? sb->pool_size : 1, sizeof(*sb->ready));
	if (!sb->ready)
		return sb_err(msg, msglen, ENOMEM, "out of memory");
	/* The thread takes no signals (the tool resets its own mask). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&sb->pool_thread, NULL, pool_main, sb);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return sb_err(msg, msglen, rc, "cannot start the pool thread: %s",
			      strerror(rc));
	sb->pool_running = true;
	return 0;
}

void sb_pool_stop(struct aios_sb *sb)
{
	unsigned int i;

	if (sb->pool_running) {
		pthread_mutex_lock(&sb->pool_lock);
		sb->stop = true;
		pthread_cond_broadcast(&sb->pool_cond);
		pthread_mutex_unlock(&sb->pool_lock);
		pthread_join(sb->pool_thread, NULL);
		sb->pool_running = false;
	}
	for (i = 0; i < sb->n_ready; i++)
		sb_zygote_destroy(sb, sb->ready[i]);
	sb->n_ready = 0;
	while (sb->dead) {
		struct sb_zygote *z = sb->dead;

		sb->dead = z->next;
		sb_zygote_destroy(sb, z);
	}
	free(sb->ready);
	sb->ready = NULL;
}

struct sb_zygote *sb_pool_take(struct aios_sb *sb)
{
	struct sb_zygote *z = NULL;

	if (!sb->pool_running)
		return NULL;
	/* No refill signal here: it would compete with this call's tool. */
	pthread_mutex_lock(&sb->pool_lock);
	if (sb->n_ready) {
		z = sb->ready[0];
		memmove(sb->ready, sb->ready + 1,
			--sb->n_ready * sizeof(*sb->ready));
	}
	pthread_mutex_unlock(&sb->pool_lock);
	return z;
}

void sb_pool_retire(struct aios_sb *sb, struct sb_zygote *z)
{
	if (!sb->pool_running) {
		sb_zygote_destroy(sb, z);
		return;
	}
	pthread_mutex_lock(&sb->pool_lock);
	z->next = sb->dead;
	sb->dead = z;
	pthread_cond_broadcast(&sb->pool_cond);
	pthread_mutex_unlock(&sb->pool_lock);
}

unsigned int aios_sb_pool_ready(struct aios_sb *sb)
{
	unsigned int n;

	pthread_mutex_lock(&sb->pool_lock);
	n = sb->n_ready;
	pthread_mutex_unlock(&sb->pool_lock);
	return n;
}

int aios_sb_pool_wait(struct aios_sb *sb, unsigned int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	if (!sb->pool_running)
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&sb->pool_lock);
	while ((sb->n_ready < sb->pool_size || sb->dead || sb->busy) && rc == 0)
		rc = pthread_cond_timedwait(&sb->pool_cond, &sb->pool_lock, &ts);
	pthread_mutex_unlock(&sb->pool_lock);
	return rc ? -ETIMEDOUT : 0;
}
