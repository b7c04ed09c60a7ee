// SPDX-License-Identifier: GPL-2.0
/*
 * Host benchmark of kmod/ipc_validate.c.
 *
 *   validate_bench [RESULT.json]
 *
 * Prints MB/s (10^6 bytes per second, best of several rounds of at least
 * 0.2 s each) for:
 *  - json:        ~1 MiB of typical agent JSON: an array of objects with
 *                 ids, names, floats, booleans, short tag arrays, nested
 *                 objects, prose strings with escapes and some non-ASCII
 *  - json_ascii:  JSON made of long plain ASCII strings (string fast path)
 *  - text_ascii:  ~1 MiB of ASCII prose as TEXT
 *  - text_utf8:   ~1 MiB of 2-, 3- and 4-byte characters as TEXT
 *  - number:      short NUMBER payloads validated one call at a time
 * and writes them as one JSON object (json_validate_mb_s is the headline
 * figure) to RESULT.json when given.
 *
 * Copyright (C) 2026 The aios authors
 */
#include "aios_kshim.h"
#include "ipc_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOC_SIZE	(1 << 20)

struct buf {
	u8 *b;
	size_t len, cap;
};

static u64 rng = 0x9e3779b97f4a7c15ULL;

static u32 below(u32 n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (u32)(((rng * 0x2545f4914f6cdd1dULL) >> 32) % n);
}

static void put(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->b = realloc(b->b, b->cap);
		if (!b->b) {
			perror("realloc");
			exit(1);
		}
	}
	memcpy(b->b + b->len, s, n);
	b->len += n;
}

static const char *const words[] = {
	"agent", "task", "the", "result", "of", "query", "memory", "vector",
	"store", "model", "token", "plan", "step", "tool", "call", "returned",
	"error", "retry", "context", "window", "summary", "user", "request",
};

static const char *const utf8_words[] = {
	"h\xc3\xa9llo", "w\xc3\xb6rld", "\xe2\x82\xac", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xf0\x9f\x98\x80", "na\xc3\xafve",
};

static void prose(struct buf *b, u32 n, bool with_escapes, bool non_ascii)
{
	u32 i;

	for (i = 0; i < n; i++) {
		if (i)
			put(b, " ");
		if (non_ascii && !below(12))
			put(b, utf8_words[below(7)]);
		else
			put(b, words[below(23)]);
		if (with_escapes && !below(25))
			put(b, below(2) ? "\\n" : "\\\"quoted\\\"");
	}
}

static void make_json(struct buf *b)
{
	char tmp[96];
	u32 id = 0;

	put(b, "[\n");
	while (b->len < DOC_SIZE) {
		if (id)
			put(b, ",\n");
		snprintf(tmp, sizeof(tmp),
			 "  {\"id\": %u, \"name\": \"agent-%u\", \"score\": %d.%03u, ",
			 id, below(100000), (int)below(2000) - 1000, below(1000));
		put(b, tmp);
		snprintf(tmp, sizeof(tmp),
			 "\"weight\": %ue-%u, \"active\": %s, \"parent\": %s, ",
			 below(1000), below(20), below(2) ? "true" : "false",
			 below(3) ? "null" : "7");
		put(b, tmp);
		put(b, "\"tags\": [\"");
		put(b, words[below(23)]);
		put(b, "\", \"");
		put(b, words[below(23)]);
		put(b, "\"], \"pos\": {\"x\": ");
		snprintf(tmp, sizeof(tmp), "%d, \"y\": %d, \"z\": [%u, %u, %u]}, ",
			 (int)below(200) - 100, (int)below(200) - 100,
			 below(10), below(100), below(1000));
		put(b, tmp);
		put(b, "\"note\": \"");
		prose(b, 4 + below(16), true, true);
		put(b, "\"}");
		id++;
	}
	put(b, "\n]\n");
}

static void make_json_ascii(struct buf *b)
{
	put(b, "[");
	while (b->len < DOC_SIZE) {
		if (b->len > 1)
			put(b, ",");
		put(b, "\"");
		prose(b, 20 + below(100), false, false);
		put(b, "\"");
	}
	put(b, "]");
}

