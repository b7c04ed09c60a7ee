// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for kmod/ipc_validate.c: the payload type checks the
 * kernel runs on every typed IPC message.
 *
 * The tables hold JSONTestSuite-style y_/n_ cases, Markus Kuhn style UTF-8
 * cases and number literals; each entry asserts the verdict and, for a
 * rejection, the exact byte offset and reason a user would get back.  The
 * remaining tests sweep positions (truncation at every byte, a bad byte at
 * every offset of a long run, depth limits) and compare TEXT against an
 * independent arithmetic UTF-8 decoder over every 1-, 2- and 3-byte
 * string.
 *
 * Copyright (C) 2026 The aios authors
 */
#include "aios_kshim.h"
#include "ipc_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

struct vcase {
	u32 type;
	const char *in;
	size_t len;
	int ret;
	size_t off;
	const char *why;
};

/* s must be a string literal: sizeof keeps embedded NUL bytes */
#define Y(t, s)		{ AIOS_MSG_##t, s, sizeof(s) - 1, 0, 0, NULL }
#define N(t, s, o, w)	{ AIOS_MSG_##t, s, sizeof(s) - 1, -EINVAL, o, w }

#define E_VAL	"expected a value"
#define E_VALA	"expected a value or ']'"
#define E_EOF	"expected a JSON value, found end of input"
#define E_ARR	"expected ',' or ']'"
#define E_OBJ	"expected ',' or '}'"
#define E_UTA	"unterminated array"
#define E_UTO	"unterminated object"
#define E_UTS	"unterminated string"
#define E_AFTER	"unexpected data after JSON value"
#define E_LZ	"leading zero in number"
#define E_MINUS	"expected digit after '-'"
#define E_DOT	"expected digit after '.'"
#define E_EXP	"expected digit in exponent"
#define E_ESC	"invalid escape sequence"
#define E_HEX	"expected 4 hex digits after \\u"
#define E_HIGH	"lone high surrogate escape"
#define E_LOW	"lone low surrogate escape"
#define E_PAIR	"expected low surrogate escape"
#define E_CTRL	"unescaped control character in string"
#define E_CONT	"unexpected UTF-8 continuation byte"
#define E_NCONT	"expected UTF-8 continuation byte"
#define E_TRUNC	"truncated UTF-8 sequence"
#define E_C0C1	"overlong UTF-8 encoding (lead byte 0xC0/0xC1)"
#define E_OVER	"overlong UTF-8 encoding"
#define E_SURR	"UTF-8 encoded surrogate (U+D800..U+DFFF)"
#define E_BIG	"UTF-8 code point above U+10FFFF"
#define E_56	"5- or 6-byte UTF-8 sequence"
#define E_FEFF	"invalid byte 0xFE/0xFF in UTF-8"
#define E_NUL	"NUL byte in text"
#define E_WS	"whitespace around number"
#define E_NDIG	"expected '-' or digit"
#define E_NAFT	"unexpected character after number"

