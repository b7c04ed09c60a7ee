// SPDX-License-Identifier: GPL-2.0
/*
 * Payload type validators for typed agent IPC; the contract is documented
 * in ipc_validate.h.
 *
 * All three validators make one forward pass over the payload.  The JSON
 * validator is an explicit state machine: the only state that grows with
 * the input is the nesting stack, a bitset with one bit per open
 * container (set = object, clear = array) of at most
 * AIOS_VALIDATE_DEPTH_MAX bits.  Nothing recurses and nothing allocates.
 *
 * Runs of plain ASCII (inside strings, or anywhere in TEXT) are skipped
 * eight bytes at a time with word-wide tests for the few bytes that need
 * attention; everything else goes through small byte-class checks.
 *
 * Copyright (C) 2026 The aios authors
 */
#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include "aios_kshim.h"
#endif

#include "ipc_validate.h"

/* where and why validation stopped */
struct vctx {
	const u8 *bad;
	const char *why;
};

static const u8 *fail(struct vctx *v, const u8 *at, const char *why)
{
	v->bad = at;
	v->why = why;
	return NULL;
}

static int report(struct aios_validate_err *err, size_t offset,
		  const char *why)
{
	if (err) {
		err->offset = offset;
		err->reason = why;
	}
	return -EINVAL;
}

/*
 * An unaligned 8-byte load.  memcpy() of a constant size compiles to a
 * single load on every architecture that has one, and unlike
 * get_unaligned() it needs no header that moved between kernel versions
 * (asm/unaligned.h became linux/unaligned.h in 6.12).
 */
static inline u64 load_u64(const u8 *p)
{
	u64 w;

	memcpy(&w, p, sizeof(w));
	return w;
}

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/*
 * Word-wide "is there any byte that needs a closer look" tests.  Each
 * (x - ONES * n) & ~x & HIGHS term is non-zero iff some byte of x is
 * below n: a borrow can only start at such a byte, so the result may flag
 * extra bytes above a real hit but is never zero when there is one.
 */
static inline u64 text_word_special(u64 w)
{
	/* a NUL byte or a byte >= 0x80 */
	return (((w - ONES) & ~w) | w) & HIGHS;
}

