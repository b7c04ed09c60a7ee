// SPDX-License-Identifier: GPL-2.0
/* aiosd boot log (see bootlog.h). */
#define _GNU_SOURCE
#include "bootlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BOOTLOG_MAX_FILE	(16u << 20)	/* refuse to read more */

struct bootlog {
	char path[600];		/* "" = memory only */
	int fd;
	uint64_t boot;
	uint64_t seq;
	json_t *events;		/* this boot's */
};

static const char *const level_names[] = { "error", "warn", "info", "debug" };

uint64_t bootlog_boot_id(const struct bootlog *b)
{
	return b ? b->boot : 0;
}

const char *bootlog_path(const struct bootlog *b)
{
	return b ? b->path : "";
}

json_t *bootlog_current(const struct bootlog *b)
{
	return b ? b->events : NULL;
}

/* Read the whole file: 0 (missing file = empty), or -errno. */
static int slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *p;

	*buf = NULL;
	*len = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > BOOTLOG_MAX_FILE) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path,
			 BOOTLOG_MAX_FILE);
		close(fd);
		return -EINVAL;
	}
	p = malloc((size_t)sb.st_size + 1);
	if (!p) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, p + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	p[got] = 0;
	*buf = p;
	*len = got;
	return 0;
}

/* Calls fn for each parsable line (fn gets the line's extent too). */
static unsigned int each_line(char *buf, size_t len,
			      void (*fn)(void *arg, json_t *rec, const char *l, size_t n),
			      void *arg)
{
	unsigned int damaged = 0;
	size_t off = 0;

	while (off < len) {
		char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		json_t *rec;

		if (!nl) {
			/* a torn last line (no newline): ignore it */
			if (n)
				damaged++;
			break;
		}
		rec = n ? json_loadb(buf + off, n, 0, NULL) : NULL;
		if (rec && json_is_object(rec) && json_is_integer(json_object_get(rec, "boot")))
			fn(arg, rec, buf + off, n + 1);
		else if (n)
			damaged++;
		json_decref(rec);
		off += n + 1;
	}
	return damaged;
}

struct scan {
	uint64_t ids[4096];	/* boot ids in order of first appearance */
	size_t n;
	uint64_t max;
};

static void scan_fn(void *arg, json_t *rec, const char *l, size_t n)
{
	struct scan *s = arg;
	uint64_t id = (uint64_t)json_integer_value(json_object_get(rec, "boot"));

	(void)l;
	(void)n;
	if (id > s->max)
		s->max = id;
	if ((!s->n || s->ids[s->n - 1] != id) && s->n < sizeof(s->ids) / sizeof(s->ids[0]))
		s->ids[s->n++] = id;
}

struct trim {
	uint64_t keep_from;	/* boots >= this id are kept */
	FILE *out;
};

static void trim_fn(void *arg, json_t *rec, const char *l, size_t n)
{
	struct trim *t = arg;

	if ((uint64_t)json_integer_value(json_object_get(rec, "boot")) >= t->keep_from)
		fwrite(l, 1, n, t->out);
}

/* Keep the last keep boots of the file; returns the highest boot id. */
static int trim_file(const char *path, unsigned int keep, uint64_t *max,
		     char *err, size_t errlen)
{
	struct scan *s = calloc(1, sizeof(*s));
	struct trim t = { 0 };
	char tmp[640];
	size_t len;
	char *buf;
	int r, fd;

	*max = 0;
	if (!s)
		return -ENOMEM;
	r = slurp(path, &buf, &len, err, errlen);
	if (r || !buf) {
		free(s);
		return r;
	}
	each_line(buf, len, scan_fn, s);
	*max = s->max;
	if (len && buf[len - 1] != '\n') {
		/* a torn last line: cut it off so that appends start whole */
		char *nl = memrchr(buf, '\n', len);
		off_t keep_len = nl ? (off_t)(nl - buf + 1) : 0;

		if (truncate(path, keep_len)) {
			r = -errno;
			snprintf(err, errlen, "%s: cutting off a torn last line: %s", path,
				 strerror(errno));
			free(s);
			free(buf);
			return r;
		}
	}
	if (s->n <= keep) {
		free(s);
		free(buf);
		return 0;
	}
	t.keep_from = keep ? s->ids[s->n - keep] : UINT64_MAX;
	free(s);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	t.out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!t.out) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(buf);
		return r;
	}
	each_line(buf, len, trim_fn, &t);
	free(buf);
	if (fflush(t.out) || fdatasync(fileno(t.out)) || fclose(t.out) || rename(tmp, path)) {
		r = -errno;
		snprintf(err, errlen, "%s: rewriting to keep the last %u boots: %s", path, keep,
			 strerror(errno));
		unlink(tmp);
		return r;
	}
	return 0;
}