static const struct vcase json_table[] = {
	/* y_: accepted documents */
	Y(JSON, "[]"),
	Y(JSON, "{}"),
	Y(JSON, "[[]]"),
	Y(JSON, "[[[[[]]]]]"),
	Y(JSON, "\"\""),
	Y(JSON, "\"x\""),
	Y(JSON, "0"),
	Y(JSON, "-0"),
	Y(JSON, "123"),
	Y(JSON, "-1.5e10"),
	Y(JSON, "1E+2"),
	Y(JSON, "1e-2"),
	Y(JSON, "0.0"),
	Y(JSON, "0e0"),
	Y(JSON, "true"),
	Y(JSON, "false"),
	Y(JSON, "null"),
	Y(JSON, " [ 1 , 2 ] "),
	Y(JSON, "\t\r\n[\n]\n"),
	Y(JSON, " 1 "),
	Y(JSON, "{\"a\":1}"),
	Y(JSON, "{ \"a\" : 1 , \"b\" : [ ] }"),
	Y(JSON, "{\"a\":{\"b\":[1,\"x\",null,true,false,{}]}}"),
	Y(JSON, "{\"\":0}"),
	Y(JSON, "{\"a\":1,\"a\":2}"),
	Y(JSON, "[\"\\u0000\"]"),
	Y(JSON, "[\"\\uD834\\uDD1E\"]"),
	Y(JSON, "[\"\\ud834\\udd1e\"]"),
	Y(JSON, "[\"\\uDBFF\\uDFFF\"]"),
	Y(JSON, "[\"\\u00e9\\u20AC\\uFFFF\\uFEFF\"]"),
	Y(JSON, "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"),
	Y(JSON, "\"\\\\u0041\""),
	Y(JSON, "[\"\xc3\xa9\"]"),
	Y(JSON, "[\"\xf0\x9f\x98\x80\"]"),
	Y(JSON, "[\"\xf4\x8f\xbf\xbf\"]"),
	Y(JSON, "[\"\xef\xbb\xbf\"]"),
	Y(JSON, "[\"\x7f\"]"),
	Y(JSON, "123456789012345678901234567890123456789"),
	Y(JSON, "[1e999999999]"),
	Y(JSON, "[-0.0000000000000000000000000001e-400]"),
	Y(JSON, "[0,1,2,-3,4.5,6e7,8E-9]"),
	Y(JSON, "{\"a\":[],\"b\":{},\"c\":\"\"}"),
	Y(JSON, "[\"a\",[\"b\",{\"c\":[\"d\"]}]]"),
	Y(JSON, "[\"/*\",\"//\"]"),
	Y(JSON, "\"\\/\""),
	Y(JSON, "[true,false,null]"),

	/* n_: empty input, whitespace, garbage */
	N(JSON, "", 0, E_EOF),
	N(JSON, "   ", 3, E_EOF),
	N(JSON, "\n\t\r ", 4, E_EOF),
	N(JSON, "\x0c[]", 0, E_VAL),
	N(JSON, "\xc2\xa0[]", 0, E_VAL),
	N(JSON, "\xef\xbb\xbf[]", 0, "byte order mark not allowed in JSON"),
	N(JSON, "\xef\xbb\xbf", 0, "byte order mark not allowed in JSON"),
	N(JSON, "\xef\xbb[]", 0, E_VAL),
	N(JSON, "\x00", 0, E_VAL),
	N(JSON, "[1]\x00", 3, E_AFTER),
	N(JSON, "[\xc3\xa9]", 1, E_VALA),
	N(JSON, "/* c */ []", 0, E_VAL),
	N(JSON, "[1]//", 3, E_AFTER),
	N(JSON, "'a'", 0, E_VAL),
	N(JSON, "]", 0, E_VAL),
	N(JSON, "}", 0, E_VAL),
	N(JSON, ":", 0, E_VAL),
	N(JSON, ",", 0, E_VAL),

	/* structure */
	N(JSON, "[1,]", 3, "trailing comma before ']'"),
	N(JSON, "[1,2,3,]", 7, "trailing comma before ']'"),
	N(JSON, "{\"a\":1,}", 7, "trailing comma before '}'"),
	N(JSON, "[,1]", 1, E_VALA),
	N(JSON, "[,]", 1, E_VALA),
	N(JSON, "[1,,2]", 3, E_VAL),
	N(JSON, "{,}", 1, "expected string key or '}'"),
	N(JSON, "[1 2]", 3, E_ARR),
	N(JSON, "[1 ,2 3]", 6, E_ARR),
	N(JSON, "{\"a\" 1}", 5, "expected ':' after object key"),
	N(JSON, "{\"a\":1,\"b\"}", 10, "expected ':' after object key"),
	N(JSON, "{\"a\":1 \"b\":2}", 7, E_OBJ),
	N(JSON, "{1:2}", 1, "expected string key or '}'"),
	N(JSON, "{'a':1}", 1, "expected string key or '}'"),
	N(JSON, "{a:1}", 1, "expected string key or '}'"),
	N(JSON, "{\"a\":1,b:2}", 7, "expected string key"),
	N(JSON, "{:1}", 1, "expected string key or '}'"),
	N(JSON, "{\"a\":}", 5, E_VAL),
	N(JSON, "{\"a\"::1}", 5, E_VAL),
	N(JSON, "['a']", 1, E_VALA),
	N(JSON, "[}", 1, E_VALA),
	N(JSON, "{]", 1, "expected string key or '}'"),
	N(JSON, "[1}", 2, E_ARR),
	N(JSON, "{\"a\":1]", 6, E_OBJ),
	N(JSON, "[[1]}", 4, E_ARR),
	N(JSON, "[1]]", 3, E_AFTER),
	N(JSON, "{\"a\":1}}", 7, E_AFTER),
	N(JSON, "[1] x", 4, E_AFTER),
	N(JSON, "1 2", 2, E_AFTER),
	N(JSON, "[][]", 2, E_AFTER),
	N(JSON, "\"a\" \"b\"", 4, E_AFTER),
	N(JSON, "[", 1, E_UTA),
	N(JSON, "[1", 2, E_UTA),
	N(JSON, "[1,", 3, E_UTA),
	N(JSON, "[[]", 3, E_UTA),
	N(JSON, "[{}", 3, E_UTA),
	N(JSON, "{", 1, E_UTO),
	N(JSON, "{\"a\"", 4, E_UTO),
	N(JSON, "{\"a\":", 5, E_UTO),
	N(JSON, "{\"a\":1", 6, E_UTO),
	N(JSON, "{\"a\":1,", 7, E_UTO),
	N(JSON, "{\"a\":[]", 7, E_UTO),
	N(JSON, "{\"a\":[", 6, E_UTA),

	/* numbers inside JSON */
	N(JSON, "[01]", 2, E_LZ),
	N(JSON, "-01", 2, E_LZ),
	N(JSON, "00", 1, E_LZ),
	N(JSON, "[-00.5]", 3, E_LZ),
	N(JSON, "[-]", 2, E_MINUS),
	N(JSON, "-", 1, E_MINUS),
	N(JSON, "[--1]", 2, E_MINUS),
	N(JSON, "[-Infinity]", 2, E_MINUS),
	N(JSON, "[1.]", 3, E_DOT),
	N(JSON, "1.", 2, E_DOT),
	N(JSON, "[1.e5]", 3, E_DOT),
	N(JSON, "[.5]", 1, E_VALA),
	N(JSON, "[1e]", 3, E_EXP),
	N(JSON, "[1e+]", 4, E_EXP),
	N(JSON, "[1e-]", 4, E_EXP),
	N(JSON, "[1E+-2]", 4, E_EXP),
	N(JSON, "1e", 2, E_EXP),
	N(JSON, "[1ee2]", 3, E_EXP),
	N(JSON, "[+1]", 1, E_VALA),
	N(JSON, "[NaN]", 1, E_VALA),
	N(JSON, "[Infinity]", 1, E_VALA),
	N(JSON, "[0x10]", 2, E_ARR),
	N(JSON, "[1.5.3]", 4, E_ARR),
	N(JSON, "[1e5.0]", 4, E_ARR),
	N(JSON, "[1_000]", 2, E_ARR),

	/* literals */
	N(JSON, "[tru]", 4, "invalid literal, expected true"),
	N(JSON, "tru", 3, "invalid literal, expected true"),
	N(JSON, "[True]", 1, E_VALA),
	N(JSON, "[nul]", 4, "invalid literal, expected null"),
	N(JSON, "[nulll]", 5, E_ARR),
	N(JSON, "[fals", 5, "invalid literal, expected false"),
	N(JSON, "[falsy]", 5, "invalid literal, expected false"),
	N(JSON, "truefalse", 4, E_AFTER),
	N(JSON, "nil", 1, "invalid literal, expected null"),

	/* strings and escapes */
	N(JSON, "\"", 1, E_UTS),
	N(JSON, "\"abc", 4, E_UTS),
	N(JSON, "[\"a", 3, E_UTS),
	N(JSON, "[\"a]", 4, E_UTS),
	N(JSON, "[\"\\\\\\\"]", 7, E_UTS),
	N(JSON, "\"\\", 2, E_UTS),
	N(JSON, "\"\\u", 3, E_UTS),
	N(JSON, "\"\\u12", 5, E_UTS),
	N(JSON, "\"\\uD800", 7, E_UTS),
	N(JSON, "\"\\uD800\\", 8, E_UTS),
	N(JSON, "\"\\uD800\\uDC0", 12, E_UTS),
	N(JSON, "[\"\\x\"]", 2, E_ESC),
	N(JSON, "[\"\\a\"]", 2, E_ESC),
	N(JSON, "[\"\\'\"]", 2, E_ESC),
	N(JSON, "[\"\\U0041\"]", 2, E_ESC),
	N(JSON, "[\"\\0\"]", 2, E_ESC),
	N(JSON, "[\"ab\\\xc3\xa9\"]", 4, E_ESC),
	N(JSON, "[\"\\u12\"]", 2, E_HEX),
	N(JSON, "[\"\\u12G4\"]", 2, E_HEX),
	N(JSON, "[\"\\u-123\"]", 2, E_HEX),
	N(JSON, "[\"\\uD800\"]", 2, E_HIGH),
	N(JSON, "[\"\\uDBFFx\"]", 2, E_HIGH),
	N(JSON, "[\"\\uD800\\n\"]", 2, E_HIGH),
	N(JSON, "[\"a\\uD83D\\\\uDE00\"]", 3, E_HIGH),
	N(JSON, "[\"\\uDC00\"]", 2, E_LOW),
	N(JSON, "[\"\\uDFFF\\uD800\"]", 2, E_LOW),
	N(JSON, "[\"\\uD800\\uD800\"]", 8, E_PAIR),
	N(JSON, "[\"\\uD800\\u0041\"]", 8, E_PAIR),
	N(JSON, "[\"\\uD800\\uE000\"]", 8, E_PAIR),
	N(JSON, "[\"\\uD800\\u12\"]", 8, E_HEX),
	N(JSON, "{\"\\uDC00\":1}", 2, E_LOW),
	N(JSON, "[\"a\tb\"]", 3, E_CTRL),
	N(JSON, "[\"a\nb\"]", 3, E_CTRL),
	N(JSON, "[\"\x01\"]", 2, E_CTRL),
	N(JSON, "[\"\x1f\"]", 2, E_CTRL),
	N(JSON, "[\"\x00\"]", 2, E_CTRL),
	N(JSON, "{\"a\x00\":1}", 3, E_CTRL),

	/* invalid UTF-8 inside JSON strings */
	N(JSON, "[\"\xc0\xaf\"]", 2, E_C0C1),
	N(JSON, "[\"\xe0\x80\xaf\"]", 3, E_OVER),
	N(JSON, "[\"\xed\xa0\x80\"]", 3, E_SURR),
	N(JSON, "[\"\xf4\x90\x80\x80\"]", 3, E_BIG),
	N(JSON, "[\"\x80\"]", 2, E_CONT),
	N(JSON, "[\"\xc3\"]", 3, E_NCONT),
	N(JSON, "[\"\xc3", 3, E_TRUNC),
	N(JSON, "[\"\xff\"]", 2, E_FEFF),
	N(JSON, "{\"k\xe2\x82\":0}", 5, E_NCONT),
};

