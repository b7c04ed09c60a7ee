-- SPDX-License-Identifier: GPL-2.0
--
-- wrk script of the http benchmark (tools/bench/http.sh): GET or patch
-- a run's working set, and write the figures as one JSON object.
--
-- Environment:
--   HB_OP     get | patch
--   HB_RUNS   file with "RUN-ID [SEQ]" lines: the runs and their current
--             working-set seq (default 0); patch: one per wrk thread
--   HB_DOC    the working-set document, compact JSON containing "step":0
--   HB_TOKEN  bearer token (optional; sent as Authorization)
--   HB_OUT    file the JSON result is written to
--
-- get: every connection reads the first run's working set.
-- patch: run wrk with as many threads as connections (-tN -cN), so each
-- thread owns one connection and one run; it sends
-- {"expected_seq": S, "doc": DOC with "step": S+1} and takes S from every
-- reply ("seq" of a 200, "current_seq" of a 409), so a 409 only happens
-- when something else changed the run.  409s and other statuses are
-- counted and reported, never hidden.

local op = os.getenv("HB_OP") or "get"
local token = os.getenv("HB_TOKEN")
local threads = {}
local nthreads = 0

local function read_lines(path)
	local t = {}
	for l in io.lines(path) do
		if l ~= "" then t[#t + 1] = l end
	end
	return t
end

local function read_file(path)
	local f = assert(io.open(path, "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

function setup(thread)
	thread:set("thread_idx", nthreads)
	nthreads = nthreads + 1
	threads[#threads + 1] = thread
end

local path, doc_head, doc_tail
seq, conflicts, bad, bad_status, bad_body, unparsed = 0, 0, 0, 0, "", 0

function init(args)
	local runs = read_lines(os.getenv("HB_RUNS"))
	-- wrk.headers already holds Host: add to it, do not replace it
	wrk.headers["Content-Type"] = "application/json"
	if token and token ~= "" then
		wrk.headers["Authorization"] = "Bearer " .. token
	end
	if op == "get" then
		wrk.method = "GET"
		wrk.path = "/v1/runs/" .. runs[1]:match("^%S+") .. "/ws"
		response = nil	-- wrk skips parsing bodies
		return
	end
	local line = runs[thread_idx + 1]
	if not line then
		error("http_ws.lua: " .. #runs .. " runs for more threads")
	end
	local run, s0 = line:match("^(%S+)%s*(%d*)")
	seq = tonumber(s0) or 0
	path = "/v1/runs/" .. run .. "/ws"
	local doc = read_file(os.getenv("HB_DOC")):gsub("%s+$", "")
	local a, b = doc:find('"step":0', 1, true)
	if not a then error("http_ws.lua: HB_DOC has no \"step\":0") end
	doc_head, doc_tail = doc:sub(1, a - 1), doc:sub(b + 1)
end

function request()
	if op == "get" then
		return wrk.format()
	end
	local body = '{"expected_seq":' .. seq .. ',"doc":' .. doc_head ..
		'"step":' .. (seq + 1) .. doc_tail .. '}'
	return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
	if status == 200 or status == 201 then
		local s = body:match('"seq"%s*:%s*(%d+)')
		if s then seq = tonumber(s) else unparsed = unparsed + 1 end
	elseif status == 409 then
		conflicts = conflicts + 1
		local s = body:match('"current_seq"%s*:%s*(%d+)')
		if s then seq = tonumber(s) else unparsed = unparsed + 1 end
	else
		bad = bad + 1
		bad_status = status
		bad_body = body:sub(1, 300)
	end
end

local function jstr(s)
	return '"' .. s:gsub('[%c"\\]', function(c)
		return string.format("\\u%04x", c:byte())
	end) .. '"'
end

function done(summary, latency, requests)
	local c, b, u, bs, bb = 0, 0, 0, 0, ""
	for _, t in ipairs(threads) do
		c = c + (t:get("conflicts") or 0)
		b = b + (t:get("bad") or 0)
		u = u + (t:get("unparsed") or 0)
		if (t:get("bad_status") or 0) ~= 0 then
			bs, bb = t:get("bad_status"), t:get("bad_body")
		end
	end
	local e = summary.errors
	local secs = summary.duration / 1e6
	local out = string.format(
		'{"op":%s,"threads":%d,"seconds":%.3f,"requests":%d,' ..
		'"rps":%.1f,"p50_us":%d,"p99_us":%d,"non_2xx":%d,"conflicts":%d,' ..
		'"other_status":%d,"unparsed":%d,"socket_errors":%d,"timeouts":%d,' ..
		'"last_bad_status":%d,"last_bad_body":%s}\n',
		jstr(op), nthreads, secs, summary.requests,
		summary.requests / secs, latency:percentile(50),
		latency:percentile(99), e.status, c, b, u,
		e.connect + e.read + e.write, e.timeout, bs, jstr(bb))
	local f = assert(io.open(os.getenv("HB_OUT"), "w"))
	f:write(out)
	f:close()
end
