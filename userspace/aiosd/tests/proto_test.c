// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of aiosd's protocol pieces: framing, request parsing and
 * field validation, byte-string encoding (text or base64), base64 itself,
 * the UTF-8 check, configuration files and environment overrides.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "base64.h"
#include "config.h"
#include "proto.h"

TEST(frame_needs_whole_header_and_body)
{
	uint8_t buf[16] = { 0, 0, 0, 3, 'a', 'b', 'c', 0, 0 };
	const uint8_t *p;
	size_t n;

	for (size_t len = 0; len < 7; len++)
		ASSERT_EQ(0, proto_frame(buf, len, 100, &p, &n));
	ASSERT_EQ(7, proto_frame(buf, 7, 100, &p, &n));
	ASSERT_EQ(3, n);
	ASSERT_EQ(buf + 4, p);
	ASSERT_EQ(7, proto_frame(buf, 9, 100, &p, &n));
}

TEST(frame_rejects_zero_and_oversized_lengths)
{
	uint8_t zero[4] = { 0 }, big[4];
	const uint8_t *p;
	size_t n;

	ASSERT_EQ(-EMSGSIZE, proto_frame(zero, 4, 100, &p, &n));
	proto_frame_header(big, 101);
	ASSERT_EQ(-EMSGSIZE, proto_frame(big, 4, 100, &p, &n));
	proto_frame_header(big, 0xffffffffu);
	ASSERT_EQ(-EMSGSIZE, proto_frame(big, 4, 100, &p, &n));
	proto_frame_header(big, 100);
	ASSERT_EQ(0, proto_frame(big, 4, 100, &p, &n));
}

TEST(encode_then_frame_round_trips)
{
	json_t *m = json_pack("{s:s, s:i}", "op", "status", "v", 1);
	const uint8_t *p;
	size_t n, pl;
	uint8_t *f = proto_encode(m, &n);
	struct proto_req r;
	char err[256];

	ASSERT_NE(NULL, f);
	ASSERT_EQ((long)n, proto_frame(f, n, 1000, &p, &pl));
	ASSERT_EQ(0, proto_parse(p, pl, &r, err, sizeof(err)));
	ASSERT_STREQ("status", r.op);
	proto_req_free(&r);
	free(f);
	json_decref(m);
}

static int parse(const char *s, char *err, size_t errlen)
{
	struct proto_req r;
	int e = proto_parse((const uint8_t *)s, strlen(s), &r, err, errlen);

	proto_req_free(&r);
	return e;
}

