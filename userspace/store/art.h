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
 * Every allocation is charged to art->acct and to *art->global: a leaf
 * (or a node too big for the arena) as the allocator hands it out plus
 * its per-chunk header, a node its arena slot.
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

/*
 * Arena for the wide inner nodes (node16 and node48, ART_SLAB_MIN to
 * ART_SLAB_MAX bytes) of all trees of one store: slots in multiples of
 * 32 bytes, 32-byte aligned (a node's header, path and key bytes then
 * share a cache line), carved from chunks that grow from 64 KiB to 2 MiB
 * (2 MiB chunks are 2 MiB aligned and advised for transparent huge
 * pages), with a free list per slot size.  These nodes are packed
 * together, apart from the leaves, so a lookup's path stays in few pages
 * and cache lines.  Freed slots are reused (a bigger free slot is split
 * before more is mapped), chunks are unmapped by art_slab_destroy().
 * Smaller nodes (node4, which every node starts as and is freed when it
 * grows) and bigger ones come from malloc, which reuses their memory for
 * leaves.  All zeros is a valid empty arena.
 */
#define ART_SLAB_UNIT	32u
#define ART_SLAB_MIN	160u	/* a node16 without a path */
#define ART_SLAB_MAX	1024u

struct art_slab {
	void *free[ART_SLAB_MAX / ART_SLAB_UNIT + 1];	/* by slot size / unit */
	uint8_t *cur, *end;	/* unused tail of the newest chunk */
	void *chunks;		/* chunk list, linked through their headers */
	size_t next_chunk;	/* size of the next chunk, 0: the first */
	uint64_t mapped;	/* bytes mapped */
};

void art_slab_destroy(struct art_slab *s);
/* Bytes the arena has mapped (nodes in use, free slots, unused tail). */
uint64_t art_slab_mapped(const struct art_slab *s);

struct art {
	void *root;
	struct art_acct acct;
	struct art_acct *global;	/* may be NULL */
	struct art_slab *slab;		/* where inner nodes live */
};

struct art_leaf;

/* Hard limits of the representation. */
#define ART_KEY_MAX	65535u
#define ART_VALUE_MAX	(64u << 20)

/* An empty tree whose nodes come from slab (shared by the trees of one
 * store; it must outlive them). */
void art_init(struct art *t, struct art_acct *global, struct art_slab *slab);
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
