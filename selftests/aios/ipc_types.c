// SPDX-License-Identifier: GPL-2.0
/*
 * Typed IPC: bad input through the real send path.
 *
 * Each row of the table is a send a user might get wrong: invalid UTF-8
 * in TEXT (overlongs, surrogates, truncated sequences), non-canonical
 * NUMBER literals, malformed JSON (trailing commas, unterminated
 * strings, depth bombs, lone surrogate escapes, JSONTestSuite-style n_
 * cases), unknown types, bad intents, oversized payloads and unknown or
 * dead receivers.  Every row asserts the errno, and for a rejected
 * payload the byte offset (err_offset) and the exact reason the sender
 * reads back with AIOS_IOC_LAST_DENIAL.  Afterwards the receiver must
 * have received nothing and counted every rejection, and valid payloads
 * of each type must still get through.
 */
#include "ipc_test.h"
#include "kselftest_harness.h"

/* what the row sends to */
enum ipc_target {
	TO_RECEIVER,		/* a live agent */
	TO_UNKNOWN,		/* an id never handed out */
	TO_ZERO,		/* agent id 0 */
	TO_DEAD,		/* an agent that went away */
	TO_GROUP_UNKNOWN,	/* AIOS_SEND_GROUP to a group nobody joined */
};

struct bad_case {
	const char *what;
	__u32 type;
	const char *in;
	size_t len;
	int err;		/* expected -errno */
	__u32 off;		/* expected err_offset (EINVAL payload rows) */
	const char *reason;	/* expected last denial reason, NULL: skip */
	const char *intent;	/* NULL: "inform" */
	enum ipc_target to;
	size_t gen;		/* > 0: generated payload of this length */
	char gen_kind;		/* '[' nesting, '{' nested objects, 'b' bytes */
};

/* s must be a literal (sizeof keeps embedded NULs) */
#define BAD(w, t, s, o, r) { .what = w, .type = AIOS_MSG_##t, .in = s,	\
	.len = sizeof(s) - 1, .err = -EINVAL, .off = o, .reason = r }
#define T(w, s, o, why)	BAD(w, TEXT, s, o, "TEXT: " why " at byte " #o)
#define N(w, s, o, why)	BAD(w, NUMBER, s, o, "NUMBER: " why " at byte " #o)
#define J(w, s, o, why)	BAD(w, JSON, s, o, "JSON: " why " at byte " #o)

