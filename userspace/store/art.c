// SPDX-License-Identifier: GPL-2.0
/*
 * Adaptive radix tree (see art.h).  Layout:
 *
 *   struct node (16 bytes): type, number of children, length of the
 *   compressed path, leaf slot.  Then the compressed path bytes (padded
 *   to 8), then per type the child index and the child pointers - the
 *   header, a short path and the key bytes share the first cache line.
 *     node4:   4 sorted key bytes,  4 pointers       (56 bytes + path)
 *     node16: 16 sorted key bytes, 16 pointers       (160 bytes + path)
 *     node48: 256-byte index into 48 pointers        (656 bytes + path)
 *     node256: 256 pointers                          (2064 bytes + path)
 *   A child pointer with bit 0 set is a leaf.  A leaf holds 8 bytes of
 *   header (access time, packed lengths), its key suffix and the value.
 *   Nodes live in the store's arena (32-byte slots, packed apart from the
 *   leaves, huge pages once it is big), leaves come from malloc.
 *
 * A lookup reads, per node, the first line (header, path, key bytes) and
 * the line of the child pointer; the full key is compared only at the
 * leaf (the suffix below its parent), and nothing is written but the
 * leaf's access time (by the store).
 *
 * The tree is kept canonical: an inner node always has at least two
 * branches (children plus leaf slot); deletes merge single-branch nodes
 * into their child, so the shape depends only on the set of keys.
 */
#include "art.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n)		((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n)	((void)(p), (void)(n))
#endif

enum { N4, N16, N48, N256 };

struct node {
	uint8_t type;
	uint8_t pad;
	uint16_t n;		/* children */
	uint32_t plen;		/* compressed path length */
	struct art_leaf *leaf;	/* key ending at this node, or NULL */
	uint8_t path[];		/* plen bytes, padded to 8, then the body */
};

/* Bodies, at node_body(): after the header and the compressed path, so
 * that the header, the path and the key bytes share the first cache line
 * and a lookup reads the node in one or two lines. */
struct node4 {
	uint8_t keys[4];
	uint8_t pad[4];
	void *child[4];
};

struct node16 {
	uint8_t keys[16];
	void *child[16];
};

struct node48 {
	uint8_t index[256];	/* slot + 1, 0 = none */
	void *child[48];	/* slots 0..n-1 used */
};

struct node256 {
	void *child[256];
};

#define LEAF_BIG	0x80000000u
#define LEAF_SMAX	0x3ffu
#define LEAF_VMAX	0x1fffffu

struct art_leaf {
	uint32_t atime;
	uint32_t meta;		/* small: slen | vlen << 10; LEAF_BIG: lengths
				 * in the first 8 data bytes */
	uint8_t data[];
};

static const size_t body_size[4] = {
	sizeof(struct node4), sizeof(struct node16),
	sizeof(struct node48), sizeof(struct node256),
};

struct piece {
	const uint8_t *p;
	size_t n;
};

static inline bool is_leaf(const void *p)
{
	return (uintptr_t)p & 1;
}

static inline struct art_leaf *to_leaf(const void *p)
{
	return (struct art_leaf *)((uintptr_t)p & ~(uintptr_t)1);
}

static inline void *tag_leaf(struct art_leaf *l)
{
	return (void *)((uintptr_t)l | 1);
}

static inline uint8_t *node_prefix(const struct node *n)
{
	return (uint8_t *)n->path;
}

static inline size_t path_room(size_t plen)
{
	return (plen + 7) & ~(size_t)7;
}

static inline void *node_body(const struct node *n)
{
	return (uint8_t *)n + sizeof(struct node) + path_room(n->plen);
}

#define NB4(n)		((struct node4 *)node_body(n))
#define NB16(n)		((struct node16 *)node_body(n))
#define NB48(n)		((struct node48 *)node_body(n))
#define NB256(n)	((struct node256 *)node_body(n))

/* Equality of short byte strings without a library call. */
static inline bool bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t x, y;

	while (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
		a += 8;
		b += 8;
		n -= 8;
	}
	while (n--)
		if (*a++ != *b++)
			return false;
	return true;
}

size_t art_alloc_cost(size_t n)
{
	size_t c = (n + sizeof(size_t) + 15) & ~(size_t)15;

	return c < 32 ? 32 : c;
}

static inline int64_t chunk_cost(void *p)
{
	return (int64_t)(malloc_usable_size(p) + sizeof(size_t));
}

static void charge(struct art *t, int64_t mem, int64_t skey)
{
	t->acct.mem += mem;
	t->acct.stored_key += skey;
	if (t->global) {
		t->global->mem += mem;
		t->global->stored_key += skey;
	}
}

static void charge_item(struct art *t, int64_t items, int64_t raw, int64_t val)
{
	t->acct.items += items;
	t->acct.raw_key += raw;
	t->acct.value += val;
	if (t->global) {
		t->global->items += items;
		t->global->raw_key += raw;
		t->global->value += val;
	}
}

static void *xalloc(struct art *t, size_t n)
{
	void *p = malloc(n);

	if (p)
		charge(t, chunk_cost(p), 0);
	return p;
}

/* ---- node arena (see art.h) ---- */

