/* SPDX-License-Identifier: GPL-2.0 */
/* CRC32C (Castagnoli) for ledger records; SSE4.2 when the CPU has it. */
#ifndef AIOS_RUNS_CRC32C_H
#define AIOS_RUNS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC32C over buf; start with crc = 0. */
uint32_t aios_runs_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