static const struct bad_case bad_cases[] = {
	/* TEXT: UTF-8 (RFC 3629) without NUL */
	T("overlong '/' (C0 AF)", "\xc0\xaf", 0,
	  "overlong UTF-8 encoding (lead byte 0xC0/0xC1)"),
	T("overlong NUL (C0 80)", "ab\xc0\x80", 2,
	  "overlong UTF-8 encoding (lead byte 0xC0/0xC1)"),
	T("overlong 3-byte '/' (E0 80 AF)", "\xe0\x80\xaf", 1,
	  "overlong UTF-8 encoding"),
	T("overlong 4-byte '/' (F0 80 80 AF)", "\xf0\x80\x80\xaf", 1,
	  "overlong UTF-8 encoding"),
	T("encoded high surrogate U+D800", "ab\xed\xa0\x80", 3,
	  "UTF-8 encoded surrogate (U+D800..U+DFFF)"),
	T("encoded low surrogate U+DFFF", "\xed\xbf\xbf", 1,
	  "UTF-8 encoded surrogate (U+D800..U+DFFF)"),
	T("truncated 2-byte sequence at the end", "abc\xc3", 4,
	  "truncated UTF-8 sequence"),
	T("truncated 3-byte sequence at the end", "\xe2\x82", 2,
	  "truncated UTF-8 sequence"),
	T("truncated 4-byte emoji at the end", "\xf0\x9f\x98", 3,
	  "truncated UTF-8 sequence"),
	T("truncated sequence followed by ASCII", "\xe2\x82x", 2,
	  "expected UTF-8 continuation byte"),
	T("lone continuation byte", "a\x80" "b", 1,
	  "unexpected UTF-8 continuation byte"),
	T("lead byte followed by ASCII", "\xc3(", 1,
	  "expected UTF-8 continuation byte"),
	T("code point above U+10FFFF (F4 90)", "\xf4\x90\x80\x80", 1,
	  "UTF-8 code point above U+10FFFF"),
	T("lead byte F5", "\xf5\x80\x80\x80", 0,
	  "UTF-8 code point above U+10FFFF"),
	T("byte FE", "x\xfe", 1, "invalid byte 0xFE/0xFF in UTF-8"),
	T("byte FF", "\xff", 0, "invalid byte 0xFE/0xFF in UTF-8"),
	T("5-byte sequence", "\xf8\x88\x80\x80\x80", 0,
	  "5- or 6-byte UTF-8 sequence"),
	T("NUL byte", "ab\0cd", 2, "NUL byte in text"),
	T("Latin-1 text", "caf\xe9!", 4, "expected UTF-8 continuation byte"),

	/* NUMBER: one canonical JSON number literal */
	N("leading zero", "01", 1, "leading zero in number"),
	N("negative leading zero", "-01", 2, "leading zero in number"),
	N("plus sign", "+1", 0, "'+' sign not allowed in number"),
	N("missing fraction digits", "1.", 2, "expected digit after '.'"),
	N("missing integer part", ".5", 0, "expected '-' or digit"),
	N("missing exponent digits", "1e", 2, "expected digit in exponent"),
	N("exponent sign only", "1e+", 3, "expected digit in exponent"),
	N("minus alone", "-", 1, "expected digit after '-'"),
	N("double minus", "--1", 1, "expected digit after '-'"),
	N("NaN", "NaN", 0, "NaN and Infinity are not numbers"),
	N("Infinity", "Infinity", 0, "NaN and Infinity are not numbers"),
	N("hexadecimal", "0x1F", 1, "hexadecimal numbers not allowed"),
	N("leading space", " 1", 0, "whitespace around number"),
	N("trailing newline", "1\n", 1, "whitespace around number"),
	N("empty", "", 0, "expected a number, found end of input"),
	N("two dots", "1.5.2", 3, "unexpected character after number"),
	N("thousands separator", "1,000", 1,
	  "unexpected character after number"),
	N("JSON array", "[1]", 0, "expected '-' or digit"),

	/* JSON: RFC 8259 */
	J("trailing comma in array", "[1,2,]", 5, "trailing comma before ']'"),
	J("trailing comma in object", "{\"a\":1,}", 7,
	  "trailing comma before '}'"),
	J("unterminated string", "\"abc", 4, "unterminated string"),
	J("unterminated string in array", "[\"a", 3, "unterminated string"),
	J("missing comma between members", "{\"a\":1 \"b\":2}", 7,
	  "expected ',' or '}'"),
	J("missing comma in array", "[1 2]", 3, "expected ',' or ']'"),
	J("unclosed array", "[", 1, "unterminated array"),
	J("unclosed object", "{\"a\":[1]", 8, "unterminated object"),
	J("key without value", "{\"a\"}", 4, "expected ':' after object key"),
	J("unquoted key", "{a:1}", 1, "expected string key or '}'"),
	J("lone high surrogate escape", "[\"\\ud800\"]", 2,
	  "lone high surrogate escape"),
	J("lone low surrogate escape", "[\"\\udc00\"]", 2,
	  "lone low surrogate escape"),
	J("high surrogate then non-surrogate", "\"\\ud800\\u0041\"", 7,
	  "expected low surrogate escape"),
	J("two high surrogates", "[\"\\ud800\\ud800\"]", 8,
	  "expected low surrogate escape"),
	J("invalid escape", "\"\\x41\"", 1, "invalid escape sequence"),
	J("bad hex digit in \\u", "\"\\u12G4\"", 1,
	  "expected 4 hex digits after \\u"),
	J("truncated literal true", "tru", 3, "invalid literal, expected true"),
	J("misspelt null", "[nul]", 4, "invalid literal, expected null"),
	J("Python True", "[True]", 1, "expected a value or ']'"),
	J("data after the value", "[1] x", 4, "unexpected data after JSON value"),
	J("two values", "{\"a\":1}}", 7, "unexpected data after JSON value"),
	J("empty document", "", 0, "expected a JSON value, found end of input"),
	J("whitespace only", " \n", 2, "expected a JSON value, found end of input"),
	J("byte order mark", "\xef\xbb\xbf{}", 0,
	  "byte order mark not allowed in JSON"),
	J("raw tab in string", "[\"a\tb\"]", 3,
	  "unescaped control character in string"),
	J("leading zero in member", "{\"a\":01}", 6, "leading zero in number"),
	J("NaN value", "[NaN]", 1, "expected a value or ']'"),
	J("member without value", "{\"a\":}", 5, "expected a value"),
	J("invalid UTF-8 in string", "[\"\xc3\x28\"]", 3,
	  "expected UTF-8 continuation byte"),
	J("single quotes", "'single'", 0, "expected a value"),
	J("double comma", "[1,,2]", 3, "expected a value"),
	J("minus without digits", "[-]", 2, "expected digit after '-'"),
	J("fraction without integer", "[.1]", 1, "expected a value or ']'"),
	J("comment", "//c\n1", 0, "expected a value"),
	J("hex number", "[0x10]", 2, "expected ',' or ']'"),
	{ .what = "depth bomb of arrays (60000 '[')", .type = AIOS_MSG_JSON,
	  .gen = 60000, .gen_kind = '[', .err = -EINVAL, .off = 64,
	  .reason = "JSON: nesting deeper than the depth limit at byte 64" },
	{ .what = "depth bomb of objects", .type = AIOS_MSG_JSON,
	  .gen = 5 * 100, .gen_kind = '{', .err = -EINVAL, .off = 320,
	  .reason = "JSON: nesting deeper than the depth limit at byte 320" },

	/* the envelope */
	{ .what = "unknown type 4", .type = 4, .in = "x", .len = 1,
	  .err = -EINVAL, .off = 0,
	  .reason = "unknown message type 4 (TEXT 0, NUMBER 1, JSON 2, BINARY 3)" },
	{ .what = "unknown type 0xffffffff", .type = 0xffffffffu, .in = "x",
	  .len = 1, .err = -EINVAL, .off = 0,
	  .reason = "unknown message type 4294967295 (TEXT 0, NUMBER 1, JSON 2, BINARY 3)" },
	{ .what = "empty intent", .type = AIOS_MSG_TEXT, .in = "hi", .len = 2,
	  .intent = "", .err = -EINVAL, .off = 0,
	  .reason = "intent must be 1-31 printable ASCII characters" },
	{ .what = "intent with a control character", .type = AIOS_MSG_TEXT,
	  .in = "hi", .len = 2, .intent = "re\tquest", .err = -EINVAL,
	  .reason = "intent must be 1-31 printable ASCII characters" },
	{ .what = "BINARY payload over ipc_max_payload", .type = AIOS_MSG_BINARY,
	  .gen = 65537, .gen_kind = 'b', .err = -EMSGSIZE,
	  .reason = "payload of 65537 bytes exceeds ipc_max_payload (65536 bytes)" },
	{ .what = "1 MiB TEXT payload", .type = AIOS_MSG_TEXT,
	  .gen = 1 << 20, .gen_kind = 'b', .err = -EMSGSIZE,
	  .reason = "payload of 1048576 bytes exceeds ipc_max_payload (65536 bytes)" },

	/* receivers */
	{ .what = "unknown agent", .type = AIOS_MSG_TEXT, .in = "hi", .len = 2,
	  .to = TO_UNKNOWN, .err = -ESRCH },
	{ .what = "agent id 0", .type = AIOS_MSG_TEXT, .in = "hi", .len = 2,
	  .to = TO_ZERO, .err = -ESRCH },
	{ .what = "agent that went away", .type = AIOS_MSG_TEXT, .in = "hi", .len = 2,
	  .to = TO_DEAD, .err = -ESRCH },
	{ .what = "group nobody joined", .type = AIOS_MSG_TEXT, .in = "hi",
	  .len = 2, .to = TO_GROUP_UNKNOWN, .err = -ESRCH },
	{ .what = "malformed JSON to an unknown agent", .type = AIOS_MSG_JSON,
	  .in = "[1,]", .len = 4, .to = TO_UNKNOWN, .err = -ESRCH },
};