#define SLAB_FIRST	(64u << 10)
#define SLAB_BIG	(2u << 20)
#define CHUNK_HDR	64u	/* next chunk, size; slots start after it */

struct chunk_hdr {
	void *next;
	size_t size;
};

static inline size_t slab_cost(size_t n)
{
	return (n + ART_SLAB_UNIT - 1) & ~(size_t)(ART_SLAB_UNIT - 1);
}

static inline void slab_push(struct art_slab *s, void *p, size_t cost)
{
	size_t c = cost / ART_SLAB_UNIT;

	ASAN_UNPOISON_MEMORY_REGION(p, sizeof(void *));
	*(void **)p = s->free[c];
	s->free[c] = p;
	ASAN_POISON_MEMORY_REGION(p, cost);
}

static void *slab_map(size_t size)
{
	uint8_t *p, *a;

	if (size < SLAB_BIG) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	/* 2 MiB aligned, so that the kernel can back it by one huge page */
	p = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + size - 1) & ~(uintptr_t)(size - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + size < p + 2 * size)
		munmap(a + size, (size_t)(p + 2 * size - (a + size)));
#ifdef MADV_HUGEPAGE
	madvise(a, size, MADV_HUGEPAGE);	/* a hint; failure is harmless */
#endif
	return a;
}

static void *slab_alloc(struct art_slab *s, size_t n)
{
	size_t cost = slab_cost(n), c = cost / ART_SLAB_UNIT;
	void *p = s->free[c];

	if (p) {
		ASAN_UNPOISON_MEMORY_REGION(p, sizeof(void *));
		s->free[c] = *(void **)p;
	} else {
		if ((size_t)(s->end - s->cur) < cost) {
			size_t size = s->next_chunk ? s->next_chunk : SLAB_FIRST;
			struct chunk_hdr *h;

			/* before mapping more, split a bigger free slot */
			for (size_t b = c + 1; b <= ART_SLAB_MAX / ART_SLAB_UNIT; b++) {
				p = s->free[b];
				if (!p)
					continue;
				ASAN_UNPOISON_MEMORY_REGION(p, sizeof(void *));
				s->free[b] = *(void **)p;
				slab_push(s, (uint8_t *)p + cost, b * ART_SLAB_UNIT - cost);
				ASAN_UNPOISON_MEMORY_REGION(p, n);
				return p;
			}
			h = slab_map(size);
			if (!h)
				return NULL;
			/* the old tail becomes a free slot of its size */
			if (s->end > s->cur)
				slab_push(s, s->cur, (size_t)(s->end - s->cur));
			h->next = s->chunks;
			h->size = size;
			s->chunks = h;
			s->mapped += size;
			s->next_chunk = size < SLAB_BIG ? size * 2 : SLAB_BIG;
			s->cur = (uint8_t *)h + CHUNK_HDR;
			s->end = (uint8_t *)h + size;
			ASAN_POISON_MEMORY_REGION(s->cur, (size_t)(s->end - s->cur));
		}
		p = s->cur;
		s->cur += cost;
	}
	ASAN_UNPOISON_MEMORY_REGION(p, n);
	return p;
}

void art_slab_destroy(struct art_slab *s)
{
	void *c = s->chunks;

	while (c) {
		struct chunk_hdr *h = c;
		size_t size = h->size;

		c = h->next;
		ASAN_UNPOISON_MEMORY_REGION(h, size);
		munmap(h, size);
	}
	memset(s, 0, sizeof(*s));
}

uint64_t art_slab_mapped(const struct art_slab *s)
{
	return s->mapped;
}

static inline bool in_slab(size_t n)
{
	return n >= ART_SLAB_MIN && n <= ART_SLAB_MAX;
}

/* Bytes charged for a node of n bytes at p. */
static inline int64_t node_cost(const void *p, size_t n)
{
	return in_slab(n) ? (int64_t)slab_cost(n) : chunk_cost((void *)p);
}

static void *xalloc_node(struct art *t, size_t n)
{
	void *p = in_slab(n) ? slab_alloc(t->slab, n) : malloc(n);

	if (p)
		charge(t, node_cost(p, n), 0);
	return p;
}

static void xfree_node(struct art *t, void *p, size_t n)
{
	charge(t, -node_cost(p, n), 0);
	if (in_slab(n))
		slab_push(t->slab, p, slab_cost(n));
	else
		free(p);
}

static void xfree(struct art *t, void *p)
{
	charge(t, -chunk_cost(p), 0);
	free(p);
}

/* ---- leaves ---- */

static inline size_t leaf_slen(const struct art_leaf *l)
{
	uint32_t v;

	if (!(l->meta & LEAF_BIG))
		return l->meta & LEAF_SMAX;
	memcpy(&v, l->data, 4);
	return v;
}

static inline const uint8_t *leaf_suffix(const struct art_leaf *l, size_t *slen)
{
	if (!(l->meta & LEAF_BIG)) {
		*slen = l->meta & LEAF_SMAX;
		return l->data;
	}
	*slen = leaf_slen(l);
	return l->data + 8;
}

