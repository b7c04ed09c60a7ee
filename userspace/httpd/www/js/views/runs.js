// SPDX-License-Identifier: GPL-2.0
// Runs: the list (GET /v1/runs), a form to start one (POST /v1/runs) and
// resume-pack import (POST /v1/packs).

import {h, replace, table, field, section, statusLine} from '../dom.js';
import {get, post, request, listOf, ApiError} from '../api.js';
import {pick, timeOf, owner} from '../format.js';
import {poll, errorBox} from '../ui.js';

export const title = 'Runs';

export function runId(r) {
	return String(pick(r, 'id', 'run', 'run_id') ?? '');
}

function lines(text) {
	return text.split('\n').map((x) => x.trim()).filter(Boolean);
}

export function render(main, params, nav) {
	const listEl = h('div');
	const objective = h('textarea', {name: 'objective', rows: '2', required: true});
	const criteria = h('textarea', {name: 'acceptance_criteria', rows: '3'});
	const constraints = h('textarea', {name: 'constraints', rows: '2'});
	const createStatus = statusLine();
	const createErr = h('div');
	const form = h('form', {id: 'run-create', class: 'form', 'aria-label': 'Start a run'},
		field('Objective', objective, 'what the run must achieve'),
		field('Acceptance criteria', criteria, 'one per line'),
		field('Constraints', constraints, 'one per line'),
		h('div', {class: 'buttons'}, h('button', {type: 'submit'}, 'Create run')),
		createStatus, createErr);

	const file = h('input', {type: 'file', name: 'pack', accept: '.tar.gz,.tgz,application/gzip'});
	const asId = h('input', {type: 'text', name: 'as', autocomplete: 'off',
		pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}'});
	const importStatus = statusLine();
	const importErr = h('div');
	const importForm = h('form', {id: 'pack-import', class: 'form', 'aria-label': 'Import a resume pack'},
		field('Resume pack (.tar.gz)', file, 'verified by the server before anything is written'),
		field('Import as run', asId, 'optional new run id; default: the id in the pack'),
		h('div', {class: 'buttons'}, h('button', {type: 'submit'}, 'Import pack')),
		importStatus, importErr);

	main.append(h('p', {class: 'lead'},
		'Runs are tasks of agents with a working set, a hash-chained ledger, milestones and long-term memory.'),
	h('div', {class: 'grid2'},
		section('Start a run', form),
		section('Import a resume pack', importForm)),
	section('Runs', listEl));

	const p = poll(listEl, 'runs', () => get('/v1/runs'), (reply) => {
		const runs = listOf(reply, 'runs', 'items');
		runs.sort((a, b) => String(pick(b, 'created_ns') ?? '').localeCompare(
			String(pick(a, 'created_ns') ?? ''), undefined, {numeric: true}));
		const rows = runs.map((r) => h('tr', {dataset: {run: runId(r)}},
			h('th', {scope: 'row'}, h('a', {href: `#/runs/${encodeURIComponent(runId(r))}`}, runId(r))),
			h('td', null, owner(pick(r, 'owner', 'agent'))),
			h('td', null, String(pick(r, 'fsync') ?? '–')),
			h('td', null, timeOf(pick(r, 'created_ns')))));
		replace(listEl, runs.length ?
			table('Runs', ['Run', 'Owner', 'Durability', 'Created'], rows) :
			h('p', {class: 'empty'}, 'No runs yet: start one above.'));
	}, 10000);

	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(createErr);
		createStatus.textContent = 'Creating…';
		try {
			const body = {objective: objective.value.trim(),
				acceptance_criteria: lines(criteria.value), constraints: lines(constraints.value)};
			const r = await post('/v1/runs', body);
			const id = runId(r);
			createStatus.textContent = `Run ${id} created.`;
			nav(`#/runs/${encodeURIComponent(id)}`);
		} catch (err) {
			createStatus.textContent = '';
			replace(createErr, errorBox(err, 'Run not created'));
		}
	});

	importForm.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(importErr);
		const f = file.files[0];
		if (!f) {
			replace(importErr, errorBox(new Error('choose a pack file first'), 'Nothing to import'));
			return;
		}
		importStatus.textContent = `Uploading ${f.name}…`;
		try {
			const r = await request('POST', '/v1/packs', {body: f, contentType: 'application/gzip',
				query: {as: asId.value.trim()}});
			const id = runId(r);
			replace(importStatus, `Imported as run `,
				h('a', {href: `#/runs/${encodeURIComponent(id)}`}, id), '.');
			p.now();
		} catch (err) {
			importStatus.textContent = '';
			replace(importErr, errorBox(err, err instanceof ApiError && err.status === 409 ?
				'A run with this id exists' : 'Pack refused'));
		}
	});
	return () => p.stop();
}
