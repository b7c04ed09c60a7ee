// SPDX-License-Identifier: GPL-2.0
/*
 * Escape attempts, each run as a sandboxed tool through aios-sandbox and
 * each asserted to fail.  The same binary is the tool: with
 * "--attempt NAME" it tries NAME inside the sandbox and exits 0 when every
 * step was refused, 1 (printing "ESCAPED: ...") when one succeeded.
 * Resource attacks (fork bomb, memory bomb, endless loop, output flood,
 * daemon) are judged from the sandbox's result instead.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include "kselftest_harness.h"
#include "sandbox_test.h"

static int escaped;

#define BLOCKED(cond, what) do {					\
	if (cond) {							\
		printf("blocked: %s (%s)\n", what, strerror(errno));	\
	} else {							\
		printf("ESCAPED: %s\n", what);				\
		escaped = 1;						\
	}								\
} while (0)

static void try_ptrace(void)
{
	pid_t child = fork();

	if (child == 0) {
		pause();
		_exit(0);
	}
	BLOCKED(ptrace(PTRACE_ATTACH, child, 0, 0) < 0, "ptrace a sibling");
	BLOCKED(ptrace(PTRACE_ATTACH, 1, 0, 0) < 0, "ptrace pid 1");
	BLOCKED(ptrace(PTRACE_TRACEME, 0, 0, 0) < 0, "PTRACE_TRACEME");
	BLOCKED(syscall(SYS_process_vm_readv, 1, NULL, 0, NULL, 0, 0) < 0,
		"process_vm_readv");
	kill(child, SIGKILL);
}

static void try_mount(void)
{
	BLOCKED(mount("tmpfs", "/tmp", "tmpfs", 0, NULL) < 0, "mount tmpfs");
	BLOCKED(mount("/usr", "/scratch", NULL, MS_BIND, NULL) < 0, "bind mount");
	BLOCKED(mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL) < 0,
		"remount /usr writable");
	BLOCKED(umount2("/proc", MNT_DETACH) < 0, "umount /proc");
	BLOCKED(syscall(SYS_pivot_root, "/tmp", "/tmp") < 0, "pivot_root");
	BLOCKED(chroot("/tmp") < 0, "chroot");
	BLOCKED(syscall(SYS_fsopen, "tmpfs", 0) < 0, "fsopen");
	BLOCKED(syscall(SYS_open_tree, AT_FDCWD, "/usr", 1 /* CLONE */) < 0,
		"open_tree");
}

static void try_unshare(void)
{
	long r;

	BLOCKED(unshare(CLONE_NEWUSER) < 0, "unshare(CLONE_NEWUSER)");
	BLOCKED(unshare(CLONE_NEWNS) < 0, "unshare(CLONE_NEWNS)");
	BLOCKED(unshare(CLONE_NEWNET) < 0, "unshare(CLONE_NEWNET)");
	BLOCKED(setns(0, 0) < 0 && errno == EPERM, "setns");
	r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	BLOCKED(r < 0, "clone(CLONE_NEWUSER)");
	r = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	BLOCKED(r < 0, "clone(CLONE_NEWPID)");
}

static void try_bpf(void)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uintptr_t)prog;
	a.insn_cnt = 2;
	a.license = (uintptr_t)"GPL";
	BLOCKED(syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a)) < 0,
		"bpf(BPF_PROG_LOAD)");
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	BLOCKED(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)) < 0,
		"bpf(BPF_MAP_CREATE)");
	BLOCKED(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0) < 0 &&
		errno == EPERM, "perf_event_open");
}

static void try_io_uring(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	BLOCKED(syscall(SYS_io_uring_setup, 8, &p) < 0, "io_uring_setup");
	BLOCKED(syscall(SYS_io_uring_enter, 0, 0, 0, 0, NULL, 0) < 0 &&
		errno == EPERM, "io_uring_enter");
}

