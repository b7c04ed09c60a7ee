// SPDX-License-Identifier: GPL-2.0
// Live audit stream: GET /v1/audit?after=SEQ for the backlog, then new
// records as they arrive (SSE /v1/events and polling), with filters.

import {h, replace, field, statusLine} from '../dom.js';
import {pick, bootTime, capList, clock} from '../format.js';
import {errorBox} from '../ui.js';
import {state, subscribe, refreshAudit} from '../live.js';

export const title = 'Audit';
const SHOW = 200;

// result: 0 or a negative errno.  EPERM/EACCES is a denial by policy;
// any other error (EBUSY, ESRCH, ...) is an operation that failed.
const EPERM = -1;
const EACCES = -13;

export function outcome(r) {
	const res = Number(pick(r, 'result'));
	const name = String(pick(r, 'result_name') ?? '');
	if (res === 0 || name === 'ok')
		return 'allowed';
	if (res === EPERM || res === EACCES || name === 'EPERM' || name === 'EACCES')
		return 'denied';
	return 'failed';
}

function opName(r) {
	return String(pick(r, 'op', 'op_name') ?? '?');
}

function agentOf(r) {
	return String(pick(r, 'agent_id', 'agent') ?? '');
}

export function render(main) {
	const opSel = h('select', {name: 'op'}, h('option', {value: ''}, 'all operations'));
	const resultSel = h('select', {name: 'result'},
		h('option', {value: ''}, 'all results'),
		h('option', {value: 'denied'}, 'denied only (EPERM)'),
		h('option', {value: 'failed'}, 'failed only (other errors)'),
		h('option', {value: 'allowed'}, 'allowed only'));
	const agentIn = h('input', {type: 'text', name: 'agent', inputmode: 'numeric',
		pattern: '[0-9]*', autocomplete: 'off', size: '8'});
	const textIn = h('input', {type: 'search', name: 'q', autocomplete: 'off'});
	const pause = h('button', {type: 'button', 'aria-pressed': 'false', class: 'secondary'}, 'Pause');
	const status = statusLine();
	const err = h('div');
	const list = h('ol', {id: 'audit-log', class: 'audit', role: 'log', 'aria-live': 'polite',
		'aria-relevant': 'additions', 'aria-label': 'Audit records, newest first'});
	const events = h('ol', {class: 'events', role: 'log', 'aria-live': 'off',
		'aria-label': 'Other live events, newest first'});
	let paused = false;
	const pending = [];

	const form = h('form', {class: 'filters', role: 'search', 'aria-label': 'Audit filters',
		onsubmit: (e) => e.preventDefault()},
	field('Operation', opSel), field('Result', resultSel),
	field('Agent ID', agentIn), field('Text', textIn, 'matches any field'),
	h('div', {class: 'field buttons'}, pause));
	main.append(h('p', {class: 'lead'},
		'Every privileged operation the kernel decided, allowed or denied, as it happens.'),
	form, status, err,
	h('section', {class: 'card', 'aria-label': 'Audit records'}, h('h3', null, 'Audit records'), list),
	h('section', {class: 'card', 'aria-label': 'Events'}, h('h3', null, 'Other events'), events));

	const ops = new Set();
	function addOps(records) {
		let changed = false;
		for (const r of records) {
			const o = opName(r);
			if (!ops.has(o)) {
				ops.add(o);
				changed = true;
			}
		}
		if (changed) {
			const cur = opSel.value;
			replace(opSel, h('option', {value: ''}, 'all operations'),
				[...ops].sort().map((o) => h('option', {value: o}, o)));
			opSel.value = cur;
		}
	}

	function matches(r) {
		if (opSel.value && opName(r) !== opSel.value)
			return false;
		if (resultSel.value && outcome(r) !== resultSel.value)
			return false;
		if (agentIn.value.trim() && agentOf(r) !== agentIn.value.trim())
			return false;
		const q = textIn.value.trim().toLowerCase();
		if (q && !JSON.stringify(r).toLowerCase().includes(q))
			return false;
		return true;
	}

	function item(r) {
		const o = outcome(r);
		const d = o !== 'allowed';
		const caps = capList(pick(r, 'cap_names', 'missing'));
		return h('li', {class: o, dataset: {seq: String(r.seq), op: opName(r)}},
			h('span', {class: 'badge'}, o === 'allowed' ? 'allowed' : o.toUpperCase()), ' ',
			h('span', {class: 'seq'}, `#${r.seq}`), ' ',
			h('strong', null, opName(r)), ' by agent ', agentOf(r) || '0',
			pick(r, 'object', 'target') ? ` on ${pick(r, 'object', 'target')}` : '',
			d ? ` – ${pick(r, 'result_name', 'error') ?? `error ${r.result}`}` : '',
			r.reason ? ` – ${r.reason}` : '',
			caps.length ? ` [${caps.join(', ')}]` : '', ' ',
			h('span', {class: 'muted'}, bootTime(pick(r, 'time_ns'))),
			pick(r, 'op_id') !== undefined ? h('span', {class: 'muted'}, ` op ${r.op_id}`) : '');
	}

	function redraw() {
		const recs = [...state.audit.values()].sort((a, b) => Number(b.seq) - Number(a.seq));
		addOps(recs);
		const shown = recs.filter(matches).slice(0, SHOW);
		replace(list, shown.map(item));
		status.textContent = `${shown.length} of ${recs.length} records shown` +
			(paused ? ' (paused)' : '') + ` · stream ${state.stream}`;
	}

	function add(records) {
		addOps(records);
		for (const r of records) {
			list.querySelector(`li[data-seq="${Number(r.seq)}"]`)?.remove();
			if (matches(r))
				list.prepend(item(r));
		}
		while (list.children.length > SHOW)
			list.lastChild.remove();
		status.textContent = `${list.children.length} of ${state.audit.size} records shown · stream ${state.stream}`;
	}

	for (const c of [opSel, resultSel, agentIn, textIn])
		c.addEventListener('input', redraw);
	pause.addEventListener('click', () => {
		paused = !paused;
		pause.setAttribute('aria-pressed', String(paused));
		pause.textContent = paused ? 'Resume' : 'Pause';
		if (!paused) {
			pending.length = 0;
			redraw();
		} else {
			status.textContent += ' (paused)';
		}
	});

	redraw();
	refreshAudit();
	const u1 = subscribe('audit', (recs) => {
		replace(err);
		if (paused)
			pending.push(...recs);
		else
			add(recs);
	});
	const u2 = subscribe('audit-error', (e) => replace(err, errorBox(e, 'Could not read the audit ring')));
	const u3 = subscribe('event', (ev) => {
		if (ev.json && (ev.json.audit || ev.type === 'audit'))
			return;
		events.prepend(h('li', null, h('time', null, clock(new Date(ev.at))), ' ',
			h('strong', null, ev.json?.type || ev.type), ' ',
			h('code', null, ev.data.length > 300 ? `${ev.data.slice(0, 300)}…` : ev.data)));
		while (events.children.length > 50)
			events.lastChild.remove();
	});
	const u4 = subscribe('stream', () => redraw());
	if (state.auditError)
		replace(err, errorBox(state.auditError, 'Could not read the audit ring'));
	return () => {
		u1();
		u2();
		u3();
		u4();
	};
}
