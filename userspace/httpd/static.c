// SPDX-License-Identifier: GPL-2.0
/*
 * Static files (the web panel) from --www DIR at "/".  The URL path (MHD
 * has percent-decoded it) is checked component by component - no "..",
 * no ".", no hidden names, no empty components, no backslashes - and the
 * file is then opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
 * below the directory, so neither a crafted path nor a symlink can leave
 * it.  Only regular files are served.
 */
#define _GNU_SOURCE
#include "httpd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PATH_MAX_URL	1024

static const struct {
	const char *ext, *type;
} mimes[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "ico", "image/x-icon" },
	{ "woff2", "font/woff2" },
	{ "woff", "font/woff" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "wasm", "application/wasm" },
};

const char *mime_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
			if (!strcasecmp(dot + 1, mimes[i].ext))
				return mimes[i].type;
	return "application/octet-stream";
}

/* Check the URL path and turn it into a relative path. */
static bool safe_path(const char *url, char *out, size_t outlen)
{
	const char *p = url;
	size_t n = 0;

	if (*p != '/')
		return false;
	p++;
	if (!*p) {
		snprintf(out, outlen, "index.html");
		return true;
	}
	while (*p) {
		size_t len = strcspn(p, "/");

		if (!len || p[0] == '.' || memchr(p, '\\', len) || n + len + 12 >= outlen)
			return false;	/* "", ".", "..", hidden names */
		memcpy(out + n, p, len);
		n += len;
		p += len;
		if (*p == '/') {
			p++;
			if (!*p) {	/* a directory URL */
				memcpy(out + n, "/index.html", 12);
				return true;
			}
			out[n++] = '/';
		}
	}
	out[n] = 0;
	return true;
}

static int open_beneath(int dirfd, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
}

bool static_serve(struct hreq *x, const char *url)
{
	static const char csp[] =
		"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
		"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
		"form-action 'self'; frame-ancestors 'none'";
	char rel[PATH_MAX_URL];
	struct MHD_Response *r;
	struct stat sb;
	int dfd, fd;

	if (!g_cfg.www[0] || strlen(url) >= PATH_MAX_URL || !safe_path(url, rel, sizeof(rel)))
		return false;
	dfd = open(g_cfg.www, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	fd = open_beneath(dfd, rel);
	if (fd >= 0 && !fstat(fd, &sb) && S_ISDIR(sb.st_mode)) {
		/* "/dir" without the slash: its index */
		int d2 = fd;

		fd = open_beneath(d2, "index.html");
		close(d2);
	}
	close(dfd);
	if (fd < 0)
		return false;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return false;
	}
	r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
	if (!r) {
		close(fd);
		return false;
	}
	MHD_add_response_header(r, "Content-Type", mime_type(rel));
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	x->resp = r;
	x->status = 200;
	return true;
}
