/* SPDX-License-Identifier: GPL-2.0 */
/*
 * On-disk record format shared by the operation log and the snapshot.
 *
 * A file starts with a 16-byte header: 8 magic bytes ("AIOSLOG\0" or
 * "AIOSSNP\0"), a little-endian u32 format version (1) and the CRC32C of
 * the first 12 bytes.  Records follow back to back:
 *
 *   u32 crc      CRC32C of everything after this field (len + body)
 *   u32 len      body length (28 + klen + vlen)
 *   body:  u8 op, u8 flags (0), u16 reserved (0), u64 seq, u64 agent,
 *          u32 klen, u32 vlen, key bytes, value bytes
 *
 * All integers little-endian.  seq numbers log records 1, 2, 3...;
 * snapshot entries carry seq 0 and the snapshot ends with a SNAP_END
 * record whose seq is the last log record it contains and whose value
 * is the u64 number of entries.
 */
#ifndef AIOS_STORE_WAL_H
#define AIOS_STORE_WAL_H

#include <stddef.h>
#include <stdint.h>

enum wal_op {
	WAL_PUT		= 1,
	WAL_DEL		= 2,
	WAL_DELPREFIX	= 3,
	WAL_EVICT	= 4,
	WAL_SNAP_END	= 5,
};

#define WAL_FILE_HDR	16
#define WAL_REC_FIXED	36	/* crc + len + fixed body */
#define WAL_VERSION	1

extern const char wal_log_magic[8];
extern const char wal_snap_magic[8];

struct wal_rec {
	uint8_t op;
	uint64_t seq;
	uint64_t agent;
	const uint8_t *key;
	uint32_t klen;
	const uint8_t *val;
	uint32_t vlen;
};

static inline size_t wal_rec_size(size_t klen, size_t vlen)
{
	return WAL_REC_FIXED + klen + vlen;
}

/* Encode r into buf (wal_rec_size() bytes); returns the size. */
size_t wal_encode(uint8_t *buf, const struct wal_rec *r);

/*
 * Decode the record at buf[0..len).  Returns its size; 0 when the bytes
 * end before the record does (incomplete); -EBADMSG when the checksum or
 * a field is wrong (why in *why).  maxbody bounds the accepted length.
 */
long wal_decode(const uint8_t *buf, size_t len, size_t maxbody,
		struct wal_rec *r, const char **why);

void wal_file_header(uint8_t hdr[WAL_FILE_HDR], const char magic[8]);
/* 0, or -EBADMSG with *why. */
int wal_check_header(const uint8_t *buf, size_t len, const char magic[8],
		     const char **why);

#endif
