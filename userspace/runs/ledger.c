// SPDX-License-Identifier: GPL-2.0
/*
 * Ledger implementation.  Layout (all integers little-endian):
 *
 * file header, 32 bytes:
 *   0  "AIOSLEDG"   8  u32 version (1)   12 u32 flags (0)
 *   16 12 zero bytes                     28 u32 CRC32C of bytes 0..27
 * record:
 *   0  u32 magic "ALR1"   4  u32 total length   8  u64 seq
 *   16 u64 ts_ns          24 u64 agent          32 u16 type length
 *   34 u16 flags (0)      36 u32 payload length 40 u32 CRC32C of 0..39
 *   44 type bytes, payload bytes
 *   then 32-byte SHA-256(previous hash || bytes 0 .. end of payload)
 *   then u32 CRC32C of everything before it
 * The first record's previous hash is 32 zero bytes.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crc32c.h"
#include "fsutil.h"
#include "ledger.h"

#define FILE_MAGIC "AIOSLEDG"
#define REC_MAGIC 0x31524c41u	/* "ALR1" */
#define LEDGER_VERSION 1

/* A group-commit appender waiting for its record to become durable; it
 * sleeps on its own condition variable so that a finished sync wakes
 * exactly the appenders it covered (and one new leader). */
struct waiter {
	uint64_t seq;
	int done;
	int rc;
	pthread_cond_t cv;
	struct waiter *next;
};

struct aios_ledger {
	char *path;
	int fd;
	enum aios_fsync_policy policy;
	struct aios_ledger_io io;
	uint32_t max_payload;

	/* mu protects everything below; cv signals sync completion */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t next_seq;
	uint64_t end;			/* bytes of records written */
	uint64_t alloc_end;		/* file size: zeros from end to here */
	unsigned char last_hash[32];
	uint64_t *offs;			/* offs[i]: offset of record i + 1 */
	size_t noffs, capoffs;
	uint64_t durable_seq;
	uint64_t durable_end;
	unsigned char durable_hash[32];
	int syncing;			/* a group-commit leader is in fdatasync */
	struct waiter *waiters;		/* group-commit appenders not yet done */
	size_t nwaiters;
	/*
	 * Group commit linger: with concurrent appenders, a new leader
	 * waits (on lcv, at most half the last sync's duration and 1 ms)
	 * until as many records wait as the recent batches had ("peak"),
	 * so that one fdatasync covers all of them instead of the few
	 * written while the previous one ran.  Only throughput depends on
	 * it, never correctness.
	 */
	pthread_cond_t lcv;
	int lingering;
	size_t peak;
	uint64_t last_sync_ns;
	int broken;			/* rollback failed: refuse appends */
	uint64_t syncs, failed;
	uint64_t dropped;		/* records removed by failed syncs */
};

static inline void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static inline void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static inline void put16(unsigned char *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static inline uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static inline uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static inline uint16_t get16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

int aios_fsync_policy_parse(const char *s, enum aios_fsync_policy *out)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "always"))
		*out = AIOS_LEDGER_FSYNC_ALWAYS;
	else if (!strcmp(s, "group"))
		*out = AIOS_LEDGER_FSYNC_GROUP;
	else if (!strcmp(s, "none"))
		*out = AIOS_LEDGER_FSYNC_NONE;
	else
		return -EINVAL;
	return 0;
}

const char *aios_fsync_policy_name(enum aios_fsync_policy p)
{
	switch (p) {
	case AIOS_LEDGER_FSYNC_ALWAYS: return "always";
	case AIOS_LEDGER_FSYNC_GROUP: return "group";
	case AIOS_LEDGER_FSYNC_NONE: return "none";
	}
	return "?";
}

/* ---- default I/O ------------------------------------------------------ */

