// SPDX-License-Identifier: GPL-2.0
// Server-Sent Events over fetch().
//
// EventSource cannot send an Authorization header, and a token in the URL
// would end up in logs, so the stream is read with fetch() and parsed here
// following the WHATWG "text/event-stream" rules: lines end in CR, LF or
// CRLF; "data" lines are joined with LF; "id" sets the last event id (sent
// back as Last-Event-ID when reconnecting, so no event is lost across a
// reconnect); "retry" sets the reconnection delay; a blank line dispatches.

import {headers} from './api.js';

export class EventStreamParser {
	constructor(onEvent) {
		this.onEvent = onEvent;
		this.buf = '';
		this.data = [];
		this.event = '';
		this.lastId = '';
		this.retry = null;
		this.sawCR = false;
	}

	push(text) {
		let chunk = text;
		// A CR at the end of the previous chunk may pair with an LF here.
		if (this.sawCR && chunk.startsWith('\n'))
			chunk = chunk.slice(1);
		this.sawCR = chunk.endsWith('\r');
		this.buf += chunk;
		for (;;) {
			const m = /\r\n|\r|\n/.exec(this.buf);
			if (!m)
				break;
			const line = this.buf.slice(0, m.index);
			this.buf = this.buf.slice(m.index + m[0].length);
			this.line(line);
		}
	}

	line(line) {
		if (line === '') {
			this.dispatch();
			return;
		}
		if (line.startsWith(':'))
			return;
		const colon = line.indexOf(':');
		const name = colon < 0 ? line : line.slice(0, colon);
		let value = colon < 0 ? '' : line.slice(colon + 1);
		if (value.startsWith(' '))
			value = value.slice(1);
		if (name === 'data')
			this.data.push(value);
		else if (name === 'event')
			this.event = value;
		else if (name === 'id' && !value.includes('\0'))
			this.lastId = value;
		else if (name === 'retry' && /^\d+$/.test(value))
			this.retry = Number(value);
	}

	dispatch() {
		if (this.data.length === 0) {
			this.event = '';
			return;
		}
		const ev = {type: this.event || 'message', data: this.data.join('\n'), id: this.lastId};
		this.data = [];
		this.event = '';
		this.onEvent(ev);
	}
}

// Follows PATH until close() is called; reconnects with Last-Event-ID.
//   onEvent({type, data, id, json})   onState('open'|'connecting'|'error', detail)
export class Stream {
	constructor(path, {onEvent, onState, query} = {}) {
		this.path = path;
		this.query = query || {};
		this.onEvent = onEvent || (() => {});
		this.onState = onState || (() => {});
		this.lastId = '';
		this.delay = 1000;
		this.closed = false;
		this.ctrl = null;
		this.timer = null;
		this.run();
	}

	async run() {
		while (!this.closed) {
			this.ctrl = new AbortController();
			const parser = new EventStreamParser((ev) => {
				this.lastId = ev.id;
				let parsed;
				try {
					parsed = JSON.parse(ev.data);
				} catch {
					parsed = undefined;
				}
				this.onEvent({...ev, json: parsed});
			});
			parser.lastId = this.lastId;
			this.onState('connecting');
			try {
				const hd = headers({Accept: 'text/event-stream'});
				if (this.lastId)
					hd.set('Last-Event-ID', this.lastId);
				const u = new URL(this.path, document.baseURI);
				for (const [k, v] of Object.entries(this.query))
					if (v !== undefined && v !== '')
						u.searchParams.set(k, v);
				const res = await fetch(u, {headers: hd, signal: this.ctrl.signal,
					cache: 'no-store', credentials: 'omit'});
				if (!res.ok || !res.body) {
					let detail = `HTTP ${res.status}`;
					try {
						const p = await res.json();
						detail = p.detail || p.title || detail;
					} catch { /* not JSON */ }
					this.onState('error', detail);
					if (res.status === 401 || res.status === 403 || res.status === 404)
						this.delay = Math.max(this.delay, 10000);
				} else {
					this.onState('open');
					this.delay = 1000;
					const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
					for (;;) {
						const {value, done} = await reader.read();
						if (done)
							break;
						parser.push(value);
						if (parser.retry !== null)
							this.delay = parser.retry;
					}
					this.onState('error', 'the server closed the stream');
				}
			} catch (e) {
				if (this.closed)
					return;
				this.onState('error', e.message);
			}
			if (this.closed)
				return;
			await new Promise((r) => {
				this.timer = setTimeout(r, this.delay);
			});
			this.delay = Math.min(this.delay * 2, 30000);
		}
	}

	close() {
		this.closed = true;
		clearTimeout(this.timer);
		if (this.ctrl)
			this.ctrl.abort();
	}
}