static inline const uint8_t *leaf_val(const struct art_leaf *l, size_t *vlen)
{
	uint32_t s, v;

	if (!(l->meta & LEAF_BIG)) {
		*vlen = (l->meta >> 10) & LEAF_VMAX;
		return l->data + (l->meta & LEAF_SMAX);
	}
	memcpy(&s, l->data, 4);
	memcpy(&v, l->data + 4, 4);
	*vlen = v;
	return l->data + 8 + s;
}

static struct art_leaf *leaf_make(struct art *t, const struct piece *pc,
				  int npc, const void *val, size_t vlen,
				  uint32_t atime)
{
	size_t slen = 0, hdr;
	struct art_leaf *l;
	uint8_t *d;
	bool big;

	for (int i = 0; i < npc; i++)
		slen += pc[i].n;
	big = slen > LEAF_SMAX || vlen > LEAF_VMAX;
	hdr = big ? 8 : 0;
	l = xalloc(t, sizeof(*l) + hdr + slen + vlen);
	if (!l)
		return NULL;
	l->atime = atime;
	if (big) {
		uint32_t s = (uint32_t)slen, v = (uint32_t)vlen;

		l->meta = LEAF_BIG;
		memcpy(l->data, &s, 4);
		memcpy(l->data + 4, &v, 4);
	} else {
		l->meta = (uint32_t)slen | (uint32_t)vlen << 10;
	}
	d = l->data + hdr;
	for (int i = 0; i < npc; i++) {
		if (pc[i].n)
			memcpy(d, pc[i].p, pc[i].n);
		d += pc[i].n;
	}
	if (vlen)
		memcpy(d, val, vlen);
	charge(t, 0, (int64_t)slen);
	return l;
}

/* A copy of leaf l whose suffix is pc[0..npc) (value and atime kept). */
static struct art_leaf *leaf_resuffix(struct art *t, const struct art_leaf *l,
				      const struct piece *pc, int npc)
{
	size_t vlen;
	const uint8_t *v = leaf_val(l, &vlen);

	return leaf_make(t, pc, npc, v, vlen, l->atime);
}

static void leaf_free(struct art *t, struct art_leaf *l)
{
	charge(t, 0, -(int64_t)leaf_slen(l));
	xfree(t, l);
}

const void *art_leaf_value(const struct art_leaf *l, size_t *vlen)
{
	return leaf_val(l, vlen);
}

uint32_t art_leaf_atime(const struct art_leaf *l)
{
	return l->atime;
}

void art_leaf_touch(struct art_leaf *l, uint32_t now)
{
	l->atime = now;
}

/* ---- inner nodes ---- */

static struct node *node_alloc(struct art *t, int type, const struct piece *pc,
			       int npc)
{
	size_t plen = 0;
	struct node *n;
	uint8_t *d;

	for (int i = 0; i < npc; i++)
		plen += pc[i].n;
	n = xalloc_node(t, sizeof(struct node) + path_room(plen) + body_size[type]);
	if (!n)
		return NULL;
	memset(n, 0, sizeof(struct node) + path_room(plen) + body_size[type]);
	n->type = (uint8_t)type;
	n->plen = (uint32_t)plen;
	d = node_prefix(n);
	for (int i = 0; i < npc; i++) {
		if (pc[i].n)
			memcpy(d, pc[i].p, pc[i].n);
		d += pc[i].n;
	}
	charge(t, 0, (int64_t)plen);
	return n;
}

static inline size_t node_size(const struct node *n)
{
	return sizeof(struct node) + path_room(n->plen) + body_size[n->type];
}

static void node_free(struct art *t, struct node *n)
{
	charge(t, 0, -(int64_t)n->plen);
	xfree_node(t, n, node_size(n));
}

/* Same node with another compressed path; frees the old one. */
static struct node *node_reprefix(struct art *t, struct node *n,
				  const struct piece *pc, int npc)
{
	struct node *m = node_alloc(t, n->type, pc, npc);

	if (!m)
		return NULL;
	memcpy(node_body(m), node_body(n), body_size[n->type]);
	m->n = n->n;
	m->leaf = n->leaf;
	node_free(t, n);
	return m;
}

static inline void **find_child(struct node *n, uint8_t b)
{
	switch (n->type) {
	case N4: {
		struct node4 *a = NB4(n);

		for (int i = 0; i < n->n; i++)
			if (a->keys[i] == b)
				return &a->child[i];
		return NULL;
	}
	case N16: {
		struct node16 *a = NB16(n);
#if defined(__SSE2__)
		__m128i cmp = _mm_cmpeq_epi8(_mm_set1_epi8((char)b),
					     _mm_loadu_si128((const __m128i *)a->keys));
		unsigned int mask = (unsigned int)_mm_movemask_epi8(cmp) &
				    ((1u << n->n) - 1);

		return mask ? &a->child[__builtin_ctz(mask)] : NULL;
#else
		for (int i = 0; i < n->n; i++)
			if (a->keys[i] == b)
				return &a->child[i];
		return NULL;
#endif
	}
	case N48: {
		struct node48 *a = NB48(n);

		return a->index[b] ? &a->child[a->index[b] - 1] : NULL;
	}
	default: {
		struct node256 *a = NB256(n);

		return a->child[b] ? &a->child[b] : NULL;
	}
	}
}