static inline u64 string_word_special(u64 w)
{
	u64 q = w ^ (ONES * '"');
	u64 b = w ^ (ONES * '\\');

	/* a control character, '"', '\\' or a byte >= 0x80 */
	return (((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) |
		((b - ONES) & ~b) | w) & HIGHS;
}

static inline bool is_digit(u8 c)
{
	return (u8)(c - '0') < 10;
}

static inline bool is_ws(u8 c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static int hex_digit(u8 c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Check one multi-byte UTF-8 sequence (RFC 3629, section 4) whose first
 * byte, at @p, is >= 0x80.  Return a pointer past it, or NULL.
 */
static const u8 *utf8_seq(struct vctx *v, const u8 *p, const u8 *end)
{
	const char *range_why = NULL;
	u8 c = p[0], lo = 0x80, hi = 0xbf;
	unsigned int n, i;

	/* fast path: well-formed 2-byte and common 3-byte sequences */
	if (c >= 0xc2 && c < 0xe0 && end - p >= 2 && (p[1] & 0xc0) == 0x80)
		return p + 2;
	if (c >= 0xe1 && c < 0xf0 && c != 0xed && end - p >= 3 &&
	    (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80)
		return p + 3;

	if (c < 0xc0)
		return fail(v, p, "unexpected UTF-8 continuation byte");
	if (c < 0xc2)
		return fail(v, p, "overlong UTF-8 encoding (lead byte 0xC0/0xC1)");
	if (c < 0xe0) {
		n = 2;
	} else if (c < 0xf0) {
		n = 3;
		if (c == 0xe0) {
			lo = 0xa0;
			range_why = "overlong UTF-8 encoding";
		} else if (c == 0xed) {
			hi = 0x9f;
			range_why = "UTF-8 encoded surrogate (U+D800..U+DFFF)";
		}
	} else if (c < 0xf5) {
		n = 4;
		if (c == 0xf0) {
			lo = 0x90;
			range_why = "overlong UTF-8 encoding";
		} else if (c == 0xf4) {
			hi = 0x8f;
			range_why = "UTF-8 code point above U+10FFFF";
		}
	} else if (c < 0xf8) {
		return fail(v, p, "UTF-8 code point above U+10FFFF");
	} else if (c < 0xfe) {
		return fail(v, p, "5- or 6-byte UTF-8 sequence");
	} else {
		return fail(v, p, "invalid byte 0xFE/0xFF in UTF-8");
	}

	for (i = 1; i < n; i++) {
		if (p + i == end)
			return fail(v, end, "truncated UTF-8 sequence");
		c = p[i];
		if ((c & 0xc0) != 0x80)
			return fail(v, p + i, "expected UTF-8 continuation byte");
		if (i == 1 && (c < lo || c > hi))
			return fail(v, p + 1, range_why);
	}
	return p + n;
}

int aios_validate_text(const u8 *buf, size_t len,
		       struct aios_validate_err *err)
{
	const u8 *p, *end;
	struct vctx v;

	if (!len)
		return 0;
	p = buf;
	end = buf + len;
	while (p < end) {
		while (end - p >= 8 &&
		       !text_word_special(load_u64(p)))
			p += 8;
		if (p == end)
			break;
		if (!*p)
			return report(err, p - buf, "NUL byte in text");
		if (*p < 0x80) {
			p++;
			continue;
		}
		p = utf8_seq(&v, p, end);
		if (!p)
			return report(err, v.bad - buf, v.why);
	}
	return 0;
}

/*
 * Scan one number (RFC 8259, section 6) starting at @p, which must be
 * before @end.  Return a pointer past it, or NULL.
 */
static const u8 *scan_number(struct vctx *v, const u8 *p, const u8 *end)
{
	if (*p == '-') {
		p++;
		if (p == end || !is_digit(*p))
			return fail(v, p, "expected digit after '-'");
	}
	if (*p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return fail(v, p, "leading zero in number");
	} else if (is_digit(*p)) {
		do
			p++;
		while (p < end && is_digit(*p));
	} else {
		return fail(v, p, "expected '-' or digit");
	}
	if (p < end && *p == '.') {
		p++;
		if (p == end || !is_digit(*p))
			return fail(v, p, "expected digit after '.'");
		do
			p++;
		while (p < end && is_digit(*p));
	}
	if (p < end && (*p | 0x20) == 'e') {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return fail(v, p, "expected digit in exponent");
		do
			p++;
		while (p < end && is_digit(*p));
	}
	return p;
}

int aios_validate_number(const u8 *buf, size_t len,
			 struct aios_validate_err *err)
{
	const u8 *p, *end;
	struct vctx v;

	if (!len)
		return report(err, 0, "expected a number, found end of input");
	end = buf + len;
	switch (buf[0]) {
	case '-':
	case '0' ... '9':
		break;
	case ' ':
	case '\t':
	case '\n':
	case '\r':
		return report(err, 0, "whitespace around number");
	case '+':
		return report(err, 0, "'+' sign not allowed in number");
	case 'N':
	case 'I':
		return report(err, 0, "NaN and Infinity are not numbers");
	default:
		return report(err, 0, "expected '-' or digit");
	}
	p = scan_number(&v, buf, end);
	if (!p)
		return report(err, v.bad - buf, v.why);
	if (p == end)
		return 0;
	if (is_ws(*p))
		return report(err, p - buf, "whitespace around number");
	if ((*p | 0x20) == 'x' && p[-1] == '0' &&
	    (p - 1 == buf || (p - 2 == buf && buf[0] == '-')))
		return report(err, p - buf, "hexadecimal numbers not allowed");
	return report(err, p - buf, "unexpected character after number");
}

/*
 * Check a \uXXXX escape at @p (pointing at the backslash, p[1] == 'u').
 * Return the code unit, or -1.
 */
static int escape_u(struct vctx *v, const u8 *p, const u8 *end)
{
	int i, d, cu = 0;

	for (i = 2; i < 6; i++) {
		if (p + i == end) {
			fail(v, end, "unterminated string");
			return -1;
		}
		d = hex_digit(p[i]);
		if (d < 0) {
			fail(v, p, "expected 4 hex digits after \\u");
			return -1;
		}
		cu = cu << 4 | d;
	}
	return cu;
}

/*
 * Check the escape sequence at @p (a backslash inside a string).  Return a
 * pointer past it (past both halves of a surrogate pair), or NULL.
 */
static const u8 *scan_escape(struct vctx *v, const u8 *p, const u8 *end)
{
	int cu;

	if (end - p < 2)
		return fail(v, end, "unterminated string");
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		return p + 2;
	case 'u':
		break;
	default:
		return fail(v, p, "invalid escape sequence");
	}
	cu = escape_u(v, p, end);
	if (cu < 0)
		return NULL;
	if (cu < 0xd800 || cu > 0xdfff)
		return p + 6;
	if (cu >= 0xdc00)
		return fail(v, p, "lone low surrogate escape");

	/* a high surrogate must be followed by a \uDC00..\uDFFF escape */
	if (end - p < 8)
		return fail(v, end, "unterminated string");
	if (p[6] != '\\' || p[7] != 'u')
		return fail(v, p, "lone high surrogate escape");
	cu = escape_u(v, p + 6, end);
	if (cu < 0)
		return NULL;
	if (cu < 0xdc00 || cu > 0xdfff)
		return fail(v, p + 6, "expected low surrogate escape");
	return p + 12;
}

/*
 * Scan the rest of a string whose opening quote is just before @p.
 * Return a pointer past the closing quote, or NULL.
 */
static const u8 *scan_string(struct vctx *v, const u8 *p, const u8 *end)
{
	for (;;) {
		while (end - p >= 8 &&
		       !string_word_special(load_u64(p)))
			p += 8;
		while (p < end && *p >= 0x20 && *p < 0x80 &&
		       *p != '"' && *p != '\\')
			p++;
		if (p == end)
			return fail(v, end, "unterminated string");
		if (*p == '"')
			return p + 1;
		if (*p < 0x20)
			return fail(v, p, "unescaped control character in string");
		if (*p == '\\')
			p = scan_escape(v, p, end);
		else
			p = utf8_seq(v, p, end);
		if (!p)
			return NULL;
	}
}

/*
 * Scan a literal at @p whose first byte already matched lit[0].  Return a
 * pointer past it, or NULL.
 */
static const u8 *scan_literal(struct vctx *v, const u8 *p, const u8 *end,
			      const char *lit, const char *why)
{
	unsigned int i;

	for (i = 1; lit[i]; i++)
		if (p + i == end || p[i] != (u8)lit[i])
			return fail(v, p + i, why);
	return p + i;
}

/* what the JSON validator expects next */
enum json_state {
	JS_VALUE,		/* top level, or after ':' */
	JS_ARRAY_FIRST,		/* after '[': a value or ']' */
	JS_ARRAY_NEXT,		/* after ',' in an array: a value */
	JS_OBJECT_FIRST,	/* after '{': a key or '}' */
	JS_OBJECT_NEXT,		/* after ',' in an object: a key */
	JS_COLON,		/* after a key */
	JS_AFTER_VALUE,		/* after a value: ',', a closer or the end */
};

#define DEPTH_WORDS	(AIOS_VALIDATE_DEPTH_MAX / 64)

int aios_validate_json(const u8 *buf, size_t len, u32 max_depth,
		       struct aios_validate_err *err)
{
	/* bit d set: the container at nesting level d is an object */
	u64 objects[DEPTH_WORDS];
	enum json_state st = JS_VALUE;
	const u8 *p, *end;
	struct vctx v;
	bool in_object = false;
	u32 depth = 0;
	u8 c;

	if (!max_depth)
		max_depth = AIOS_VALIDATE_DEPTH_DEFAULT;
	if (max_depth > AIOS_VALIDATE_DEPTH_MAX)
		return report(err, 0, "JSON depth limit out of range");
	if (!len)
		return report(err, 0, "expected a JSON value, found end of input");
	p = buf;
	end = buf + len;
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return report(err, 0, "byte order mark not allowed in JSON");

	for (;;) {
		while (p < end && is_ws(*p))
			p++;
		if (p == end)
			break;
		c = *p;

		switch (st) {
		case JS_AFTER_VALUE:
			if (!depth) {
				fail(&v, p, "unexpected data after JSON value");
				goto bad;
			}
			if (c == ',') {
				st = in_object ? JS_OBJECT_NEXT : JS_ARRAY_NEXT;
				p++;
				continue;
			}
			if (c == (in_object ? '}' : ']'))
				goto close;
			fail(&v, p, in_object ? "expected ',' or '}'" :
						"expected ',' or ']'");
			goto bad;
		case JS_OBJECT_FIRST:
		case JS_OBJECT_NEXT:
			if (c == '"') {
				p = scan_string(&v, p + 1, end);
				if (!p)
					goto bad;
				st = JS_COLON;
				continue;
			}
			if (c == '}' && st == JS_OBJECT_FIRST)
				goto close;
			if (c == '}')
				fail(&v, p, "trailing comma before '}'");
			else if (st == JS_OBJECT_FIRST)
				fail(&v, p, "expected string key or '}'");
			else
				fail(&v, p, "expected string key");
			goto bad;
		case JS_COLON:
			if (c != ':') {
				fail(&v, p, "expected ':' after object key");
				goto bad;
			}
			p++;
			st = JS_VALUE;
			continue;
		case JS_ARRAY_FIRST:
			if (c == ']')
				goto close;
			break;
		case JS_ARRAY_NEXT:
			if (c == ']') {
				fail(&v, p, "trailing comma before ']'");
				goto bad;
			}
			break;
		case JS_VALUE:
			break;
		}

		/* a value starts at p */
		switch (c) {
		case '{':
		case '[':
			if (depth >= max_depth) {
				fail(&v, p, "nesting deeper than the depth limit");
				goto bad;
			}
			in_object = c == '{';
			if (in_object)
				objects[depth / 64] |= 1ULL << (depth % 64);
			else
				objects[depth / 64] &= ~(1ULL << (depth % 64));
			depth++;
			st = in_object ? JS_OBJECT_FIRST : JS_ARRAY_FIRST;
			p++;
			continue;
		case '"':
			p = scan_string(&v, p + 1, end);
			break;
		case '-':
		case '0' ... '9':
			p = scan_number(&v, p, end);
			break;
		case 't':
			p = scan_literal(&v, p, end, "true",
					 "invalid literal, expected true");
			break;
		case 'f':
			p = scan_literal(&v, p, end, "false",
					 "invalid literal, expected false");
			break;
		case 'n':
			p = scan_literal(&v, p, end, "null",
					 "invalid literal, expected null");
			break;
		default:
			fail(&v, p, st == JS_ARRAY_FIRST ?
				"expected a value or ']'" : "expected a value");
			goto bad;
		}
		if (!p)
			goto bad;
		st = JS_AFTER_VALUE;
		continue;
close:
		depth--;
		if (depth)
			in_object = (objects[(depth - 1) / 64] >>
				     ((depth - 1) % 64)) & 1;
		st = JS_AFTER_VALUE;
		p++;
	}

	/* end of input */
	if (st == JS_AFTER_VALUE && !depth)
		return 0;
	if (!depth)
		return report(err, len, "expected a JSON value, found end of input");
	return report(err, len, in_object ? "unterminated object" :
					   "unterminated array");
bad:
	return report(err, v.bad - buf, v.why);
}

int aios_validate(u32 type, const u8 *buf, size_t len, u32 max_depth,
		  struct aios_validate_err *err)
{
	switch (type) {
	case AIOS_MSG_TEXT:
		return aios_validate_text(buf, len, err);
	case AIOS_MSG_NUMBER:
		return aios_validate_number(buf, len, err);
	case AIOS_MSG_JSON:
		return aios_validate_json(buf, len, max_depth, err);
	case AIOS_MSG_BINARY:
		return 0;
	}
	return report(err, 0, "unknown message type");
}
