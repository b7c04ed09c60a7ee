// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <pthread.h>

#include "psync.h"

struct psync {
	struct aios_ledger **ls;
	size_t n;
	size_t next;	/* the next ledger to sync (atomic) */
};

static void *worker(void *arg)
{
	struct psync *p = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);

		if (i >= p->n)
			break;
		/* failures are visible in the ledger's dropped_records */
		aios_ledger_sync(p->ls[i], NULL);
	}
	return NULL;
}

void aios_ledgers_sync(struct aios_ledger **ls, size_t n, unsigned max_threads)
{
	struct psync p = { .ls = ls, .n = n };
	pthread_t th[64];
	size_t want = n < max_threads ? n : max_threads, started = 0;

	if (want > 64)
		want = 64;
	/* the caller is one of the workers; a thread that cannot be
	 * created only means less overlap */
	while (want > 1 && started < want - 1 &&
	       !pthread_create(&th[started], NULL, worker, &p))
		started++;
	worker(&p);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}
