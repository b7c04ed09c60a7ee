// SPDX-License-Identifier: GPL-2.0
/* JSON helpers of aios-httpd. */
#include "httpd.h"

#include <string.h>

/*
 * Deepest nesting of arrays and objects in a JSON text, counted before
 * it is parsed (jansson's own limit is 2048 levels of recursion; ours is
 * --max-depth).  Brackets inside strings do not count.
 */
unsigned int json_text_depth(const char *p, size_t n)
{
	unsigned int depth = 0, max = 0;
	bool str = false, esc = false;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == '"') {
			str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return max;
}

/* End of the JSON value starting at p[i] (whitespace skipped), or n if it
 * is cut short.  Only delimits; the text is trusted (aiosd's output). */
static size_t value_end(const char *p, size_t i, size_t n)
{
	unsigned int depth = 0;
	bool str = false, esc = false;

	for (; i < n; i++) {
		char c = p[i];

		if (str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"') {
				str = false;
				if (!depth)
					return i + 1;
			}
			continue;
		}
		if (c == '"') {
			str = true;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if (c == ']' || c == '}') {
			if (!depth)
				return i;	/* the end of the enclosing object */
			if (!--depth)
				return i + 1;
		} else if (c == ',' && !depth) {
			return i;
		}
	}
	return n;
}

static size_t skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i;
}

int json_members(const char *p, size_t n, struct json_member *m, unsigned int max)
{
	unsigned int k = 0;
	size_t i = skip_ws(p, 0, n);

	if (i >= n || p[i] != '{')
		return -1;
	i = skip_ws(p, i + 1, n);
	if (i < n && p[i] == '}')
		return skip_ws(p, i + 1, n) == n ? 0 : -1;
	for (;;) {
		size_t ke, ve;

		if (i >= n || p[i] != '"' || k == max)
			return -1;
		ke = value_end(p, i, n);
		if (ke >= n || p[ke - 1] != '"')
			return -1;
		m[k].key = p + i + 1;
		m[k].klen = ke - i - 2;
		i = skip_ws(p, ke, n);
		if (i >= n || p[i] != ':')
			return -1;
		i = skip_ws(p, i + 1, n);
		ve = value_end(p, i, n);
		if (ve >= n || ve == i)
			return -1;
		m[k].val = p + i;
		while (ve > i && (p[ve - 1] == ' ' || p[ve - 1] == '\t' || p[ve - 1] == '\n' ||
				  p[ve - 1] == '\r'))
			ve--;
		m[k].vlen = ve - i;
		k++;
		i = skip_ws(p, ve, n);
		if (i < n && p[i] == ',') {
			i = skip_ws(p, i + 1, n);
			continue;
		}
		if (i < n && p[i] == '}')
			return skip_ws(p, i + 1, n) == n ? (int)k : -1;
		return -1;
	}
}

bool json_member_is(const struct json_member *m, const char *name)
{
	return m->klen == strlen(name) && !memcmp(m->key, name, m->klen);
}