/* the limits the table was written for (module defaults) */
static int read_param(const char *name, unsigned long *v)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/module/aios/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%lu", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

FIXTURE(types) {
	int snd, rcv, dead;	/* dead: closed at once */
	__u64 snd_id, rcv_id, dead_id;
	struct aios_nl nl;
	char *gen;
};

FIXTURE_SETUP(types)
{
	unsigned long payload = 0, depth = 0;

	if (read_param("ipc_max_payload", &payload) ||
	    read_param("ipc_json_max_depth", &depth))
		SKIP(return, "aios module parameters not readable");
	if (payload != 65536 || depth != 64)
		SKIP(return, "table written for ipc_max_payload=65536 ipc_json_max_depth=64");
	self->snd = aios_new_agent("ipc-types-sender", &self->snd_id);
	ASSERT_LE(0, self->snd);
	self->rcv = aios_new_agent("ipc-types-receiver", &self->rcv_id);
	ASSERT_LE(0, self->rcv);
	/* an agent whose file was closed: it is gone (ESRCH) */
	self->dead = aios_new_agent("ipc-types-dead", &self->dead_id);
	ASSERT_LE(0, self->dead);
	close(self->dead);
	self->dead = -1;
	ASSERT_EQ(0, aios_nl_open(&self->nl));
	self->gen = malloc((1 << 20) + 16);
	ASSERT_NE(NULL, self->gen);
}

