// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host tests: CPU list parsing and formatting.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "aios.h"
#include "kselftest_harness.h"

TEST(parse_ranges_and_singles)
{
	cpu_set_t s;

	ASSERT_EQ(5, aios_cpulist_parse("0-3,6", &s));
	EXPECT_TRUE(CPU_ISSET(0, &s));
	EXPECT_TRUE(CPU_ISSET(3, &s));
	EXPECT_FALSE(CPU_ISSET(4, &s));
	EXPECT_TRUE(CPU_ISSET(6, &s));
	ASSERT_EQ(1, aios_cpulist_parse("1023", &s));
	EXPECT_TRUE(CPU_ISSET(1023, &s));
}

TEST(parse_stride_and_spaces)
{
	cpu_set_t s;

	ASSERT_EQ(4, aios_cpulist_parse("0-7:2", &s));
	EXPECT_TRUE(CPU_ISSET(6, &s));
	EXPECT_FALSE(CPU_ISSET(7, &s));
	ASSERT_EQ(2, aios_cpulist_parse(" 1 , 3 ", &s));
	EXPECT_TRUE(CPU_ISSET(1, &s));
	EXPECT_TRUE(CPU_ISSET(3, &s));
	/* duplicates count once */
	ASSERT_EQ(3, aios_cpulist_parse("0-2,1,2", &s));
}

TEST(parse_rejects_bad_syntax)
{
	static const char *const bad[] = {
		"", " ", "a", "3-1", "1,", ",1", "1-", "1--2", "0-4:0",
		"-1", "1,,2", "0x1", "1 2", "1-3:", "2:1", "1.5",
	};
	cpu_set_t s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, aios_cpulist_parse(bad[i], &s))
			TH_LOG("input #%zu", i);
	EXPECT_EQ(-EINVAL, aios_cpulist_parse(NULL, &s));
}

TEST(parse_rejects_out_of_range_cpu)
{
	cpu_set_t s;

	EXPECT_EQ(-ERANGE, aios_cpulist_parse("1024", &s));
	EXPECT_EQ(-ERANGE, aios_cpulist_parse("0-1024", &s));
	EXPECT_EQ(-ERANGE, aios_cpulist_parse("99999999999999999999999", &s));
}

TEST(format_compresses_ranges)
{
	char buf[64];
	cpu_set_t s;

	CPU_ZERO(&s);
	EXPECT_EQ(0, aios_cpulist_format(&s, buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	CPU_SET(0, &s);
	CPU_SET(1, &s);
	CPU_SET(2, &s);
	CPU_SET(5, &s);
	CPU_SET(7, &s);
	CPU_SET(8, &s);
	EXPECT_EQ(9, aios_cpulist_format(&s, buf, sizeof(buf)));
	EXPECT_STREQ("0-2,5,7-8", buf);
}

TEST(format_reports_short_buffer)
{
	char buf[4];
	cpu_set_t s;

	aios_cpulist_parse("0-3,6", &s);
	EXPECT_EQ(-ENOSPC, aios_cpulist_format(&s, buf, sizeof(buf)));
	EXPECT_EQ(-ENOSPC, aios_cpulist_format(&s, buf, 0));
	EXPECT_STREQ("", buf);
}

TEST(full_set_round_trip)
{
	char buf[64];
	cpu_set_t s, back;

	ASSERT_EQ(CPU_SETSIZE, aios_cpulist_parse("0-1023", &s));
	ASSERT_LT(0, aios_cpulist_format(&s, buf, sizeof(buf)));
	EXPECT_STREQ("0-1023", buf);
	ASSERT_EQ(CPU_SETSIZE, aios_cpulist_parse(buf, &back));
	EXPECT_TRUE(CPU_EQUAL(&s, &back));
}

TEST(pseudo_random_round_trips)
{
	static char buf[8192];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	cpu_set_t s, back;
	int i, c, n;

	for (i = 0; i < 500; i++) {
		CPU_ZERO(&s);
		for (c = 0; c < CPU_SETSIZE; c++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (x % (unsigned int)(i % 7 + 2) == 0)
				CPU_SET(c, &s);
		}
		if (!CPU_COUNT(&s))
			CPU_SET(i % CPU_SETSIZE, &s);
		ASSERT_LT(0, aios_cpulist_format(&s, buf, sizeof(buf)));
		n = aios_cpulist_parse(buf, &back);
		ASSERT_EQ(CPU_COUNT(&s), n);
		ASSERT_TRUE(CPU_EQUAL(&s, &back));
	}
}

TEST_HARNESS_MAIN