static void try_misc(void)
{
	BLOCKED(syscall(SYS_userfaultfd, 0) < 0, "userfaultfd");
	BLOCKED(syscall(SYS_keyctl, 0, 0, 0, 0, 0) < 0 && errno == EPERM,
		"keyctl");
	BLOCKED(syscall(SYS_add_key, "user", "k", "v", 1, -3) < 0, "add_key");
	BLOCKED(syscall(SYS_init_module, NULL, 0, "") < 0 && errno == EPERM,
		"init_module");
	BLOCKED(syscall(SYS_finit_module, 0, "", 0) < 0 && errno == EPERM,
		"finit_module");
	BLOCKED(syscall(SYS_delete_module, "aios", 0) < 0, "delete_module");
	BLOCKED(syscall(SYS_kexec_load, 0, 0, NULL, 0) < 0, "kexec_load");
	BLOCKED(syscall(SYS_reboot, 0, 0, 0, NULL) < 0, "reboot");
	BLOCKED(syscall(SYS_swapoff, "/x") < 0 && errno == EPERM, "swapoff");
	BLOCKED(syscall(SYS_acct, NULL) < 0 && errno == EPERM, "acct");
	BLOCKED(syscall(SYS_open_by_handle_at, 0, NULL, 0) < 0 &&
		errno == EPERM, "open_by_handle_at");
	BLOCKED(syscall(SYS_quotactl, 0, NULL, 0, NULL) < 0 && errno == EPERM,
		"quotactl");
	BLOCKED(syscall(SYS_request_key, "user", "k", NULL, 0) < 0 &&
		errno == EPERM, "request_key");
}

static void try_write(const char *extra)
{
	static const char *const paths[] = {
		"/usr/aios-escape", "/etc/aios-escape", "/aios-escape",
		"/dev/aios-escape", "/bin/aios-escape", "/proc/aios-escape",
		"/etc/passwd", "/usr/bin/env", NULL,
	};
	char p[PATH_MAX];
	int i, fd;

	for (i = 0; paths[i]; i++) {
		fd = open(paths[i], O_WRONLY | O_CREAT | O_APPEND, 0644);
		BLOCKED(fd < 0, paths[i]);
		if (fd >= 0)
			close(fd);
	}
	if (extra) {	/* a host directory bound read-only */
		snprintf(p, sizeof(p), "%s/aios-escape", extra);
		fd = open(p, O_WRONLY | O_CREAT, 0644);
		BLOCKED(fd < 0, "create in a read-only bound directory");
		if (fd >= 0)
			close(fd);
		BLOCKED(rename(extra, "/scratch/moved") < 0, "rename a bound dir");
	}
	BLOCKED(symlink("/etc/shadow", "/etc/aios-link") < 0, "symlink in /etc");
	BLOCKED(mknod("/scratch/null", S_IFCHR | 0666, makedev(1, 3)) < 0,
		"mknod a device");
	fd = open("/proc/sys/kernel/hostname", O_WRONLY);
	BLOCKED(fd < 0, "write /proc/sys/kernel/hostname");
	if (fd >= 0)
		close(fd);
}

static void try_read(const char *home)
{
	static const char *const paths[] = {
		"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/root/.bashrc",
		"/home", "/root", "/proc/1/root/etc/shadow", "/sys/kernel",
		"/dev/mem", "/dev/kmsg", "/dev/aios", "/boot", "/var/log", NULL,
	};
	int i, fd;

	for (i = 0; paths[i]; i++) {
		fd = open(paths[i], O_RDONLY);
		BLOCKED(fd < 0, paths[i]);
		if (fd >= 0)
			close(fd);
	}
	if (home) {
		char what[PATH_MAX + 32];

		snprintf(what, sizeof(what), "the host home directory %s", home);
		fd = open(home, O_RDONLY);
		BLOCKED(fd < 0, what);
		if (fd >= 0)
			close(fd);
	}
}

static void try_net(void)
{
	static const int fams[] = { AF_INET, AF_INET6, AF_NETLINK, AF_PACKET };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80),
				   .sin_addr.s_addr = htonl(0x0a000202) };
	unsigned int i;
	int fd;

	for (i = 0; i < 4; i++) {
		fd = socket(fams[i], SOCK_STREAM, 0);
		if (fd < 0)
			fd = socket(fams[i], SOCK_DGRAM, 0);
		BLOCKED(fd < 0, "socket() without ACCESS_NET");
		if (fd >= 0) {
			BLOCKED(connect(fd, (void *)&sin, sizeof(sin)) < 0,
				"connect without ACCESS_NET");
			close(fd);
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);	/* local sockets stay usable */
	if (fd < 0) {
		printf("ESCAPED?: AF_UNIX sockets should work (%s)\n",
		       strerror(errno));
		escaped = 1;
	} else {
		close(fd);
	}
}

/* i386 mount(2) through int 0x80: the architecture check kills us. */
static void try_arch(void)
{
	long ret = 21;	/* __NR_mount on i386 */

	__asm__ volatile("int $0x80" : "+a"(ret) : "b"(0), "c"(0), "d"(0)
			 : "memory");
	printf("ESCAPED: i386 syscall returned %ld\n", ret);
	escaped = 1;
}

