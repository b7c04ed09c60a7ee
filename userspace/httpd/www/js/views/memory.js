// SPDX-License-Identifier: GPL-2.0
// Memory usage per agent against the store's limits (GET /v1/memory):
// {identity, own: {stats}, store: {stats} (admin), agents: [{agent, name,
// stats}] (admin)}.

import {h, replace, table} from '../dom.js';
import {get, listOf} from '../api.js';
import {pick, bytes, num} from '../format.js';
import {poll, usage, kv} from '../ui.js';

export const title = 'Memory';

function used(st) {
	return pick(st, 'mem_bytes', 'used_bytes');
}

function limit(st, store) {
	return pick(st, 'threshold_bytes', 'capacity_bytes') ?? pick(store, 'threshold_bytes', 'capacity_bytes');
}

export function render(main) {
	const body = h('div');
	main.append(h('p', {class: 'lead'},
		'Memory each agent holds in aiosd\'s store, against the eviction threshold of the store.'), body);
	const p = poll(body, 'memory usage', () => get('/v1/memory'), (reply) => {
		const store = reply.store;
		const own = reply.own;
		const agents = listOf(reply, 'agents');
		const who = reply.identity || {};
		const rows = agents.map((a) => {
			const st = a.stats || {};
			const label = `${a.name || 'agent'} (${a.agent})`;
			return h('tr', {dataset: {agent: String(a.agent)}},
				h('th', {scope: 'row'}, label),
				h('td', null, usage(used(st), limit(st, store), `Memory of ${label}`, bytes)),
				h('td', null, num(pick(st, 'items'))),
				h('td', null, bytes(pick(st, 'value_bytes'))),
				h('td', null, pick(st, 'compression_ratio') !== undefined ?
					`${Number(st.compression_ratio).toFixed(2)}×` : '–'));
		});
		replace(body,
			h('div', {class: 'grid2'},
				own ? h('section', {class: 'card', 'aria-label': 'Your namespace'},
					h('h3', null, `Your namespace (${who.kind === 'agent' ? `agent ${who.agent}` : `uid ${who.uid ?? '?'}`})`),
					usage(used(own), limit(own, store), 'Your memory', bytes),
					kv([['Items', num(own.items)], ['Value bytes', bytes(own.value_bytes)]])) : null,
				store ? h('section', {class: 'card', 'aria-label': 'Store'},
					h('h3', null, 'Store'),
					usage(used(store), pick(store, 'capacity_bytes'), 'Store memory', bytes),
					kv([['Namespaces', num(store.agents)], ['Items', num(store.items)],
						['Evictions', num(store.evictions)],
						['Hit rate', store.hit_rate !== undefined ?
							`${(100 * Number(store.hit_rate)).toFixed(1)}%` : undefined],
						['Eviction threshold', bytes(store.threshold_bytes)]])) : null),
			reply.agents ? (rows.length ? table('Memory per agent',
				['Agent', 'Used of threshold', 'Items', 'Value bytes', 'Key compression'], rows) :
				h('p', {class: 'empty'}, 'No live agents.')) :
				h('p', {class: 'muted'}, 'Per-agent figures are shown to administrators.'));
	}, 5000);
	return () => p.stop();
}
