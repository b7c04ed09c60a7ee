// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized differential test of kmod/ipc_validate.c against jansson.
 *
 * JSON: the verdict of aios_validate_json() (depth limit 1024) must match
 * json_loadb(buf, len, JSON_DECODE_ANY) (duplicates allowed, \u0000 not
 * allowed) on random byte strings, on random valid documents and on
 * mutations of them.  The only accepted differences are deliberate and
 * are counted separately:
 *  - jansson refuses "\u0000" without JSON_ALLOW_NUL; RFC 8259 allows it
 *    and so do we (the payload is length-delimited).
 *  - jansson refuses integers outside int64 ("too big integer") and reals
 *    that overflow a double ("real number overflow"); RFC 8259 sets no
 *    range and a NUMBER/JSON payload is text, so we accept them.
 *  - jansson nests up to JSON_PARSER_MAX_DEPTH (2048); we stop at the
 *    configured limit (here 1024), reported as "nesting deeper than ...".
 * TEXT: aios_validate_text() must agree with "json_stringn() accepts it
 * and it has no NUL byte" (jansson checks UTF-8 when building a string).
 *
 * AIOS_DIFF_ITERS (default 200000: 3x that many JSON cases + as many TEXT
 * cases) and AIOS_DIFF_SEED select the run; the seed is printed so a
 * failure can be replayed.
 *
 * Copyright (C) 2026 The aios authors
 */
#include "aios_kshim.h"
#include "ipc_validate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest_harness.h"

#define DEPTH		1024
#define DOC_MAX		(64 * 1024)

static u64 rng_state;

static u64 rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static u32 below(u32 n)
{
	return (u32)((rnd() >> 32) % n);
}

static bool chance(u32 percent)
{
	return below(100) < percent;
}

struct doc {
	u8 b[DOC_MAX];
	size_t len;
};

static void put(struct doc *d, const void *s, size_t n)
{
	if (d->len + n <= DOC_MAX) {
		memcpy(d->b + d->len, s, n);
		d->len += n;
	}
}

static void putc_(struct doc *d, u8 c)
{
	put(d, &c, 1);
}

static void puts_(struct doc *d, const char *s)
{
	put(d, s, strlen(s));
}

static void ws(struct doc *d)
{
	static const char w[] = " \t\r\n";

	while (chance(15))
		putc_(d, w[below(4)]);
}

static void digits(struct doc *d, u32 max)
{
	u32 n = 1 + below(max);

	while (n--)
		putc_(d, '0' + below(10));
}

static void gen_number(struct doc *d)
{
	if (chance(30))
		putc_(d, '-');
	if (chance(20)) {
		putc_(d, '0');
	} else {
		putc_(d, '1' + below(9));
		if (chance(60))
			digits(d, chance(5) ? 30 : 6);
	}
	if (chance(30)) {
		putc_(d, '.');
		digits(d, 8);
	}
	if (chance(20)) {
		putc_(d, chance(50) ? 'e' : 'E');
		if (chance(50))
			putc_(d, chance(50) ? '+' : '-');
		digits(d, chance(5) ? 4 : 2);
	}
}

static void put_utf8(struct doc *d, u32 cp)
{
	u8 s[4];

	if (cp < 0x80) {
		s[0] = cp;
		put(d, s, 1);
	} else if (cp < 0x800) {
		s[0] = 0xc0 | cp >> 6;
		s[1] = 0x80 | (cp & 0x3f);
		put(d, s, 2);
	} else if (cp < 0x10000) {
		s[0] = 0xe0 | cp >> 12;
		s[1] = 0x80 | ((cp >> 6) & 0x3f);
		s[2] = 0x80 | (cp & 0x3f);
		put(d, s, 3);
	} else {
		s[0] = 0xf0 | cp >> 18;
		s[1] = 0x80 | ((cp >> 12) & 0x3f);
		s[2] = 0x80 | ((cp >> 6) & 0x3f);
		s[3] = 0x80 | (cp & 0x3f);
		put(d, s, 4);
	}
}

static u32 random_scalar(void)
{
	for (;;) {
		u32 cp;

		switch (below(4)) {
		case 0:
			cp = 0x80 + below(0x780);
			break;
		case 1:
			cp = 0x800 + below(0xf800);
			break;
		case 2:
			cp = 0x10000 + below(0x100000);
			break;
		default:
			cp = 0x20 + below(0x60);
			/* usable raw inside a JSON string too */
			if (cp == '"' || cp == '\\')
				cp = 'q';
			break;
		}
		if (cp < 0xd800 || cp > 0xdfff)
			return cp;
	}
}

