// SPDX-License-Identifier: GPL-2.0
// Client of aios-httpd's /v1 API.
//
// Requests carry "Authorization: Bearer <token>" when the user entered a
// token (the TCP listener needs one; behind a proxy on the Unix socket it
// is not needed).  The token lives in sessionStorage: it is gone when the
// tab closes, and it is never put in a URL.  Errors come back as RFC 9457
// problem+json and are thrown as ApiError with the problem's fields.

const TOKEN_KEY = 'aios.token';
const listeners = new Set();

export function token() {
	try {
		return sessionStorage.getItem(TOKEN_KEY) || '';
	} catch {
		return '';
	}
}

export function setToken(t) {
	try {
		if (t)
			sessionStorage.setItem(TOKEN_KEY, t);
		else
			sessionStorage.removeItem(TOKEN_KEY);
	} catch {
		/* storage disabled: the token lasts until the page reloads */
	}
	memToken = t;
	for (const f of listeners)
		f({type: 'token'});
}

let memToken = '';
function currentToken() {
	return token() || memToken;
}

// Called with {type: 'unauthorized'} when the server answers 401.
export function onAuthChange(f) {
	listeners.add(f);
	return () => listeners.delete(f);
}

export class ApiError extends Error {
	constructor(status, problem) {
		const p = problem || {};
		super(p.detail || p.title || `HTTP ${status}`);
		this.name = 'ApiError';
		this.status = status;
		this.problem = p;
		this.title = p.title || `HTTP ${status}`;
		this.detail = p.detail || '';
	}

	// "Conflict: expected seq 3 but the working set is at 4"
	describe() {
		const parts = [this.title];
		if (this.detail && this.detail !== this.title)
			parts.push(this.detail);
		const where = this.problem.pointer || this.problem.path || this.problem.json_path;
		if (where)
			parts.push(`at ${where}`);
		if (Array.isArray(this.problem.errors))
			for (const e of this.problem.errors)
				parts.push(`${e.pointer || e.path || ''} ${e.detail || e.message || ''}`.trim());
		return parts.join(': ');
	}
}

export function headers(extra) {
	const hd = new Headers(extra || {});
	const t = currentToken();
	if (t)
		hd.set('Authorization', `Bearer ${t}`);
	return hd;
}

function url(path, query) {
	const u = new URL(path, document.baseURI);
	for (const [k, v] of Object.entries(query || {}))
		if (v !== undefined && v !== null && v !== '')
			u.searchParams.set(k, String(v));
	return u;
}

async function problemOf(res) {
	const type = res.headers.get('Content-Type') || '';
	try {
		if (type.includes('json'))
			return await res.json();
		const text = await res.text();
		return {title: res.statusText || `HTTP ${res.status}`, detail: text.slice(0, 500)};
	} catch {
		return {title: res.statusText || `HTTP ${res.status}`};
	}
}

// request('GET', '/v1/runs', {query, json, body, contentType, raw, signal})
//   json: a value sent as application/json;  body: a Blob/ArrayBuffer sent
//   as is with contentType;  raw: return the Response (for downloads).
export async function request(method, path, opts = {}) {
	const hd = headers({Accept: opts.accept || 'application/json'});
	let body;
	if (opts.json !== undefined) {
		hd.set('Content-Type', 'application/json');
		body = JSON.stringify(opts.json);
	} else if (opts.body !== undefined) {
		hd.set('Content-Type', opts.contentType || 'application/octet-stream');
		body = opts.body;
	}
	let res;
	try {
		res = await fetch(url(path, opts.query), {
			method, headers: hd, body, signal: opts.signal,
			cache: 'no-store', credentials: 'omit', redirect: 'error',
		});
	} catch (e) {
		if (e.name === 'AbortError')
			throw e;
		throw new ApiError(0, {title: 'Network error',
			detail: `aios-httpd did not answer (${e.message})`});
	}
	if (!res.ok) {
		const problem = await problemOf(res);
		if (res.status === 401)
			for (const f of listeners)
				f({type: 'unauthorized', problem});
		throw new ApiError(res.status, problem);
	}
	if (opts.raw)
		return res;
	if (res.status === 204)
		return null;
	const type = res.headers.get('Content-Type') || '';
	return type.includes('json') ? res.json() : res.text();
}

export const get = (path, query, opts) => request('GET', path, {...opts, query});
export const post = (path, json, opts) => request('POST', path, {...opts, json});

// A list out of a reply that is either an array or {key: [...]}.
export function listOf(reply, ...keys) {
	if (Array.isArray(reply))
		return reply;
	for (const k of keys)
		if (reply && Array.isArray(reply[k]))
			return reply[k];
	if (reply && typeof reply === 'object') {
		const arrays = Object.values(reply).filter(Array.isArray);
		if (arrays.length === 1)
			return arrays[0];
	}
	return [];
}
