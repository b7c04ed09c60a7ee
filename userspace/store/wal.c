// SPDX-License-Identifier: GPL-2.0
/* Record encoding and decoding for the store's log and snapshot files. */
#include "wal.h"
#include "crc32c.h"

#include <errno.h>
#include <string.h>

const char wal_log_magic[8] = "AIOSLOG";
const char wal_snap_magic[8] = "AIOSSNP";

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

size_t wal_encode(uint8_t *buf, const struct wal_rec *r)
{
	size_t body = 28 + (size_t)r->klen + r->vlen;

	put32(buf + 4, (uint32_t)body);
	buf[8] = r->op;
	buf[9] = 0;
	buf[10] = 0;
	buf[11] = 0;
	put64(buf + 12, r->seq);
	put64(buf + 20, r->agent);
	put32(buf + 28, r->klen);
	put32(buf + 32, r->vlen);
	if (r->klen)
		memcpy(buf + 36, r->key, r->klen);
	if (r->vlen)
		memcpy(buf + 36 + r->klen, r->val, r->vlen);
	put32(buf, aios_crc32c(0, buf + 4, body + 4));
	return body + 8;
}

long wal_decode(const uint8_t *buf, size_t len, size_t maxbody,
		struct wal_rec *r, const char **why)
{
	uint32_t body;

	if (len < 8)
		return 0;
	body = get32(buf + 4);
	if (body < 28 || body > maxbody) {
		/* A length that cannot be: still "incomplete" if it runs
		 * past the end, which the caller treats as a torn write. */
		if ((size_t)body + 8 > len)
			return 0;
		*why = "impossible record length";
		return -EBADMSG;
	}
	if ((size_t)body + 8 > len)
		return 0;
	if (get32(buf) != aios_crc32c(0, buf + 4, (size_t)body + 4)) {
		*why = "checksum mismatch";
		return -EBADMSG;
	}
	r->op = buf[8];
	r->seq = get64(buf + 12);
	r->agent = get64(buf + 20);
	r->klen = get32(buf + 28);
	r->vlen = get32(buf + 32);
	if (buf[9] || buf[10] || buf[11] || r->op < WAL_PUT || r->op > WAL_SNAP_END) {
		*why = "unknown operation or flags";
		return -EBADMSG;
	}
	if ((uint64_t)r->klen + r->vlen + 28 != body) {
		*why = "key and value lengths do not match the record length";
		return -EBADMSG;
	}
	r->key = buf + 36;
	r->val = buf + 36 + r->klen;
	return (long)body + 8;
}

void wal_file_header(uint8_t hdr[WAL_FILE_HDR], const char magic[8])
{
	memcpy(hdr, magic, 8);
	put32(hdr + 8, WAL_VERSION);
	put32(hdr + 12, aios_crc32c(0, hdr, 12));
}

int wal_check_header(const uint8_t *buf, size_t len, const char magic[8],
		     const char **why)
{
	if (len < WAL_FILE_HDR) {
		*why = "file shorter than its header";
		return -EBADMSG;
	}
	if (memcmp(buf, magic, 8)) {
		*why = "wrong magic (not a store file of this kind)";
		return -EBADMSG;
	}
	if (get32(buf + 12) != aios_crc32c(0, buf, 12)) {
		*why = "header checksum mismatch";
		return -EBADMSG;
	}
	if (get32(buf + 8) != WAL_VERSION) {
		*why = "unsupported format version";
		return -EBADMSG;
	}
	return 0;
}