static void gen_string(struct doc *d)
{
	static const char esc[] = "\"\\/bfnrt";
	u32 n = below(chance(10) ? 64 : 12);
	char hex[16];

	putc_(d, '"');
	while (n--) {
		switch (below(10)) {
		case 0:
			putc_(d, '\\');
			putc_(d, esc[below(8)]);
			break;
		case 1:
			snprintf(hex, sizeof(hex), chance(50) ? "\\u%04x" : "\\u%04X",
				 (unsigned int)(chance(2) ? 0 : below(0x10000)));
			/* keep it a scalar value: surrogates come in pairs */
			if (hex[2] == 'd' || hex[2] == 'D') {
				if (hex[3] >= '8') {
					snprintf(hex, sizeof(hex), "\\u%04x\\u%04x",
						 0xd800 + below(0x400),
						 0xdc00 + below(0x400));
				}
			}
			puts_(d, hex);
			break;
		case 2:
		case 3:
			put_utf8(d, random_scalar());
			break;
		default: {
			u8 c = 0x20 + below(0x5f);

			putc_(d, c == '"' || c == '\\' ? 'q' : c);
			break;
		}
		}
	}
	putc_(d, '"');
}

static void gen_value(struct doc *d, u32 depth)
{
	u32 n, i, k = below(depth < 6 ? 10 : 7);

	ws(d);
	switch (k) {
	case 0:
	case 1:
		gen_number(d);
		break;
	case 2:
	case 3:
		gen_string(d);
		break;
	case 4:
		puts_(d, "true");
		break;
	case 5:
		puts_(d, "false");
		break;
	case 6:
		puts_(d, "null");
		break;
	case 7:
	case 8:
		putc_(d, '[');
		n = below(5);
		for (i = 0; i < n; i++) {
			if (i)
				putc_(d, ',');
			gen_value(d, depth + 1);
		}
		ws(d);
		putc_(d, ']');
		break;
	default:
		putc_(d, '{');
		n = below(5);
		for (i = 0; i < n; i++) {
			if (i)
				putc_(d, ',');
			ws(d);
			gen_string(d);
			ws(d);
			putc_(d, ':');
			gen_value(d, depth + 1);
		}
		ws(d);
		putc_(d, '}');
		break;
	}
	ws(d);
}

/* bytes a mutation likes to insert: structure, escapes, UTF-8 edges */
static const u8 interesting[] = {
	'[', ']', '{', '}', '"', ',', ':', '\\', ' ', '\n', '0', '1', '9',
	'-', '+', '.', 'e', 'E', 't', 'f', 'n', 'u', 'a', 'D', 'C', '8',
	0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc3, 0xdf, 0xe0,
	0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xfe, 0xff,
};

static u8 some_byte(void)
{
	return chance(70) ? interesting[below(sizeof(interesting))] : rnd();
}

/* fragments a mutation likes to insert */
static const char *const tokens[] = {
	",", ":", "\\u", "\\uD800", "\\uDBFF\\uDFFF", "\\uDC00", "\\u0000",
	"\\", "0", "-", ".", "e+", "[]", "{}", "\"\"", "\xed\xa0\x80", "\xc0\xaf",
	"\xf4\x90\x80\x80", "\xe2\x82", "true", "nul", " ", "\"k\":",
};

static void insert(struct doc *d, size_t pos, const char *s)
{
	size_t n = strlen(s);

	if (d->len + n <= DOC_MAX) {
		memmove(d->b + pos + n, d->b + pos, d->len - pos);
		memcpy(d->b + pos, s, n);
		d->len += n;
	}
}

static void mutate(struct doc *d)
{
	u32 n = 1 + below(3);

	while (n--) {
		size_t pos = d->len ? below(d->len) : 0;
		size_t span, i;

		switch (below(9)) {
		case 7:		/* insert a token */
			insert(d, pos, tokens[below(sizeof(tokens) / sizeof(tokens[0]))]);
			break;
		case 8:		/* a comma before some closer: trailing comma */
			for (i = pos; i < d->len; i++) {
				if (d->b[i] == ']' || d->b[i] == '}') {
					insert(d, i, ",");
					break;
				}
			}
			break;
		case 0:		/* replace */
			if (d->len)
				d->b[pos] = some_byte();
			break;
		case 1:		/* delete */
			if (d->len) {
				memmove(d->b + pos, d->b + pos + 1, d->len - pos - 1);
				d->len--;
			}
			break;
		case 2:		/* insert */
			if (d->len < DOC_MAX) {
				memmove(d->b + pos + 1, d->b + pos, d->len - pos);
				d->b[pos] = some_byte();
				d->len++;
			}
			break;
		case 3:		/* truncate */
			d->len = pos;
			break;
		case 4:		/* duplicate a span */
			span = 1 + below(8);
			if (pos + span <= d->len && d->len + span <= DOC_MAX) {
				memmove(d->b + pos + span, d->b + pos, d->len - pos);
				d->len += span;
			}
			break;
		case 5:		/* swap two bytes */
			if (d->len) {
				size_t q = below(d->len);
				u8 t = d->b[pos];

				d->b[pos] = d->b[q];
				d->b[q] = t;
			}
			break;
		default:	/* flip a bit */
			if (d->len)
				d->b[pos] ^= 1u << below(8);
			break;
		}
	}
}