/* Insert into a sorted key/child array of a node4/node16 with room. */
static void sorted_insert(uint8_t *keys, void **child, int n, uint8_t b, void *c)
{
	int i = 0;

	while (i < n && keys[i] < b)
		i++;
	memmove(keys + i + 1, keys + i, (size_t)(n - i));
	memmove(child + i + 1, child + i, (size_t)(n - i) * sizeof(void *));
	keys[i] = b;
	child[i] = c;
}

static struct node *node_grow(struct art *t, struct node *n)
{
	struct piece pc = { node_prefix(n), n->plen };
	struct node *m = node_alloc(t, n->type + 1, &pc, 1);

	if (!m)
		return NULL;
	m->n = n->n;
	m->leaf = n->leaf;
	switch (n->type) {
	case N4: {
		struct node4 *a = NB4(n);
		struct node16 *b = NB16(m);

		memcpy(b->keys, a->keys, 4);
		memcpy(b->child, a->child, 4 * sizeof(void *));
		break;
	}
	case N16: {
		struct node16 *a = NB16(n);
		struct node48 *b = NB48(m);

		for (int i = 0; i < n->n; i++) {
			b->index[a->keys[i]] = (uint8_t)(i + 1);
			b->child[i] = a->child[i];
		}
		break;
	}
	case N48: {
		struct node48 *a = NB48(n);
		struct node256 *b = NB256(m);

		for (int i = 0; i < 256; i++)
			if (a->index[i])
				b->child[i] = a->child[a->index[i] - 1];
		break;
	}
	}
	node_free(t, n);
	return m;
}

/* Add child c under byte b (not present); may replace *ref. */
static int add_child(struct art *t, void **ref, uint8_t b, void *c)
{
	struct node *n = *ref;

	switch (n->type) {
	case N4:
		if (n->n < 4) {
			struct node4 *a = NB4(n);

			sorted_insert(a->keys, a->child, n->n, b, c);
			break;
		}
		goto grow;
	case N16:
		if (n->n < 16) {
			struct node16 *a = NB16(n);

			sorted_insert(a->keys, a->child, n->n, b, c);
			break;
		}
		goto grow;
	case N48:
		if (n->n < 48) {
			struct node48 *a = NB48(n);

			a->child[n->n] = c;
			a->index[b] = (uint8_t)(n->n + 1);
			break;
		}
		goto grow;
	default:
		(NB256(n))->child[b] = c;
		break;
	}
	n->n++;
	charge(t, 0, 1);
	return 0;
grow:
	n = node_grow(t, n);
	if (!n)
		return -ENOMEM;
	*ref = n;
	return add_child(t, ref, b, c);
}

static struct node *node_shrink(struct art *t, struct node *n)
{
	struct piece pc = { node_prefix(n), n->plen };
	struct node *m = node_alloc(t, n->type - 1, &pc, 1);
	int j = 0;

	if (!m)
		return n;	/* keep the bigger node; still valid */
	m->n = n->n;
	m->leaf = n->leaf;
	switch (n->type) {
	case N16: {
		struct node16 *a = NB16(n);
		struct node4 *b = NB4(m);

		memcpy(b->keys, a->keys, n->n);
		memcpy(b->child, a->child, n->n * sizeof(void *));
		break;
	}
	case N48: {
		struct node48 *a = NB48(n);
		struct node16 *b = NB16(m);

		for (int i = 0; i < 256; i++)
			if (a->index[i]) {
				b->keys[j] = (uint8_t)i;
				b->child[j++] = a->child[a->index[i] - 1];
			}
		break;
	}
	case N256: {
		struct node256 *a = NB256(n);
		struct node48 *b = NB48(m);

		for (int i = 0; i < 256; i++)
			if (a->child[i]) {
				b->child[j] = a->child[i];
				b->index[i] = (uint8_t)++j;
			}
		break;
	}
	}
	node_free(t, n);
	return m;
}

/* Remove the child under byte b (present); may replace *ref. */
static void remove_child(struct art *t, void **ref, uint8_t b)
{
	struct node *n = *ref;

	switch (n->type) {
	case N4:
	case N16: {
		uint8_t *keys = n->type == N4 ? (NB4(n))->keys :
						(NB16(n))->keys;
		void **child = n->type == N4 ? (NB4(n))->child :
					       (NB16(n))->child;
		int i = 0;

		while (keys[i] != b)
			i++;
		memmove(keys + i, keys + i + 1, (size_t)(n->n - i - 1));
		memmove(child + i, child + i + 1,
			(size_t)(n->n - i - 1) * sizeof(void *));
		break;
	}
	case N48: {
		struct node48 *a = NB48(n);
		int slot = a->index[b] - 1, last = n->n - 1;

		a->index[b] = 0;
		if (slot != last) {
			a->child[slot] = a->child[last];
			for (int i = 0; i < 256; i++)
				if (a->index[i] == last + 1) {
					a->index[i] = (uint8_t)(slot + 1);
					break;
				}
		}
		a->child[last] = NULL;
		break;
	}
	default:
		(NB256(n))->child[b] = NULL;
		break;
	}
	n->n--;
	charge(t, 0, -1);
	if ((n->type == N16 && n->n <= 3) || (n->type == N48 && n->n <= 12) ||
	    (n->type == N256 && n->n <= 40))
		*ref = node_shrink(t, n);
}

