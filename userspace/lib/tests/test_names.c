// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host tests: capability, priority, operation, state, feature and errno
 * names, parsing and formatting.
 */
#include <errno.h>
#include <string.h>

#include "aios.h"
#include "kselftest_harness.h"

TEST(cap_name_each_bit)
{
	EXPECT_STREQ("SPAWN_AGENT", aios_cap_name(AIOS_CAP_SPAWN_AGENT));
	EXPECT_STREQ("KILL_AGENT", aios_cap_name(AIOS_CAP_KILL_AGENT));
	EXPECT_STREQ("ALLOC_MEMORY", aios_cap_name(AIOS_CAP_ALLOC_MEMORY));
	EXPECT_STREQ("ACCESS_FS", aios_cap_name(AIOS_CAP_ACCESS_FS));
	EXPECT_STREQ("ACCESS_NET", aios_cap_name(AIOS_CAP_ACCESS_NET));
	EXPECT_STREQ("ACCESS_GPU", aios_cap_name(AIOS_CAP_ACCESS_GPU));
	EXPECT_STREQ("ACCESS_IO", aios_cap_name(AIOS_CAP_ACCESS_IO));
	EXPECT_STREQ("ADMIN", aios_cap_name(AIOS_CAP_ADMIN));
}

TEST(cap_name_rejects_unknown_and_multiple_bits)
{
	EXPECT_EQ(NULL, aios_cap_name(0));
	EXPECT_EQ(NULL, aios_cap_name(1ULL << 8));
	EXPECT_EQ(NULL, aios_cap_name(AIOS_CAP_ADMIN | AIOS_CAP_KILL_AGENT));
}

TEST(cap_from_name_is_case_insensitive)
{
	uint64_t bit = 0;

	ASSERT_EQ(0, aios_cap_from_name("spawn_agent", &bit));
	EXPECT_EQ(AIOS_CAP_SPAWN_AGENT, bit);
	ASSERT_EQ(0, aios_cap_from_name("Access_Net", &bit));
	EXPECT_EQ(AIOS_CAP_ACCESS_NET, bit);
	ASSERT_EQ(0, aios_cap_from_name("CAP_ADMIN", &bit));
	EXPECT_EQ(AIOS_CAP_ADMIN, bit);
}

TEST(cap_from_name_rejects_unknown)
{
	uint64_t bit = 42;

	EXPECT_EQ(-EINVAL, aios_cap_from_name("SPAWN", &bit));
	EXPECT_EQ(-EINVAL, aios_cap_from_name("", &bit));
	EXPECT_EQ(-EINVAL, aios_cap_from_name("ACCESS_NET ", &bit));
	EXPECT_EQ(-EINVAL, aios_cap_from_name(NULL, &bit));
	EXPECT_EQ(42, bit);
}

TEST(caps_parse_lists)
{
	uint64_t caps = 0;

	ASSERT_EQ(0, aios_caps_parse("ACCESS_NET,ACCESS_FS", &caps));
	EXPECT_EQ(AIOS_CAP_ACCESS_NET | AIOS_CAP_ACCESS_FS, caps);
	ASSERT_EQ(0, aios_caps_parse(" kill_agent | admin ", &caps));
	EXPECT_EQ(AIOS_CAP_KILL_AGENT | AIOS_CAP_ADMIN, caps);
	ASSERT_EQ(0, aios_caps_parse("access_gpu+access_io", &caps));
	EXPECT_EQ(AIOS_CAP_ACCESS_GPU | AIOS_CAP_ACCESS_IO, caps);
	ASSERT_EQ(0, aios_caps_parse("SPAWN_AGENT", &caps));
	EXPECT_EQ(AIOS_CAP_SPAWN_AGENT, caps);
}

TEST(caps_parse_keywords_and_numbers)
{
	uint64_t caps = 0;

	ASSERT_EQ(0, aios_caps_parse("all", &caps));
	EXPECT_EQ(AIOS_CAP_ALL, caps);
	ASSERT_EQ(0, aios_caps_parse("none", &caps));
	EXPECT_EQ(0, caps);
	ASSERT_EQ(0, aios_caps_parse("default", &caps));
	EXPECT_EQ(AIOS_CAP_DEFAULT, caps);
	ASSERT_EQ(0, aios_caps_parse("0x18", &caps));
	EXPECT_EQ(AIOS_CAP_ACCESS_FS | AIOS_CAP_ACCESS_NET, caps);
	ASSERT_EQ(0, aios_caps_parse("255", &caps));
	EXPECT_EQ(AIOS_CAP_ALL, caps);
}