FIXTURE_TEARDOWN(types)
{
	free(self->gen);
	aios_nl_close(&self->nl);
	close(self->snd);
	close(self->rcv);
}

static const void *payload_of(const struct bad_case *c, char *gen)
{
	size_t i;

	if (!c->gen)
		return c->in;
	switch (c->gen_kind) {
	case '[':
		memset(gen, '[', c->gen);
		break;
	case '{':
		for (i = 0; i + 5 <= c->gen; i += 5)
			memcpy(gen + i, "{\"a\":", 5);
		break;
	default:
		memset(gen, 'b', c->gen);
		break;
	}
	return gen;
}

TEST_F(types, bad_inputs_table)
{
	struct aios_msg_send out;
	struct aios_denial d;
	struct ipc_stats st;
	unsigned int rejected = 0, n = 0;
	struct ipc_msg *m;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		size_t len = c->gen ? c->gen : c->len;
		__u64 to = self->rcv_id;
		__u32 flags = AIOS_SEND_NONBLOCK;
		const char *group = NULL;
		int ret;

		switch (c->to) {
		case TO_RECEIVER:
			break;
		case TO_UNKNOWN:
			to = 1ULL << 62;
			break;
		case TO_ZERO:
			to = 0;
			break;
		case TO_DEAD:
			to = self->dead_id;
			break;
		case TO_GROUP_UNKNOWN:
			to = 0;
			flags |= AIOS_SEND_GROUP;
			group = "ipc-types-nobody";
			break;
		}
		ret = ipc_send_full(self->snd, flags, to, group, c->type,
				    payload_of(c, self->gen), len,
				    c->intent ? c->intent : "inform", 7, 0,
				    &out);
		n++;
		EXPECT_EQ(c->err, ret) {
			TH_LOG("case %zu (%s): got %d (%s)", i, c->what, ret,
			       strerror(-ret));
		}
		if (ret != c->err)
			continue;
		EXPECT_EQ(0, out.msg_id);
		EXPECT_EQ(0, out.delivered);
		if (c->err == -ESRCH)
			continue;
		rejected++;
		EXPECT_EQ(c->off, out.err_offset) {
			TH_LOG("case %zu (%s): err_offset %u", i, c->what,
			       out.err_offset);
		}
		ASSERT_EQ(0, aios_last_denial(self->snd, &d));
		EXPECT_EQ(AIOS_OP_MSG_SEND, d.op);
		EXPECT_EQ(c->err, d.error);
		EXPECT_NE(0, d.audit_seq);
		EXPECT_NE(0, d.op_id);
		if (c->reason)
			EXPECT_STREQ(c->reason, d.reason) {
				TH_LOG("case %zu (%s)", i, c->what);
			}
	}
	EXPECT_LE(60, n);
	TH_LOG("%u bad inputs, %u rejected with a reason", n, rejected);

	/* nothing got through, and the receiver counted every rejection */
	m = malloc(sizeof(*m));
	ASSERT_NE(NULL, m);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->rcv, m));
	free(m);
	ASSERT_EQ(0, ipc_nl_stats(&self->nl, self->rcv_id, &st, NULL, 0));
	EXPECT_EQ(0, st.received);
	EXPECT_EQ(0, st.count);
	EXPECT_EQ(rejected, st.rejected);
	ASSERT_EQ(0, ipc_nl_stats(&self->nl, self->snd_id, &st, NULL, 0));
	EXPECT_EQ(0, st.sent);
}