static const struct vcase text_table[] = {
	Y(TEXT, ""),
	Y(TEXT, "hello, world"),
	Y(TEXT, "tab\there\r\nand \x01\x1f\x7f controls"),
	Y(TEXT, "\xc2\x80"),			/* U+0080 */
	Y(TEXT, "\xdf\xbf"),			/* U+07FF */
	Y(TEXT, "\xe0\xa0\x80"),		/* U+0800 */
	Y(TEXT, "\xed\x9f\xbf"),		/* U+D7FF */
	Y(TEXT, "\xee\x80\x80"),		/* U+E000 */
	Y(TEXT, "\xef\xbf\xbd"),		/* U+FFFD */
	Y(TEXT, "\xef\xbf\xbf"),		/* U+FFFF */
	Y(TEXT, "\xef\xbf\xbe"),		/* U+FFFE, a noncharacter */
	Y(TEXT, "\xf0\x90\x80\x80"),		/* U+10000 */
	Y(TEXT, "\xf4\x8f\xbf\xbf"),		/* U+10FFFF */
	Y(TEXT, "\xef\xbb\xbf" "BOM is a character in text"),
	Y(TEXT, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	Y(TEXT, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),

	/* NUL */
	N(TEXT, "\x00", 0, E_NUL),
	N(TEXT, "a\x00" "b", 1, E_NUL),
	N(TEXT, "\xc3\xa9\x00", 2, E_NUL),
	N(TEXT, "0123456789abcdef\x00", 16, E_NUL),

	/* stray continuation bytes */
	N(TEXT, "\x80", 0, E_CONT),
	N(TEXT, "\xbf", 0, E_CONT),
	N(TEXT, "\x80\xbf", 0, E_CONT),
	N(TEXT, "a\x80", 1, E_CONT),
	N(TEXT, "\xc3\xa9\xa9", 2, E_CONT),
	N(TEXT, "\xe2\x82\xac\x80", 3, E_CONT),

	/* overlong '/' and overlong maxima (Kuhn 4.1, 4.2) */
	N(TEXT, "\xc0\xaf", 0, E_C0C1),
	N(TEXT, "\xe0\x80\xaf", 1, E_OVER),
	N(TEXT, "\xf0\x80\x80\xaf", 1, E_OVER),
	N(TEXT, "\xf8\x80\x80\x80\xaf", 0, E_56),
	N(TEXT, "\xfc\x80\x80\x80\x80\xaf", 0, E_56),
	N(TEXT, "\xc1\xbf", 0, E_C0C1),
	N(TEXT, "\xe0\x9f\xbf", 1, E_OVER),
	N(TEXT, "\xf0\x8f\xbf\xbf", 1, E_OVER),
	N(TEXT, "\xf8\x87\xbf\xbf\xbf", 0, E_56),
	N(TEXT, "\xfc\x83\xbf\xbf\xbf\xbf", 0, E_56),
	N(TEXT, "\xc0\x80", 0, E_C0C1),		/* overlong NUL */
	N(TEXT, "\xe0\x80\x80", 1, E_OVER),

	/* surrogates encoded in UTF-8 (Kuhn 5.1, 5.2) */
	N(TEXT, "\xed\xa0\x80", 1, E_SURR),
	N(TEXT, "\xed\xad\xbf", 1, E_SURR),
	N(TEXT, "\xed\xae\x80", 1, E_SURR),
	N(TEXT, "\xed\xaf\xbf", 1, E_SURR),
	N(TEXT, "\xed\xb0\x80", 1, E_SURR),
	N(TEXT, "\xed\xbe\x80", 1, E_SURR),
	N(TEXT, "\xed\xbf\xbf", 1, E_SURR),
	N(TEXT, "ab\xed\xa0\x80\xed\xb0\x80", 3, E_SURR),

	/* beyond U+10FFFF, 5- and 6-byte forms, 0xFE/0xFF */
	N(TEXT, "\xf4\x90\x80\x80", 1, E_BIG),
	N(TEXT, "\xf4\xbf\xbf\xbf", 1, E_BIG),
	N(TEXT, "\xf5\x80\x80\x80", 0, E_BIG),
	N(TEXT, "\xf7\xbf\xbf\xbf", 0, E_BIG),
	N(TEXT, "\xf8\x88\x80\x80\x80", 0, E_56),
	N(TEXT, "\xfb\xbf\xbf\xbf\xbf", 0, E_56),
	N(TEXT, "\xfc\x84\x80\x80\x80\x80", 0, E_56),
	N(TEXT, "\xfd\xbf\xbf\xbf\xbf\xbf", 0, E_56),
	N(TEXT, "\xfe", 0, E_FEFF),
	N(TEXT, "\xff", 0, E_FEFF),
	N(TEXT, "\xfe\xfe\xff\xff", 0, E_FEFF),

	/* lonely start bytes and truncated sequences (Kuhn 3.2, 3.3) */
	N(TEXT, "\xc3 ", 1, E_NCONT),
	N(TEXT, "\xe2 ", 1, E_NCONT),
	N(TEXT, "\xe2\x82 ", 2, E_NCONT),
	N(TEXT, "\xf0\x9f ", 2, E_NCONT),
	N(TEXT, "\xf0\x9f\x98 ", 3, E_NCONT),
	N(TEXT, "\xc3\xc3\xa9", 1, E_NCONT),
	N(TEXT, "\xc3", 1, E_TRUNC),
	N(TEXT, "\xe2\x82", 2, E_TRUNC),
	N(TEXT, "\xf0\x9f\x98", 3, E_TRUNC),
	N(TEXT, "abc\xf4", 4, E_TRUNC),
};

static const struct vcase number_table[] = {
	Y(NUMBER, "0"),
	Y(NUMBER, "-0"),
	Y(NUMBER, "7"),
	Y(NUMBER, "-1"),
	Y(NUMBER, "10"),
	Y(NUMBER, "1.0"),
	Y(NUMBER, "0.5"),
	Y(NUMBER, "-0.5"),
	Y(NUMBER, "1e5"),
	Y(NUMBER, "1E5"),
	Y(NUMBER, "1e+5"),
	Y(NUMBER, "1e-5"),
	Y(NUMBER, "1.5E-10"),
	Y(NUMBER, "0e0"),
	Y(NUMBER, "-0.0e-0"),
	Y(NUMBER, "1e007"),
	Y(NUMBER, "123456789012345678901234567890123"),
	Y(NUMBER, "9007199254740993"),
	Y(NUMBER, "1e999999999"),
	Y(NUMBER, "-1e-999999999"),

	N(NUMBER, "", 0, "expected a number, found end of input"),
	N(NUMBER, " 1", 0, E_WS),
	N(NUMBER, "1 ", 1, E_WS),
	N(NUMBER, "1\n", 1, E_WS),
	N(NUMBER, "\t1", 0, E_WS),
	N(NUMBER, "+1", 0, "'+' sign not allowed in number"),
	N(NUMBER, "01", 1, E_LZ),
	N(NUMBER, "-01", 2, E_LZ),
	N(NUMBER, "00", 1, E_LZ),
	N(NUMBER, "-", 1, E_MINUS),
	N(NUMBER, "-a", 1, E_MINUS),
	N(NUMBER, "--1", 1, E_MINUS),
	N(NUMBER, "-+1", 1, E_MINUS),
	N(NUMBER, "-Infinity", 1, E_MINUS),
	N(NUMBER, ".5", 0, E_NDIG),
	N(NUMBER, "1.", 2, E_DOT),
	N(NUMBER, "1.e5", 2, E_DOT),
	N(NUMBER, "1e", 2, E_EXP),
	N(NUMBER, "1e+", 3, E_EXP),
	N(NUMBER, "1ee5", 2, E_EXP),
	N(NUMBER, "NaN", 0, "NaN and Infinity are not numbers"),
	N(NUMBER, "Infinity", 0, "NaN and Infinity are not numbers"),
	N(NUMBER, "nan", 0, E_NDIG),
	N(NUMBER, "0x1F", 1, "hexadecimal numbers not allowed"),
	N(NUMBER, "-0X1", 2, "hexadecimal numbers not allowed"),
	N(NUMBER, "10x", 2, E_NAFT),
	N(NUMBER, "1,5", 1, E_NAFT),
	N(NUMBER, "1.5.5", 3, E_NAFT),
	N(NUMBER, "1e5.0", 3, E_NAFT),
	N(NUMBER, "1_000", 1, E_NAFT),
	N(NUMBER, "1\x00", 1, E_NAFT),
	N(NUMBER, "\"1\"", 0, E_NDIG),
	N(NUMBER, "true", 0, E_NDIG),
	N(NUMBER, "[1]", 0, E_NDIG),
	N(NUMBER, "\xef\xbc\x91", 0, E_NDIG),	/* fullwidth digit one */
};

/* printable rendering of a test input for failure messages */
static const char *show(const char *in, size_t len)
{
	static char buf[256];
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < sizeof(buf); i++) {
		unsigned char c = in[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = c;
		else
			o += snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

static const char *type_name(u32 type)
{
	static const char * const names[] = { "TEXT", "NUMBER", "JSON", "BINARY" };

	return type < 4 ? names[type] : "?";
}

/* run one case; on mismatch log it and return 1 */
static int run_case(struct __test_metadata *_metadata, const struct vcase *c)
{
	struct aios_validate_err e = { .offset = 12345, .reason = NULL };
	/* an exact-size heap copy, so ASan (SAN=1) sees any over-read */
	u8 *in = malloc(c->len ? c->len : 1);
	int ret;

	if (!in)
		return 1;
	memcpy(in, c->in, c->len);
	ret = aios_validate(c->type, in, c->len, 0, &e);
	free(in);

	if (ret != c->ret) {
		TH_LOG("%s \"%s\": returned %d, expected %d (%zu: %s)",
		       type_name(c->type), show(c->in, c->len), ret, c->ret,
		       e.offset, e.reason ? e.reason : "-");
		return 1;
	}
	if (ret == 0)
		return 0;
	if (e.offset != c->off || !e.reason || strcmp(e.reason, c->why)) {
		TH_LOG("%s \"%s\": got offset %zu \"%s\", expected %zu \"%s\"",
		       type_name(c->type), show(c->in, c->len), e.offset,
		       e.reason ? e.reason : "(null)", c->off, c->why);
		return 1;
	}
	if (strlen(e.reason) >= 80) {
		TH_LOG("reason too long for denial text: \"%s\"", e.reason);
		return 1;
	}
	return 0;
}

static int run_table(struct __test_metadata *_metadata,
		     const struct vcase *t, size_t n)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bad += run_case(_metadata, &t[i]);
	return bad;
}

#define RUN_TABLE(t)	run_table(_metadata, t, sizeof(t) / sizeof((t)[0]))

TEST(json_cases)
{
	ASSERT_EQ(0, RUN_TABLE(json_table));
}

TEST(text_cases)
{
	ASSERT_EQ(0, RUN_TABLE(text_table));
}

TEST(number_cases)
{
	ASSERT_EQ(0, RUN_TABLE(number_table));
}

/* every NUMBER case means the same inside a JSON array, shifted by one */
TEST(numbers_agree_inside_json)
{
	size_t i, n = sizeof(number_table) / sizeof(number_table[0]);
	struct aios_validate_err e;
	char buf[64];

	for (i = 0; i < n; i++) {
		const struct vcase *c = &number_table[i];
		int ret;

		if (c->ret == 0) {
			ret = aios_validate_json((const u8 *)c->in, c->len, 0, &e);
			EXPECT_EQ(0, ret) TH_LOG("JSON %s", show(c->in, c->len));
		}
		/* strict number errors: a JSON array reports the same spot */
		if (c->ret && c->why && !strncmp(c->why, "expected digit", 14)) {
			buf[0] = '[';
			memcpy(buf + 1, c->in, c->len);
			buf[c->len + 1] = ']';
			ret = aios_validate_json((const u8 *)buf, c->len + 2, 0, &e);
			ASSERT_EQ(-EINVAL, ret);
			/* an error at the end of the number hits the ']' */
			EXPECT_EQ((size_t)(c->off + 1), e.offset) TH_LOG("%s", show(buf, c->len + 2));
			EXPECT_STREQ(c->why, e.reason);
		}
	}
}

TEST(binary_accepts_anything)
{
	static const u8 junk[] = { 0x00, 0xff, 0xc0, 0x80, '[', '"', 0xed, 0xa0 };
	struct aios_validate_err e = { 0 };

	EXPECT_EQ(0, aios_validate(AIOS_MSG_BINARY, junk, sizeof(junk), 0, &e));
	EXPECT_EQ(0, aios_validate(AIOS_MSG_BINARY, NULL, 0, 0, &e));
	EXPECT_EQ(0, aios_validate(AIOS_MSG_BINARY, junk, sizeof(junk), 999999, NULL));
	EXPECT_NULL(e.reason);
}

TEST(unknown_type_rejected)
{
	static const u32 types[] = { AIOS_MSG_TYPE_MAX + 1, 16, 0xffffffffu };
	struct aios_validate_err e;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		e.offset = 99;
		e.reason = NULL;
		EXPECT_EQ(-EINVAL, aios_validate(types[i], (const u8 *)"1", 1, 0, &e));
		EXPECT_EQ((size_t)(0), e.offset);
		EXPECT_STREQ("unknown message type", e.reason);
	}
}

TEST(null_err_and_empty_payloads)
{
	EXPECT_EQ(0, aios_validate(AIOS_MSG_TEXT, NULL, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, aios_validate(AIOS_MSG_NUMBER, NULL, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, aios_validate(AIOS_MSG_JSON, NULL, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, aios_validate(AIOS_MSG_JSON, (const u8 *)"[1,]", 4, 0, NULL));
	EXPECT_EQ(0, aios_validate(AIOS_MSG_JSON, (const u8 *)"[1]", 3, 0, NULL));
}

/* "[[[...]]]" with n levels into a fresh buffer */
static u8 *nested(size_t n, size_t *len)
{
	u8 *b = malloc(2 * n + 1);
	size_t i;

	if (!b)
		return NULL;
	for (i = 0; i < n; i++) {
		b[i] = '[';
		b[2 * n - 1 - i] = ']';
	}
	*len = 2 * n;
	return b;
}

static int json_rc(const u8 *b, size_t len, u32 max_depth,
		   struct aios_validate_err *e)
{
	return aios_validate(AIOS_MSG_JSON, b, len, max_depth, e);
}

TEST(depth_limit_default_64)
{
	struct aios_validate_err e;
	size_t len;
	u8 *b;

	b = nested(64, &len);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(0, json_rc(b, len, 0, &e));
	free(b);

	b = nested(65, &len);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(-EINVAL, json_rc(b, len, 0, &e));
	EXPECT_EQ((size_t)(64), e.offset);
	EXPECT_STREQ("nesting deeper than the depth limit", e.reason);
	free(b);
}

TEST(depth_limit_parameter)
{
	struct aios_validate_err e;
	size_t len;
	u8 *b;

	EXPECT_EQ(0, json_rc((const u8 *)"[]", 2, 1, &e));
	EXPECT_EQ(0, json_rc((const u8 *)"1", 1, 1, &e));
	ASSERT_EQ(-EINVAL, json_rc((const u8 *)"[[]]", 4, 1, &e));
	EXPECT_EQ((size_t)(1), e.offset);
	ASSERT_EQ(-EINVAL, json_rc((const u8 *)"{\"a\":{}}", 8, 1, &e));
	EXPECT_EQ((size_t)(5), e.offset);
	/* siblings do not add up */
	EXPECT_EQ(0, json_rc((const u8 *)"[[],[],{\"a\":[]}]", 16, 3, &e));
	ASSERT_EQ(-EINVAL, json_rc((const u8 *)"[[],[],{\"a\":[]}]", 16, 2, &e));
	EXPECT_EQ((size_t)12, e.offset);

	b = nested(AIOS_VALIDATE_DEPTH_MAX, &len);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(0, json_rc(b, len, AIOS_VALIDATE_DEPTH_MAX, &e));
	ASSERT_EQ(-EINVAL, json_rc(b, len, AIOS_VALIDATE_DEPTH_MAX - 1, &e));
	EXPECT_EQ((size_t)(AIOS_VALIDATE_DEPTH_MAX - 1), e.offset);
	/* out-of-range limits are refused, not clamped */
	ASSERT_EQ(-EINVAL, json_rc(b, len, AIOS_VALIDATE_DEPTH_MAX + 1, &e));
	EXPECT_EQ((size_t)(0), e.offset);
	EXPECT_STREQ("JSON depth limit out of range", e.reason);
	ASSERT_EQ(-EINVAL, json_rc((const u8 *)"1", 1, 0xffffffffu, &e));
	free(b);
}

TEST(depth_bomb_10000)
{
	static const char obj[] = "{\"a\":";
	struct aios_validate_err e;
	size_t i, len;
	u8 *b;

	b = nested(10000, &len);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(-EINVAL, json_rc(b, len, 0, &e));
	EXPECT_EQ((size_t)(64), e.offset);
	ASSERT_EQ(-EINVAL, json_rc(b, len, AIOS_VALIDATE_DEPTH_MAX, &e));
	EXPECT_EQ((size_t)(AIOS_VALIDATE_DEPTH_MAX), e.offset);
	/* unterminated bomb: the depth error comes first */
	ASSERT_EQ(-EINVAL, json_rc(b, 10000, 0, &e));
	EXPECT_EQ((size_t)(64), e.offset);
	free(b);

	b = malloc(10000 * 5);
	ASSERT_NE(NULL, b);
	for (i = 0; i < 10000; i++)
		memcpy(b + 5 * i, obj, 5);
	ASSERT_EQ(-EINVAL, json_rc(b, 10000 * 5, 0, &e));
	EXPECT_EQ((size_t)(64 * 5), e.offset);
	EXPECT_STREQ("nesting deeper than the depth limit", e.reason);
	free(b);
}

/*
 * Alternate arrays and objects 300 levels deep, so the container-kind
 * bitset crosses several word boundaries; then swap one closer at each
 * level and check the mismatch is reported exactly there.
 */
TEST(deep_mixed_nesting_closers)
{
	enum { D = 300 };
	struct aios_validate_err e;
	static u8 b[D * 5 + D + 8];
	size_t closer[D], len, i, k;

	for (k = 0; k < 2; k++) {
		len = 0;
		for (i = 0; i < D; i++) {
			if ((i + k) % 2) {
				memcpy(b + len, "{\"k\":", 5);
				len += 5;
			} else {
				b[len++] = '[';
			}
		}
		b[len++] = '0';
		for (i = D; i-- > 0;) {
			closer[i] = len;
			b[len++] = (i + k) % 2 ? '}' : ']';
		}
		ASSERT_EQ(0, json_rc(b, len, 512, &e));
		ASSERT_EQ(-EINVAL, json_rc(b, len, D - 1, &e));

		for (i = 0; i < D; i++) {
			u8 saved = b[closer[i]];

			b[closer[i]] = saved == ']' ? '}' : ']';
			ASSERT_EQ(-EINVAL, json_rc(b, len, 512, &e));
			EXPECT_EQ((size_t)(closer[i]), e.offset);
			EXPECT_STREQ(saved == ']' ? "expected ',' or ']'" :
				     "expected ',' or '}'", e.reason);
			b[closer[i]] = saved;
		}
	}
}

/* valid UTF-8 sequences of each length, used for truncation sweeps */
static const char *const seqs[] = {
	"\xc2\x80", "\xdf\xbf", "\xc3\xa9",
	"\xe0\xa0\x80", "\xe2\x82\xac", "\xed\x9f\xbf", "\xef\xbf\xbf",
	"\xf0\x90\x80\x80", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
};

TEST(utf8_truncated_at_every_position)
{
	struct aios_validate_err e;
	u8 b[16];
	size_t i, k, n;

	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		n = strlen(seqs[i]);
		/* the whole sequence is fine in TEXT and in a JSON string */
		ASSERT_EQ(0, aios_validate_text((const u8 *)seqs[i], n, &e));
		for (k = 1; k < n; k++) {
			/* prefix at the end of the payload */
			memcpy(b, "ab", 2);
			memcpy(b + 2, seqs[i], k);
			ASSERT_EQ(-EINVAL, aios_validate_text(b, 2 + k, &e));
			EXPECT_EQ((size_t)(2 + k), e.offset);
			EXPECT_STREQ(E_TRUNC, e.reason);

			/* prefix followed by ASCII */
			b[2 + k] = 'z';
			ASSERT_EQ(-EINVAL, aios_validate_text(b, 3 + k, &e));
			EXPECT_EQ((size_t)(2 + k), e.offset);
			EXPECT_STREQ(E_NCONT, e.reason);

			/* prefix inside a JSON string, then the closing quote */
			b[0] = '"';
			memcpy(b + 1, seqs[i], k);
			b[1 + k] = '"';
			ASSERT_EQ(-EINVAL, aios_validate_json(b, 2 + k, 0, &e));
			EXPECT_EQ((size_t)(1 + k), e.offset);
			EXPECT_STREQ(E_NCONT, e.reason);
			/* ... and at the end of the document */
			ASSERT_EQ(-EINVAL, aios_validate_json(b, 1 + k, 0, &e));
			EXPECT_EQ((size_t)(1 + k), e.offset);
			EXPECT_STREQ(E_TRUNC, e.reason);
		}
	}
}

/*
 * A single bad byte at every offset of a long ASCII run, so it lands in
 * every lane of the word-at-a-time fast paths and in the byte tail.
 */
TEST(bad_byte_at_every_offset)
{
	struct aios_validate_err e;
	u8 b[64];
	size_t pos, len;

	for (len = 1; len <= 40; len++) {
		for (pos = 0; pos < len; pos++) {
			memset(b, 'a', len);
			ASSERT_EQ(0, aios_validate_text(b, len, &e));
			b[pos] = 0x00;
			ASSERT_EQ(-EINVAL, aios_validate_text(b, len, &e));
			EXPECT_EQ((size_t)(pos), e.offset);
			EXPECT_STREQ(E_NUL, e.reason);
			b[pos] = 0x80;
			ASSERT_EQ(-EINVAL, aios_validate_text(b, len, &e));
			EXPECT_EQ((size_t)(pos), e.offset);
			EXPECT_STREQ(E_CONT, e.reason);
			b[pos] = 0x7f;
			ASSERT_EQ(0, aios_validate_text(b, len, &e));
		}
	}

	/* the same inside a JSON string: "aaaa...a" */
	for (len = 1; len <= 40; len++) {
		b[0] = '"';
		memset(b + 1, 'a', len);
		b[len + 1] = '"';
		ASSERT_EQ(0, aios_validate_json(b, len + 2, 0, &e));
		for (pos = 1; pos <= len; pos++) {
			static const u8 ok[] = { 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f };
			size_t j;

			for (j = 0; j < sizeof(ok); j++) {
				b[pos] = ok[j];
				ASSERT_EQ(0, aios_validate_json(b, len + 2, 0, &e));
			}
			b[pos] = 0x1f;
			ASSERT_EQ(-EINVAL, aios_validate_json(b, len + 2, 0, &e));
			EXPECT_EQ((size_t)(pos), e.offset);
			EXPECT_STREQ(E_CTRL, e.reason);
			b[pos] = 0xbf;
			ASSERT_EQ(-EINVAL, aios_validate_json(b, len + 2, 0, &e));
			EXPECT_EQ((size_t)(pos), e.offset);
			EXPECT_STREQ(E_CONT, e.reason);
			/* backslash + a: bad escape; a final backslash escapes the quote */
			b[pos] = '\\';
			ASSERT_EQ(-EINVAL, aios_validate_json(b, len + 2, 0, &e));
			EXPECT_EQ((size_t)(pos == len ? len + 2 : pos), e.offset);
			EXPECT_STREQ(pos == len ? E_UTS : E_ESC, e.reason);
			b[pos] = '"';
			if (pos == len) {
				ASSERT_EQ(-EINVAL, aios_validate_json(b, len + 2, 0, &e));
				EXPECT_EQ((size_t)(len + 1), e.offset);
			} else {
				ASSERT_EQ(-EINVAL, aios_validate_json(b, len + 2, 0, &e));
				EXPECT_EQ((size_t)(pos + 1), e.offset);
			}
			EXPECT_STREQ(E_AFTER, e.reason);
			b[pos] = 'a';
		}
	}
}

/*
 * Independent reference: decode arithmetically, then check minimal length,
 * the surrogate range and U+10FFFF.  TEXT additionally forbids NUL.
 */
static bool ref_text_valid(const u8 *s, size_t n)
{
	size_t i = 0, len, k;
	u32 cp, min;

	while (i < n) {
		u8 c = s[i];

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/*
 * Every 1-, 2- and 3-byte string, placed in the middle of ASCII padding so
 * both the word and the byte paths see it; 4-byte strings over every lead
 * byte with continuation candidates from the interesting boundaries.
 */
TEST(text_exhaustive_vs_reference)
{
	static const u8 probe[] = {
		0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
		0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
	};
	const size_t np = sizeof(probe);
	u8 b[20];
	unsigned long mism = 0, checked = 0;
	u32 x, a, c, d;
	size_t n, pad;

	for (n = 1; n <= 3; n++) {
		for (x = 0; x < (1u << (8 * n)); x++) {
			for (pad = 0; pad <= 9; pad += 9) {
				memset(b, 'a', sizeof(b));
				b[pad] = x & 0xff;
				if (n > 1)
					b[pad + 1] = (x >> 8) & 0xff;
				if (n > 2)
					b[pad + 2] = (x >> 16) & 0xff;
				/* pad 0: the bytes alone; pad 9: inside 20 bytes */
				size_t len = pad ? sizeof(b) : n;
				bool want = ref_text_valid(b, len);
				bool got = !aios_validate_text(b, len, NULL);

				checked++;
				if (want != got && mism++ < 10)
					TH_LOG("%s: reference %d, validator %d",
					       show((char *)b, len), want, got);
			}
		}
	}
	for (x = 0; x < 256; x++)
		for (a = 0; a < np; a++)
			for (c = 0; c < np; c++)
				for (d = 0; d < np; d++) {
					b[0] = x;
					b[1] = probe[a];
					b[2] = probe[c];
					b[3] = probe[d];
					bool want = ref_text_valid(b, 4);
					bool got = !aios_validate_text(b, 4, NULL);

					checked++;
					if (want != got && mism++ < 10)
						TH_LOG("%s: reference %d, validator %d",
						       show((char *)b, 4), want, got);
				}
	TH_LOG("%lu strings checked", checked);
	ASSERT_EQ(0UL, mism);
}

/* The two validators see UTF-8 the same way: TEXT vs a JSON string */
TEST(json_string_utf8_matches_text)
{
	struct aios_validate_err te, je;
	u8 t[4], j[6];
	u32 x;

	for (x = 0; x < (1u << 24); x += 1) {
		int tr, jr;

		t[0] = x & 0xff;
		t[1] = (x >> 8) & 0xff;
		t[2] = x >> 16;
		/* only bytes JSON strings treat like text */
		if (t[0] < 0x80 || (t[1] < 0x80 && t[1] != 'a') ||
		    (t[2] < 0x80 && t[2] != 'a'))
			continue;
		j[0] = '"';
		memcpy(j + 1, t, 3);
		j[4] = '"';
		tr = aios_validate_text(t, 3, &te);
		jr = aios_validate_json(j, 5, 0, &je);
		ASSERT_EQ(tr, jr) TH_LOG("%s", show((char *)t, 3));
		if (tr && te.offset < 3) {
			ASSERT_EQ((size_t)(te.offset + 1), je.offset);
			ASSERT_STREQ(te.reason, je.reason);
		}
	}
}

TEST_HARNESS_MAIN
