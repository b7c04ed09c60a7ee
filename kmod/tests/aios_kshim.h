/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types and helpers kmod/ipc_validate.c uses, for building
 * it as ordinary host C in the unit tests and benchmarks.
 *
 * Copyright (C) 2026 The aios authors
 */
#ifndef AIOS_KSHIM_H
#define AIOS_KSHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>	/* memcpy(), as <linux/string.h> in the kernel */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#endif /* AIOS_KSHIM_H */