static ssize_t sys_pwrite(void *ctx, int fd, const void *buf, size_t len,
			  off_t off)
{
	ssize_t n;

	(void)ctx;
	do
		n = pwrite(fd, buf, len, off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int sys_fdatasync(void *ctx, int fd)
{
	(void)ctx;
	return fdatasync(fd) < 0 ? -errno : 0;
}

static int sys_ftruncate(void *ctx, int fd, off_t len)
{
	(void)ctx;
	return ftruncate(fd, len) < 0 ? -errno : 0;
}

/* ---- scanning --------------------------------------------------------- */

struct scan {
	uint64_t records, good_end, torn, zero_tail, last_seq;
	unsigned char last_hash[32];
	uint64_t bad_seq, bad_off;
	char reason[160];
	uint64_t *offs;
	size_t noffs, capoffs;
	int want_offs;
};

static void file_header(unsigned char h[AIOS_LEDGER_FILE_HDR])
{
	memset(h, 0, AIOS_LEDGER_FILE_HDR);
	memcpy(h, FILE_MAGIC, 8);
	put32(h + 8, LEDGER_VERSION);
	put32(h + 28, aios_runs_crc32c(0, h, 28));
}

/* Chain hash of one record: SHA-256(prev || body). */
static void chain_hash(const unsigned char prev[32], const unsigned char *body,
		       size_t len, unsigned char out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 32;

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, prev, 32);
	EVP_DigestUpdate(c, body, len);
	EVP_DigestFinal_ex(c, out, &n);
	EVP_MD_CTX_free(c);
}

/* Returns 0 (possibly with a torn tail) or -EBADMSG / -ENOMEM. */
static int scan_buf(const unsigned char *buf, size_t total,
		    uint32_t max_payload, struct scan *s)
{
	size_t len = total;
	unsigned char hdr[AIOS_LEDGER_FILE_HDR];
	uint64_t off = AIOS_LEDGER_FILE_HDR;
	EVP_MD_CTX *c;
	int rc = 0;

	if (len < AIOS_LEDGER_FILE_HDR) {
		s->bad_seq = 0;
		snprintf(s->reason, sizeof(s->reason),
			 "file is %zu bytes, shorter than the %d-byte ledger header",
			 len, AIOS_LEDGER_FILE_HDR);
		return -EBADMSG;
	}
	file_header(hdr);
	if (memcmp(buf, hdr, AIOS_LEDGER_FILE_HDR)) {
		snprintf(s->reason, sizeof(s->reason),
			 "bad ledger file header (not an aios ledger, or version %u unsupported)",
			 get32(buf + 8));
		return -EBADMSG;
	}
	s->good_end = off;
	/* end of the data: anything after it is zero (preallocated space) */
	while (len > off && buf[len - 1] == 0)
		len--;
	s->zero_tail = total - len;
	c = EVP_MD_CTX_new();
	if (!c)
		return -ENOMEM;
	while (off < len) {
		const unsigned char *r = buf + off;
		uint64_t rem = len - off;		/* up to the last non-zero byte */
		uint64_t prem = total - off;		/* up to the end of the file */
		uint32_t tot, pl, crc;
		uint16_t tl;
		unsigned char h[32];
		unsigned int hn = 32;

		if (rem < AIOS_LEDGER_REC_HDR) {
			s->torn = rem;
			break;
		}
		if (aios_runs_crc32c(0, r, 40) != get32(r + 40)) {
			rc = -EBADMSG;
			s->bad_seq = s->last_seq + 1;
			s->bad_off = off;
			snprintf(s->reason, sizeof(s->reason),
				 "record header checksum mismatch");
			break;
		}
		tot = get32(r + 4);
		tl = get16(r + 32);
		pl = get32(r + 36);
		if (get32(r) != REC_MAGIC || get16(r + 34) != 0 ||
		    tl > AIOS_LEDGER_TYPE_MAX || pl > max_payload ||
		    tot != (uint64_t)AIOS_LEDGER_REC_HDR + tl + pl +
			   AIOS_LEDGER_REC_TRAILER) {
			rc = -EBADMSG;
			s->bad_seq = s->last_seq + 1;
			s->bad_off = off;
			snprintf(s->reason, sizeof(s->reason),
				 "record header fields invalid (magic/length/type length)");
			break;
		}
		if (tot > prem) {
			s->torn = rem;
			break;
		}
		crc = aios_runs_crc32c(0, r, tot - 4);
		if (crc != get32(r + tot - 4) && rem + 4 <= tot) {
			/* written over preallocated zeros, its end is missing */
			s->torn = rem;
			break;
		}
		if (crc != get32(r + tot - 4)) {
			rc = -EBADMSG;
			s->bad_seq = s->last_seq + 1;
			s->bad_off = off;
			snprintf(s->reason, sizeof(s->reason),
				 "record checksum mismatch");
			break;
		}
		if (get64(r + 8) != s->last_seq + 1) {
			rc = -EBADMSG;
			s->bad_seq = s->last_seq + 1;
			s->bad_off = off;
			snprintf(s->reason, sizeof(s->reason),
				 "sequence number %llu where %llu was expected",
				 (unsigned long long)get64(r + 8),
				 (unsigned long long)s->last_seq + 1);
			break;
		}
		EVP_DigestInit_ex(c, EVP_sha256(), NULL);
		EVP_DigestUpdate(c, s->last_hash, 32);
		EVP_DigestUpdate(c, r, tot - AIOS_LEDGER_REC_TRAILER);
		EVP_DigestFinal_ex(c, h, &hn);
		if (memcmp(h, r + tot - AIOS_LEDGER_REC_TRAILER, 32)) {
			rc = -EBADMSG;
			s->bad_seq = s->last_seq + 1;
			s->bad_off = off;
			snprintf(s->reason, sizeof(s->reason),
				 "chain hash mismatch (record or a predecessor was altered)");
			break;
		}
		if (s->want_offs) {
			if (s->noffs == s->capoffs) {
				size_t nc = s->capoffs ? 2 * s->capoffs : 1024;
				uint64_t *n = realloc(s->offs, nc * sizeof(*n));

				if (!n) {
					rc = -ENOMEM;
					break;
				}
				s->offs = n;
				s->capoffs = nc;
			}
			s->offs[s->noffs++] = off;
		}
		memcpy(s->last_hash, h, 32);
		s->last_seq++;
		s->records++;
		off += tot;
		s->good_end = off;
	}
	/* zero bytes that ended the last good record were not tail */
	if (s->good_end > len)
		s->zero_tail = total - s->good_end;
	EVP_MD_CTX_free(c);
	return rc;
}

static void scan_to_verify(const struct scan *s, struct aios_ledger_verify *v)
{
	memset(v, 0, sizeof(*v));
	v->records = s->records;
	v->bytes = s->good_end;
	v->torn_bytes = s->torn;
	v->zero_tail_bytes = s->zero_tail;
	v->last_seq = s->last_seq;
	memcpy(v->last_hash, s->last_hash, 32);
	v->bad_seq = s->bad_seq;
	v->bad_offset = s->bad_off;
	snprintf(v->reason, sizeof(v->reason), "%s", s->reason);
}

int aios_ledger_verify_buf(const void *buf, size_t len,
			   struct aios_ledger_verify *v, struct aios_rerr *e)
{
	struct scan s = { 0 };
	int rc = scan_buf(buf, len, AIOS_LEDGER_PAYLOAD_MAX, &s);

	scan_to_verify(&s, v);
	if (rc == -EBADMSG) {
		if (e)
			e->bad_seq = s.bad_seq;
		if (s.bad_seq)
			return aios_rerr_set(e, EBADMSG,
					     "ledger record %llu (offset %llu) is bad: %s",
					     (unsigned long long)s.bad_seq,
					     (unsigned long long)s.bad_off,
					     s.reason);
		return aios_rerr_set(e, EBADMSG, "ledger is bad: %s", s.reason);
	}
	if (rc)
		return aios_rerr_set(e, -rc, "out of memory verifying ledger");
	return 0;
}

static int map_file(const char *path, int fd, unsigned char **map, size_t *len,
		    struct aios_rerr *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return aios_rerr_set(e, errno, "stat %s: %s", path,
				     strerror(errno));
	if (!S_ISREG(st.st_mode))
		return aios_rerr_set(e, EINVAL, "%s is not a regular file", path);
	*len = (size_t)st.st_size;
	*map = NULL;
	if (!*len)
		return 0;
	*map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (*map == MAP_FAILED) {
		*map = NULL;
		return aios_rerr_set(e, errno, "mmap %s: %s", path,
				     strerror(errno));
	}
	madvise(*map, *len, MADV_SEQUENTIAL);
	return 0;
}

int aios_ledger_verify_file(const char *path, struct aios_ledger_verify *v,
			    struct aios_rerr *e)
{
	unsigned char *map;
	size_t len;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return aios_rerr_set(e, errno, "cannot open ledger %s: %s", path,
				     strerror(errno));
	rc = map_file(path, fd, &map, &len, e);
	close(fd);
	if (rc)
		return rc;
	rc = aios_ledger_verify_buf(map ? map : (const unsigned char *)"", len,
				    v, e);
	if (map)
		munmap(map, len);
	return rc;
}

/* ---- open / close ----------------------------------------------------- */

int aios_ledger_open(const char *path, const struct aios_ledger_opts *opts,
		     struct aios_ledger **out,
		     struct aios_ledger_recovery *recovery,
		     struct aios_rerr *e)
{
	struct aios_ledger_opts def = { .policy = AIOS_LEDGER_FSYNC_ALWAYS, .create = 1 };
	struct scan s = { .want_offs = 1 };
	struct aios_ledger *l;
	unsigned char *map = NULL;
	size_t len = 0;
	int fd, rc;

	if (!opts)
		opts = &def;
	if (opts->policy > AIOS_LEDGER_FSYNC_NONE)
		return aios_rerr_set(e, EINVAL, "unknown fsync policy %d",
				     opts->policy);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
		  (opts->create ? O_CREAT : 0), 0600);
	if (fd < 0)
		return aios_rerr_set(e, errno, "cannot open ledger %s: %s", path,
				     strerror(errno));
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return aios_rerr_set(e, ENOMEM, "out of memory");
	}
	l->fd = fd;
	l->path = strdup(path);
	l->policy = opts->policy;
	l->max_payload = opts->max_payload ? opts->max_payload :
			 AIOS_LEDGER_PAYLOAD_MAX;
	if (l->max_payload > AIOS_LEDGER_PAYLOAD_MAX)
		l->max_payload = AIOS_LEDGER_PAYLOAD_MAX;
	l->io.pwrite = opts->io && opts->io->pwrite ? opts->io->pwrite : sys_pwrite;
	l->io.fdatasync = opts->io && opts->io->fdatasync ? opts->io->fdatasync :
			  sys_fdatasync;
	l->io.ftruncate = opts->io && opts->io->ftruncate ? opts->io->ftruncate :
			  sys_ftruncate;
	l->io.ctx = opts->io ? opts->io->ctx : NULL;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	{
		pthread_condattr_t ca;

		/* linger() waits with a CLOCK_MONOTONIC deadline */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&l->lcv, &ca);
		pthread_condattr_destroy(&ca);
	}

	rc = map_file(path, fd, &map, &len, e);
	if (rc)
		goto fail;
	if (len == 0) {
		unsigned char hdr[AIOS_LEDGER_FILE_HDR];

		/* new ledger: write and sync the header (real I/O, not hooks) */
		file_header(hdr);
		if (pwrite(fd, hdr, sizeof(hdr), 0) != sizeof(hdr) ||
		    fsync(fd) < 0) {
			rc = aios_rerr_set(e, errno ? errno : EIO,
					   "cannot initialise ledger %s: %s",
					   path, strerror(errno ? errno : EIO));
			/* best effort: leave an empty file, reported above */
			rc = ftruncate(fd, 0) < 0 ? rc : rc;
			goto fail;
		}
		l->end = AIOS_LEDGER_FILE_HDR;
		l->alloc_end = l->end;
	} else {
		rc = scan_buf(map, len, l->max_payload, &s);
		munmap(map, len);
		if (rc == -ENOMEM) {
			rc = aios_rerr_set(e, ENOMEM, "out of memory");
			goto fail;
		}
		if (rc) {
			if (e)
				e->bad_seq = s.bad_seq;
			if (s.bad_seq)
				rc = aios_rerr_set(e, EBADMSG,
						   "ledger %s: record %llu at offset %llu is corrupt (%s); refusing to continue past it - run 'aiosctl ledger verify' and restore the run from a resume pack",
						   path, (unsigned long long)s.bad_seq,
						   (unsigned long long)s.bad_off,
						   s.reason);
			else
				rc = aios_rerr_set(e, EBADMSG, "ledger %s: %s",
						   path, s.reason);
			goto fail;
		}
		l->alloc_end = len;
		if (s.torn) {
			l->alloc_end = s.good_end;
			if (ftruncate(fd, (off_t)s.good_end) < 0 || fsync(fd) < 0) {
				rc = aios_rerr_set(e, errno,
						   "ledger %s: cannot truncate torn tail: %s",
						   path, strerror(errno));
				goto fail;
			}
		}
		l->end = s.good_end;
		l->offs = s.offs;
		l->noffs = s.noffs;
		l->capoffs = s.capoffs;
		s.offs = NULL;
		memcpy(l->last_hash, s.last_hash, 32);
	}
	l->next_seq = l->noffs + 1;
	l->durable_seq = l->noffs;
	l->durable_end = l->end;
	memcpy(l->durable_hash, l->last_hash, 32);
	if (recovery) {
		recovery->records = l->noffs;
		recovery->truncated_bytes = s.torn;
	}
	*out = l;
	return 0;
