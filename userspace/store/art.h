/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Adaptive radix tree over byte-string keys (one tree per agent).
 *
 * Inner nodes come in four sizes (4, 16, 48 and 256 children) and carry
 * a compressed path (the bytes every key below them shares) plus an
 * optional "leaf slot" for the key that ends exactly at the node.  A leaf
 * keeps only the key bytes below its parent edge (its suffix) and the
 * value, so a key is stored once along its path: keys sharing a prefix
 * share its bytes.
 *
 * Every allocation is charged to art->acct and to *art->global (bytes as
 * the allocator hands them out, plus its per-chunk header).
 */
#ifndef AIOS_STORE_ART_H
#define AIOS_STORE_ART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct art_acct {
	int64_t mem;		/* bytes allocated for nodes and leaves */
	int64_t items;		/* keys */
	int64_t raw_key;	/* sum of key lengths */
	int64_t stored_key;	/* key bytes actually stored (prefixes,
				 * edge bytes, leaf suffixes) */
	int64_t value;		/* sum of value lengths */
};

struct art {
	void *root;
	struct art_acct acct;
	struct art_acct *global;	/* may be NULL */
};

struct art_leaf;

/* Hard limits of the representation. */
#define ART_KEY_MAX	65535u
#define ART_VALUE_MAX	(64u << 20)

void art_init(struct art *t, struct art_acct *global);
void art_destroy(struct art *t);

/* Returns the leaf of key or NULL. */
struct art_leaf *art_get(const struct art *t, const void *key, size_t klen);
const void *art_leaf_value(const struct art_leaf *l, size_t *vlen);
uint32_t art_leaf_atime(const struct art_leaf *l);
void art_leaf_touch(struct art_leaf *l, uint32_t now);

/*
 * Insert or replace.  Returns 1 when the key is new, 0 when replaced,
 * -ENOMEM (tree unchanged).  *leafp (optional) gets the key's leaf.
 */
int art_put(struct art *t, const void *key, size_t klen,
	    const void *val, size_t vlen, uint32_t atime,
	    struct art_leaf **leafp);

/* Returns 0 or -ENOENT. */
int art_delete(struct art *t, const void *key, size_t klen);

/*
 * In-order walk of the keys >= lb (or > lb with exclusive) - the whole
 * tree with lb_len 0 and !exclusive.  fn returns 0 to go on, anything
 * else stops the walk and is returned.  The key buffer passed to fn is
 * only valid during the call.  The tree must not be modified from fn.
 */
typedef int (*art_walk_fn)(void *arg, const uint8_t *key, size_t klen,
			   struct art_leaf *leaf);
int art_walk_from(const struct art *t, const void *lb, size_t lb_len,
		  bool exclusive, art_walk_fn fn, void *arg);
/* The same with a caller's key buffer of ART_KEY_MAX + 1 bytes. */
int art_walk_from_buf(const struct art *t, const void *lb, size_t lb_len,
		      bool exclusive, art_walk_fn fn, void *arg, uint8_t *kb);

/*
 * Pick a leaf by random descent (each branch of a node equally likely);
 * its key is copied to keybuf (capacity >= longest key).  Returns the key
 * length, or -ENOENT for an empty tree.  rnd is an xorshift state.
 */
long art_sample(const struct art *t, uint64_t *rnd, uint8_t *keybuf,
		struct art_leaf **leafp);

/*
 * Recompute every counter by walking the tree and check the structural
 * invariants (sorted node keys, canonical shape: no inner node without
 * two branches).  Returns 0 or -EUCLEAN with a description in msg.
 */
int art_check(const struct art *t, char *msg, size_t msglen);

/* Bytes charged for an allocation of n bytes. */
size_t art_alloc_cost(size_t n);

#endif
