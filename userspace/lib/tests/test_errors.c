// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host tests: error reporting of the handle when no aios kernel module is
 * involved (missing device, wrong device, bad arguments, message format).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "handle.h"
#include "kselftest_harness.h"

FIXTURE(handle) {
	struct aios *h;
};

FIXTURE_SETUP(handle)
{
	self->h = aios_new();
	ASSERT_NE(NULL, self->h);
}

FIXTURE_TEARDOWN(handle)
{
	aios_close(self->h);
}

TEST_F(handle, missing_device_says_how_to_load_the_module)
{
	EXPECT_EQ(-ENOENT, aios_open_path(self->h, "/nonexistent/aios"));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "/nonexistent/aios not found"));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "(modprobe aios)"));
	EXPECT_EQ(-EBADF, aios_fd(self->h));
}

TEST_F(handle, default_device_missing_on_host)
{
	if (access("/dev/aios", F_OK) == 0)
		SKIP(return, "/dev/aios exists here (module loaded)");
	EXPECT_EQ(-ENOENT, aios_open(self->h));
	EXPECT_STREQ("/dev/aios not found: is the aios module loaded? (modprobe aios)",
		     aios_errmsg(self->h));
}

TEST_F(handle, wrong_device_is_not_an_aios_device)
{
	EXPECT_EQ(-ENOTTY, aios_open_path(self->h, "/dev/null"));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "not an aios device"));
	EXPECT_EQ(-EBADF, aios_fd(self->h));
	/* the handle stays usable: a second attempt reports again */
	EXPECT_EQ(-ENOENT, aios_open_path(self->h, "/nonexistent/aios"));
}

TEST_F(handle, netlink_without_module_says_how_to_load_it)
{
	struct aios_status st;

	if (access("/sys/module/aios", F_OK) == 0)
		SKIP(return, "aios module is loaded here");
	EXPECT_EQ(-ENOENT, aios_status(self->h, &st));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "generic netlink family \"aios\" not found"));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "modprobe aios"));
}

TEST_F(handle, events_without_module_say_how_to_load_it)
{
	struct aios_events *ev = NULL;

	if (access("/sys/module/aios", F_OK) == 0)
		SKIP(return, "aios module is loaded here");
	EXPECT_EQ(-ENOENT, aios_events_open(self->h, AIOS_EVENTS_GROUP_EVENTS,
					    &ev));
	EXPECT_EQ(NULL, ev);
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "modprobe aios"));
}

TEST_F(handle, agent_calls_without_device_fail_with_hint)
{
	struct aios_denial d;
	uint64_t caps;

	EXPECT_EQ(-EBADF, aios_register(self->h, "agent", AIOS_PRIO_NORMAL,
					NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "aios_open() first"));
	EXPECT_EQ(-EBADF, aios_caps_check(self->h, AIOS_CAP_ACCESS_NET));
	EXPECT_EQ(-EBADF, aios_last_denial(self->h, &d));
	EXPECT_EQ(-EBADF, aios_noop(self->h));
	ASSERT_EQ(0, aios_set_via(self->h, AIOS_VIA_IOCTL));
	EXPECT_EQ(-EBADF, aios_caps_get(self->h, 0, &caps));
	EXPECT_EQ(-EBADF, aios_kill(self->h, 3, 0, 0));
	EXPECT_EQ(0, aios_agent_id(self->h));
}

TEST_F(handle, bad_arguments_are_rejected_before_the_kernel)
{
	char longname[AIOS_NAME_MAX + 1];
	cpu_set_t none;

	EXPECT_EQ(-EINVAL, aios_register(self->h, "", 0, NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "name is empty"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	EXPECT_EQ(-EINVAL, aios_register(self->h, longname, 0, NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "too long"));
	EXPECT_EQ(-EINVAL, aios_register(self->h, "ok", AIOS_PRIO_MAX + 1,
					 NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "priority"));
	EXPECT_EQ(-EINVAL, aios_kill(self->h, 2, 64, 0));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "signal 64 out of range"));
	EXPECT_EQ(-EINVAL, aios_kill(self->h, 2, 9, 0x80));
	CPU_ZERO(&none);
	EXPECT_EQ(-EINVAL, aios_migrate(self->h, 0, &none));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "CPU set is empty"));
	EXPECT_EQ(-EINVAL, aios_caps_grant(self->h, 2, 1ULL << 12, NULL));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "unknown capability bits 0x1000"));
	EXPECT_EQ(-EINVAL, aios_audit_config(self->h, 100));
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "power of two"));
	EXPECT_EQ(-EINVAL, aios_audit_config(self->h, 8));
	EXPECT_EQ(-EINVAL, aios_set_via(self->h, 7));
}

TEST_F(handle, events_need_a_group)
{
	struct aios_events *ev = NULL;

	EXPECT_EQ(-EINVAL, aios_events_open(self->h, 0, &ev));
	EXPECT_EQ(-EINVAL, aios_events_open(self->h, 0x4, &ev));
	EXPECT_EQ(NULL, ev);
	EXPECT_NE(NULL, strstr(aios_errmsg(self->h), "bad group mask"));
}

TEST_F(handle, errmsg_format_and_clear)
{
	EXPECT_STREQ("", aios_errmsg(self->h));
	aiosi_fail(self->h, -EPERM, "KILL_AGENT required", "kill agent %d", 5);
	EXPECT_STREQ("kill agent 5: Operation not permitted: KILL_AGENT required",
		     aios_errmsg(self->h));
	aiosi_fail(self->h, -ESRCH, NULL, "caps of agent %d", 9);
	EXPECT_STREQ("caps of agent 9: No such process", aios_errmsg(self->h));
	aiosi_fail(self->h, -EINVAL, "", "x");
	EXPECT_STREQ("x: Invalid argument", aios_errmsg(self->h));
	aiosi_clear_err(self->h);
	EXPECT_STREQ("", aios_errmsg(self->h));
}

static void fmt(char *buf, size_t len, int err, const char *detail,
		const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	aiosi_format_err(buf, len, err, detail, f, ap);
	va_end(ap);
}

TEST(errmsg_truncates_safely)
{
	char small[16];
	char big[2000];

	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fmt(small, sizeof(small), -EPERM, big, "op %d", 7);
	EXPECT_EQ(15, strlen(small));
	EXPECT_STREQ("op 7: Operation", small);
	fmt(small, sizeof(small), -EPERM, NULL, "%s", big);
	EXPECT_EQ(15, strlen(small));
}

TEST(errmsg_of_null_handle)
{
	EXPECT_NE(NULL, aios_errmsg(NULL));
	aios_close(NULL);
	aios_events_close(NULL);
}

TEST_HARNESS_MAIN
