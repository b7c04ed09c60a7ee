// SPDX-License-Identifier: GPL-2.0
/*
 * aios-gpud: discovery of GPU device nodes under a /dev root.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "discover.h"

const char *gpud_kind_name(enum gpud_kind kind)
{
	return kind == GPUD_NVIDIA ? "nvidia" : "drm-render";
}

/* "<prefix><digits>" with no leading zeros (but "0"): the number, or -1. */
static long gpud_numbered(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = name + n;
	char *end;
	long v;

	if (strncmp(name, prefix, n) || !*p || *p < '0' || *p > '9')
		return -1;
	if (p[0] == '0' && p[1])
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	if (*end || errno || v > 1000000)
		return -1;
	return v;
}

static int gpud_cmp(const void *a, const void *b)
{
	const struct gpud_found *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Scan @dir for "<prefix>N" character devices; append to the list. */
static int gpud_scan(const char *dir, const char *prefix, enum gpud_kind kind,
		     struct gpud_found **list, int *n, int *cap, char *err,
		     size_t errlen)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	char path[PATH_MAX];
	long idx;

	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(err, errlen, "cannot read %s: %s", dir,
			 strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		idx = gpud_numbered(de->d_name, prefix);
		if (idx < 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (stat(path, &st) || !S_ISCHR(st.st_mode))
			continue;
		if (strlen(de->d_name) >= AIOS_GPU_NAME_MAX)
			continue;
		if (strlen(path) >= AIOS_GPU_PATH_MAX) {
			fprintf(stderr,
				"aios-gpud: skipping %s: path longer than %d bytes\n",
				path, AIOS_GPU_PATH_MAX - 1);
			continue;
		}
		if (*n == *cap) {
			int ncap = *cap ? *cap * 2 : 16;
			void *p = realloc(*list, ncap * sizeof(**list));

			if (!p) {
				closedir(d);
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			*list = p;
			*cap = ncap;
		}
		memset(&(*list)[*n], 0, sizeof(**list));
		(*list)[*n].kind = kind;
		(*list)[*n].index = idx;
		(*list)[*n].major = major(st.st_rdev);
		(*list)[*n].minor = minor(st.st_rdev);
		memcpy((*list)[*n].name, de->d_name, strlen(de->d_name) + 1);
		memcpy((*list)[*n].path, path, strlen(path) + 1);
		(*n)++;
	}
	closedir(d);
	return 0;
}

int gpud_discover(const char *root, struct gpud_found *out, int max,
		  char *err, size_t errlen)
{
	struct gpud_found *list = NULL;
	char abs[PATH_MAX], dri[PATH_MAX + 8];
	int n = 0, cap = 0, ret;

	if (!realpath(root, abs)) {
		ret = -errno;
		snprintf(err, errlen, "device root %s: %s", root,
			 strerror(errno));
		return ret;
	}
	ret = gpud_scan(abs, "nvidia", GPUD_NVIDIA, &list, &n, &cap, err,
			errlen);
	if (!ret) {
		snprintf(dri, sizeof(dri), "%s/dri", abs);
		ret = gpud_scan(dri, "renderD", GPUD_DRM_RENDER, &list, &n,
				&cap, err, errlen);
	}
	if (ret) {
		free(list);
		return ret;
	}
	if (n)
		qsort(list, n, sizeof(*list), gpud_cmp);
	for (int i = 0; i < n && i < max; i++)
		out[i] = list[i];
	free(list);
	return n;
}
