/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal HTTP/1.1 test client over plain sockets (no libcurl on the
 * build hosts): one request per connection ("Connection: close"), the
 * response read to EOF and split into status, headers and body (chunked
 * bodies are decoded).  For tests only.
 */
#ifndef HTTPC_H
#define HTTPC_H

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct hresp {
	int status;
	char *head;		/* status line and headers, NUL-terminated */
	char *body;		/* NUL-terminated */
	size_t blen;
};

static inline void hresp_free(struct hresp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static inline int hc_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = path ? strlen(path) : 0;
	int fd;

	if (!n || n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static inline int hc_tcp(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static inline int hc_send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until EOF (or timeout_ms without data); returns bytes or -errno. */
static inline long hc_read_all(int fd, char **out, int timeout_ms)
{
	size_t cap = 8192, len = 0;
	char *b = malloc(cap + 1);

	*out = NULL;
	if (!b)
		return -ENOMEM;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		if (len == cap) {
			char *nb = realloc(b, cap * 2 + 1);

			if (!nb)
				break;
			b = nb;
			cap *= 2;
		}
		r = recv(fd, b + len, cap - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	b[len] = 0;
	*out = b;
	return (long)len;
}

/* Split a raw response; 0 or -EPROTO. */
static inline int hc_parse(char *raw, size_t len, struct hresp *r)
{
	char *end = strstr(raw, "\r\n\r\n");
	size_t hlen;

	memset(r, 0, sizeof(*r));
	if (!end || sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1)
		return -EPROTO;
	hlen = (size_t)(end - raw);
	r->head = strndup(raw, hlen);
	end += 4;
	len -= hlen + 4;
	if (strcasestr(r->head, "\r\nTransfer-Encoding: chunked")) {
		char *out = malloc(len + 1), *p = end;
		size_t o = 0;

		while (out && p < end + len) {
			char *nl;
			unsigned long n = strtoul(p, &nl, 16);

			if (!n || !(nl = strstr(p, "\r\n")))
				break;
			p = nl + 2;
			if (p + n > end + len)
				n = (size_t)(end + len - p);
			memcpy(out + o, p, n);
			o += n;
			p += n + 2;
		}
		if (out)
			out[o] = 0;
		r->body = out;
		r->blen = o;
	} else {
		r->body = malloc(len + 1);
		memcpy(r->body, end, len);
		r->body[len] = 0;
		r->blen = len;
	}
	return 0;
}

/* Value of header name in r (static buffer), or NULL. */
static inline const char *hc_header(const struct hresp *r, const char *name)
{
	static char val[512];
	const char *p = r->head;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1;
			size_t l;

			while (*v == ' ')
				v++;
			l = strcspn(v, "\r\n");
			if (l >= sizeof(val))
				l = sizeof(val) - 1;
			memcpy(val, v, l);
			val[l] = 0;
			return val;
		}
	}
	return NULL;
}

/*
 * One request on a new connection (fd from hc_unix/hc_tcp, closed here).
 * extra: more header lines ("Name: value\r\n"...) or NULL.
 */
static inline int hc_request(int fd, const char *method, const char *path, const char *extra,
			     const char *ctype, const void *body, size_t blen, struct hresp *r)
{
	size_t hcap = (extra ? strlen(extra) : 0) + strlen(path) + 1024;
	char *head = malloc(hcap), *raw;
	long n;
	int e;

	memset(r, 0, sizeof(*r));
	if (fd < 0 || !head) {
		free(head);
		if (fd >= 0)
			close(fd);
		return fd < 0 ? fd : -ENOMEM;
	}
	snprintf(head, hcap,
		 "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s%s%s%s",
		 method, path, extra ? extra : "", ctype ? "Content-Type: " : "",
		 ctype ? ctype : "", ctype ? "\r\n" : "");
	if (body || !strcmp(method, "POST"))
		snprintf(head + strlen(head), hcap - strlen(head),
			 "Content-Length: %zu\r\n", blen);
	strcat(head, "\r\n");
	e = hc_send_all(fd, head, strlen(head));
	free(head);
	if (!e && blen)
		e = hc_send_all(fd, body, blen);
	/* a server may answer (413, 415, 401...) and close before the
	 * whole body is sent: read its answer anyway */
	if (e == -EPIPE || e == -ECONNRESET)
		e = 0;
	if (e) {
		close(fd);
		return e;
	}
	n = hc_read_all(fd, &raw, 30000);
	close(fd);
	if (n < 0)
		return (int)n;
	e = hc_parse(raw, (size_t)n, r);
	free(raw);
	return e;
}

#endif
