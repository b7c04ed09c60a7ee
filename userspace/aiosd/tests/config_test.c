// SPDX-License-Identifier: GPL-2.0
/*
 * aiosd's configuration parser and boot log as libraries (the code
 * aiosctl links too): every kind of bad input names its JSON path, the
 * environment overrides, the effective configuration round-trips, the
 * SHA-256 of the file bytes, and the boot log file: ids, trimming to the
 * last N boots, a torn last line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "bootlog.h"
#include "config.h"

static int parse(struct aiosd_config *c, const char *text, char *err, size_t errlen)
{
	config_defaults(c);
	return config_load_buf(c, text, strlen(text), "test.json", err, errlen);
}

TEST(unknown_keys_are_named_by_path)
{
	struct aiosd_config c;
	char err[1024];

	ASSERT_EQ(-EINVAL, parse(&c, "{\"sockte\":\"/x\"}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "test.json: $.sockte: unknown config key")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "allowed in $: socket,")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"store\":{\"fsycn\":\"always\"}}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.store.fsycn: unknown config key \"store.fsycn\"")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "allowed in $.store: dir, max_size_mb")) TH_LOG("%s", err);
	/* nested deeper than any key */
	ASSERT_EQ(-EINVAL, parse(&c, "{\"runs\":{\"dir\":\"/a\",\"x\":{\"y\":1}}}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.runs.x:")) TH_LOG("%s", err);
	/* a key of one section in another */
	ASSERT_EQ(-EINVAL, parse(&c, "{\"runs\":{\"max_size_mb\":1}}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.runs.max_size_mb")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"max_size_mb\":1}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.max_size_mb")) TH_LOG("%s", err);
	/* odd names are quoted, control characters escaped */
	ASSERT_EQ(-EINVAL, parse(&c, "{\"store\":{\"a b\\n\":1}}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.store[\"a b\\u000a\"]")) TH_LOG("%s", err);
	/* duplicates are rejected by the JSON reader, with line and column */
	ASSERT_EQ(-EINVAL, parse(&c, "{\"socket\":\"/a\",\n\"socket\":\"/b\"}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "test.json:2:")) TH_LOG("%s", err);
}

TEST(wrong_types_and_ranges_are_named_by_path)
{
	struct aiosd_config c;
	char err[1024];

	ASSERT_EQ(-EINVAL, parse(&c, "{\"store\":5}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.store: expected an object, got an integer")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"store\":{\"max_size_mb\":\"8\"}}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.store.max_size_mb: expected an integer, got a string"))
		TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"store\":{\"max_size_mb\":1.5}}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.store.max_size_mb: expected an integer")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"store\":{\"k_threshold\":2}}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.store.k_threshold: expected a number in [0.01, 1]"))
		TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"max_clients\":0}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.max_clients: expected an integer in [1, 1048576]"))
		TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"max_clients\":-3}", err, sizeof(err)));
	ASSERT_EQ(-EINVAL, parse(&c, "{\"socket_mode\":438}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.socket_mode: expected a string (octal mode")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"socket_mode\":\"0999\"}", err, sizeof(err)));
	ASSERT_EQ(-EINVAL, parse(&c, "{\"store\":{\"recover\":1}}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.store.recover: expected true or false")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"runs\":{\"fsync\":\"batched\"}}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.runs.fsync: expected always, group or none")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"config_check\":\"maybe\"}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.config_check: expected refuse, warn or off")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"log_level\":\"loud\"}", err, sizeof(err)));
	ASSERT_EQ(-EINVAL, parse(&c, "{\"device\":null}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.device: expected a string, got null")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "[1]", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "must be a JSON object, not an array")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse(&c, "{\"socket\":\"/a\\u0000b\"}", err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "NUL")) TH_LOG("%s", err);
	/* cross-field checks name the keys too */
	ASSERT_EQ(0, parse(&c, "{\"max_message\":2048}", err, sizeof(err)));
	ASSERT_EQ(-EINVAL, config_validate(&c, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.max_message")) TH_LOG("%s", err);
	ASSERT_EQ(0, parse(&c, "{\"runs\":{\"dir\":\"relative\"}}", err, sizeof(err)));
	ASSERT_EQ(-EINVAL, config_validate(&c, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "$.runs.dir: need an absolute path")) TH_LOG("%s", err);
}

TEST(every_key_parses_and_round_trips)
{
	struct aiosd_config a, b;
	char err[1024], *text;
	json_t *j;

	ASSERT_EQ(0, parse(&a, "{\"socket\":\"/s\",\"socket_mode\":\"0660\",\"device\":\"/d\","
			   "\"max_message\":8388608,\"max_clients\":9,\"idle_timeout_s\":5,"
			   "\"message_timeout_s\":6,\"log_level\":\"debug\",\"config_check\":\"warn\","
			   "\"bootlog\":\"/b.jsonl\",\"bootlog_boots\":3,"
			   "\"store\":{\"dir\":\"/st\",\"max_size_mb\":7,\"k_threshold\":0.5,"
			   "\"key_max\":100,\"value_max\":1000,\"fsync\":\"never\","
			   "\"fsync_interval_ms\":9,\"snapshot_log_mb\":3,\"snapshot_interval_s\":0,"
			   "\"evict_samples\":11,\"recover\":true},"
			   "\"runs\":{\"dir\":\"/r\",\"fsync\":\"none\",\"models\":\"/m.json\"},"
			   "\"http\":{\"tokens\":\"/t\"}}", err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0660, a.socket_mode);
	ASSERT_EQ(3, a.log_level);
	ASSERT_TRUE(a.recover);
	ASSERT_STREQ("none", a.runs_fsync);
	ASSERT_STREQ("warn", a.config_check);
	/* the effective config, written back as a file, reads the same */
	j = config_to_json(&a);
	ASSERT_NE(NULL, j);
	text = json_dumps(j, 0);
	json_decref(j);
	config_defaults(&b);
	ASSERT_EQ(0, config_load_buf(&b, text, strlen(text), "dump", err, sizeof(err)))
		TH_LOG("%s: %s", err, text);
	free(text);
	for (size_t i = 0; i < config_nkeys(); i++) {
		const char *name = config_key_name(i);

		ASSERT_TRUE(config_key_equal(&a, &b, i)) TH_LOG("%s", name);
	}
	/* reload classes */
	for (size_t i = 0; i < config_nkeys(); i++) {
		if (!strcmp(config_key_name(i), "socket") || !strcmp(config_key_name(i), "store.dir"))
			ASSERT_EQ(CONFIG_RESTART, config_key_apply(i));
		if (!strcmp(config_key_name(i), "log_level") ||
		    !strcmp(config_key_name(i), "store.max_size_mb"))
			ASSERT_EQ(CONFIG_RUNTIME, config_key_apply(i));
	}
}

TEST(environment_overrides_the_file)
{
	struct aiosd_config c;
	char err[1024];

	ASSERT_EQ(0, parse(&c, "{\"max_clients\":9,\"runs\":{\"fsync\":\"none\"}}", err, sizeof(err)));
	setenv("AIOS_MAX_CLIENTS", "12", 1);
	setenv("AIOS_RUNS_FSYNC", "always", 1);
	ASSERT_EQ(0, config_load_env(&c, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(12, c.max_clients);
	ASSERT_STREQ("always", c.runs_fsync);
	setenv("AIOS_RUNS_FSYNC", "sometimes", 1);
	ASSERT_EQ(-EINVAL, config_load_env(&c, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "environment AIOS_RUNS_FSYNC ($.runs.fsync)")) TH_LOG("%s", err);
	unsetenv("AIOS_RUNS_FSYNC");
	unsetenv("AIOS_MAX_CLIENTS");
}

TEST(sha256_of_the_file_bytes)
{
	char hex[CONFIG_SHA256_HEX], hex2[CONFIG_SHA256_HEX], path[] = "/tmp/cfgtest.XXXXXX";
	struct aiosd_config c;
	char err[512];
	int fd;

	ASSERT_EQ(0, config_sha256_hex("abc", 3, hex));
	ASSERT_STREQ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex);
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(3, write(fd, "{}\n", 3));
	close(fd);
	config_defaults(&c);
	ASSERT_EQ(0, config_load_file_hash(&c, path, hex2, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, config_sha256_hex("{}\n", 3, hex));
	ASSERT_STREQ(hex, hex2);
	unlink(path);
	ASSERT_EQ(-ENOENT, config_load_file_hash(&c, path, hex2, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, path));
}

TEST(bootlog_ids_trim_and_torn_line)
{
	char path[] = "/tmp/bootlog.XXXXXX", err[512];
	struct bootlog *b;
	json_t *boots, *events;
	unsigned int damaged;
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);
	for (int i = 1; i <= 4; i++) {
		ASSERT_EQ(0, bootlog_open(path, 3, &b, err, sizeof(err))) TH_LOG("%s", err);
		ASSERT_EQ((uint64_t)i, bootlog_boot_id(b));
		bootlog_event(b, 2, "aiosd", "start", NULL, "boot %d", i);
		bootlog_event(b, i == 2 ? 0 : 2, "aiosd", i == 2 ? "refused" : "serving",
			      json_pack("{s:i}", "n", i), "step");
		bootlog_close(b);
	}
	/* keep 3: boots 2..4 */
	ASSERT_EQ(0, bootlog_read(path, 0, &boots, NULL, &damaged, err, sizeof(err)));
	ASSERT_EQ(3, json_array_size(boots));
	ASSERT_EQ(2, json_integer_value(json_object_get(json_array_get(boots, 0), "boot")));
	ASSERT_STREQ("refused", json_string_value(json_object_get(json_array_get(boots, 0),
								  "outcome")));
	ASSERT_EQ(1, json_integer_value(json_object_get(json_array_get(boots, 0), "errors")));
	ASSERT_STREQ("served", json_string_value(json_object_get(json_array_get(boots, 2),
								 "outcome")));
	json_decref(boots);
	/* a crash in the middle of a line: the torn line is skipped */
	fd = open(path, O_WRONLY | O_APPEND);
	ASSERT_EQ(20, write(fd, "{\"boot\":5,\"seq\":1,\"", 20));
	close(fd);
	ASSERT_EQ(0, bootlog_read(path, UINT64_MAX, NULL, &events, &damaged, err, sizeof(err)));
	ASSERT_EQ(1, damaged);
	ASSERT_EQ(2, json_array_size(events));
	ASSERT_EQ(4, json_integer_value(json_object_get(json_array_get(events, 0), "boot")));
	ASSERT_EQ(4, json_integer_value(json_object_get(json_object_get(json_array_get(events, 1),
									 "detail"), "n")));
	json_decref(events);
	ASSERT_EQ(-ENOENT, bootlog_read(path, 1, NULL, &events, NULL, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "boot 1 is not in the boot log"));
	/* the next boot after the torn line is whole again */
	ASSERT_EQ(0, bootlog_open(path, 3, &b, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(5, bootlog_boot_id(b));
	bootlog_event(b, 2, "aiosd", "start", NULL, "boot 5");
	bootlog_close(b);
	ASSERT_EQ(0, bootlog_read(path, 5, NULL, &events, &damaged, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(1, json_array_size(events));
	json_decref(events);
	unlink(path);
	/* memory only */
	ASSERT_EQ(0, bootlog_open(NULL, 3, &b, err, sizeof(err)));
	bootlog_event(b, 2, "aiosd", "start", NULL, "x");
	ASSERT_EQ(1, json_array_size(bootlog_current(b)));
	ASSERT_STREQ("", bootlog_path(b));
	bootlog_close(b);
}

/*
 * Documentation/aiosd.config.schema.json describes exactly the keys the
 * parser knows, with the same defaults, environment variables and reload
 * classes (a key added to config.c without the schema fails here).
 */
TEST(schema_matches_the_parser)
{
	struct aiosd_config c;
	json_error_t je;
	json_t *schema = json_load_file(AIOSD_SCHEMA, 0, &je), *defaults, *props, *p, *v;
	size_t nprops = 0;
	const char *name;

	ASSERT_NE(NULL, schema) TH_LOG("%s: %s", AIOSD_SCHEMA, je.text);
	ASSERT_TRUE(json_is_false(json_object_get(schema, "additionalProperties")));
	config_defaults(&c);
	defaults = config_to_json(&c);
	props = json_object_get(schema, "properties");
	for (size_t i = 0; i < config_nkeys(); i++) {
		const char *key = config_key_name(i), *dot = strchr(key, '.');
		json_t *dv = json_object_get(defaults, key);
		char sec[32];

		if (dot) {
			snprintf(sec, sizeof(sec), "%.*s", (int)(dot - key), key);
			ASSERT_TRUE(json_is_false(json_object_get(json_object_get(props, sec),
								  "additionalProperties"))) TH_LOG("%s", sec);
			p = json_object_get(json_object_get(json_object_get(props, sec), "properties"),
					    dot + 1);
			dv = json_object_get(json_object_get(defaults, sec), dot + 1);
		} else {
			p = json_object_get(props, key);
		}
		ASSERT_NE(NULL, p) TH_LOG("key %s is not in the schema", key);
		ASSERT_STREQ(config_key_apply(i) == CONFIG_RUNTIME ? "runtime" : "restart",
			     json_string_value(json_object_get(p, "x-aios-reload"))) TH_LOG("%s", key);
		if (config_key_env(i)) {
			ASSERT_STREQ(config_key_env(i),
				     json_string_value(json_object_get(p, "x-aios-env"))) TH_LOG("%s", key);
		}
		if (dv) {
			ASSERT_TRUE(json_equal(dv, json_object_get(p, "default"))) TH_LOG("default of %s", key);
		} else {
			ASSERT_EQ(NULL, json_object_get(p, "default")) TH_LOG("default of %s", key);
		}
	}
	/* and nothing more */
	json_object_foreach(props, name, v) {
		json_t *sub = json_object_get(v, "properties");

		nprops += sub ? json_object_size(sub) : 1;
	}
	ASSERT_EQ(config_nkeys(), nprops);
	json_decref(defaults);
	json_decref(schema);
}

TEST_HARNESS_MAIN
