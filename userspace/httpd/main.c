// SPDX-License-Identifier: GPL-2.0
/*
 * aios-httpd: the HTTP front of aios (Documentation/http.md).
 *
 * An unprivileged client of aiosd and of libaios: a Unix-socket listener
 * (principals from peer credentials, verified by aiosd) and, when
 * configured, a TCP listener (bearer tokens, verified by aiosd).
 * libmicrohttpd does the HTTP; jansson the JSON.
 */
#define _GNU_SOURCE
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef AIOS_HTTPD_WWW
#define AIOS_HTTPD_WWW "/usr/local/share/aios/www"
#endif
#ifndef AIOS_HTTPD_OPENAPI
#define AIOS_HTTPD_OPENAPI "/usr/local/share/aios/openapi.json"
#endif
#define DEFAULT_SOCKET "/run/aios/http.sock"

struct httpd_config g_cfg;

void hlog(int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > g_cfg.log_level)
		return;
	fprintf(stderr, "aios-httpd: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	if (g_cfg.log_level < 3)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = 0;
	hlog(3, "libmicrohttpd: %s", buf);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: aios-httpd [options]\n"
"HTTP API and web panel of aios (Documentation/http.md).\n"
"\n"
"Listeners:\n"
"  -s, --socket PATH        Unix listener (default " DEFAULT_SOCKET "); principals\n"
"                           are the peers' uids, verified by aiosd\n"
"      --no-socket          no Unix listener\n"
"      --socket-mode MODE   permissions of the socket (default 0666)\n"
"  -l, --listen [ADDR:]PORT TCP listener (off by default; ADDR defaults to\n"
"                           127.0.0.1); every request needs a bearer token\n"
"      --allow-origin ORIG  an Origin accepted on TCP (repeatable; default none)\n"
"  With systemd socket activation (LISTEN_FDS) the passed sockets are used.\n"
"\n"
"Backends and files:\n"
"  -a, --aiosd PATH         aiosd's socket (default $AIOS_SOCKET or /run/aios/aiosd.sock)\n"
"  -w, --www DIR            static files served at / (default " AIOS_HTTPD_WWW ")\n"
"      --openapi FILE       OpenAPI document (default " AIOS_HTTPD_OPENAPI ")\n"
"\n"
"Limits:\n"
"      --threads N          handler threads: requests served (calls to aiosd in\n"
"                           flight) at once (default 32)\n"
"      --io-threads N       libmicrohttpd's threads, which do the HTTP (default 4)\n"
"      --max-body BYTES     JSON request bodies (default 2097152; 413 above)\n"
"      --max-pack BYTES     uploaded resume packs (default 2097152; 413 above)\n"
"      --max-depth N        JSON nesting (default 32; 400 above)\n"
"      --max-conns N        connections per listener, split evenly among the\n"
"                           --io-threads (default 4096)\n"
"      --per-ip N           TCP connections per client address (default 64)\n"
"      --per-principal N    requests in flight per principal (default 64; 429 above)\n"
"      --timeout S          idle/slow connection timeout (default 10)\n"
"      --header-limit BYTES memory per connection for the request head (default 32768)\n"
"\n"
"Other:\n"
"      --log-level LEVEL    error, warn, info (default) or debug\n"
"      --routes             print the route table (METHOD PATH) and exit\n"
"  -h, --help               this text\n");
}

