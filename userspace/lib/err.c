// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error messages kept on the handle.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "handle.h"

void aiosi_format_err(char *buf, size_t len, int err, const char *detail,
		      const char *fmt, va_list ap)
{
	size_t n;
	int e = err < 0 ? -err : err;

	if (!len)
		return;
	vsnprintf(buf, len, fmt, ap);
	n = strlen(buf);
	if (n < len)
		snprintf(buf + n, len - n, ": %s", strerror(e));
	n = strlen(buf);
	if (detail && *detail && n < len)
		snprintf(buf + n, len - n, ": %s", detail);
}

int aiosi_fail(struct aios *h, int err, const char *detail,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	aiosi_format_err(h->errmsg, sizeof(h->errmsg), err, detail, fmt, ap);
	va_end(ap);
	return err;
}

int aiosi_failmsg(struct aios *h, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

void aiosi_clear_err(struct aios *h)
{
	h->errmsg[0] = '\0';
}

const char *aios_errmsg(const struct aios *h)
{
	return h ? h->errmsg : "no aios handle (out of memory?)";
}
