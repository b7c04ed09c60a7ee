/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Payload type validators for typed agent IPC.
 *
 * Every typed IPC message declares a payload type; the kernel checks the
 * payload against it before the message is queued and rejects a mismatch
 * with EINVAL and a precise reason (byte offset + what was expected).
 *
 * The validators are pure functions: no allocation, no locking, no
 * recursion, a bounded stack (at most AIOS_VALIDATE_DEPTH_MAX bits of
 * nesting state) and a single pass over the payload.  The same source is
 * compiled into aios.ko and, with a small shim, into host unit tests and
 * benchmarks (kmod/tests/).
 *
 * Copyright (C) 2026 The aios authors
 */
#ifndef _AIOS_IPC_VALIDATE_H
#define _AIOS_IPC_VALIDATE_H

#include <linux/types.h>
#include <linux/aios.h>

/*
 * The declared payload types are enum aios_msg_type of the UAPI header
 * (the host shim builds use the same header, from $(TOP)/uapi):
 *
 * AIOS_MSG_TEXT:   valid UTF-8 (RFC 3629) without any NUL byte.  The empty
 *                  payload is valid.  U+FEFF (a BOM) is an ordinary
 *                  character in text and is accepted.
 * AIOS_MSG_NUMBER: exactly one JSON number literal (RFC 8259 grammar:
 *                  optional '-', integer part without leading zeros,
 *                  optional fraction, optional exponent); no surrounding
 *                  whitespace, no '+', NaN, Infinity or hex.  Magnitude
 *                  and precision are not limited.
 * AIOS_MSG_JSON:   one well-formed RFC 8259 JSON text: any value at the
 *                  top level, optional whitespace (space, tab, CR, LF)
 *                  around it, strings in valid UTF-8 with valid escapes
 *                  (\uXXXX surrogates must form a high+low pair; \u0000
 *                  is accepted), no raw control characters in strings,
 *                  nesting of arrays/objects at most max_depth deep.
 *                  A leading byte order mark is rejected (RFC 8259 8.1:
 *                  senders must not add one).  Duplicate object keys are
 *                  not checked.
 * AIOS_MSG_BINARY: any bytes.
 */
#define AIOS_MSG_TYPE_MAX		(__AIOS_MSG_MAX - 1)

/* JSON nesting limits: max_depth 0 selects the default. */
#define AIOS_VALIDATE_DEPTH_DEFAULT	64
#define AIOS_VALIDATE_DEPTH_MAX		1024

/*
 * struct aios_validate_err - why a payload was rejected
 * @offset: byte offset of the problem: the first byte that cannot start
 *          or continue a valid payload, with three refinements: a bad
 *          escape sequence (invalid escape, bad \u hex digits, unpaired
 *          surrogate escape) is reported at the backslash that starts it;
 *          input that ends too early (unterminated string, unclosed
 *          array, truncated UTF-8 sequence at the end, "-" alone...) is
 *          reported at offset == len; a depth violation is reported at
 *          the '[' or '{' that is one level too deep.
 * @reason: short static English text of what was wrong or expected, e.g.
 *          "expected ',' or '}'" (never NULL after a failure, shorter
 *          than 80 bytes, no trailing newline).
 */
struct aios_validate_err {
	size_t offset;
	const char *reason;
};

/*
 * aios_validate() - check that a payload matches its declared type
 * @type:      enum aios_msg_type
 * @buf:       payload (may be NULL when @len is 0)
 * @len:       payload length in bytes
 * @max_depth: JSON nesting limit, 1..AIOS_VALIDATE_DEPTH_MAX, or 0 for
 *             AIOS_VALIDATE_DEPTH_DEFAULT; ignored for other types
 * @err:       filled on failure; may be NULL
 *
 * Return: 0 if the payload is valid, -EINVAL otherwise (including an
 * unknown @type or an out-of-range @max_depth, which report offset 0).
 */
int aios_validate(u32 type, const u8 *buf, size_t len, u32 max_depth,
		  struct aios_validate_err *err);

int aios_validate_text(const u8 *buf, size_t len,
		       struct aios_validate_err *err);
int aios_validate_number(const u8 *buf, size_t len,
			 struct aios_validate_err *err);
int aios_validate_json(const u8 *buf, size_t len, u32 max_depth,
		       struct aios_validate_err *err);

#endif /* _AIOS_IPC_VALIDATE_H */
