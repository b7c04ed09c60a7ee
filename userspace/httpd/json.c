// SPDX-License-Identifier: GPL-2.0
/* JSON helpers of aios-httpd. */
#include "httpd.h"

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
