// SPDX-License-Identifier: GPL-2.0
// Agents and their capabilities (GET /v1/agents).

import {h, replace, table} from '../dom.js';
import {get, listOf} from '../api.js';
import {pick, bootTime, capList} from '../format.js';
import {poll, chips} from '../ui.js';
import {subscribe} from '../live.js';

export const title = 'Agents';

export function render(main) {
	const body = h('div', {id: 'agents-body'});
	main.append(h('p', {class: 'lead'},
		'Agents registered with the aios kernel module, their parents, priorities and capabilities. ',
		'The list follows agent events live.'), body);
	const p = poll(body, 'agents', () => get('/v1/agents'), (reply) => {
		const agents = listOf(reply, 'agents', 'items');
		const rows = agents.map((a) => h('tr', {dataset: {agent: String(a.id)}},
			h('td', null, String(a.id)),
			h('th', {scope: 'row'}, a.name || '(unnamed)'),
			h('td', null, String(pick(a, 'parent', 'parent_id') || '–')),
			h('td', null, String(pick(a, 'prio', 'priority') ?? '–')),
			h('td', null, String(pick(a, 'state') ?? '–')),
			h('td', null, String(pick(a, 'pid') ?? '–')),
			h('td', null, String(pick(a, 'uid') ?? '–')),
			h('td', null, chips(capList(pick(a, 'cap_names', 'caps')), 'caps')),
			h('td', null, bootTime(pick(a, 'created_ns')))));
		replace(body,
			h('p', {class: 'count'}, `${agents.length} agent${agents.length === 1 ? '' : 's'}`),
			agents.length ? table('Registered agents',
				['ID', 'Name', 'Parent', 'Priority', 'State', 'PID', 'UID', 'Capabilities', 'Registered'],
				rows, {class: 'agents'}) :
				h('p', {class: 'empty'}, 'No agents are registered.'));
	}, 5000);
	const unsub = subscribe('event', (ev) => {
		// {"type": "agent_new" | "agent_del" | "caps", "agent": {...}}
		if (ev.json?.agent && typeof ev.json.agent === 'object')
			p.now();
	});
	return () => {
		p.stop();
		unsub();
	};
}
