// SPDX-License-Identifier: GPL-2.0
/*
 * aiosctl: plain text tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "table.h"

struct table {
	int ncols;
	size_t nrows, cap;
	char **cells;		/* (nrows + 1) * ncols, row 0 = head */
	size_t *width;
};

static int add(struct table *t, const char *const *cells)
{
	char **nc;
	size_t i, ncap, len;

	if (t->nrows + 1 == t->cap) {
		ncap = t->cap * 2;
		nc = realloc(t->cells, ncap * t->ncols * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		t->cells = nc;
		t->cap = ncap;
	}
	for (i = 0; i < (size_t)t->ncols; i++) {
		char *s = strdup(cells[i] ? cells[i] : "");

		if (!s) {
			while (i--)
				free(t->cells[t->nrows * t->ncols + i]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = s;
		len = strlen(s);
		if (len > t->width[i])
			t->width[i] = len;
	}
	t->nrows++;
	return 0;
}

struct table *table_new(int ncols, const char *const *head)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->cap = 16;
	t->cells = calloc(t->cap * ncols, sizeof(*t->cells));
	t->width = calloc(ncols, sizeof(*t->width));
	if (!t->cells || !t->width || add(t, head)) {
		table_free(t);
		return NULL;
	}
	return t;
}

int table_row(struct table *t, const char *const *cells)
{
	return add(t, cells);
}

void table_print(const struct table *t, FILE *f)
{
	size_t r;
	int c;

	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c == t->ncols - 1)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)t->width[c], s);
		}
	}
}

void table_free(struct table *t)
{
	size_t i;

	if (!t)
		return;
	if (t->cells)
		for (i = 0; i < t->nrows * t->ncols; i++)
			free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

int table_finish(struct table *t, bool ok)
{
	if (!t || !ok) {
		table_free(t);
		fprintf(stderr, "aiosctl: out of memory\n");
		return EXIT_FAIL;
	}
	table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}