fail:
	free(s.offs);
	close(fd);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	pthread_cond_destroy(&l->lcv);
	free(l->path);
	free(l);
	return rc;
}

int aios_ledger_close(struct aios_ledger *l)
{
	int rc = 0;

	if (!l)
		return 0;
	pthread_mutex_lock(&l->mu);
	while (l->syncing)
		pthread_cond_wait(&l->cv, &l->mu);
	if (l->policy != AIOS_LEDGER_FSYNC_NONE && l->durable_seq + 1 < l->next_seq)
		rc = l->io.fdatasync(l->io.ctx, l->fd);
	pthread_mutex_unlock(&l->mu);
	close(l->fd);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	pthread_cond_destroy(&l->lcv);
	free(l->offs);
	free(l->path);
	free(l);
	return rc;
}

const char *aios_ledger_path(const struct aios_ledger *l)
{
	return l->path;
}

/* ---- append ------------------------------------------------------------ */

/*
 * Undo every record after the durable point (called with mu held after a
 * failed write or sync).  If the file cannot be cut back the ledger is
 * marked broken: appends fail until it is reopened (and recovered).
 */
static void rollback_to(struct aios_ledger *l, uint64_t seq, uint64_t end,
			const unsigned char hash[32])
{
	if (l->io.ftruncate(l->io.ctx, l->fd, (off_t)end) < 0)
		l->broken = 1;
	l->end = end;
	l->alloc_end = end;
	l->next_seq = seq + 1;
	l->noffs = seq;
	memcpy(l->last_hash, hash, 32);
}