static void gen_bytes(struct doc *d)
{
	u32 n = below(16);

	d->len = 0;
	while (n--)
		putc_(d, chance(50) ? some_byte() : (u8)rnd());
}

/* containers nested around the depth limits */
static void gen_deep(struct doc *d)
{
	static const u32 around[] = { 1020, 1024, 1025, 1100, 2047, 2048, 2049 };
	u32 n = around[below(7)], i;
	u8 kind[2100];

	d->len = 0;
	for (i = 0; i < n; i++) {
		kind[i] = chance(50);
		puts_(d, kind[i] ? "{\"k\":" : "[");
	}
	gen_value(d, 6);
	for (i = n; i-- > 0;)
		putc_(d, kind[i] ? '}' : ']');
	if (chance(30))
		mutate(d);
}

struct tally {
	unsigned long cases, agree, nul, bigint, overflow, depth, trailing_nul;
	unsigned long unexplained;
};

static void show(const struct doc *d)
{
	size_t i, n = d->len < 120 ? d->len : 120;

	fprintf(stderr, "#   input (%zu bytes): ", d->len);
	for (i = 0; i < n; i++) {
		u8 c = d->b[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "%s\n", n < d->len ? "..." : "");
}

/*
 * jansson quirk: a single NUL byte directly after a number or a literal is
 * skipped ("1\0", "[7,true\0]" are accepted).  We reject the NUL.  The
 * difference is explained when deleting that one byte makes the document
 * valid for us.
 */
static bool nul_after_scalar(const struct doc *d,
			     const struct aios_validate_err *e)
{
	static struct doc cut;
	size_t k = e->offset;
	u8 prev;

	if (k == 0 || k >= d->len || d->b[k] != 0)
		return false;
	prev = d->b[k - 1];
	if (!(prev >= '0' && prev <= '9') && prev != 'e' && prev != 'l')
		return false;
	memcpy(cut.b, d->b, k);
	memcpy(cut.b + k, d->b + k + 1, d->len - k - 1);
	cut.len = d->len - 1;
	return !aios_validate_json(cut.b, cut.len, DEPTH, NULL);
}

static void compare_json(struct tally *t, const struct doc *d)
{
	struct aios_validate_err e = { 0 };
	json_error_t je;
	json_t *j;
	bool ours, theirs;
	u8 *copy;

	/* an exact-size heap copy, so ASan (SAN=1) sees any over-read */
	copy = malloc(d->len ? d->len : 1);
	if (!copy)
		abort();
	memcpy(copy, d->b, d->len);
	ours = !aios_validate_json(copy, d->len, DEPTH, &e);
	free(copy);
	j = json_loadb((const char *)d->b, d->len, JSON_DECODE_ANY, &je);
	theirs = j;
	json_decref(j);

	t->cases++;
	if (ours == theirs) {
		t->agree++;
		return;
	}
	if (ours && (strstr(je.text, "\\u0000 is not allowed") ||
		     strstr(je.text, "NUL byte in object key"))) {
		t->nul++;
		return;
	}
	if (ours && strstr(je.text, "too big")) {
		t->bigint++;
		return;
	}
	if (ours && strstr(je.text, "real number overflow")) {
		t->overflow++;
		return;
	}
	if (!ours && !strcmp(e.reason, "nesting deeper than the depth limit")) {
		t->depth++;
		return;
	}
	if (!ours && nul_after_scalar(d, &e)) {
		t->trailing_nul++;
		return;
	}
	if (t->unexplained++ < 10) {
		fprintf(stderr, "# mismatch: aios %s (%zu: %s), jansson %s (%d: %s)\n",
			ours ? "accepts" : "rejects", e.offset,
			ours ? "-" : e.reason, theirs ? "accepts" : "rejects",
			je.position, theirs ? "-" : je.text);
		show(d);
	}
}

static unsigned long iterations(void)
{
	const char *s = getenv("AIOS_DIFF_ITERS");

	return s ? strtoul(s, NULL, 0) : 200000;
}

static void seed(void)
{
	const char *s = getenv("AIOS_DIFF_SEED");

	rng_state = s ? strtoull(s, NULL, 0) : 0x5eed0a105ULL;
	if (!rng_state)
		rng_state = 1;
	fprintf(stderr, "# AIOS_DIFF_SEED=%#llx AIOS_DIFF_ITERS=%lu\n",
		(unsigned long long)rng_state, iterations());
}

static void report(const char *what, const struct tally *t)
{
	fprintf(stderr,
		"# %s: %lu cases, %lu agree; deliberate: %lu \\u0000, %lu int64 range, %lu double overflow, %lu depth, %lu NUL after scalar; %lu unexplained\n",
		what, t->cases, t->agree, t->nul, t->bigint, t->overflow,
		t->depth, t->trailing_nul, t->unexplained);
}

static struct doc doc;

TEST(json_random_bytes_vs_jansson)
{
	struct tally t = { 0 };
	unsigned long i, n = iterations();

	seed();
	for (i = 0; i < n; i++) {
		gen_bytes(&doc);
		compare_json(&t, &doc);
	}
	report("random bytes", &t);
	ASSERT_EQ(0UL, t.unexplained);
}

TEST(json_generated_docs_vs_jansson)
{
	struct tally t = { 0 };
	unsigned long i, n = iterations(), rejected = 0;
	struct aios_validate_err e;

	seed();
	rng_state ^= 0x1111;
	for (i = 0; i < n; i++) {
		doc.len = 0;
		gen_value(&doc, 0);
		/* the generator only writes valid JSON */
		if (aios_validate_json(doc.b, doc.len, DEPTH, &e) && rejected++ < 5) {
			fprintf(stderr, "# generated doc rejected at %zu: %s\n",
				e.offset, e.reason);
			show(&doc);
		}
		compare_json(&t, &doc);
	}
	report("generated documents", &t);
	EXPECT_EQ(0UL, rejected);
	ASSERT_EQ(0UL, t.unexplained);
}

TEST(json_mutated_docs_vs_jansson)
{
	struct tally t = { 0 };
	unsigned long i, n = iterations(), valid = 0;

	seed();
	rng_state ^= 0x2222;
	for (i = 0; i < n; i++) {
		doc.len = 0;
		gen_value(&doc, chance(50) ? 0 : 3);
		mutate(&doc);
		compare_json(&t, &doc);
		valid += !aios_validate_json(doc.b, doc.len, DEPTH, NULL);
	}
	report("mutated documents", &t);
	fprintf(stderr, "# mutated documents still valid: %lu of %lu\n", valid, n);
	ASSERT_EQ(0UL, t.unexplained);
}

TEST(json_deep_docs_vs_jansson)
{
	struct tally t = { 0 };
	unsigned long i, n = iterations() / 200 + 50;

	seed();
	rng_state ^= 0x3333;
	for (i = 0; i < n; i++) {
		gen_deep(&doc);
		compare_json(&t, &doc);
	}
	report("deep documents", &t);
	ASSERT_EQ(0UL, t.unexplained);
}

TEST(text_random_vs_jansson_strings)
{
	unsigned long i, n = iterations(), mism = 0, valid = 0;

	seed();
	rng_state ^= 0x4444;
	for (i = 0; i < n; i++) {
		json_t *j;
		bool ours, theirs;
		u8 *copy;

		gen_bytes(&doc);
		if (chance(50)) {
			/* mostly valid UTF-8 with one damaged byte */
			u32 k = below(8);

			doc.len = 0;
			while (k--)
				put_utf8(&doc, random_scalar());
			if (doc.len && chance(70))
				doc.b[below(doc.len)] = some_byte();
		}
		copy = malloc(doc.len ? doc.len : 1);
		ASSERT_NE(NULL, copy);
		memcpy(copy, doc.b, doc.len);
		ours = !aios_validate_text(copy, doc.len, NULL);
		free(copy);
		j = json_stringn((const char *)doc.b, doc.len);
		theirs = j && !memchr(doc.b, 0, doc.len);
		json_decref(j);
		valid += ours;
		if (ours != theirs && mism++ < 10) {
			fprintf(stderr, "# TEXT mismatch: aios %d, jansson %d\n",
				ours, theirs);
			show(&doc);
		}
	}
	fprintf(stderr, "# TEXT: %lu cases, %lu valid, %lu mismatches\n",
		n, valid, mism);
	ASSERT_EQ(0UL, mism);
}

TEST_HARNESS_MAIN
