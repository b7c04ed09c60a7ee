// SPDX-License-Identifier: GPL-2.0
/* aiosd protocol: framing, request parsing, replies (see proto.h). */
#include "proto.h"
#include "base64.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long proto_frame(const uint8_t *buf, size_t len, size_t max,
		 const uint8_t **payload, size_t *plen)
{
	uint32_t n;

	if (len < AIOSD_FRAME_HDR)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	if (n == 0 || n > max)
		return -EMSGSIZE;
	if (len - AIOSD_FRAME_HDR < n)
		return 0;
	*payload = buf + AIOSD_FRAME_HDR;
	*plen = n;
	return (long)n + AIOSD_FRAME_HDR;
}

void proto_frame_header(uint8_t hdr[AIOSD_FRAME_HDR], uint32_t n)
{
	hdr[0] = (uint8_t)(n >> 24);
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
}

int proto_parse(const uint8_t *p, size_t n, struct proto_req *r, char *err,
		size_t errlen)
{
	json_error_t je;
	json_t *v, *op;

	memset(r, 0, sizeof(*r));
	r->root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &je);
	if (!r->root) {
		snprintf(err, errlen, "malformed JSON at byte %d: %s", je.position, je.text);
		return -EINVAL;
	}
	if (!json_is_object(r->root)) {
		snprintf(err, errlen, "a request must be a JSON object");
		goto bad;
	}
	r->id = json_object_get(r->root, "id");
	v = json_object_get(r->root, "v");
	if (!v || !json_is_integer(v)) {
		snprintf(err, errlen, "missing protocol version \"v\" (this server speaks %d)",
			 AIOSD_PROTO_VERSION);
		goto bad;
	}
	if (json_integer_value(v) != AIOSD_PROTO_VERSION) {
		snprintf(err, errlen, "protocol version %lld not supported (this server speaks %d)",
			 (long long)json_integer_value(v), AIOSD_PROTO_VERSION);
		return -EPROTONOSUPPORT;
	}
	op = json_object_get(r->root, "op");
	if (!op || !json_is_string(op)) {
		snprintf(err, errlen, "missing \"op\" string");
		goto bad;
	}
	r->op = json_string_value(op);
	return 0;
bad:
	return -EINVAL;
}

void proto_req_free(struct proto_req *r)
{
	json_decref(r->root);
	memset(r, 0, sizeof(*r));
}

int proto_check_fields(json_t *obj, const char *const *allowed, char *err,
		       size_t errlen)
{
	const char *key;
	json_t *val;

	json_object_foreach(obj, key, val) {
		bool ok = !strcmp(key, "v") || !strcmp(key, "id") || !strcmp(key, "op");

		for (int i = 0; !ok && allowed && allowed[i]; i++) {
			size_t l = strlen(allowed[i]);

			ok = !strcmp(key, allowed[i]) ||
			     (!strncmp(key, allowed[i], l) && !strcmp(key + l, "_b64"));
		}
		if (!ok) {
			snprintf(err, errlen, "unknown field \"%.64s\"", key);
			return -EINVAL;
		}
	}
	return 0;
}

int proto_get_bytes(json_t *obj, const char *name, bool required, size_t max,
		    uint8_t **out, size_t *len, char *err, size_t errlen)
{
	char b64name[64];
	json_t *t, *b;
	uint8_t *buf;

	snprintf(b64name, sizeof(b64name), "%s_b64", name);
	t = json_object_get(obj, name);
	b = json_object_get(obj, b64name);
	*out = NULL;
	*len = 0;
	if (t && b) {
		snprintf(err, errlen, "give either \"%s\" or \"%s\", not both", name, b64name);
		return -EINVAL;
	}
	if (!t && !b) {
		if (!required)
			return 0;
		snprintf(err, errlen, "missing \"%s\" (or \"%s\")", name, b64name);
		return -EINVAL;
	}
	if (!json_is_string(t ? t : b)) {
		snprintf(err, errlen, "\"%s\" must be a string", t ? name : b64name);
		return -EINVAL;
	}
	if (t) {
		size_t n = json_string_length(t);

		if (n > max) {
			snprintf(err, errlen, "\"%s\" is %zu bytes, the limit is %zu", name, n, max);
			return -E2BIG;
		}
		buf = malloc(n + 1);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, json_string_value(t), n);
		buf[n] = 0;
		*out = buf;
		*len = n;
		return 1;
	} else {
		size_t sl = json_string_length(b);
		long n;

		if (sl / 4 * 3 > max + 2) {
			snprintf(err, errlen, "\"%s\" decodes to more than the limit of %zu bytes",
				 b64name, max);
			return -E2BIG;
		}
		buf = malloc(sl / 4 * 3 + 1);
		if (!buf)
			return -ENOMEM;
		n = b64_decode(json_string_value(b), sl, buf);
		if (n < 0) {
			free(buf);
			snprintf(err, errlen, "\"%s\" is not valid base64", b64name);
			return -EINVAL;
		}
		if ((size_t)n > max) {
			free(buf);
			snprintf(err, errlen, "\"%s\" is %ld bytes, the limit is %zu", b64name, n, max);
			return -E2BIG;
		}
		buf[n] = 0;
		*out = buf;
		*len = (size_t)n;
		return 1;
	}
}