/* The only child of n (n->n == 1). */
static void *only_child(struct node *n, uint8_t *b)
{
	switch (n->type) {
	case N4:
		*b = (NB4(n))->keys[0];
		return (NB4(n))->child[0];
	case N16:
		*b = (NB16(n))->keys[0];
		return (NB16(n))->child[0];
	case N48:
		for (int i = 0; i < 256; i++)
			if ((NB48(n))->index[i]) {
				*b = (uint8_t)i;
				return (NB48(n))->child[0];
			}
		break;
	default:
		for (int i = 0; i < 256; i++)
			if ((NB256(n))->child[i]) {
				*b = (uint8_t)i;
				return (NB256(n))->child[i];
			}
		break;
	}
	return NULL;
}

/* Restore the canonical shape of *ref after a removal below it. */
static void fix_node(struct art *t, void **ref)
{
	struct node *n = *ref;
	struct piece pc[3];

	pc[0].p = node_prefix(n);
	pc[0].n = n->plen;
	if (n->n == 0) {
		struct art_leaf *l;

		if (!n->leaf) {
			node_free(t, n);
			*ref = NULL;
			return;
		}
		l = leaf_resuffix(t, n->leaf, pc, 1);
		if (!l)
			return;
		leaf_free(t, n->leaf);
		node_free(t, n);
		*ref = tag_leaf(l);
	} else if (n->n == 1 && !n->leaf) {
		uint8_t b;
		void *c = only_child(n, &b);

		pc[1].p = &b;
		pc[1].n = 1;
		if (is_leaf(c)) {
			struct art_leaf *ol = to_leaf(c), *l;
			size_t slen;

			pc[2].p = leaf_suffix(ol, &slen);
			pc[2].n = slen;
			l = leaf_resuffix(t, ol, pc, 3);
			if (!l)
				return;
			leaf_free(t, ol);
			*ref = tag_leaf(l);
		} else {
			struct node *cn = c, *m;

			pc[2].p = node_prefix(cn);
			pc[2].n = cn->plen;
			m = node_reprefix(t, cn, pc, 3);
			if (!m)
				return;
			*ref = m;
		}
		charge(t, 0, -1);	/* the edge byte moved into the path */
		node_free(t, n);
	}
}

/* ---- public operations ---- */

void art_init(struct art *t, struct art_acct *global, struct art_slab *slab)
{
	memset(t, 0, sizeof(*t));
	t->global = global;
	t->slab = slab;
}

static void destroy_rec(struct art *t, void *p)
{
	struct node *n;

	if (!p)
		return;
	if (is_leaf(p)) {
		leaf_free(t, to_leaf(p));
		return;
	}
	n = p;
	if (n->leaf)
		leaf_free(t, n->leaf);
	switch (n->type) {
	case N4:
		for (int i = 0; i < n->n; i++)
			destroy_rec(t, (NB4(n))->child[i]);
		break;
	case N16:
		for (int i = 0; i < n->n; i++)
			destroy_rec(t, (NB16(n))->child[i]);
		break;
	case N48:
		for (int i = 0; i < n->n; i++)
			destroy_rec(t, (NB48(n))->child[i]);
		break;
	default:
		for (int i = 0; i < 256; i++)
			destroy_rec(t, (NB256(n))->child[i]);
		break;
	}
	charge(t, 0, -(int64_t)n->n);
	node_free(t, n);
}

void art_destroy(struct art *t)
{
	destroy_rec(t, t->root);
	t->root = NULL;
	charge_item(t, -t->acct.items, -t->acct.raw_key, -t->acct.value);
}

struct art_leaf *art_get(const struct art *t, const void *key, size_t klen)
{
	const uint8_t *k = key;
	void *p = t->root;
	size_t depth = 0;

	while (p) {
		struct node *n;
		void **c;

		if (is_leaf(p)) {
			struct art_leaf *l = to_leaf(p);
			size_t slen;
			const uint8_t *s = leaf_suffix(l, &slen);

			if (slen == klen - depth && bytes_eq(s, k + depth, slen))
				return l;
			return NULL;
		}
		n = p;
		if (n->plen) {
			if (n->plen > klen - depth ||
			    !bytes_eq(node_prefix(n), k + depth, n->plen))
				return NULL;
			depth += n->plen;
		}
		if (depth == klen)
			return n->leaf;
		c = find_child(n, k[depth]);
		if (!c)
			return NULL;
		p = *c;
		depth++;
	}
	return NULL;
}

static size_t lcp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen, i = 0;

	while (i < m && a[i] == b[i])
		i++;
	return i;
}

