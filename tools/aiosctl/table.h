/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosctl: plain text tables with columns sized to their content.
 */
#ifndef AIOSCTL_TABLE_H
#define AIOSCTL_TABLE_H

#include <stdbool.h>
#include <stdio.h>

struct table;

/* A table with ncols columns titled by the ncols strings in head. */
struct table *table_new(int ncols, const char *const *head);
/* Append a row of ncols printf-formatted cells; 0 or -ENOMEM. */
int table_row(struct table *t, const char *const *cells);
/* Print with two spaces between columns; the last column is not padded. */
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);
/*
 * End a command's table: when t exists and ok, print it to stdout and
 * return EXIT_OK; otherwise (an allocation failed) print "aiosctl: out of
 * memory" to stderr and return EXIT_FAIL.  Frees t either way.
 */
int table_finish(struct table *t, bool ok);

#endif /* AIOSCTL_TABLE_H */