/* The same validators accept what they should, through the same path. */
TEST_F(types, good_inputs_pass)
{
#define OK(t, s)	{ AIOS_MSG_##t, s, sizeof(s) - 1 }
	static const struct { __u32 type; const char *in; size_t len; } ok[] = {
		OK(TEXT, ""),
		OK(TEXT, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"),
		OK(TEXT, "\xef\xbb\xbf" "a BOM is an ordinary character in text"),
		OK(NUMBER, "0"),
		OK(NUMBER, "-0.5e+10"),
		OK(NUMBER, "123456789012345678901234567890"),
		OK(JSON, "{\"a\":[1,2,{\"b\":null}],\"c\":\"\\ud83d\\ude00\"}"),
		OK(JSON, " \"\\u0000\" "),
		OK(JSON, "true"),
		OK(BINARY, "\0\xff\xfe\x80"),
		OK(BINARY, ""),
	};
#undef OK
	struct ipc_msg *m = malloc(sizeof(*m));
	struct aios_msg_send out;
	char *deep;

	ASSERT_NE(NULL, m);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		EXPECT_EQ(0, ipc_send_full(self->snd, AIOS_SEND_NONBLOCK,
					   self->rcv_id, NULL, ok[i].type,
					   ok[i].in, ok[i].len, "inform", 0, 0,
					   &out)) {
			TH_LOG("good case %zu", i);
		}
		ASSERT_EQ(0, ipc_recv(self->rcv, m));
		EXPECT_EQ(ok[i].type, m->r.type);
		EXPECT_EQ(ok[i].len, m->r.payload_len);
		EXPECT_EQ(0, memcmp(ok[i].in, m->buf, ok[i].len));
	}

	/* exactly at the depth limit: 64 '[' then 64 ']' */
	deep = malloc(128);
	ASSERT_NE(NULL, deep);
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	EXPECT_EQ(0, ipc_send_full(self->snd, AIOS_SEND_NONBLOCK, self->rcv_id,
				   NULL, AIOS_MSG_JSON, deep, 128, "inform", 0,
				   0, NULL));
	free(deep);

	/* exactly at the payload limit */
	memset(self->gen, 'a', 65536);
	EXPECT_EQ(0, ipc_send_full(self->snd, AIOS_SEND_NONBLOCK, self->rcv_id,
				   NULL, AIOS_MSG_TEXT, self->gen, 65536,
				   "inform", 0, 0, NULL));
	free(m);
}

TEST_HARNESS_MAIN