static int fork_bomb(void)
{
	long n = 0;
	pid_t p;

	for (;;) {
		p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0)
			break;
		if (++n > 100000)
			break;
	}
	printf("forks before failure: %ld (%s)\n", n, strerror(errno));
	return n > 100000;	/* not stopped */
}

static int memory_bomb(void)
{
	size_t chunk = 16 << 20, total = 0;
	char *p;

	for (;;) {
		p = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		memset(p, 0xa5, chunk);
		total += chunk;
		if (total > (4ULL << 30))
			break;
	}
	printf("ESCAPED?: allocated %zu MiB\n", total >> 20);
	return 1;
}

static int flood(void)
{
	static char buf[65536];
	long total = 0;

	memset(buf, 'x', sizeof(buf));
	for (;;) {
		ssize_t w = write(1, buf, sizeof(buf));

		if (w < 0)
			break;
		total += w;
	}
	fprintf(stderr, "flood stopped after %ld bytes: %s\n", total,
		strerror(errno));
	return 0;
}

/* Closes stdout/stderr, detaches and keeps writing a heartbeat. */
static int daemonize(void)
{
	pid_t p = fork();
	int fd;

	if (p != 0)
		return 0;
	setsid();
	if (fork() != 0)
		_exit(0);
	close(0);
	close(1);
	close(2);
	for (;;) {
		fd = open("/scratch/beat", O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			(void)!write(fd, "b", 1);
			close(fd);
		}
		usleep(20000);
	}
}

static int attempt(int argc, char **argv)
{
	const char *name = argv[2], *extra = argc > 3 ? argv[3] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(name, "ptrace"))
		try_ptrace();
	else if (!strcmp(name, "mount"))
		try_mount();
	else if (!strcmp(name, "unshare"))
		try_unshare();
	else if (!strcmp(name, "bpf"))
		try_bpf();
	else if (!strcmp(name, "io_uring"))
		try_io_uring();
	else if (!strcmp(name, "misc"))
		try_misc();
	else if (!strcmp(name, "write"))
		try_write(extra);
	else if (!strcmp(name, "read"))
		try_read(extra);
	else if (!strcmp(name, "net"))
		try_net();
	else if (!strcmp(name, "arch"))
		try_arch();
	else if (!strcmp(name, "forkbomb"))
		return fork_bomb();
	else if (!strcmp(name, "membomb"))
		return memory_bomb();
	else if (!strcmp(name, "loop"))
		for (;;)
			;
	else if (!strcmp(name, "flood"))
		return flood();
	else if (!strcmp(name, "daemon"))
		return daemonize();
	else {
		printf("unknown attempt %s\n", name);
		return 2;
	}
	return escaped;
}

/* ---- the tests ----------------------------------------------------------- */

static void run_attempt(struct __test_metadata *_metadata, struct sbres *r,
			const char *name, const char *extra,
			const char *const *opts)
{
	char self[PATH_MAX];
	const char *o[32];
	int n = 0;

	snprintf(self, sizeof(self), "%s/sandbox_escape", sbt_selfdir());
	o[n++] = "--ro";
	o[n++] = sbt_selfdir();
	for (; opts && *opts; opts++)
		o[n++] = *opts;
	o[n] = NULL;
	ASSERT_EQ(0, sbt_run(r, o, SBT_ARGV(self, "--attempt", name, extra)));
	TH_LOG("%s: status %d rc %d %s\n%s%s", name, r->status, r->rc, r->error,
	       r->out, r->err);
	ASSERT_EQ(0, r->rc);
	ASSERT_EQ(0, r->exec_errno);
}

/* Every step refused; the tool exited 0 on its own. */
static void assert_blocked(struct __test_metadata *_metadata, const char *name,
			   const char *extra)
{
	struct sbres r;

	run_attempt(_metadata, &r, name, extra, NULL);
	EXPECT_EQ(NULL, strstr(r.out, "ESCAPED"));
	EXPECT_EQ(1, r.exited);
	EXPECT_EQ(0, r.exit_code);
	EXPECT_NE(NULL, strstr(r.out, "blocked: "));
	sbt_free(&r);
}

TEST(ptrace_other_process) { assert_blocked(_metadata, "ptrace", NULL); }
TEST(mount_and_pivot) { assert_blocked(_metadata, "mount", NULL); }
TEST(unshare_new_namespaces) { assert_blocked(_metadata, "unshare", NULL); }
TEST(load_bpf_program) { assert_blocked(_metadata, "bpf", NULL); }
TEST(io_uring_setup) { assert_blocked(_metadata, "io_uring", NULL); }
TEST(modules_keys_kexec_reboot) { assert_blocked(_metadata, "misc", NULL); }
TEST(write_outside_allowed_paths)
{
	assert_blocked(_metadata, "write", sbt_selfdir());
}