static int parse_uint(const char *opt, const char *s, unsigned long long lo,
		      unsigned long long hi, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (!*s || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "aios-httpd: %s: \"%s\" is not a number in %llu..%llu\n", opt, s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	enum { O_NOSOCK = 256, O_MODE, O_ORIGIN, O_OPENAPI, O_THREADS, O_BODY, O_PACK, O_DEPTH,
	       O_CONNS, O_PERIP, O_PERPR, O_TIMEOUT, O_HDR, O_LOG, O_ROUTES, O_IOTHREADS };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "no-socket", no_argument, NULL, O_NOSOCK },
		{ "socket-mode", required_argument, NULL, O_MODE },
		{ "listen", required_argument, NULL, 'l' },
		{ "allow-origin", required_argument, NULL, O_ORIGIN },
		{ "aiosd", required_argument, NULL, 'a' },
		{ "www", required_argument, NULL, 'w' },
		{ "openapi", required_argument, NULL, O_OPENAPI },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "io-threads", required_argument, NULL, O_IOTHREADS },
		{ "max-body", required_argument, NULL, O_BODY },
		{ "max-pack", required_argument, NULL, O_PACK },
		{ "max-depth", required_argument, NULL, O_DEPTH },
		{ "max-conns", required_argument, NULL, O_CONNS },
		{ "per-ip", required_argument, NULL, O_PERIP },
		{ "per-principal", required_argument, NULL, O_PERPR },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "header-limit", required_argument, NULL, O_HDR },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "routes", no_argument, NULL, O_ROUTES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("AIOS_SOCKET");
	unsigned long long v;
	int c;

	snprintf(g_cfg.socket, sizeof(g_cfg.socket), "%s", DEFAULT_SOCKET);
	g_cfg.socket_mode = 0666;
	snprintf(g_cfg.aiosd, sizeof(g_cfg.aiosd), "%s", env && *env ? env : "/run/aios/aiosd.sock");
	snprintf(g_cfg.www, sizeof(g_cfg.www), "%s", AIOS_HTTPD_WWW);
	snprintf(g_cfg.openapi, sizeof(g_cfg.openapi), "%s", AIOS_HTTPD_OPENAPI);
	g_cfg.threads = 32;
	g_cfg.io_threads = 4;
	g_cfg.max_body = 2u << 20;
	g_cfg.max_pack = 2u << 20;
	g_cfg.max_depth = 32;
	g_cfg.max_conns = 4096;
	g_cfg.per_ip = 64;
	g_cfg.per_principal = 64;
	g_cfg.timeout_s = 10;
	g_cfg.header_limit = 32768;
	g_cfg.log_level = 2;

	while ((c = getopt_long(argc, argv, "s:l:a:w:h", opts, NULL)) != -1) {
		char name[40] = "option";

		for (const struct option *o = opts; o->name; o++)
			if (o->val == c)
				snprintf(name, sizeof(name), "--%s", o->name);
		switch (c) {
		case 's':
		case 'a':
		case 'w':
		case 'l':
		case O_OPENAPI: {
			char *dst = c == 's' ? g_cfg.socket : c == 'a' ? g_cfg.aiosd :
				    c == 'w' ? g_cfg.www : c == 'l' ? g_cfg.listen : g_cfg.openapi;
			size_t cap = c == 's' ? sizeof(g_cfg.socket) : c == 'a' ? sizeof(g_cfg.aiosd) :
				     c == 'w' ? sizeof(g_cfg.www) : c == 'l' ? sizeof(g_cfg.listen) :
				     sizeof(g_cfg.openapi);

			if (strlen(optarg) >= cap) {
				fprintf(stderr, "aios-httpd: %s: \"%s\" is too long\n", name, optarg);
				return -EINVAL;
			}
			strcpy(dst, optarg);
			break;
		}
		case O_NOSOCK:
			g_cfg.socket[0] = 0;
			break;
		case O_MODE:
			if (parse_uint(name, optarg, 0, 0777, &v))
				return -EINVAL;
			g_cfg.socket_mode = (unsigned int)v;
			break;
		case O_ORIGIN:
			if (g_cfg.norigins == 8 || strlen(optarg) >= sizeof(g_cfg.origins[0])) {
				fprintf(stderr, "aios-httpd: --allow-origin: at most 8, each under 128 bytes\n");
				return -EINVAL;
			}
			strcpy(g_cfg.origins[g_cfg.norigins++], optarg);
			break;
		case O_THREADS:
		case O_IOTHREADS:
		case O_BODY:
		case O_PACK:
		case O_DEPTH:
		case O_CONNS:
		case O_PERIP:
		case O_PERPR:
		case O_TIMEOUT:
		case O_HDR: {
			unsigned long long lo = 1, hi = 1u << 30;

			if (c == O_THREADS || c == O_IOTHREADS)
				hi = 256;
			if (c == O_DEPTH)
				hi = 1000;
			if (c == O_PERIP || c == O_THREADS)
				lo = 0;
			if (c == O_HDR)
				lo = 4096, hi = 1u << 20;
			if (parse_uint(name, optarg, lo, hi, &v))
				return -EINVAL;
			if (c == O_THREADS)
				g_cfg.threads = (unsigned int)v;
			else if (c == O_IOTHREADS)
				g_cfg.io_threads = (unsigned int)v;
			else if (c == O_BODY)
				g_cfg.max_body = v;
			else if (c == O_PACK)
				g_cfg.max_pack = v;
			else if (c == O_DEPTH)
				g_cfg.max_depth = (unsigned int)v;
			else if (c == O_CONNS)
				g_cfg.max_conns = (unsigned int)v;
			else if (c == O_PERIP)
				g_cfg.per_ip = (unsigned int)v;
			else if (c == O_PERPR)
				g_cfg.per_principal = (unsigned int)v;
			else if (c == O_TIMEOUT)
				g_cfg.timeout_s = (unsigned int)v;
			else
				g_cfg.header_limit = v;
			break;
		}
		case O_LOG: {
			static const char *const lv[] = { "error", "warn", "info", "debug" };
			int found = -1;

			for (int i = 0; i < 4; i++)
				if (!strcasecmp(optarg, lv[i]))
					found = i;
			if (found < 0) {
				fprintf(stderr, "aios-httpd: --log-level: error, warn, info or debug\n");
				return -EINVAL;
			}
			g_cfg.log_level = found;
			break;
		}
		case O_ROUTES:
			for (size_t i = 0; i < g_nroutes; i++)
				printf("%s %s\n", g_routes[i].method, g_routes[i].path);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "aios-httpd: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* "[ADDR:]PORT" -> sockaddr (IPv4 or [IPv6]). */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[100] = "127.0.0.1";
	const char *port = s, *colon = strrchr(s, ':');
	unsigned long long p;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (colon) {
		size_t n = (size_t)(colon - s);

		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = 0;
		port = colon + 1;
		if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
			memmove(host, host + 1, n - 2);
			host[n - 2] = 0;
		}
	}
	if (parse_uint("--listen", port, 1, 65535, &p))
		return -EINVAL;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
		return 0;
	}
	fprintf(stderr, "aios-httpd: --listen: \"%s\" is not an IP address\n", host);
	return -EINVAL;
}