TEST(parse_rejects_bad_requests_with_reasons)
{
	char err[256];

	ASSERT_EQ(-EINVAL, parse("{\"v\":1,\"op\":", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "malformed JSON"));
	ASSERT_EQ(-EINVAL, parse("[1,2]", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "JSON object"));
	ASSERT_EQ(-EINVAL, parse("{\"op\":\"status\"}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "\"v\""));
	ASSERT_EQ(-EPROTONOSUPPORT, parse("{\"v\":2,\"op\":\"status\"}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "version 2"));
	ASSERT_EQ(-EINVAL, parse("{\"v\":1,\"op\":7}", err, sizeof(err)));
	ASSERT_EQ(-EINVAL, parse("{\"v\":1,\"op\":\"a\",\"op\":\"b\"}", err, sizeof(err)));
	ASSERT_EQ(-EINVAL, parse("{\"v\":1,\"op\":\"a\\u0000\"}", err, sizeof(err)));
	ASSERT_EQ(0, parse("{\"v\":1,\"op\":\"memory.get\",\"id\":[1]}", err, sizeof(err)));
}

TEST(unknown_fields_are_rejected)
{
	static const char *const allowed[] = { "key", NULL };
	json_t *o = json_pack("{s:i, s:s, s:s, s:s}", "v", 1, "op", "x", "key", "k",
			      "key_b64", "aw==");
	char err[256];

	ASSERT_EQ(0, proto_check_fields(o, allowed, err, sizeof(err)));
	json_object_set_new(o, "keyz", json_true());
	ASSERT_EQ(-EINVAL, proto_check_fields(o, allowed, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "keyz"));
	json_decref(o);
}

TEST(byte_fields_as_text_or_base64)
{
	json_t *o = json_object();
	char err[256];
	uint8_t *p;
	size_t n;

	ASSERT_EQ(-EINVAL, proto_get_bytes(o, "key", true, 10, &p, &n, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "missing \"key\""));
	ASSERT_EQ(0, proto_get_bytes(o, "key", false, 10, &p, &n, err, sizeof(err)));
	json_object_set_new(o, "key", json_string("héllo"));
	ASSERT_EQ(1, proto_get_bytes(o, "key", true, 10, &p, &n, err, sizeof(err)));
	ASSERT_EQ(6, n);
	ASSERT_EQ(0, memcmp(p, "h\xc3\xa9llo", 6));
	free(p);
	ASSERT_EQ(-E2BIG, proto_get_bytes(o, "key", true, 5, &p, &n, err, sizeof(err)));
	json_object_set_new(o, "key_b64", json_string("AAH/"));
	ASSERT_EQ(-EINVAL, proto_get_bytes(o, "key", true, 10, &p, &n, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "not both"));
	json_object_del(o, "key");
	ASSERT_EQ(1, proto_get_bytes(o, "key", true, 10, &p, &n, err, sizeof(err)));
	ASSERT_EQ(3, n);
	ASSERT_EQ(0, memcmp(p, "\x00\x01\xff", 3));
	free(p);
	ASSERT_EQ(-E2BIG, proto_get_bytes(o, "key", true, 2, &p, &n, err, sizeof(err)));
	json_object_set_new(o, "key_b64", json_string("AAH"));
	ASSERT_EQ(-EINVAL, proto_get_bytes(o, "key", true, 10, &p, &n, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "base64"));
	json_object_set_new(o, "key_b64", json_integer(5));
	ASSERT_EQ(-EINVAL, proto_get_bytes(o, "key", true, 10, &p, &n, err, sizeof(err)));
	json_decref(o);
}

TEST(binary_bytes_are_sent_as_base64_text_as_text)
{
	json_t *o = json_object();

	ASSERT_EQ(0, proto_set_bytes(o, "value", "plain text", 10));
	ASSERT_STREQ("plain text", json_string_value(json_object_get(o, "value")));
	ASSERT_EQ(0, proto_set_bytes(o, "key", "\x00\xff", 2));
	ASSERT_EQ(NULL, json_object_get(o, "key"));
	ASSERT_STREQ("AP8=", json_string_value(json_object_get(o, "key_b64")));
	json_decref(o);
}

TEST(base64_round_trips_and_rejects_garbage)
{
	uint8_t src[300], dec[300];
	char enc[500];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n < sizeof(src); n++) {
		b64_encode(src, n, enc);
		ASSERT_EQ(b64_enc_len(n), strlen(enc));
		ASSERT_EQ((long)n, b64_decode(enc, strlen(enc), dec));
		ASSERT_EQ(0, memcmp(src, dec, n));
	}
	ASSERT_EQ(-EINVAL, b64_decode("abc", 3, dec));
	ASSERT_EQ(-EINVAL, b64_decode("ab!d", 4, dec));
	ASSERT_EQ(-EINVAL, b64_decode("a=bc", 4, dec));
	ASSERT_EQ(-EINVAL, b64_decode("ab=c", 4, dec));
	ASSERT_EQ(-EINVAL, b64_decode("AB==AAAA", 8, dec));
	ASSERT_EQ(-EINVAL, b64_decode("AB==", 4, dec));	/* non-canonical */
	ASSERT_EQ(1, b64_decode("AA==", 4, dec));
}

TEST(utf8_check)
{
	ASSERT_TRUE(proto_utf8_valid((const uint8_t *)"abc", 3));
	ASSERT_TRUE(proto_utf8_valid((const uint8_t *)"\xe2\x82\xac", 3));
	ASSERT_TRUE(proto_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));
	ASSERT_FALSE(proto_utf8_valid((const uint8_t *)"a\0b", 3));
	ASSERT_FALSE(proto_utf8_valid((const uint8_t *)"\xc0\xaf", 2));	/* overlong */
	ASSERT_FALSE(proto_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));	/* surrogate */
	ASSERT_FALSE(proto_utf8_valid((const uint8_t *)"\xe2\x82", 2));	/* cut */
	ASSERT_FALSE(proto_utf8_valid((const uint8_t *)"\xff", 1));
}

