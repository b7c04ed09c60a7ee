// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workset.h"
#include "wsledger.h"

void aios_wsl_rec_free(struct aios_wsl_rec *r)
{
	json_decref(r->doc);
	r->doc = NULL;
}

char *aios_wsl_canon(const json_t *doc, char sha[AIOS_SHA256_HEX])
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	if (text && sha)
		aios_sha256_hex(text, strlen(text), sha);
	return text;
}

char *aios_wsl_payload(const json_t *doc, uint64_t seq,
		       char sha[AIOS_SHA256_HEX])
{
	char h[AIOS_SHA256_HEX], *text = aios_wsl_canon(doc, h), *p = NULL;

	if (!text)
		return NULL;
	/* the canonical form of the payload object: keys sorted */
	if (asprintf(&p, "{\"doc\":%s,\"seq\":%" PRIu64 ",\"sha256\":\"%s\"}",
		     text, seq, h) < 0)
		p = NULL;
	free(text);
	if (p && sha)
		memcpy(sha, h, AIOS_SHA256_HEX);
	return p;
}

int aios_wsl_parse(const void *payload, size_t len, struct aios_wsl_rec *out,
		   struct aios_rerr *e)
{
	json_t *p = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *s = json_object_get(p, "seq"), *h = json_object_get(p, "sha256");
	json_t *d = json_object_get(p, "doc");
	char sha[AIOS_SHA256_HEX];
	int rc;

	out->doc = NULL;
	if (!json_is_integer(s) || json_integer_value(s) < 0 || !json_is_string(h) ||
	    json_string_length(h) != AIOS_SHA256_HEX - 1) {
		json_decref(p);
		return aios_rerr_set(e, EBADMSG, "malformed \"workset\" ledger record");
	}
	out->seq = (uint64_t)json_integer_value(s);
	memcpy(out->sha, json_string_value(h), AIOS_SHA256_HEX);
	if (d) {
		char *text;

		rc = aios_ws_validate(d, e);
		if (rc) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e ? e->msg : "");
			json_decref(p);
			return aios_rerr_set(e, EBADMSG,
					     "the document in a \"workset\" ledger record violates the schema: %s",
					     why);
		}
		text = aios_wsl_canon(d, sha);
		if (!text) {
			json_decref(p);
			return aios_rerr_set(e, ENOMEM, "out of memory");
		}
		free(text);
		if (strcmp(sha, out->sha)) {
			json_decref(p);
			return aios_rerr_set(e, EBADMSG,
					     "the document in a \"workset\" ledger record does not match its sha256");
		}
		out->doc = json_incref(d);
	}
	json_decref(p);
	return 0;
}

/* No record: a new run's working set. */
static int initial_rec(struct aios_wsl_rec *out, struct aios_rerr *e)
{
	char *text;

	memset(out, 0, sizeof(*out));
	out->doc = aios_ws_initial();
	text = out->doc ? aios_wsl_canon(out->doc, out->sha) : NULL;
	if (!text) {
		aios_wsl_rec_free(out);
		return aios_rerr_set(e, ENOMEM, "out of memory");
	}
	free(text);
	return 0;
}

int aios_wsl_last(struct aios_ledger *l, uint64_t upto,
		  struct aios_wsl_rec *out, struct aios_rerr *e)
{
	uint64_t head;

	aios_ledger_head(l, &head, NULL);
	if (!upto || upto > head)
		upto = head;
	for (uint64_t s = upto; s > 0; s--) {
		struct aios_ledger_rec rec;
		int rc = aios_ledger_read(l, s, &rec, e);

		if (rc)
			return rc;
		if (strcmp(rec.type, "workset")) {
			aios_ledger_rec_free(&rec);
			continue;
		}
		rc = aios_wsl_parse(rec.payload, rec.payload_len, out, e);
		aios_ledger_rec_free(&rec);
		if (rc) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e ? e->msg : "");
			if (e)
				e->bad_seq = s;
			return aios_rerr_set(e, -rc, "ledger record %" PRIu64 ": %s", s, why);
		}
		out->lseq = s;
		return 0;
	}
	return initial_rec(out, e);
}

static uint32_t le32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint16_t le16_at(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

int aios_wsl_last_buf(const void *buf, size_t len, struct aios_wsl_rec *out,
		      struct aios_rerr *e)
{
	const unsigned char *b = buf;
	size_t off = AIOS_LEDGER_FILE_HDR, found = 0;
	uint64_t seq = 0, fseq = 0;

	/* walk forward (records are variable-length), remember the last */
	while (off + AIOS_LEDGER_REC_HDR <= len) {
		uint32_t tot = le32_at(b + off + 4), pl = le32_at(b + off + 36);
		uint16_t tl = le16_at(b + off + 32);

		if (!le32_at(b + off) && !tot)
			break;		/* preallocated zeros after the records */
		if (!tot || tot > len - off ||
		    (uint64_t)AIOS_LEDGER_REC_HDR + tl + pl > tot)
			return aios_rerr_set(e, EBADMSG, "ledger image is malformed at offset %zu", off);
		seq++;
		if (tl == 7 && !memcmp(b + off + AIOS_LEDGER_REC_HDR, "workset", 7)) {
			found = off;
			fseq = seq;
		}
		off += tot;
	}
	if (!fseq)
		return initial_rec(out, e);
	{
		const unsigned char *r = b + found;
		int rc = aios_wsl_parse(r + AIOS_LEDGER_REC_HDR + 7, le32_at(r + 36), out, e);

		if (rc) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e ? e->msg : "");
			if (e)
				e->bad_seq = fseq;
			return aios_rerr_set(e, -rc, "ledger record %" PRIu64 ": %s", fseq, why);
		}
	}
	out->lseq = fseq;
	return 0;
}

