// SPDX-License-Identifier: GPL-2.0
// Task queues: depth, running, latency percentiles (GET /v1/queues) and
// charts of depth and wait latency over the last minutes.

import {h, replace, table} from '../dom.js';
import {pick, num, usec} from '../format.js';
import {errorBox} from '../ui.js';
import {lineChart} from '../chart.js';
import {state, subscribe, WINDOW_MS} from '../live.js';

export const title = 'Queues';

function qname(q) {
	return String(pick(q, 'name', 'id') ?? '?');
}

// A queue statistic: "depth", or "wait_us.p99" for nested fields.
function stat(q, path) {
	let v = q;
	for (const k of path.split('.'))
		v = v === undefined || v === null ? undefined : v[k];
	return v;
}

function seriesOf(field) {
	const byName = new Map();
	for (const sample of state.queueSamples)
		for (const q of sample.queues) {
			const v = Number(stat(q, field));
			if (!Number.isFinite(v))
				continue;
			const n = qname(q);
			if (!byName.has(n))
				byName.set(n, []);
			byName.get(n).push([sample.t, v]);
		}
	return [...byName.entries()].map(([name, points]) => ({name, points}));
}

function dataTable(series, fmt, caption) {
	const times = [...new Set(series.flatMap((x) => x.points.map(([t]) => t)))].sort().slice(-20);
	const rows = times.map((t) => h('tr', null,
		h('th', {scope: 'row'}, new Date(t).toTimeString().slice(0, 8)),
		series.map((x) => {
			const p = x.points.find(([pt]) => pt === t);
			return h('td', null, p ? fmt(p[1]) : '–');
		})));
	return h('details', {class: 'chart-data'}, h('summary', null, `${caption} as a table (last 20 samples)`),
		table(caption, ['Time', ...series.map((x) => x.name)], rows));
}

export function render(main) {
	const tableEl = h('div');
	const charts = h('div', {class: 'charts'});
	main.append(h('p', {class: 'lead'},
		'Queues scheduled by the kernel. Charts show the samples this page took in the last ',
		`${WINDOW_MS / 60000} minutes (one every 3 s).`), tableEl, charts);

	function draw(qs) {
		if (!qs)
			return;
		const rows = qs.map((q) => h('tr', {dataset: {queue: qname(q)}},
			h('th', {scope: 'row'}, qname(q)),
			h('td', null, String(pick(q, 'algo') ?? '–')),
			h('td', null, num(pick(q, 'depth'))),
			h('td', null, num(pick(q, 'running'))),
			h('td', null, num(pick(q, 'max_concurrent'))),
			h('td', null, usec(stat(q, 'wait_us.p50'))),
			h('td', null, usec(stat(q, 'wait_us.p99'))),
			h('td', null, usec(stat(q, 'run_us.p50'))),
			h('td', null, usec(stat(q, 'run_us.p99'))),
			h('td', null, num(pick(q, 'completed'))),
			h('td', null, num(pick(q, 'failed')))));
		replace(tableEl, qs.length ?
			table('Task queues', ['Queue', 'Algorithm', 'Depth', 'Running', 'Max concurrent',
				'Wait p50', 'Wait p99', 'Run p50', 'Run p99', 'Completed', 'Failed'], rows) :
			h('p', {class: 'empty'}, 'No task queues exist.'));
		const now = Date.now();
		// From the first sample (when the page opened) up to WINDOW_MS.
		const first = state.queueSamples[0]?.t ?? now;
		const from = Math.max(now - WINDOW_MS, Math.min(first, now - 60000));
		// Draw at about the size shown, so that labels stay readable.
		const cw = charts.clientWidth || tableEl.clientWidth || 640;
		const width = Math.max(300, Math.min(640, cw >= 900 ? cw / 2 - 40 : cw - 40));
		const depth = seriesOf('depth');
		const wait = seriesOf('wait_us.p99').map((x) => ({...x, name: `${x.name} p99`}));
		replace(charts,
			h('section', {class: 'card', 'aria-label': 'Queue depth chart'},
				h('h3', null, 'Depth over time'),
				lineChart({title: 'Queue depth over the last minutes',
					desc: depth.map((x) => `${x.name}: latest ${x.points.at(-1)?.[1] ?? 'none'}`).join('; '),
					series: depth, from, to: now, width, format: (v) => num(v)}),
				dataTable(depth, num, 'Queue depth')),
			h('section', {class: 'card', 'aria-label': 'Queue latency chart'},
				h('h3', null, 'Wait latency (p99) over time'),
				lineChart({title: 'Queue wait latency p99 over the last minutes',
					desc: wait.map((x) => `${x.name}: latest ${usec(x.points.at(-1)?.[1])}`).join('; '),
					series: wait, from, to: now, width, format: usec}),
				dataTable(wait, usec, 'Wait latency p99')));
	}

	const last = state.queueSamples.at(-1);
	if (last)
		draw(last.queues);
	else
		tableEl.append(h('p', {class: 'loading', role: 'status'}, 'Loading queues…'));
	const u1 = subscribe('queues', draw);
	const u2 = subscribe('queues-error', (e) => replace(tableEl, errorBox(e, 'Could not load queues')));
	// Redraw at the new size (labels stay readable on a rotated phone).
	const resize = () => draw(state.queueSamples.at(-1)?.queues);
	window.addEventListener('resize', resize);
	return () => {
		u1();
		u2();
		window.removeEventListener('resize', resize);
	};
}