/* Replace the leaf at *slot (a tagged child or a leaf slot) by a new value. */
static int replace_leaf(struct art *t, struct art_leaf **lp, const void *val,
			size_t vlen, uint32_t atime, struct art_leaf **leafp)
{
	struct art_leaf *old = *lp, *l;
	struct piece pc;
	size_t ovlen;

	pc.p = leaf_suffix(old, &pc.n);
	leaf_val(old, &ovlen);
	l = leaf_make(t, &pc, 1, val, vlen, atime);
	if (!l)
		return -ENOMEM;
	charge_item(t, 0, 0, (int64_t)vlen - (int64_t)ovlen);
	leaf_free(t, old);
	*lp = l;
	if (leafp)
		*leafp = l;
	return 0;
}

int art_put(struct art *t, const void *key, size_t klen, const void *val,
	    size_t vlen, uint32_t atime, struct art_leaf **leafp)
{
	const uint8_t *k = key;
	void **ref = &t->root;
	size_t depth = 0;
	struct art_leaf *l;

	for (;;) {
		void *p = *ref, *nv;
		struct piece pc;
		struct node *n;
		void **c;

		if (!p) {
			pc.p = k + depth;
			pc.n = klen - depth;
			l = leaf_make(t, &pc, 1, val, vlen, atime);
			if (!l)
				return -ENOMEM;
			*ref = tag_leaf(l);
			goto added;
		}
		if (is_leaf(p)) {
			struct art_leaf *old = to_leaf(p), *ol;
			const uint8_t *rem = k + depth, *s;
			size_t rlen = klen - depth, slen, m;

			s = leaf_suffix(old, &slen);
			if (slen == rlen && !memcmp(s, rem, slen)) {
				int err = replace_leaf(t, &old, val, vlen, atime, leafp);

				if (!err)
					*ref = tag_leaf(old);
				return err;
			}
			m = lcp(s, slen, rem, rlen);
			pc.p = rem;
			pc.n = m;
			n = node_alloc(t, N4, &pc, 1);
			if (!n)
				return -ENOMEM;
			pc.p = rem + m + 1;
			pc.n = rlen > m ? rlen - m - 1 : 0;
			l = leaf_make(t, &pc, 1, val, vlen, atime);
			pc.p = s + m + 1;
			pc.n = slen > m ? slen - m - 1 : 0;
			ol = l ? leaf_resuffix(t, old, &pc, 1) : NULL;
			if (!ol) {
				if (l)
					leaf_free(t, l);
				node_free(t, n);
				return -ENOMEM;
			}
			nv = n;
			if (slen == m)
				n->leaf = ol;
			else
				add_child(t, &nv, s[m], tag_leaf(ol));
			if (rlen == m)
				n->leaf = l;
			else
				add_child(t, &nv, rem[m], tag_leaf(l));
			leaf_free(t, old);
			*ref = nv;
			goto added;
		}
		n = p;
		if (n->plen) {
			const uint8_t *pr = node_prefix(n);
			size_t m = lcp(pr, n->plen, k + depth, klen - depth);

			if (m < n->plen) {
				struct node *nn, *on;
				uint8_t ob = pr[m];

				pc.p = pr;
				pc.n = m;
				nn = node_alloc(t, N4, &pc, 1);
				if (!nn)
					return -ENOMEM;
				pc.p = k + depth + m + 1;
				pc.n = klen - depth > m ? klen - depth - m - 1 : 0;
				l = leaf_make(t, &pc, 1, val, vlen, atime);
				if (!l) {
					node_free(t, nn);
					return -ENOMEM;
				}
				pc.p = pr + m + 1;
				pc.n = n->plen - m - 1;
				on = node_reprefix(t, n, &pc, 1);
				if (!on) {
					leaf_free(t, l);
					node_free(t, nn);
					return -ENOMEM;
				}
				nv = nn;
				add_child(t, &nv, ob, on);
				if (depth + m == klen)
					nn->leaf = l;
				else
					add_child(t, &nv, k[depth + m], tag_leaf(l));
				*ref = nv;
				goto added;
			}
			depth += n->plen;
		}
		if (depth == klen) {
			if (n->leaf)
				return replace_leaf(t, &n->leaf, val, vlen, atime, leafp);
			l = leaf_make(t, NULL, 0, val, vlen, atime);
			if (!l)
				return -ENOMEM;
			n->leaf = l;
			goto added;
		}
		c = find_child(n, k[depth]);
		if (c) {
			ref = c;
			depth++;
			continue;
		}
		pc.p = k + depth + 1;
		pc.n = klen - depth - 1;
		l = leaf_make(t, &pc, 1, val, vlen, atime);
		if (!l)
			return -ENOMEM;
		if (add_child(t, ref, k[depth], tag_leaf(l))) {
			leaf_free(t, l);
			return -ENOMEM;
		}
		goto added;
	}
added:
	charge_item(t, 1, (int64_t)klen, (int64_t)vlen);
	if (leafp)
		*leafp = l;
	return 1;
}