/*
 * Keep zero-filled space ahead of the end of the ledger so that appends
 * overwrite allocated, written blocks: fdatasync then only has to write
 * the data, not a journal commit for a new file size and block.  Best
 * effort: if it fails the append simply extends the file.  Zeros after
 * the last record are not a torn tail (see scan_buf).
 */
static void prealloc(struct aios_ledger *l, size_t need)
{
	static const unsigned char zeros[65536];
	uint64_t chunk = l->end / 4, target;

	if (l->end + need <= l->alloc_end)
		return;
	if (chunk < 65536)
		chunk = 65536;
	if (chunk > (4u << 20))
		chunk = 4u << 20;
	target = (l->end + need + chunk + 4095) & ~4095ull;
	while (l->alloc_end < target) {
		size_t n = target - l->alloc_end > sizeof(zeros) ?
			   sizeof(zeros) : (size_t)(target - l->alloc_end);
		ssize_t w = pwrite(l->fd, zeros, n, (off_t)l->alloc_end);

		if (w <= 0)
			return;
		l->alloc_end += (uint64_t)w;
	}
}

static int write_record(struct aios_ledger *l, const unsigned char *rec,
			size_t len)
{
	size_t done = 0;

	prealloc(l, len);

	while (done < len) {
		ssize_t n = l->io.pwrite(l->io.ctx, l->fd, rec + done,
					 len - done, (off_t)(l->end + done));

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int valid_type(const char *type)
{
	size_t n = strlen(type);

	if (n == 0 || n > AIOS_LEDGER_TYPE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (type[i] < 0x21 || type[i] > 0x7e)
			return 0;
	return 1;
}

static int push_off(struct aios_ledger *l, uint64_t off)
{
	if (l->noffs == l->capoffs) {
		size_t nc = l->capoffs ? 2 * l->capoffs : 1024;
		uint64_t *n = realloc(l->offs, nc * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->offs = n;
		l->capoffs = nc;
	}
	l->offs[l->noffs++] = off;
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A new leader gives concurrent appenders a moment to add their records. */
static void linger(struct aios_ledger *l)
{
	uint64_t wait = l->last_sync_ns / 2;
	struct timespec dl;

	if (l->peak < 2 || l->nwaiters >= l->peak || !wait)
		return;
	if (wait > 1000000)
		wait = 1000000;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += (long)wait;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	l->lingering = 1;
	while (l->nwaiters < l->peak)
		if (pthread_cond_timedwait(&l->lcv, &l->mu, &dl))
			break;
	l->lingering = 0;
}

static int group_wait(struct aios_ledger *l, struct waiter *w)
{
	while (!w->done) {
		if (l->syncing) {
			pthread_cond_wait(&w->cv, &l->mu);
			continue;
		}
		/* become the leader: one fdatasync for everything written */
		uint64_t target, tend, t0;
		unsigned char thash[32];
		struct waiter **pp;
		size_t batch = 0;
		int rc;

		l->syncing = 1;
		linger(l);
		target = l->next_seq - 1;
		tend = l->end;
		memcpy(thash, l->last_hash, 32);
		pthread_mutex_unlock(&l->mu);
		t0 = mono_ns();
		rc = l->io.fdatasync(l->io.ctx, l->fd);
		t0 = mono_ns() - t0;
		pthread_mutex_lock(&l->mu);
		l->syncing = 0;
		l->last_sync_ns = t0;
		if (!rc) {
			l->syncs++;
			l->durable_seq = target;
			l->durable_end = tend;
			memcpy(l->durable_hash, thash, 32);
		} else {
			/* nothing after the durable point may stay */
			l->dropped += l->next_seq - 1 - l->durable_seq;
			rollback_to(l, l->durable_seq, l->durable_end,
				    l->durable_hash);
		}
		for (pp = &l->waiters; *pp;) {
			struct waiter *x = *pp;

			if (x->seq <= l->durable_seq || rc) {
				x->done = 1;
				x->rc = x->seq <= l->durable_seq ? 0 : rc;
				*pp = x->next;
				l->nwaiters--;
				batch++;
				/* under mu: x cannot return and destroy its cv yet */
				if (x != w)
					pthread_cond_signal(&x->cv);
			} else {
				pp = &x->next;
			}
		}
		l->peak = batch > l->peak ? batch : (7 * l->peak + batch) / 8;
		/* records written meanwhile need the next leader */
		if (l->waiters && l->waiters != w)
			pthread_cond_signal(&l->waiters->cv);
		pthread_cond_broadcast(&l->cv);	/* close() waits there */
	}
	return w->rc;
}

int aios_ledger_append(struct aios_ledger *l, const char *type,
		       uint64_t agent, const void *payload, size_t len,
		       uint64_t *seq_out, struct aios_rerr *e)
{
	unsigned char stackbuf[1024], *rec = stackbuf;
	size_t tl, tot;
	uint64_t seq, off, prev_end, prev_seq;
	unsigned char prev_hash[32];
	struct waiter w = { 0 };
	int rc;

	if (!type || !valid_type(type))
		return aios_rerr_set(e, EINVAL,
				     "ledger record type must be 1..%d printable ASCII characters without spaces",
				     AIOS_LEDGER_TYPE_MAX);
	if (len > l->max_payload)
		return aios_rerr_set(e, EMSGSIZE,
				     "ledger payload of %zu bytes exceeds the limit of %u bytes",
				     len, l->max_payload);
	if (len && !payload)
		return aios_rerr_set(e, EINVAL, "payload missing");
	tl = strlen(type);
	tot = AIOS_LEDGER_REC_HDR + tl + len + AIOS_LEDGER_REC_TRAILER;
	if (tot > sizeof(stackbuf)) {
		rec = malloc(tot);
		if (!rec)
			return aios_rerr_set(e, ENOMEM, "out of memory");
	}
	put32(rec, REC_MAGIC);
	put32(rec + 4, (uint32_t)tot);
	put64(rec + 16, aios_now_ns());
	put64(rec + 24, agent);
	put16(rec + 32, (uint16_t)tl);
	put16(rec + 34, 0);
	put32(rec + 36, (uint32_t)len);
	memcpy(rec + AIOS_LEDGER_REC_HDR, type, tl);
	if (len)
		memcpy(rec + AIOS_LEDGER_REC_HDR + tl, payload, len);

	pthread_mutex_lock(&l->mu);
	if (l->broken) {
		rc = aios_rerr_set(e, EIO,
				   "ledger %s could not be rolled back after an I/O error; reopen it to recover",
				   l->path);
		goto out_unlock;
	}
	seq = l->next_seq;
	off = l->end;
	prev_end = l->end;
	prev_seq = seq - 1;
	memcpy(prev_hash, l->last_hash, 32);
	put64(rec + 8, seq);
	put32(rec + 40, aios_runs_crc32c(0, rec, 40));
	chain_hash(l->last_hash, rec, tot - AIOS_LEDGER_REC_TRAILER,
		   rec + tot - AIOS_LEDGER_REC_TRAILER);
	put32(rec + tot - 4, aios_runs_crc32c(0, rec, tot - 4));

	rc = push_off(l, off);
	if (rc) {
		rc = aios_rerr_set(e, ENOMEM, "out of memory");
		goto out_unlock;
	}
	rc = write_record(l, rec, tot);
	if (rc) {
		rollback_to(l, prev_seq, prev_end, prev_hash);
		l->failed++;
		rc = aios_rerr_set(e, rc,
				   "ledger %s: writing record %llu failed: %s; the record was not appended",
				   l->path, (unsigned long long)seq, strerror(-rc));
		goto out_unlock;
	}
	l->end += tot;
	l->next_seq++;
	memcpy(l->last_hash, rec + tot - AIOS_LEDGER_REC_TRAILER, 32);

	switch (l->policy) {
	case AIOS_LEDGER_FSYNC_NONE:
		break;
	case AIOS_LEDGER_FSYNC_ALWAYS:
		rc = l->io.fdatasync(l->io.ctx, l->fd);
		if (rc) {
			l->dropped++;
			rollback_to(l, prev_seq, prev_end, prev_hash);
		} else {
			l->syncs++;
			l->durable_seq = seq;
			l->durable_end = l->end;
			memcpy(l->durable_hash, l->last_hash, 32);
		}
		break;
	case AIOS_LEDGER_FSYNC_GROUP:
		w.seq = seq;
		pthread_cond_init(&w.cv, NULL);
		w.next = l->waiters;
		l->waiters = &w;
		l->nwaiters++;
		if (l->lingering)
			pthread_cond_signal(&l->lcv);
		rc = group_wait(l, &w);
		pthread_cond_destroy(&w.cv);
		break;
	}
	if (rc) {
		l->failed++;
		rc = aios_rerr_set(e, rc,
				   "ledger %s: syncing record %llu failed: %s; the record was not appended",
				   l->path, (unsigned long long)seq, strerror(-rc));
		goto out_unlock;
	}
	if (seq_out)
		*seq_out = seq;
out_unlock:
	pthread_mutex_unlock(&l->mu);
	if (rec != stackbuf)
		free(rec);
	return rc;
}

int aios_ledger_sync(struct aios_ledger *l, struct aios_rerr *e)
{
	struct waiter w = { 0 };
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	if (l->next_seq - 1 > l->durable_seq) {
		w.seq = l->next_seq - 1;
		pthread_cond_init(&w.cv, NULL);
		w.next = l->waiters;
		l->waiters = &w;
		l->nwaiters++;
		rc = group_wait(l, &w);
		pthread_cond_destroy(&w.cv);
	}
	pthread_mutex_unlock(&l->mu);
	if (rc)
		return aios_rerr_set(e, rc, "ledger %s: sync failed: %s; unsynced records were removed",
				     l->path, strerror(-rc));
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

int aios_ledger_read(struct aios_ledger *l, uint64_t seq,
		     struct aios_ledger_rec *rec, struct aios_rerr *e)
{
	unsigned char hdr[AIOS_LEDGER_REC_HDR], *buf;
	uint64_t off;
	uint32_t tot;
	uint16_t tl;
	ssize_t n;

	memset(rec, 0, sizeof(*rec));
	pthread_mutex_lock(&l->mu);
	if (seq == 0 || seq > l->noffs) {
		uint64_t last = l->noffs;

		pthread_mutex_unlock(&l->mu);
		return aios_rerr_set(e, ENOENT,
				     "no ledger record %llu (the ledger has %llu)",
				     (unsigned long long)seq,
				     (unsigned long long)last);
	}
	off = l->offs[seq - 1];
	n = pread(l->fd, hdr, sizeof(hdr), (off_t)off);
	if (n != sizeof(hdr)) {
		pthread_mutex_unlock(&l->mu);
		return aios_rerr_set(e, EIO, "short read of ledger record %llu",
				     (unsigned long long)seq);
	}
	tot = get32(hdr + 4);
	buf = malloc(tot + 1);
	if (!buf) {
		pthread_mutex_unlock(&l->mu);
		return aios_rerr_set(e, ENOMEM, "out of memory");
	}
	n = pread(l->fd, buf, tot, (off_t)off);
	pthread_mutex_unlock(&l->mu);
	if (n != (ssize_t)tot ||
	    aios_runs_crc32c(0, buf, tot - 4) != get32(buf + tot - 4)) {
		free(buf);
		if (e)
			e->bad_seq = seq;
		return aios_rerr_set(e, EBADMSG,
				     "ledger record %llu is unreadable or corrupt",
				     (unsigned long long)seq);
	}
	rec->seq = get64(buf + 8);
	rec->ts_ns = get64(buf + 16);
	rec->agent = get64(buf + 24);
	tl = get16(buf + 32);
	rec->payload_len = get32(buf + 36);
	memcpy(rec->type, buf + AIOS_LEDGER_REC_HDR, tl);
	rec->type[tl] = 0;
	memcpy(rec->hash, buf + tot - AIOS_LEDGER_REC_TRAILER, 32);
	/* reuse the buffer for the payload */
	memmove(buf, buf + AIOS_LEDGER_REC_HDR + tl, rec->payload_len);
	buf[rec->payload_len] = 0;
	rec->payload = buf;
	return 0;
}

void aios_ledger_rec_free(struct aios_ledger_rec *rec)
{
	free(rec->payload);
	rec->payload = NULL;
}

void aios_ledger_head(struct aios_ledger *l, uint64_t *seq,
		      unsigned char hash[32])
{
	pthread_mutex_lock(&l->mu);
	if (seq)
		*seq = l->next_seq - 1;
	if (hash)
		memcpy(hash, l->last_hash, 32);
	pthread_mutex_unlock(&l->mu);
}

void aios_ledger_get_stats(struct aios_ledger *l, struct aios_ledger_stats *s)
{
	pthread_mutex_lock(&l->mu);
	s->records = l->next_seq - 1;
	s->bytes = l->end;
	s->durable_seq = l->durable_seq;
	s->syncs = l->syncs;
	s->failed_appends = l->failed;
	s->dropped_records = l->dropped;
	pthread_mutex_unlock(&l->mu);
}
