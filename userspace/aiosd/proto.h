/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiosd wire protocol, version 1 (Documentation/aiosd-protocol.md):
 * frames of a 4-byte big-endian length followed by that many bytes of a
 * UTF-8 JSON object.  Shared by the daemon and the client library.
 */
#ifndef AIOSD_PROTO_H
#define AIOSD_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AIOSD_PROTO_VERSION	1
#define AIOSD_FRAME_HDR		4
#define AIOSD_DEFAULT_MAX_MESSAGE	(4u << 20)

/*
 * Look at buf[0..len) for a complete frame.  Returns 0 when more bytes
 * are needed, the frame's total size (header included) with *payload and
 * *plen set, or -EMSGSIZE when the declared length is 0 or above max.
 */
long proto_frame(const uint8_t *buf, size_t len, size_t max,
		 const uint8_t **payload, size_t *plen);
void proto_frame_header(uint8_t hdr[AIOSD_FRAME_HDR], uint32_t n);

struct proto_req {
	json_t *root;		/* owned */
	const char *op;
	json_t *id;		/* borrowed from root, may be NULL */
};

/* Parse a request payload.  0, or -EINVAL/-EPROTONOSUPPORT with err set. */
int proto_parse(const uint8_t *p, size_t n, struct proto_req *r, char *err,
		size_t errlen);
void proto_req_free(struct proto_req *r);

/*
 * Reject members of obj other than "v", "id", "op" and those listed
 * (NULL-terminated); a listed "x" also allows "x_b64".
 */
int proto_check_fields(json_t *obj, const char *const *allowed, char *err,
		       size_t errlen);

/*
 * Get byte string field "name" (a JSON string, taken as its UTF-8 bytes)
 * or "name_b64" (base64).  *out is malloc'd (NUL-terminated for
 * convenience).  Returns 1 found, 0 absent (not required), -EINVAL.
 */
int proto_get_bytes(json_t *obj, const char *name, bool required, size_t max,
		    uint8_t **out, size_t *len, char *err, size_t errlen);
/* Set "name" (valid UTF-8 without NUL) or else "name_b64". */
int proto_set_bytes(json_t *obj, const char *name, const void *p, size_t n);

/* Get an unsigned integer field: 1 found, 0 absent, -EINVAL. */
int proto_get_u64(json_t *obj, const char *name, uint64_t *v, char *err,
		  size_t errlen);
int proto_get_bool(json_t *obj, const char *name, bool *v, char *err,
		   size_t errlen);

bool proto_utf8_valid(const uint8_t *p, size_t n);

/* {"v":1,"id":id,"ok":true} */
json_t *proto_ok(json_t *id);
/* {"v":1,"id":id,"ok":false,"error":{"code":"ENOENT","errno":2,"message":...}} */
json_t *proto_error(json_t *id, int err, const char *msg);
/* Name of an errno value ("ENOENT"), "EUNKNOWN" if unknown. */
const char *proto_errno_name(int err);

/*
 * Serialise msg into a malloc'd frame (header + JSON); NULL on ENOMEM.
 * *len gets the frame size.
 */
uint8_t *proto_encode(json_t *msg, size_t *len);

#endif