static int del_rec(struct art *t, void **ref, const uint8_t *k, size_t klen,
		   size_t depth)
{
	void *p = *ref;
	struct node *n;
	void **c;
	size_t vlen;
	int err;

	if (!p)
		return -ENOENT;
	if (is_leaf(p)) {
		struct art_leaf *l = to_leaf(p);
		size_t slen;
		const uint8_t *s = leaf_suffix(l, &slen);

		if (slen != klen - depth || memcmp(s, k + depth, slen))
			return -ENOENT;
		leaf_val(l, &vlen);
		charge_item(t, -1, -(int64_t)klen, -(int64_t)vlen);
		leaf_free(t, l);
		*ref = NULL;
		return 0;
	}
	n = p;
	if (n->plen > klen - depth || memcmp(node_prefix(n), k + depth, n->plen))
		return -ENOENT;
	depth += n->plen;
	if (depth == klen) {
		if (!n->leaf)
			return -ENOENT;
		leaf_val(n->leaf, &vlen);
		charge_item(t, -1, -(int64_t)klen, -(int64_t)vlen);
		leaf_free(t, n->leaf);
		n->leaf = NULL;
		fix_node(t, ref);
		return 0;
	}
	c = find_child(n, k[depth]);
	if (!c)
		return -ENOENT;
	err = del_rec(t, c, k, klen, depth + 1);
	if (err)
		return err;
	if (!*c)
		remove_child(t, ref, k[depth]);
	fix_node(t, ref);
	return 0;
}

int art_delete(struct art *t, const void *key, size_t klen)
{
	return del_rec(t, &t->root, key, klen, 0);
}

/* ---- ordered walk ---- */

struct wctx {
	uint8_t *kb;
	const uint8_t *lb;
	size_t lblen;
	bool excl;
	art_walk_fn fn;
	void *arg;
};

static int keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int walk(struct wctx *w, void *p, size_t depth, bool bounded)
{
	const uint8_t *lb = w->lb;
	struct node *n;
	size_t d;
	int r;

	if (is_leaf(p)) {
		struct art_leaf *l = to_leaf(p);
		size_t slen;
		const uint8_t *s = leaf_suffix(l, &slen);

		memcpy(w->kb + depth, s, slen);
		if (bounded) {
			int c = keycmp(w->kb, depth + slen, lb, w->lblen);

			if (c < 0 || (c == 0 && w->excl))
				return 0;
		}
		return w->fn(w->arg, w->kb, depth + slen, l);
	}
	n = p;
	memcpy(w->kb + depth, node_prefix(n), n->plen);
	d = depth + n->plen;
	if (bounded) {
		size_t avail = w->lblen - depth;
		size_t m = n->plen < avail ? n->plen : avail;
		int c = memcmp(node_prefix(n), lb + depth, m);

		if (c < 0)
			return 0;
		if (c > 0 || n->plen > avail)
			bounded = false;
	}
	if (n->leaf && (!bounded || (d == w->lblen && !w->excl))) {
		r = w->fn(w->arg, w->kb, d, n->leaf);
		if (r)
			return r;
	}
	if (bounded && d == w->lblen)
		bounded = false;

#define VISIT(byte, child)						\
	do {								\
		uint8_t b_ = (byte);					\
		if (bounded && b_ < lb[d])				\
			break;						\
		w->kb[d] = b_;						\
		r = walk(w, (child), d + 1, bounded && b_ == lb[d]);	\
		if (r)							\
			return r;					\
	} while (0)

	switch (n->type) {
	case N4: {
		struct node4 *a = NB4(n);

		for (int i = 0; i < n->n; i++)
			VISIT(a->keys[i], a->child[i]);
		break;
	}
	case N16: {
		struct node16 *a = NB16(n);

		for (int i = 0; i < n->n; i++)
			VISIT(a->keys[i], a->child[i]);
		break;
	}
	case N48: {
		struct node48 *a = NB48(n);

		for (int i = bounded ? lb[d] : 0; i < 256; i++)
			if (a->index[i])
				VISIT((uint8_t)i, a->child[a->index[i] - 1]);
		break;
	}
	default: {
		struct node256 *a = NB256(n);

		for (int i = bounded ? lb[d] : 0; i < 256; i++)
			if (a->child[i])
				VISIT((uint8_t)i, a->child[i]);
		break;
	}
	}
#undef VISIT
	return 0;
}

int art_walk_from_buf(const struct art *t, const void *lb, size_t lb_len,
		      bool exclusive, art_walk_fn fn, void *arg, uint8_t *kb)
{
	struct wctx w = {
		.lb = lb, .lblen = lb_len, .excl = exclusive, .fn = fn, .arg = arg,
		.kb = kb,
	};

	if (!t->root)
		return 0;
	return walk(&w, t->root, 0, lb_len > 0 || exclusive);
}

int art_walk_from(const struct art *t, const void *lb, size_t lb_len,
		  bool exclusive, art_walk_fn fn, void *arg)
{
	uint8_t *kb;
	int r;

	if (!t->root)
		return 0;
	kb = malloc(ART_KEY_MAX + 1);
	if (!kb)
		return -ENOMEM;
	r = art_walk_from_buf(t, lb, lb_len, exclusive, fn, arg, kb);
	free(kb);
	return r;
}

/* ---- sampling ---- */

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

long art_sample(const struct art *t, uint64_t *rnd, uint8_t *kb,
		struct art_leaf **leafp)
{
	void *p = t->root;
	size_t d = 0;

