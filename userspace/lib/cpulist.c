// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CPU list strings ("0-3,6", "0-7:2") <-> cpu_set_t.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aios.h"

/* Parse a decimal CPU number at *p; advances *p. */
static int parse_cpu(const char **p, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	*v = strtoul(*p, &end, 10);
	if (errno == ERANGE || *v >= CPU_SETSIZE)
		return -ERANGE;
	*p = end;
	return 0;
}

int aios_cpulist_parse(const char *s, cpu_set_t *set)
{
	unsigned long a, b, stride, c;
	const char *p = s;
	int ret;

	if (!s || !set)
		return -EINVAL;
	CPU_ZERO(set);
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return -EINVAL;
	for (;;) {
		ret = parse_cpu(&p, &a);
		if (ret)
			return ret;
		b = a;
		stride = 1;
		if (*p == '-') {
			p++;
			ret = parse_cpu(&p, &b);
			if (ret)
				return ret;
			if (b < a)
				return -EINVAL;
			if (*p == ':') {
				p++;
				ret = parse_cpu(&p, &stride);
				if (ret == -ERANGE || (!ret && !stride))
					return -EINVAL;
				if (ret)
					return ret;
			}
		}
		for (c = a; c <= b; c += stride)
			CPU_SET(c, set);
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	return CPU_COUNT(set);
}

int aios_cpulist_format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t pos = 0;
	int c, start, n;

	if (!buf || !len)
		return -ENOSPC;
	buf[0] = '\0';
	for (c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		start = c;
		while (c + 1 < CPU_SETSIZE && CPU_ISSET(c + 1, set))
			c++;
		if (start == c)
			n = snprintf(buf + pos, len - pos, "%s%d",
				     pos ? "," : "", start);
		else
			n = snprintf(buf + pos, len - pos, "%s%d-%d",
				     pos ? "," : "", start, c);
		if (n < 0 || (size_t)n >= len - pos) {
			buf[0] = '\0';	/* no partial list on failure */
			return -ENOSPC;
		}
		pos += n;
	}
	return (int)pos;
}
