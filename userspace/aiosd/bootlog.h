/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosd boot log: timestamped start-up events (aiosd and the kernel
 * module), persisted as JSON lines in one file, one boot id per start,
 * bounded to the last N boots.  Each line:
 *
 *   {"boot":3,"seq":1,"time":"2026-11-26T06:45:01.123Z","pid":4242,
 *    "level":"info","source":"aiosd","event":"config",
 *    "message":"...","detail":{...}}
 *
 * A torn last line (crash while writing) is skipped when reading.  Shared
 * with aiosctl ("aiosctl bootlog --file"): no daemon state here.
 */
#ifndef AIOSD_BOOTLOG_H
#define AIOSD_BOOTLOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bootlog;

/*
 * Start a boot.  path NULL or "": events are kept in memory only.
 * Otherwise the file is trimmed to its last keep - 1 boots (atomic
 * rename) and the new boot gets the highest id found + 1.  On a file
 * problem returns -errno with err set, and *out is still a working
 * memory-only boot log (so that start-up can go on and say why).
 */
int bootlog_open(const char *path, unsigned int keep, struct bootlog **out,
		 char *err, size_t errlen);
void bootlog_close(struct bootlog *b);
uint64_t bootlog_boot_id(const struct bootlog *b);
const char *bootlog_path(const struct bootlog *b);	/* "" = memory only */

/*
 * Record an event: level 0 error .. 3 debug, source "aiosd" or "kernel",
 * event a short name, detail an object (stolen, may be NULL).  Appended
 * to the file at once (write(2); fdatasync by bootlog_sync()).
 */
void bootlog_event(struct bootlog *b, int level, const char *source,
		   const char *event, json_t *detail, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* fdatasync the file (after the start-up events). */
int bootlog_sync(struct bootlog *b);

/* The current boot's events (borrowed array). */
json_t *bootlog_current(const struct bootlog *b);

/*
 * Read a boot log file.  *boots (optional) gets an array of summaries
 * {"boot","started","pid","events","errors","warnings","last_event",
 * "outcome"} oldest first; with boot != 0, *events (optional) gets that
 * boot's events (-ENOENT if it is not in the file); boot == UINT64_MAX
 * means the latest.  *damaged (optional) counts unparsable lines.
 */
int bootlog_read(const char *path, uint64_t boot, json_t **boots,
		 json_t **events, unsigned int *damaged, char *err,
		 size_t errlen);

#endif