bool proto_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t k;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + k >= n)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

int proto_set_bytes(json_t *obj, const char *name, const void *p, size_t n)
{
	char b64name[64];
	json_t *s;

	if (proto_utf8_valid(p, n)) {
		s = json_stringn(p, n);
		if (!s)
			return -ENOMEM;
		return json_object_set_new(obj, name, s) ? -ENOMEM : 0;
	} else {
		char *enc = malloc(b64_enc_len(n) + 1);

		if (!enc)
			return -ENOMEM;
		b64_encode(p, n, enc);
		s = json_string(enc);
		free(enc);
		snprintf(b64name, sizeof(b64name), "%s_b64", name);
		if (!s)
			return -ENOMEM;
		return json_object_set_new(obj, b64name, s) ? -ENOMEM : 0;
	}
}

int proto_get_u64(json_t *obj, const char *name, uint64_t *v, char *err,
		  size_t errlen)
{
	json_t *t = json_object_get(obj, name);

	if (!t)
		return 0;
	if (!json_is_integer(t) || json_integer_value(t) < 0) {
		snprintf(err, errlen, "\"%s\" must be a non-negative integer", name);
		return -EINVAL;
	}
	*v = (uint64_t)json_integer_value(t);
	return 1;
}

int proto_get_bool(json_t *obj, const char *name, bool *v, char *err,
		   size_t errlen)
{
	json_t *t = json_object_get(obj, name);

	if (!t)
		return 0;
	if (!json_is_boolean(t)) {
		snprintf(err, errlen, "\"%s\" must be true or false", name);
		return -EINVAL;
	}
	*v = json_is_true(t);
	return 1;
}

static json_t *base_reply(json_t *id, bool ok)
{
	json_t *r = json_object();

	if (!r)
		return NULL;
	json_object_set_new(r, "v", json_integer(AIOSD_PROTO_VERSION));
	if (id)
		json_object_set(r, "id", id);
	json_object_set_new(r, "ok", json_boolean(ok));
	return r;
}

json_t *proto_ok(json_t *id)
{
	return base_reply(id, true);
}

const char *proto_errno_name(int err)
{
	static const struct {
		int e;
		const char *n;
	} names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EBUSY, "EBUSY" },
		{ EINVAL, "EINVAL" }, { EFBIG, "EFBIG" }, { ENOSPC, "ENOSPC" },
		{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" },
		{ EMSGSIZE, "EMSGSIZE" }, { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENODEV, "ENODEV" },
		{ EBADFD, "EBADFD" }, { ENOLINK, "ENOLINK" }, { EALREADY, "EALREADY" },
		{ EBADMSG, "EBADMSG" }, { EPROTO, "EPROTO" }, { ESRCH, "ESRCH" },
		{ ESTALE, "ESTALE" }, { EEXIST, "EEXIST" }, { ENOTDIR, "ENOTDIR" },
		{ EISDIR, "EISDIR" }, { ENOTEMPTY, "ENOTEMPTY" }, { EROFS, "EROFS" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { ECANCELED, "ECANCELED" },
		{ EDQUOT, "EDQUOT" }, { ERANGE, "ERANGE" }, { EOVERFLOW, "EOVERFLOW" },
		{ EILSEQ, "EILSEQ" }, { ECHILD, "ECHILD" }, { EINTR, "EINTR" },
		{ ENOEXEC, "ENOEXEC" }, { ENOTCONN, "ENOTCONN" }, { EDEADLK, "EDEADLK" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == err)
			return names[i].n;
	return "EUNKNOWN";
}

json_t *proto_error(json_t *id, int err, const char *msg)
{
	json_t *r = base_reply(id, false), *e;

	if (!r)
		return NULL;
	if (err < 0)
		err = -err;
	e = json_pack("{s:s, s:i, s:s}", "code", proto_errno_name(err), "errno", err,
		      "message", msg ? msg : "");
	if (!e) {
		/* a message that is not valid UTF-8 cannot go in a string */
		e = json_pack("{s:s, s:i, s:s}", "code", proto_errno_name(err), "errno",
			      err, "message", "(unprintable message)");
	}
	json_object_set_new(r, "error", e);
	return r;
}

uint8_t *proto_encode(json_t *msg, size_t *len)
{
	size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT);
	uint8_t *buf;

	if (!n || n > UINT32_MAX)
		return NULL;
	buf = malloc(n + AIOSD_FRAME_HDR);
	if (!buf)
		return NULL;
	if (json_dumpb(msg, (char *)buf + AIOSD_FRAME_HDR, n, JSON_COMPACT) != n) {
		free(buf);
		return NULL;
	}
	proto_frame_header(buf, (uint32_t)n);
	*len = n + AIOSD_FRAME_HDR;
	return buf;
}
