// SPDX-License-Identifier: GPL-2.0
#include "base64.h"

#include <errno.h>
#include <stdbool.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void b64_encode(const void *src, size_t n, char *dst)
{
	const uint8_t *s = src;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		*dst++ = alphabet[v >> 18];
		*dst++ = alphabet[(v >> 12) & 63];
		*dst++ = alphabet[(v >> 6) & 63];
		*dst++ = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		*dst++ = alphabet[v >> 18];
		*dst++ = alphabet[(v >> 12) & 63];
		*dst++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		*dst++ = '=';
	}
	*dst = 0;
}

static int val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long b64_decode(const char *src, size_t slen, uint8_t *dst)
{
	size_t o = 0;

	if (slen % 4)
		return -EINVAL;
	for (size_t i = 0; i < slen; i += 4) {
		int a = val(src[i]), b = val(src[i + 1]);
		int c = src[i + 2] == '=' ? -2 : val(src[i + 2]);
		int d = src[i + 3] == '=' ? -2 : val(src[i + 3]);
		bool last = i + 4 == slen;

		if (a < 0 || b < 0 || c == -1 || d == -1)
			return -EINVAL;
		if ((c == -2 || d == -2) && !last)
			return -EINVAL;
		if (c == -2 && d != -2)
			return -EINVAL;
		dst[o++] = (uint8_t)(a << 2 | b >> 4);
		if (c == -2) {
			if (b & 15)
				return -EINVAL;	/* non-canonical */
			break;
		}
		dst[o++] = (uint8_t)((b & 15) << 4 | c >> 2);
		if (d == -2) {
			if (c & 3)
				return -EINVAL;
			break;
		}
		dst[o++] = (uint8_t)((c & 3) << 6 | d);
	}
	return (long)o;
}
