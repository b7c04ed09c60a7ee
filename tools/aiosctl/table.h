/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosctl: plain text tables with columns sized to their content.
 */
#ifndef AIOSCTL_TABLE_H
#define AIOSCTL_TABLE_H

#include <stdio.h>

struct table;

/* A table with ncols columns titled by the ncols strings in head. */
struct table *table_new(int ncols, const char *const *head);
/* Append a row of ncols printf-formatted cells; 0 or -ENOMEM. */
int table_row(struct table *t, const char *const *cells);
/* Print with two spaces between columns; the last column is not padded. */
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

#endif /* AIOSCTL_TABLE_H */
