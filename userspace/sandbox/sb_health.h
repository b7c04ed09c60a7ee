/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libaiossandbox: detection of the protections the kernel offers. */
#ifndef SB_HEALTH_H
#define SB_HEALTH_H

#include <stddef.h>

/*
 * Probes every protection; returns the AIOS_SB_PROT_* bits present and
 * writes one line per protection ("name: yes|NO (why)") to buf.
 */
unsigned int sb_health_probe(const char *cg_parent, int *landlock_abi,
			     char *buf, size_t len);

#endif
