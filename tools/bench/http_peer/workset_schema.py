# SPDX-License-Identifier: GPL-2.0
"""The aios working-set document as a JSON Schema (draft 2020-12).

Mirrors Documentation/runs.md, "Working-set schema", field by field, so
that the FastAPI peer of the http benchmark validates exactly what aios
validates.  JSON Schema cannot express four of the rules; check_extra()
implements them the way a FastAPI service would, in Python after the
schema: goal length in bytes (maxLength counts code points), unique
context item ids, the context bounds (item count <= max_items, sum of
text bytes <= max_bytes), and the 1 MiB serialized-size limit.
"""

import json

GOAL_MAX = 4096
VARS_MAX = 256
NOTES_MAX = 256
DEPTH_MAX = 16          # vars is level 1; nothing may sit deeper than 16
CTX_ITEMS_MAX = 4096
CTX_BYTES_MAX = 1048576
DOC_MAX_BYTES = 1 << 20
ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


def _depth_defs():
    """$defs level2 .. level16: a value at that nesting level of vars."""
    defs = {}
    for lvl in range(2, DEPTH_MAX + 1):
        if lvl == DEPTH_MAX:
            # a container here could only hold values at level 17
            defs[f"level{lvl}"] = {"maxProperties": 0, "maxItems": 0}
        else:
            nxt = {"$ref": f"#/$defs/level{lvl + 1}"}
            defs[f"level{lvl}"] = {"additionalProperties": nxt, "items": nxt}
    return defs


def schema():
    item = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "role", "text"],
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "role": {"enum": ["system", "user", "assistant", "tool",
                              "observation"]},
            "text": {"type": "string"},
            "pinned": {"type": "boolean"},
            "priority": {"type": "integer", "minimum": 0, "maximum": 9},
        },
    }
    context = {
        "type": "object",
        "additionalProperties": False,
        "required": ["max_items", "max_bytes", "items"],
        "properties": {
            "max_items": {"type": "integer", "minimum": 1,
                          "maximum": CTX_ITEMS_MAX},
            "max_bytes": {"type": "integer", "minimum": 1,
                          "maximum": CTX_BYTES_MAX},
            "items": {"type": "array", "items": item},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://aios.invalid/schemas/workset-doc-v1.json",
        "title": "aios working-set document, version 1",
        "type": "object",
        "additionalProperties": False,
        "required": ["goal", "status", "step"],
        "properties": {
            "goal": {"type": "string", "maxLength": GOAL_MAX},
            "status": {"enum": ["active", "paused", "done", "failed"]},
            "step": {"type": "integer", "minimum": 0,
                     "maximum": 9223372036854775807},
            "vars": {"type": "object", "maxProperties": VARS_MAX,
                     "additionalProperties": {"$ref": "#/$defs/level2"}},
            "notes": {"type": "array", "maxItems": NOTES_MAX,
                      "items": {"type": "string"}},
            "context": context,
        },
        "$defs": _depth_defs(),
    }


def validator():
    """A draft 2020-12 validator of schema() whose "integer" is what aios
    (jansson) calls an integer: 1.0 is a number but not an integer, and
    true/false are never numbers."""
    import jsonschema

    def is_int(_checker, v):
        return isinstance(v, int) and not isinstance(v, bool)

    base = jsonschema.Draft202012Validator
    strict = jsonschema.validators.extend(
        base, type_checker=base.TYPE_CHECKER.redefine("integer", is_int))
    return strict(schema())


def json_path(parts):
    """jsonschema's deque path -> "$.a.b[2]" as aios writes it."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def check_extra(doc):
    """The rules JSON Schema cannot state.  Returns (status, path, message)
    of the first violation or None; status 422, or 413 for the size."""
    if len(doc["goal"].encode()) > GOAL_MAX:
        return 422, "$.goal", f"longer than {GOAL_MAX} bytes"
    ctx = doc.get("context")
    if ctx is not None:
        seen = set()
        total = 0
        for i, it in enumerate(ctx["items"]):
            if it["id"] in seen:
                return (422, f"$.context.items[{i}]",
                        f'duplicate item id "{it["id"]}"')
            seen.add(it["id"])
            total += len(it["text"].encode())
        if len(ctx["items"]) > ctx["max_items"]:
            return (422, "$.context.items",
                    f'{len(ctx["items"])} items exceed max_items '
                    f'{ctx["max_items"]}')
        if total > ctx["max_bytes"]:
            return (422, "$.context.items",
                    f'{total} bytes of text exceed max_bytes '
                    f'{ctx["max_bytes"]}')
    n = len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
            .encode())
    if n > DOC_MAX_BYTES:
        return (413, "$", f"document is {n} bytes serialized, "
                f"limit {DOC_MAX_BYTES}")
    return None


if __name__ == "__main__":
    print(json.dumps(schema(), indent=2))