int bootlog_open(const char *path, unsigned int keep, struct bootlog **out,
		 char *err, size_t errlen)
{
	struct bootlog *b = calloc(1, sizeof(*b));
	uint64_t max = 0;
	int r = 0;

	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->fd = -1;
	b->events = json_array();
	if (!b->events) {
		free(b);
		return -ENOMEM;
	}
	b->boot = 1;
	*out = b;
	if (!path || !*path)
		return 0;
	if (strlen(path) >= sizeof(b->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	r = trim_file(path, keep ? keep - 1 : 0, &max, err, errlen);
	if (r)
		return r;
	b->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (b->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->boot = max + 1;
	return 0;
}

void bootlog_close(struct bootlog *b)
{
	if (!b)
		return;
	if (b->fd >= 0) {
		fdatasync(b->fd);
		close(b->fd);
	}
	json_decref(b->events);
	free(b);
}

static void now_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);

	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.20s.%03dZ", sec, (int)(ts.tv_nsec / 1000000) % 1000);
}

void bootlog_event(struct bootlog *b, int level, const char *source,
		   const char *event, json_t *detail, const char *fmt, ...)
{
	char msg[1024], when[40];
	va_list ap;
	json_t *rec;
	char *line;

	if (!b) {
		json_decref(detail);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	now_iso(when, sizeof(when));
	if (level < 0 || level > 3)
		level = 2;
	rec = json_pack("{s:I, s:I, s:s, s:i, s:s, s:s, s:s, s:s}", "boot", (json_int_t)b->boot,
			"seq", (json_int_t)++b->seq, "time", when, "pid", (int)getpid(),
			"level", level_names[level], "source", source, "event", event,
			"message", msg);
	if (!rec) {
		json_decref(detail);
		return;
	}
	if (detail)
		json_object_set_new(rec, "detail", detail);
	json_array_append(b->events, rec);
	if (b->fd >= 0) {
		line = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(12));
		if (line) {
			size_t n = strlen(line);

			/* one write(2) per line: O_APPEND keeps lines whole */
			line[n] = '\n';
			if (write(b->fd, line, n + 1) != (ssize_t)(n + 1))
				fprintf(stderr, "aiosd: warning: boot log %s: write failed: %s\n",
					b->path, strerror(errno));
			free(line);
		}
	}
	json_decref(rec);
}

int bootlog_sync(struct bootlog *b)
{
	if (!b || b->fd < 0)
		return 0;
	return fdatasync(b->fd) ? -errno : 0;
}

struct collect {
	json_t *boots;		/* summaries */
	json_t *events;		/* of the wanted boot */
	uint64_t want, last;
};

static void collect_fn(void *arg, json_t *rec, const char *l, size_t n)
{
	struct collect *c = arg;
	uint64_t id = (uint64_t)json_integer_value(json_object_get(rec, "boot"));
	const char *lv = json_string_value(json_object_get(rec, "level"));
	const char *ev = json_string_value(json_object_get(rec, "event"));
	size_t nb = json_array_size(c->boots);
	json_t *sum = nb ? json_array_get(c->boots, nb - 1) : NULL;

	(void)l;
	(void)n;
	if (!sum || (uint64_t)json_integer_value(json_object_get(sum, "boot")) != id) {
		json_t *t = json_object_get(rec, "time"), *pid = json_object_get(rec, "pid");

		sum = json_pack("{s:I, s:O, s:O, s:i, s:i, s:i}", "boot", (json_int_t)id,
				"started", t ? t : json_null(), "pid", pid ? pid : json_null(),
				"events", 0, "errors", 0, "warnings", 0);
		if (!sum)
			return;
		json_array_append_new(c->boots, sum);
	}
	json_object_set_new(sum, "events",
			    json_integer(json_integer_value(json_object_get(sum, "events")) + 1));
	if (lv && (!strcmp(lv, "error") || !strcmp(lv, "warn"))) {
		const char *k = !strcmp(lv, "error") ? "errors" : "warnings";

		json_object_set_new(sum, k, json_integer(json_integer_value(json_object_get(sum, k)) + 1));
	}
	if (ev) {
		json_object_set_new(sum, "last_event", json_string(ev));
		if (!strcmp(ev, "serving"))
			json_object_set_new(sum, "outcome", json_string("served"));
		else if (!strcmp(ev, "refused"))
			json_object_set_new(sum, "outcome", json_string("refused"));
		else if (!strcmp(ev, "stopped") &&
			 !json_object_get(sum, "outcome"))
			json_object_set_new(sum, "outcome", json_string("stopped"));
	}
	c->last = id;
	if (c->events && (id == c->want))
		json_array_append(c->events, rec);
}

int bootlog_read(const char *path, uint64_t boot, json_t **boots, json_t **events,
		 unsigned int *damaged, char *err, size_t errlen)
{
	struct collect c = { 0 };
	unsigned int dmg;
	size_t len;
	char *buf;
	int r;

	if (boots)
		*boots = NULL;
	if (events)
		*events = NULL;
	r = slurp(path, &buf, &len, err, errlen);
	if (r)
		return r;
	c.boots = json_array();
	if (!c.boots) {
		free(buf);
		return -ENOMEM;
	}
	if (boot == UINT64_MAX && buf) {
		/* the latest: find its id first */
		struct scan *s = calloc(1, sizeof(*s));

		if (s) {
			each_line(buf, len, scan_fn, s);
			boot = s->n ? s->ids[s->n - 1] : 0;
			free(s);
		}
		if (!boot) {
			snprintf(err, errlen, "%s: no boots recorded", path);
			json_decref(c.boots);
			free(buf);
			return -ENOENT;
		}
	}
	c.want = boot;
	if (boot && events)
		c.events = json_array();
	dmg = buf ? each_line(buf, len, collect_fn, &c) : 0;
	free(buf);
	if (damaged)
		*damaged = dmg;
	{
		size_t i;
		json_t *s;

		json_array_foreach(c.boots, i, s)
			if (!json_object_get(s, "outcome"))
				json_object_set_new(s, "outcome", json_string("incomplete"));
	}
	if (boot && events && !json_array_size(c.events)) {
		snprintf(err, errlen, "%s: boot %llu is not in the boot log", path,
			 (unsigned long long)boot);
		json_decref(c.events);
		json_decref(c.boots);
		return -ENOENT;
	}
	if (boots)
		*boots = c.boots;
	else
		json_decref(c.boots);
	if (events)
		*events = c.events;
	else
		json_decref(c.events);
	return 0;
}
