/* SPDX-License-Identifier: GPL-2.0 */
/* Standard base64 (RFC 4648, with padding), strict decoding. */
#ifndef AIOSD_BASE64_H
#define AIOSD_BASE64_H

#include <stddef.h>
#include <stdint.h>

static inline size_t b64_enc_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Writes b64_enc_len(n) characters and a NUL. */
void b64_encode(const void *src, size_t n, char *dst);
/*
 * Decode a NUL-free string of slen characters into dst (room for
 * slen / 4 * 3 bytes).  Returns the decoded length or -EINVAL for a bad
 * character, bad length or bad padding.
 */
long b64_decode(const char *src, size_t slen, uint8_t *dst);

#endif