TEST(error_replies_name_the_errno)
{
	json_t *e = proto_error(json_integer(7), -ENOENT, "no such key");
	json_t *err = json_object_get(e, "error");

	ASSERT_FALSE(json_is_true(json_object_get(e, "ok")));
	ASSERT_EQ(7, json_integer_value(json_object_get(e, "id")));
	ASSERT_STREQ("ENOENT", json_string_value(json_object_get(err, "code")));
	ASSERT_EQ(ENOENT, json_integer_value(json_object_get(err, "errno")));
	json_decref(e);
}

static int write_tmp(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/aiosd-config-test.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

TEST(config_file_env_and_validation)
{
	struct aiosd_config c;
	char path[64], err[512];

	config_defaults(&c);
	ASSERT_EQ(0, write_tmp(path, "{\"socket\":\"/tmp/x.sock\",\"store\":{\"max_size_mb\":8,"
					"\"fsync\":\"always\",\"k_threshold\":0.5}}"));
	ASSERT_EQ(0, config_load_file(&c, path, err, sizeof(err))) TH_LOG("%s", err);
	unlink(path);
	ASSERT_STREQ("/tmp/x.sock", c.socket);
	ASSERT_EQ(8, c.max_size_mb);
	ASSERT_EQ(AIOS_FSYNC_ALWAYS, c.fsync);

	ASSERT_EQ(0, write_tmp(path, "{\"store\":{\"max_size\":8}}"));
	ASSERT_EQ(-EINVAL, config_load_file(&c, path, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "unknown config key \"store.max_size\""));
	unlink(path);
	ASSERT_EQ(0, write_tmp(path, "{\"store\":{\"fsync\":\"sometimes\"}}"));
	ASSERT_EQ(-EINVAL, config_load_file(&c, path, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "always, batched or never"));
	unlink(path);
	ASSERT_EQ(0, write_tmp(path, "{\"store\": 5"));
	ASSERT_EQ(-EINVAL, config_load_file(&c, path, err, sizeof(err)));
	unlink(path);

	setenv("AIOS_MAX_SIZE_MB", "32", 1);
	setenv("AIOS_FSYNC", "never", 1);
	ASSERT_EQ(0, config_load_env(&c, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(32, c.max_size_mb);
	ASSERT_EQ(AIOS_FSYNC_NEVER, c.fsync);
	setenv("AIOS_K_THRESHOLD", "1.5", 1);
	ASSERT_EQ(-EINVAL, config_load_env(&c, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "AIOS_K_THRESHOLD"));
	unsetenv("AIOS_K_THRESHOLD");
	setenv("AIOS_MAX_SIZE_MB", "-1", 1);
	ASSERT_EQ(-EINVAL, config_load_env(&c, err, sizeof(err)));
	unsetenv("AIOS_MAX_SIZE_MB");
	unsetenv("AIOS_FSYNC");

	config_defaults(&c);
	ASSERT_EQ(0, config_validate(&c, err, sizeof(err)));
	c.max_message = 4096;
	ASSERT_EQ(-EINVAL, config_validate(&c, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "max_message"));
}

TEST_HARNESS_MAIN