TEST(read_shadow_and_host_home)
{
	const char *home = getenv("HOME");

	/*
	 * The host's home directory (when it is a real one: the VM sets
	 * HOME=/tmp, which the sandbox provides itself), and /root.
	 */
	if (home && (!strncmp(home, "/home/", 6) || !strncmp(home, "/root/", 6)))
		assert_blocked(_metadata, "read", home);
	assert_blocked(_metadata, "read", "/root");
}

TEST(socket_without_access_net) { assert_blocked(_metadata, "net", NULL); }

TEST(foreign_architecture_syscall_is_killed)
{
	struct sbres r;

	run_attempt(_metadata, &r, "arch", NULL, NULL);
	EXPECT_EQ(NULL, strstr(r.out, "ESCAPED"));
	EXPECT_EQ(0, r.exited);
	EXPECT_EQ(SIGSYS, r.signal);
	sbt_free(&r);
}

TEST(fork_bomb_stopped_by_pids_max)
{
	struct sbres r;

	run_attempt(_metadata, &r, "forkbomb", NULL,
		    SBT_ARGV("--pids", "32", "--timeout", "60000"));
	EXPECT_EQ(1, r.exited);
	EXPECT_EQ(0, r.exit_code);
	EXPECT_EQ(1, r.pids_limited);
	EXPECT_NE(NULL, strstr(r.out, "forks before failure: "));
	EXPECT_EQ(0, r.timed_out);
	sbt_free(&r);
}

TEST(memory_bomb_oom_inside_its_cgroup)
{
	struct sbres r;

	/*
	 * The kernel logs the OOM kill with a stack dump; tools/vm/run
	 * leaves reports of memory-cgroup OOM kills out of its kernel-bug
	 * scan (a global OOM still fails the run).
	 */
	run_attempt(_metadata, &r, "membomb", NULL,
		    SBT_ARGV("--memory", "64m", "--timeout", "120000"));
	EXPECT_EQ(0, r.exited);
	EXPECT_EQ(SIGKILL, r.signal);
	EXPECT_EQ(1, r.oom_killed);
	EXPECT_EQ(0, r.timed_out);
	EXPECT_EQ(NULL, strstr(r.out, "ESCAPED"));
	/* We (outside the cgroup) are still alive to check this. */
	sbt_free(&r);
}

TEST(endless_loop_timed_out)
{
	struct sbres r;

	run_attempt(_metadata, &r, "loop", NULL, SBT_ARGV("--timeout", "1000"));
	EXPECT_EQ(1, r.timed_out);
	EXPECT_EQ(0, r.exited);
	EXPECT_EQ(SIGKILL, r.signal);
	EXPECT_EQ(124, r.status);
	sbt_free(&r);
}

TEST(output_flood_truncated)
{
	static const char mark[] = "\n[aios-sandbox: output truncated]\n";
	struct sbres r;
	size_t n;

	run_attempt(_metadata, &r, "flood", NULL,
		    SBT_ARGV("--stdout-max", "100000", "--timeout", "60000"));
	EXPECT_EQ(0, r.timed_out);
	EXPECT_EQ(1, r.stdout_truncated);
	EXPECT_EQ(100000 + sizeof(mark) - 1, r.stdout_len);
	n = strlen(r.out);
	ASSERT_EQ(r.stdout_len, n);
	EXPECT_EQ(0, strcmp(r.out + n - (sizeof(mark) - 1), mark));
	sbt_free(&r);
}

TEST(daemon_killed_with_the_tree)
{
	char beat[PATH_MAX + 16];
	struct stat a, b;
	struct sbres r;

	run_attempt(_metadata, &r, "daemon", NULL,
		    SBT_ARGV("--keep-scratch", "--timeout", "60000"));
	EXPECT_EQ(1, r.exited);
	EXPECT_EQ(0, r.exit_code);
	EXPECT_EQ(0, r.timed_out);
	ASSERT_NE(0, r.scratch[0]);
	snprintf(beat, sizeof(beat), "%s/beat", r.scratch);
	/* It may or may not have beaten before it was killed; not after. */
	if (stat(beat, &a) < 0)
		a.st_size = 0;
	usleep(300000);
	if (stat(beat, &b) < 0)
		b.st_size = 0;
	EXPECT_EQ(a.st_size, b.st_size);
	unlink(beat);
	rmdir(r.scratch);
	*strrchr(r.scratch, '/') = '\0';
	rmdir(r.scratch);
	sbt_free(&r);
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--attempt"))
		return attempt(argc, argv);
	return test_harness_run(argc, argv);
}