static int unix_listener(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, probe;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (!connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			hlog(0, "another server is already listening on %s", path);
			return -EADDRINUSE;
		}
		close(probe);
	}
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, g_cfg.socket_mode) ||
	    listen(fd, SOMAXCONN)) {
		int e = errno;

		hlog(0, "cannot listen on %s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

static struct MHD_Daemon *start(int lfd, const struct sockaddr *sa, bool tcp)
{
	static char unix_tag[] = "unix", tcp_tag[] = "tcp";
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem ops[16];
	int n = 0;

	/* the logger first, so that MHD logs nothing before it is set */
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, g_cfg.io_threads, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, g_cfg.max_conns, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, g_cfg.timeout_s, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					    (intptr_t)g_cfg.header_limit, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
					    (intptr_t)httpd_completed, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL };
	if (tcp && g_cfg.per_ip)
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
						    g_cfg.per_ip, NULL };
	if (lfd >= 0)
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, lfd, NULL };
	else
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)sa };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	if (sa && sa->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, 0, NULL, NULL, httpd_access, tcp ? tcp_tag : unix_tag,
				MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
}

static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (path[0] == '@')
		sa.sun_path[0] = 0;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		hlog(1, "sd_notify: %s", strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *du = NULL, *dt = NULL;
	int ufd = -1, tfd = -1, sig;
	bool own_socket = false;
	const char *lpid = getenv("LISTEN_PID"), *lfds = getenv("LISTEN_FDS");
	struct rlimit rl;
	sigset_t mask;

	if (parse_args(argc, argv))
		return 2;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	/* systemd socket activation: AF_UNIX -> Unix listener, IP -> TCP */
	if (lpid && lfds && atoi(lpid) == getpid()) {
		int n = atoi(lfds);

		for (int fd = 3; fd < 3 + n; fd++) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);

			if (getsockname(fd, (struct sockaddr *)&ss, &sl))
				continue;
			if (ss.ss_family == AF_UNIX && ufd < 0)
				ufd = fd;
			else if ((ss.ss_family == AF_INET || ss.ss_family == AF_INET6) && tfd < 0)
				tfd = fd;
		}
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
	}
	if (ufd < 0 && g_cfg.socket[0]) {
		ufd = unix_listener(g_cfg.socket);
		if (ufd < 0)
			return 1;
		own_socket = true;
	}
	if (events_start())
		hlog(1, "cannot start the events thread");
	if (g_cfg.threads && workers_start(g_cfg.threads)) {
		hlog(0, "cannot start the worker threads");
		return 1;
	}
	if (ufd >= 0) {
		du = start(ufd, NULL, false);
		if (!du) {
			hlog(0, "cannot start the HTTP server on the Unix socket");
			return 1;
		}
	}
	if (tfd >= 0 || g_cfg.listen[0]) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (tfd < 0 && parse_listen(g_cfg.listen, &ss, &sl))
			return 2;
		dt = start(tfd, tfd < 0 ? (struct sockaddr *)&ss : NULL, true);
		if (!dt) {
			hlog(0, "cannot listen on %s: %s", g_cfg.listen, strerror(errno));
			return 1;
		}
	}
	if (!du && !dt) {
		hlog(0, "no listener: give --socket or --listen");
		return 2;
	}
	hlog(2, "serving%s%s%s%s; aiosd at %s; www %s", du ? " unix:" : "", du ? g_cfg.socket : "",
	     dt ? " tcp:" : "", dt ? (g_cfg.listen[0] ? g_cfg.listen : "(socket activation)") : "",
	     g_cfg.aiosd, g_cfg.www[0] ? g_cfg.www : "(none)");
	notify("READY=1\nSTATUS=serving");
	for (;;) {
		if (sigwait(&mask, &sig))
			continue;
		if (sig == SIGHUP) {
			hlog(1, "SIGHUP: nothing to reload; restart aios-httpd to change settings");
			continue;
		}
		break;
	}
	hlog(2, "signal %d: shutting down", sig);
	notify("STOPPING=1");
	events_stop();
	/* resume every suspended request before libmicrohttpd stops */
	workers_stop();
	if (du)
		MHD_stop_daemon(du);
	if (dt)
		MHD_stop_daemon(dt);
	pool_shutdown();
	if (own_socket)
		unlink(g_cfg.socket);
	return 0;
}