	if (!p)
		return -ENOENT;
	for (;;) {
		struct node *n;
		unsigned int r, cnt = 0;

		if (is_leaf(p)) {
			struct art_leaf *l = to_leaf(p);
			size_t slen;
			const uint8_t *s = leaf_suffix(l, &slen);

			memcpy(kb + d, s, slen);
			*leafp = l;
			return (long)(d + slen);
		}
		n = p;
		memcpy(kb + d, node_prefix(n), n->plen);
		d += n->plen;
		r = (unsigned int)(xorshift(rnd) % (n->n + (n->leaf ? 1 : 0)));
		if (r == n->n) {
			*leafp = n->leaf;
			return (long)d;
		}
		switch (n->type) {
		case N4:
			kb[d] = (NB4(n))->keys[r];
			p = (NB4(n))->child[r];
			break;
		case N16:
			kb[d] = (NB16(n))->keys[r];
			p = (NB16(n))->child[r];
			break;
		case N48:
			for (int i = 0; i < 256; i++)
				if ((NB48(n))->index[i] == r + 1) {
					kb[d] = (uint8_t)i;
					break;
				}
			p = (NB48(n))->child[r];
			break;
		default:
			for (int i = 0; i < 256; i++)
				if ((NB256(n))->child[i] && cnt++ == r) {
					kb[d] = (uint8_t)i;
					p = (NB256(n))->child[i];
					break;
				}
			break;
		}
		d++;
	}
}

/* ---- consistency check ---- */

struct cctx {
	struct art_acct a;
	char *msg;
	size_t msglen;
	int err;
};

static void cfail(struct cctx *c, const char *what, size_t depth)
{
	if (!c->err)
		snprintf(c->msg, c->msglen, "%s (depth %zu)", what, depth);
	c->err = -EUCLEAN;
}

static void check_leaf(struct cctx *c, struct art_leaf *l, size_t depth)
{
	size_t slen, vlen;

	leaf_suffix(l, &slen);
	leaf_val(l, &vlen);
	c->a.mem += chunk_cost(l);
	c->a.items++;
	c->a.raw_key += (int64_t)(depth + slen);
	c->a.stored_key += (int64_t)slen;
	c->a.value += (int64_t)vlen;
}

static void check_rec(struct cctx *c, void *p, size_t depth)
{
	struct node *n;
	int prev = -1;

	if (is_leaf(p)) {
		check_leaf(c, to_leaf(p), depth);
		return;
	}
	n = p;
	c->a.mem += node_cost(n, node_size(n));
	c->a.stored_key += n->plen + n->n;
	depth += n->plen;
	if (n->n + (n->leaf ? 1 : 0) < 2)
		cfail(c, "inner node with fewer than two branches", depth);
	if (n->leaf)
		check_leaf(c, n->leaf, depth);
	switch (n->type) {
	case N4:
	case N16: {
		uint8_t *keys = n->type == N4 ? (NB4(n))->keys :
						(NB16(n))->keys;
		void **child = n->type == N4 ? (NB4(n))->child :
					       (NB16(n))->child;

		if (n->n > (n->type == N4 ? 4 : 16))
			cfail(c, "node overfull", depth);
		for (int i = 0; i < n->n && i < 16; i++) {
			if (keys[i] <= prev)
				cfail(c, "node keys not sorted", depth);
			prev = keys[i];
			if (!child[i])
				cfail(c, "NULL child", depth);
			else
				check_rec(c, child[i], depth + 1);
		}
		break;
	}
	case N48: {
		struct node48 *a = NB48(n);
		int cnt = 0;

		for (int i = 0; i < 256; i++) {
			if (!a->index[i])
				continue;
			cnt++;
			if (a->index[i] > n->n || !a->child[a->index[i] - 1])
				cfail(c, "node48 index out of range", depth);
			else
				check_rec(c, a->child[a->index[i] - 1], depth + 1);
		}
		if (cnt != n->n)
			cfail(c, "node48 count mismatch", depth);
		break;
	}
	default: {
		struct node256 *a = NB256(n);
		int cnt = 0;

		for (int i = 0; i < 256; i++)
			if (a->child[i]) {
				cnt++;
				check_rec(c, a->child[i], depth + 1);
			}
		if (cnt != n->n)
			cfail(c, "node256 count mismatch", depth);
		break;
	}
	}
}

int art_check(const struct art *t, char *msg, size_t msglen)
{
	struct cctx c = { .msg = msg, .msglen = msglen };

	if (msglen)
		msg[0] = 0;
	if (t->root)
		check_rec(&c, t->root, 0);
	if (c.err)
		return c.err;
	if (memcmp(&c.a, &t->acct, sizeof(c.a))) {
		snprintf(msg, msglen,
			 "counters differ: mem %lld/%lld items %lld/%lld raw %lld/%lld stored %lld/%lld value %lld/%lld (walked/kept)",
			 (long long)c.a.mem, (long long)t->acct.mem,
			 (long long)c.a.items, (long long)t->acct.items,
			 (long long)c.a.raw_key, (long long)t->acct.raw_key,
			 (long long)c.a.stored_key, (long long)t->acct.stored_key,
			 (long long)c.a.value, (long long)t->acct.value);
		return -EUCLEAN;
	}
	return 0;
}