TEST(caps_parse_rejects_bad_input_without_touching_output)
{
	uint64_t caps = 7;

	EXPECT_EQ(-EINVAL, aios_caps_parse("", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse("   ", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse("BOGUS", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse("ACCESS_NET,,ACCESS_FS", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse("ACCESS_NET,", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse(",ACCESS_NET", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse("ACCESS_NET,BOGUS", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse("0x100", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse("12abc", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse("99999999999999999999999", &caps));
	EXPECT_EQ(-EINVAL, aios_caps_parse(NULL, &caps));
	EXPECT_EQ(7, caps);
}

TEST(caps_format)
{
	char buf[128];

	EXPECT_EQ(4, aios_caps_format(0, buf, sizeof(buf)));
	EXPECT_STREQ("none", buf);
	ASSERT_LT(0, aios_caps_format(AIOS_CAP_DEFAULT, buf, sizeof(buf)));
	EXPECT_STREQ("SPAWN_AGENT,ALLOC_MEMORY", buf);
	ASSERT_LT(0, aios_caps_format(AIOS_CAP_ADMIN | (1ULL << 9), buf,
				      sizeof(buf)));
	EXPECT_STREQ("ADMIN,0x200", buf);
}

TEST(caps_format_reports_short_buffer)
{
	char buf[12];

	EXPECT_EQ(-ENOSPC, aios_caps_format(AIOS_CAP_DEFAULT, buf,
					    sizeof(buf)));
	EXPECT_STREQ("", buf);	/* no partial list */
	EXPECT_EQ(-ENOSPC, aios_caps_format(0, buf, 4));
	EXPECT_EQ(-ENOSPC, aios_caps_format(0, buf, 0));
	/* exactly enough room */
	EXPECT_EQ(11, aios_caps_format(AIOS_CAP_SPAWN_AGENT, buf, 12));
}

TEST(caps_format_parse_round_trip)
{
	char buf[256];
	uint64_t v, back;

	for (v = 0; v <= AIOS_CAP_ALL; v++) {
		ASSERT_LT(0, aios_caps_format(v, buf, sizeof(buf)));
		ASSERT_EQ(0, aios_caps_parse(buf, &back)) TH_LOG("%s", buf);
		ASSERT_EQ(v, back);
	}
}

TEST(prio_names_and_parse)
{
	unsigned int p = 99;

	EXPECT_STREQ("critical", aios_prio_name(AIOS_PRIO_CRITICAL));
	EXPECT_STREQ("low", aios_prio_name(AIOS_PRIO_LOW));
	EXPECT_EQ(NULL, aios_prio_name(AIOS_PRIO_MAX + 1));
	ASSERT_EQ(0, aios_prio_parse("HIGH", &p));
	EXPECT_EQ(AIOS_PRIO_HIGH, p);
	ASSERT_EQ(0, aios_prio_parse("2", &p));
	EXPECT_EQ(AIOS_PRIO_NORMAL, p);
	EXPECT_EQ(-EINVAL, aios_prio_parse("4", &p));
	EXPECT_EQ(-EINVAL, aios_prio_parse("-1", &p));
	EXPECT_EQ(-EINVAL, aios_prio_parse("urgent", &p));
	EXPECT_EQ(-EINVAL, aios_prio_parse("", &p));
	EXPECT_EQ(AIOS_PRIO_NORMAL, p);
}

TEST(op_names_and_parse)
{
	unsigned int op = 0;

	EXPECT_STREQ("register", aios_op_name(AIOS_OP_REGISTER));
	EXPECT_STREQ("cap_check", aios_op_name(AIOS_OP_CAP_CHECK));
	EXPECT_STREQ("audit_config", aios_op_name(AIOS_OP_AUDIT_CONFIG));
	EXPECT_EQ(NULL, aios_op_name(0x0a));
	EXPECT_EQ(NULL, aios_op_name(0x1000));
	ASSERT_EQ(0, aios_op_parse("KILL", &op));
	EXPECT_EQ(AIOS_OP_KILL, op);
	ASSERT_EQ(0, aios_op_parse("0x10", &op));
	EXPECT_EQ(AIOS_OP_QUEUE_BASE, op);
	EXPECT_EQ(-EINVAL, aios_op_parse("frobnicate", &op));
	EXPECT_EQ(-EINVAL, aios_op_parse("256", &op));
}

TEST(state_reason_feature_names)
{
	char buf[64];

	EXPECT_STREQ("live", aios_state_name(AIOS_AGENT_LIVE));
	EXPECT_STREQ("dead", aios_state_name(AIOS_AGENT_DEAD));
	EXPECT_EQ(NULL, aios_state_name(2));
	EXPECT_STREQ("killed", aios_exit_reason_name(AIOS_EXIT_KILLED));
	EXPECT_EQ(NULL, aios_exit_reason_name(3));
	EXPECT_STREQ("audit", aios_feature_name(AIOS_FEAT_AUDIT));
	ASSERT_LT(0, aios_features_format(AIOS_FEAT_AGENTS | AIOS_FEAT_CAPS |
					  AIOS_FEAT_AUDIT, buf, sizeof(buf)));
	EXPECT_STREQ("agents,caps,audit", buf);
}

TEST(errno_names)
{
	EXPECT_STREQ("EPERM", aios_errno_name(EPERM));
	EXPECT_STREQ("EPERM", aios_errno_name(-EPERM));
	EXPECT_STREQ("EBADFD", aios_errno_name(-EBADFD));
	EXPECT_STREQ("ENOLINK", aios_errno_name(ENOLINK));
	EXPECT_STREQ("EPROTONOSUPPORT", aios_errno_name(-EPROTONOSUPPORT));
	EXPECT_EQ(NULL, aios_errno_name(0));
	EXPECT_EQ(NULL, aios_errno_name(100000));
	EXPECT_EQ(NULL, aios_errno_name(-2147483647 - 1));
}

TEST_HARNESS_MAIN