/* Write the record's document as the cache file. */
static int rebuild(const char *path, const struct aios_wsl_rec *r,
		   struct aios_rerr *e)
{
	char *text = aios_ws_serialize(r->doc, r->seq);
	int rc;

	if (!text)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	rc = aios_write_file_replace(path, text, strlen(text), 0600, e);
	free(text);
	return rc;
}

int aios_wsl_reconcile(const char *path, struct aios_ledger *l,
		       struct aios_wsl_report *rep, json_t **legacy_doc,
		       uint64_t *legacy_seq, struct aios_rerr *e)
{
	struct aios_wsl_rec r = { 0 };
	struct aios_rerr fe = { 0 };
	char *text = NULL, fsha[AIOS_SHA256_HEX] = "", *canon;
	json_t *fdoc = NULL;
	uint64_t fseq = 0;
	size_t len;
	int rc, frc;

	memset(rep, 0, sizeof(*rep));
	*legacy_doc = NULL;
	rc = aios_wsl_last(l, 0, &r, e);
	if (rc)
		return rc;
	rep->ledger_seq = r.seq;
	frc = aios_read_file(path, 2 * AIOS_WS_MAX_BYTES, &text, &len, &fe);
	if (!frc)
		frc = aios_ws_parse_file(text, len, &fdoc, &fseq, &fe);
	free(text);
	if (!frc) {
		canon = aios_wsl_canon(fdoc, fsha);
		if (!canon) {
			rc = aios_rerr_set(e, ENOMEM, "out of memory");
			goto out;
		}
		free(canon);
		rep->file_seq = fseq;
	}
	if (!frc && fseq == r.seq && !strcmp(fsha, r.sha)) {
		rep->action = "intact";
		snprintf(rep->detail, sizeof(rep->detail),
			 "workset.json matches the ledger (seq %" PRIu64 ")", r.seq);
	} else if (r.doc) {
		rep->action = "rebuilt";
		if (frc == -ENOENT)
			snprintf(rep->detail, sizeof(rep->detail),
				 "workset.json was missing; rebuilt at seq %" PRIu64 " from the ledger",
				 r.seq);
		else if (frc)
			snprintf(rep->detail, sizeof(rep->detail),
				 "workset.json was unreadable (%.160s); rebuilt at seq %" PRIu64 " from the ledger",
				 fe.msg, r.seq);
		else if (fseq > r.seq)
			snprintf(rep->detail, sizeof(rep->detail),
				 "workset.json (seq %" PRIu64 ") was newer than the ledger, whose record of it was never written or not durable; rolled back to seq %" PRIu64,
				 fseq, r.seq);
		else if (fseq < r.seq)
			snprintf(rep->detail, sizeof(rep->detail),
				 "workset.json (seq %" PRIu64 ") was older than the ledger; rebuilt at seq %" PRIu64 " from it",
				 fseq, r.seq);
		else
			snprintf(rep->detail, sizeof(rep->detail),
				 "workset.json differed from the ledger's document at seq %" PRIu64 "; rebuilt from the ledger",
				 r.seq);
		rc = rebuild(path, &r, e);
	} else if (frc) {
		/* a legacy record cannot rebuild the document */
		rc = aios_rerr_set(e, EBADMSG,
				   "run working set unusable (%.200s) and its ledger (written before the ledger carried working sets) cannot rebuild it; restore the run from a resume pack",
				   fe.msg);
	} else {
		rep->action = "trusted";
		snprintf(rep->detail, sizeof(rep->detail),
			 "the ledger's last working-set record (seq %" PRIu64 ") predates documents in the ledger; workset.json (seq %" PRIu64 ") is used as it is%s",
			 r.seq, fseq, fseq == r.seq ? ", but its hash differs from the record's" : "");
	}
	if (!rc && !r.doc && fdoc) {
		/* legacy: the only copy of the document at the ledger's point */
		*legacy_doc = fdoc;
		*legacy_seq = fseq;
		fdoc = NULL;
	}
out:
	json_decref(fdoc);
	aios_wsl_rec_free(&r);
	return rc;
}

int aios_wsl_check_pack(const char *ws_text, size_t ws_len,
			const void *ledger, size_t ledger_len,
			struct aios_rerr *e)
{
	struct aios_wsl_rec r = { 0 };
	char sha[AIOS_SHA256_HEX], *canon;
	json_t *doc;
	uint64_t seq;
	int rc;

	rc = aios_ws_parse_file(ws_text, ws_len, &doc, &seq, e);
	if (rc)
		return rc;
	canon = aios_wsl_canon(doc, sha);
	json_decref(doc);
	if (!canon)
		return aios_rerr_set(e, ENOMEM, "out of memory");
	free(canon);
	rc = aios_wsl_last_buf(ledger, ledger_len, &r, e);
	if (rc)
		return rc;
	if (seq != r.seq || strcmp(sha, r.sha))
		rc = aios_rerr_set(e, EBADMSG,
				   "the pack's workset.json (seq %" PRIu64 ") is not the working set its ledger records (seq %" PRIu64 "%s)",
				   seq, r.seq, seq == r.seq ? ", another document" : "");
	aios_wsl_rec_free(&r);
	return rc;
}
