// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sandboxed tool calls through a session with aiosd ("tool.*" in
 * Documentation/aiosd-protocol.md): list the tools and whether this
 * caller may call them, call one (aiosd answers when it has finished),
 * list and decide calls parked for confirmation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

int aios_tool_list(struct aios_session *s, char **json)
{
	json_t *rep = NULL;
	int err;

	if (json)
		*json = NULL;
	err = aiosi_scall(s, aiosi_sreq(s, "tool.list"), &rep);
	if (!err)
		err = aiosi_sresult(s, rep, NULL, json);
	json_decref(rep);
	return err;
}

int aios_tool_call(struct aios_session *s, const char *tool, const char *args,
		   const char *run, const void *in, size_t inlen,
		   const char *limits, char **json)
{
	json_t *req, *rep = NULL, *j;
	unsigned int saved;
	int err;

	if (json)
		*json = NULL;
	if (!tool || !*tool)
		return aiosi_sfail(s, -EINVAL, "tool.call: no tool name given");
	if (!in && inlen)
		return aiosi_sfail(s, -EINVAL, "tool.call: NULL stdin with length %zu", inlen);
	req = aiosi_sreq(s, "tool.call");
	if (!req)
		return -ENOMEM;
	if (aiosi_sset(s, req, "tool", json_string(tool)) ||
	    (run && aiosi_sset(s, req, "run", json_string(run))) ||
	    (in && aiosi_sset(s, req, "stdin_b64", aiosi_b64_json(in, inlen)))) {
		json_decref(req);
		return aiosi_sfail(s, -EINVAL, "tool.call: tool or run name is not UTF-8 (or out of memory)");
	}
	if (args) {
		err = aiosi_sparse(s, "tool.call: args", args, JSON_ARRAY, &j);
		if (!err && json_object_set_new(req, "args", j))
			err = aiosi_sfail(s, -ENOMEM, "out of memory");
		if (err) {
			json_decref(req);
			return err;
		}
	}
	if (limits) {
		err = aiosi_sparse(s, "tool.call: limits", limits, JSON_OBJECT, &j);
		if (!err && json_object_set_new(req, "limits", j))
			err = aiosi_sfail(s, -ENOMEM, "out of memory");
		if (err) {
			json_decref(req);
			return err;
		}
	}
	/*
	 * aiosd answers when the tool has finished or was refused: the tool's
	 * own time limit and the confirmation timeout bound the wait, not the
	 * session's reply timeout.
	 */
	saved = s->timeout_ms;
	s->timeout_ms = 0;
	err = aiosi_scall(s, req, &rep);
	s->timeout_ms = saved;
	if (!err)
		err = aiosi_sresult(s, rep, NULL, json);
	json_decref(rep);
	return err;
}

int aios_tool_pending(struct aios_session *s, char **json)
{
	json_t *rep = NULL;
	int err;

	if (json)
		*json = NULL;
	err = aiosi_scall(s, aiosi_sreq(s, "tool.pending"), &rep);
	if (!err)
		err = aiosi_sresult(s, rep, "pending", json);
	json_decref(rep);
	return err;
}

int aios_tool_confirm(struct aios_session *s, uint64_t confirmation, bool allow)
{
	json_t *req = aiosi_sreq(s, "tool.confirm");

	if (!req)
		return -ENOMEM;
	if (aiosi_sset(s, req, "confirmation", json_integer((json_int_t)confirmation)) ||
	    aiosi_sset(s, req, "allow", json_boolean(allow))) {
		json_decref(req);
		return -ENOMEM;
	}
	return aiosi_scall(s, req, NULL);
}
