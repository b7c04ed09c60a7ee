// SPDX-License-Identifier: GPL-2.0
// GPU devices, their claims and utilization (GET /v1/gpus), and a
// timeline of who held each GPU with preemptions marked.

import {h, replace, table} from '../dom.js';
import {pick, num, bootTime, clock} from '../format.js';
import {errorBox} from '../ui.js';
import {timeline} from '../chart.js';
import {state, subscribe, WINDOW_MS} from '../live.js';

export const title = 'GPUs';

function util(g) {
	const ppm = Number(pick(g, 'util_ppm'));
	if (Number.isFinite(ppm))
		return `${(ppm / 10000).toFixed(1)}%`;
	const u = Number(pick(g, 'utilization'));	/* 0..1 */
	return Number.isFinite(u) ? `${(100 * u).toFixed(1)}%` : '–';
}

export function render(main) {
	const tableEl = h('div');
	const tl = h('div');
	const log = h('div');
	main.append(h('p', {class: 'lead'},
		'GPUs registered with aios, the agent holding each one and the preemptions this page saw.'),
	tableEl, h('section', {class: 'card', 'aria-label': 'Claims timeline'},
		h('h3', null, 'Claims and preemptions'), tl, log));

	function draw(gs) {
		if (!gs)
			return;
		const rows = gs.map((g) => h('tr', null,
			h('td', null, String(pick(g, 'id') ?? '?')),
			h('th', {scope: 'row'}, String(pick(g, 'name') ?? '')),
			h('td', null, String(pick(g, 'state') ?? '–')),
			h('td', null, String(pick(g, 'owner', 'owner_id') || '–')),
						h('td', null, Number(g.owner) > 0 ? bootTime(g.since_ns) : '–'),
			h('td', null, util(g)),
			h('td', null, num(pick(g, 'waiters'))),
			h('td', null, num(Array.isArray(g.claims) ? g.claims.length : pick(g, 'claims'))),
			h('td', null, num(pick(g, 'preemptions')))));
		replace(tableEl, gs.length ?
			table('GPU devices', ['ID', 'Name', 'State', 'Holder', 'Held since',
				'Utilization', 'Waiters', 'Claims', 'Preemptions'], rows) :
			h('p', {class: 'empty'}, 'No GPUs are registered with aios.'));
		const now = Date.now();
		const segs = [...state.gpuSegs, ...state.gpuOpen.values()];
		const lanes = gs.map((g) => {
			const id = Number(pick(g, 'id'));
			const owners = [...new Set(segs.filter((x) => x.gpu === id).map((x) => x.owner))].sort();
			return {
				name: `GPU ${id}${g.name ? ` ${g.name}` : ''}`,
				segments: segs.filter((x) => x.gpu === id).map((x) => ({
					from: x.from, to: state.gpuOpen.get(id) === x ? now : x.to,
					label: `agent ${x.owner}`, cls: `series-${owners.indexOf(x.owner) % 8}`,
				})),
				marks: state.gpuMarks.filter((m) => m.gpu === id).map((m) => ({at: m.t, label: m.label})),
			};
		});
		const marks = state.gpuMarks.slice(-12).reverse();
		const first = state.gpuSamples[0]?.t ?? now;
		const from = Math.max(now - WINDOW_MS, Math.min(first, now - 60000));
		const width = Math.max(320, Math.min(900, (tableEl.clientWidth || 720) - 40));
		replace(tl, timeline({title: 'GPU claims over the last minutes', width,
			desc: `${segs.length} holders and ${state.gpuMarks.length} preemptions seen`,
			lanes, from, to: now}));
		replace(log, marks.length ?
			h('ol', {class: 'events', 'aria-label': 'Preemptions'},
				marks.map((m) => h('li', null, `${clock(new Date(m.t))} GPU ${m.gpu}: ${m.label}`))) :
			h('p', {class: 'muted'}, 'No preemption seen since this page was opened.'));
	}

	const last = state.gpuSamples.at(-1);
	if (last)
		draw(last.gpus);
	else
		tableEl.append(h('p', {class: 'loading', role: 'status'}, 'Loading GPUs…'));
	const u1 = subscribe('gpu', (gs) => draw(gs || state.gpuSamples.at(-1)?.gpus));
	const u2 = subscribe('gpu-error', (e) => replace(tableEl, errorBox(e, 'Could not load GPUs')));
	const resize = () => draw(state.gpuSamples.at(-1)?.gpus);
	window.addEventListener('resize', resize);
	return () => {
		u1();
		u2();
		window.removeEventListener('resize', resize);
	};
}