static void make_text(struct buf *b, bool utf8)
{
	while (b->len < DOC_SIZE) {
		if (utf8) {
			put(b, utf8_words[below(7)]);
			put(b, below(4) ? "" : " ");
		} else {
			put(b, words[below(23)]);
			put(b, below(10) ? " " : ".\n");
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* best-of-5 throughput of validating buf as type, in MB/s */
static double measure(u32 type, const struct buf *b)
{
	double best = 0;
	int round;

	for (round = 0; round < 5; round++) {
		unsigned long reps = 0;
		double t0 = now(), t;

		do {
			if (aios_validate(type, b->b, b->len, 0, NULL)) {
				fprintf(stderr, "benchmark input rejected\n");
				exit(1);
			}
			reps++;
			t = now() - t0;
		} while (t < 0.2);
		if (reps * b->len / t / 1e6 > best)
			best = reps * b->len / t / 1e6;
	}
	return best;
}

static const char *const numbers[] = {
	"0", "42", "-7", "3.14159", "-1234.5678e-12", "6.02214076E23",
	"1e-9", "18446744073709551615", "0.000001", "-0.5",
};

static double measure_numbers(double *ns_per_call)
{
	size_t n = sizeof(numbers) / sizeof(numbers[0]), i, bytes = 0;
	size_t lens[sizeof(numbers) / sizeof(numbers[0])];
	double best = 0, best_ns = 0;
	int round;

	for (i = 0; i < n; i++) {
		lens[i] = strlen(numbers[i]);
		bytes += lens[i];
	}
	for (round = 0; round < 5; round++) {
		unsigned long reps = 0;
		double t0 = now(), t;

		do {
			for (i = 0; i < n; i++)
				if (aios_validate(AIOS_MSG_NUMBER,
						  (const u8 *)numbers[i], lens[i],
						  0, NULL)) {
					fprintf(stderr, "number rejected\n");
					exit(1);
				}
			reps++;
			t = now() - t0;
		} while (t < 0.2);
		if (reps * bytes / t / 1e6 > best) {
			best = reps * bytes / t / 1e6;
			best_ns = t * 1e9 / (reps * n);
		}
	}
	*ns_per_call = best_ns;
	return best;
}

int main(int argc, char **argv)
{
	struct buf json = { 0 }, json_ascii = { 0 }, ascii = { 0 }, utf8 = { 0 };
	double mj, mja, mta, mtu, mn, ns;
	FILE *f;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [RESULT.json]\n", argv[0]);
		return 2;
	}
	make_json(&json);
	make_json_ascii(&json_ascii);
	make_text(&ascii, false);
	make_text(&utf8, true);

	mj = measure(AIOS_MSG_JSON, &json);
	mja = measure(AIOS_MSG_JSON, &json_ascii);
	mta = measure(AIOS_MSG_TEXT, &ascii);
	mtu = measure(AIOS_MSG_TEXT, &utf8);
	mn = measure_numbers(&ns);

	printf("%-12s %10s %12s\n", "payload", "MB/s", "bytes");
	printf("%-12s %10.1f %12zu\n", "json", mj, json.len);
	printf("%-12s %10.1f %12zu\n", "json_ascii", mja, json_ascii.len);
	printf("%-12s %10.1f %12zu\n", "text_ascii", mta, ascii.len);
	printf("%-12s %10.1f %12zu\n", "text_utf8", mtu, utf8.len);
	printf("%-12s %10.1f %12s  (%.1f ns per NUMBER payload)\n", "number",
	       mn, "~7", ns);

	if (argc == 2) {
		f = fopen(argv[1], "w");
		if (!f) {
			perror(argv[1]);
			return 1;
		}
		fprintf(f, "{\"json_validate_mb_s\": %.1f, \"json_ascii_strings_mb_s\": %.1f, "
			"\"text_ascii_mb_s\": %.1f, \"text_utf8_mb_s\": %.1f, "
			"\"number_mb_s\": %.1f, \"number_ns_per_call\": %.1f, "
			"\"json_doc_bytes\": %zu}\n",
			mj, mja, mta, mtu, mn, ns, json.len);
		if (fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	}
	free(json.b);
	free(json_ascii.b);
	free(ascii.b);
	free(utf8.b);
	return 0;
}
