// SPDX-License-Identifier: GPL-2.0
// Pieces shared by the views.

import {h, replace} from './dom.js';
import {ApiError} from './api.js';

export function errorBox(e, what) {
	const msg = e instanceof ApiError ? e.describe() : (e && e.message) || String(e);
	return h('div', {class: 'error', role: 'alert'},
		h('strong', null, what ? `${what}: ` : 'Error: '), msg,
		e instanceof ApiError && e.status ? h('span', {class: 'code'}, ` (HTTP ${e.status})`) : null);
}

export function loading(what) {
	return h('p', {class: 'loading', role: 'status'}, `Loading ${what}…`);
}

// Polls load() every ms while the view is shown; render(result) or an
// error box into el.  Returns a stop function.
export function poll(el, what, load, render, ms) {
	let stopped = false;
	let busy = false;
	let shownError = false;
	async function tick() {
		if (stopped || busy || document.hidden)
			return;
		busy = true;
		try {
			const r = await load();
			if (!stopped) {
				render(r);
				shownError = false;
			}
		} catch (e) {
			if (!stopped && !shownError) {
				replace(el, errorBox(e, `Could not load ${what}`));
				shownError = true;
			}
		} finally {
			busy = false;
		}
	}
	replace(el, loading(what));
	tick();
	const t = ms ? setInterval(tick, ms) : null;
	return {
		stop() {
			stopped = true;
			clearInterval(t);
		},
		now: tick,
	};
}

// A meter of used against limit with a text equivalent.
export function usage(used, limit, label, fmt) {
	const u = Number(used);
	const l = Number(limit);
	const has = Number.isFinite(l) && l > 0;
	const pct = has ? Math.min(100, (100 * u) / l) : null;
	const text = has ? `${fmt(u)} of ${fmt(l)} (${pct.toFixed(pct < 10 ? 1 : 0)}%)` : fmt(u);
	return h('div', {class: 'usage'},
		has ? h('meter', {min: '0', max: String(l), value: String(Math.min(u, l)),
			high: String(0.8 * l), optimum: '0', 'aria-label': `${label}: ${text}`}) : null,
		h('span', null, text));
}

export function chips(list, cls) {
	if (!list.length)
		return h('span', {class: 'muted'}, 'none');
	return h('ul', {class: `chips ${cls || ''}`}, list.map((c) => h('li', null, c)));
}

export function kv(pairs) {
	return h('dl', {class: 'kv'}, pairs.filter(([, v]) => v !== undefined && v !== null)
		.map(([k, v]) => [h('dt', null, k), h('dd', null, v instanceof Node ? v : String(v))]));
}
