// SPDX-License-Identifier: GPL-2.0
// One run: working set (view, edit, conflicts), steps, milestones,
// long-term memory, ledger and resume-pack export.

import {h, replace, table, field, section, statusLine} from '../dom.js';
import {get, post, request, listOf, ApiError} from '../api.js';
import {pick, timeOf, json, bytes, owner} from '../format.js';
import {errorBox, kv} from '../ui.js';

export const title = 'Run';

function base(id) {
	return `/v1/runs/${encodeURIComponent(id)}`;
}

// The working set reply: {seq, doc} (or the document itself with a seq).
function wsOf(reply) {
	const seq = Number(pick(reply, 'seq', 'workset_seq'));
	const doc = pick(reply, 'doc', 'workset', 'ws');
	return {seq, doc: doc === undefined ? reply : doc};
}

function currentSeqOf(err) {
	const p = err.problem || {};
	const v = pick(p, 'current_seq', 'seq');
	return v === undefined ? null : Number(v);
}

async function sha256hex(buf) {
	if (!globalThis.crypto?.subtle)
		return null;
	const d = await crypto.subtle.digest('SHA-256', buf);
	return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function wsSection(id, onChange) {
	const seqOut = h('output', {id: 'ws-seq'}, '?');
	const view = h('pre', {id: 'ws-view', class: 'json', tabindex: '0', 'aria-label': 'Working set'});
	const editor = h('textarea', {id: 'ws-editor', name: 'doc', rows: '12', spellcheck: 'false',
		class: 'code'});
	const baseSeq = h('input', {id: 'ws-base-seq', name: 'expected_seq', type: 'number', min: '0',
		readonly: true, size: '6'});
	const status = statusLine();
	status.id = 'ws-status';
	const conflict = h('div', {id: 'ws-conflict'});
	const err = h('div');

	async function load(intoEditor) {
		const r = wsOf(await get(`${base(id)}/ws`));
		seqOut.textContent = String(r.seq);
		view.textContent = json(r.doc);
		if (intoEditor) {
			editor.value = json(r.doc);
			baseSeq.value = String(r.seq);
		}
		return r;
	}

	const form = h('form', {id: 'ws-form', class: 'form', 'aria-label': 'Edit the working set'},
		field('Working set (JSON)', editor, 'the whole document; saved only if nobody changed it since the seq below'),
		field('Based on seq', baseSeq),
		h('div', {class: 'buttons'},
			h('button', {type: 'submit'}, 'Save working set'),
			h('button', {type: 'button', class: 'secondary', onclick: async () => {
				replace(conflict);
				replace(err);
				try {
					await load(true);
					status.textContent = 'Reloaded the current working set.';
				} catch (e) {
					replace(err, errorBox(e, 'Could not load the working set'));
				}
			}}, 'Reload')),
		status, conflict, err);

	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(conflict);
		replace(err);
		let doc;
		try {
			doc = JSON.parse(editor.value);
		} catch (x) {
			replace(err, errorBox(new Error(x.message), 'The working set is not valid JSON'));
			editor.focus();
			return;
		}
		const expected = Number(baseSeq.value);
		status.textContent = 'Saving…';
		try {
			const r = await post(`${base(id)}/ws`, {expected_seq: expected, doc});
			const seq = Number(pick(r, 'seq'));
			status.textContent = `Saved: the working set is now at seq ${seq}.`;
			await load(true);
			onChange();
		} catch (x) {
			status.textContent = '';
			if (x instanceof ApiError && x.status === 409) {
				const cur = currentSeqOf(x);
				let current = null;
				try {
					current = await load(false);
				} catch { /* shown below without the value */ }
				const mine = editor.value;
				replace(conflict, h('div', {class: 'conflict', role: 'alert'},
					h('h4', null, 'Conflict: the working set changed'),
					h('p', null, `Your edit was based on seq ${expected}, but the working set is now at seq `,
						h('strong', {class: 'current-seq'}, String(cur ?? current?.seq ?? '?')),
						'. Nothing was saved.'),
					x.detail ? h('p', {class: 'muted'}, x.detail) : null,
					current ? [h('p', null, 'Current value:'),
						h('pre', {class: 'json current-value', tabindex: '0',
							'aria-label': 'Current working set'}, json(current.doc))] : null,
					h('div', {class: 'buttons'},
						h('button', {type: 'button', onclick: () => {
							editor.value = json(current.doc);
							baseSeq.value = String(current.seq);
							replace(conflict);
							status.textContent = `Editor now holds seq ${current.seq}.`;
							editor.focus();
						}, disabled: !current}, 'Discard my edit, use the current value'),
						h('button', {type: 'button', class: 'secondary', onclick: () => {
							editor.value = mine;
							baseSeq.value = String(cur ?? current?.seq);
							replace(conflict);
							status.textContent = `Your edit is now based on seq ${baseSeq.value}; save again to overwrite.`;
							editor.focus();
						}}, 'Keep my edit, rebase on the current seq'))));
				conflict.querySelector('button')?.focus();
			} else {
				replace(err, errorBox(x, 'Not saved'));
			}
		}
	});

	const sec = section('Working set', h('p', null, 'Current seq: ', seqOut), view, form);
	sec.id = 'ws';
	return {el: sec, load: () => load(true).catch((e) => replace(err, errorBox(e, 'Could not load the working set')))};
}

function ledgerSection(id) {
	const list = h('div', {id: 'ledger-list'});
	const verifyOut = h('div', {id: 'ledger-verify', role: 'status', 'aria-live': 'polite'});
	async function load() {
		try {
			const r = await get(`${base(id)}/ledger`, {after: 0, limit: 1000});
			const recs = listOf(r, 'records', 'items');
			replace(list, recs.length ? table('Ledger records', ['Seq', 'Time', 'Written by', 'Type', 'Payload'],
				recs.slice(-100).reverse().map((x) => h('tr', {dataset: {type: String(x.type)}},
					h('th', {scope: 'row'}, String(x.seq)),
					h('td', null, timeOf(pick(x, 'ts_ns', 'time_ns'))),
					h('td', null, owner(pick(x, 'by', 'agent'))),
					h('td', null, String(x.type)),
					h('td', null, h('code', null, x.payload !== undefined ?
						JSON.stringify(x.payload) : `${(x.payload_b64 || '').length} base64 chars`))))) :
				h('p', {class: 'empty'}, 'The ledger is empty.'));
		} catch (e) {
			replace(list, errorBox(e, 'Could not read the ledger'));
		}
	}
	const verify = h('button', {type: 'button', id: 'ledger-verify-btn', onclick: async () => {
		replace(verifyOut, 'Verifying…');
		try {
			const r = await get(`${base(id)}/ledger/verify`);
			const ok = r.intact !== false && r.ok !== false;
			replace(verifyOut, h('div', {class: ok ? 'ok' : 'error'},
				h('strong', null, ok ? 'Ledger intact' : 'Ledger damaged'),
				kv([['Records', pick(r, 'records')], ['Torn bytes', pick(r, 'torn_bytes')],
					['Episodes checked', pick(r, 'episodes')], ['Last hash', pick(r, 'last_hash')],
					...(ok ? [] : [['First bad record', pick(r, 'bad_seq')], ['Error', pick(r, 'error')]])])));
		} catch (e) {
			replace(verifyOut, errorBox(e, 'Verification failed'));
		}
	}}, 'Verify the ledger');
	const sec = section('Ledger', h('div', {class: 'buttons'}, verify), verifyOut, list);
	sec.id = 'ledger';
	return {el: sec, load};
}

function stepsSection(id, onChange) {
	const text = h('input', {type: 'text', name: 'step', required: true, autocomplete: 'off'});
	const status = statusLine();
	const err = h('div');
	const form = h('form', {id: 'step-form', class: 'form inline', 'aria-label': 'Record a step'},
		field('Step', text, 'what the agent did; appended to the ledger'),
		h('div', {class: 'buttons'}, h('button', {type: 'submit'}, 'Record step')), status, err);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(err);
		try {
			const r = await post(`${base(id)}/steps`, {type: 'step', payload: {text: text.value}});
			status.textContent = `Step recorded as ledger record ${pick(r, 'seq') ?? ''}.`;
			text.value = '';
			onChange();
		} catch (x) {
			status.textContent = '';
			replace(err, errorBox(x, 'Step not recorded'));
		}
	});
	const sec = section('Steps', form);
	sec.id = 'steps';
	return {el: sec};
}

function milestoneSection(id, onChange) {
	const name = h('input', {type: 'text', name: 'name', required: true, autocomplete: 'off',
		pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}'});
	const note = h('input', {type: 'text', name: 'note', autocomplete: 'off'});
	const status = statusLine();
	const err = h('div');
	const list = h('div', {id: 'episode-list'});
	let episodes = [];
	async function load() {
		try {
			const r = await get(`${base(id)}/episodes`);
			episodes = listOf(r, 'episodes', 'items');
			replace(list, episodes.length ? table('Milestones', ['Name', 'Created', 'Ledger seq', 'Working set seq', 'Note', 'SHA-256'],
				episodes.map((x) => h('tr', null,
					h('th', {scope: 'row'}, String(x.name)),
					h('td', null, timeOf(x.created_ns)),
					h('td', null, String(pick(x, 'ledger_seq') ?? '')),
					h('td', null, String(pick(x, 'workset_seq') ?? '')),
					h('td', null, String(x.note || '')),
					h('td', null, h('code', {class: 'hash'}, String(x.sha256 || '')))))) :
				h('p', {class: 'empty'}, 'No milestones yet.'));
		} catch (e) {
			replace(list, errorBox(e, 'Could not list the milestones'));
		}
		return episodes;
	}
	const form = h('form', {id: 'milestone-form', class: 'form inline', 'aria-label': 'Mark a milestone'},
		field('Milestone name', name, 'letters, digits, - and _'), field('Note', note),
		h('div', {class: 'buttons'}, h('button', {type: 'submit'}, 'Mark milestone')), status, err);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(err);
		try {
			const r = await post(`${base(id)}/milestones`, {name: name.value, note: note.value || undefined});
			status.textContent = `Milestone ${pick(r, 'name') ?? name.value} recorded (sha256 ${String(pick(r, 'sha256') ?? '').slice(0, 12)}…).`;
			name.value = '';
			note.value = '';
			onChange();
		} catch (x) {
			status.textContent = '';
			replace(err, errorBox(x, 'Milestone not recorded'));
		}
	});
	const sec = section('Milestones', form, list);
	sec.id = 'milestones';
	return {el: sec, load, episodes: () => episodes};
}

function ltmSection(id, getEpisodes, onChange) {
	// Propose
	const facts = h('textarea', {name: 'facts', rows: '3', required: true});
	const scope = h('input', {type: 'text', name: 'scope', value: 'project/aios', required: true});
	const tags = h('input', {type: 'text', name: 'tags', autocomplete: 'off'});
	const pStatus = statusLine();
	pStatus.id = 'ltm-propose-status';
	const pErr = h('div');
	const propose = h('form', {id: 'ltm-propose', class: 'form', 'aria-label': 'Propose facts'},
		field('Facts', facts, 'one fact per line'), field('Scope', scope, 'like project/aios'),
		field('Tags', tags, 'comma separated'),
		h('div', {class: 'buttons'}, h('button', {type: 'submit'}, 'Propose')), pStatus, pErr);
	// Commit
	const proposalSel = h('select', {name: 'proposal', required: true});
	const episodeSel = h('select', {name: 'episode', required: true});
	const cStatus = statusLine();
	cStatus.id = 'ltm-commit-status';
	const cErr = h('div');
	const commit = h('form', {id: 'ltm-commit', class: 'form', 'aria-label': 'Commit a proposal at a milestone'},
		field('Staged proposal', proposalSel), field('At milestone', episodeSel),
		h('div', {class: 'buttons'}, h('button', {type: 'submit'}, 'Commit')), cStatus, cErr);
	// Search
	const q = h('input', {type: 'search', name: 'q', required: true, autocomplete: 'off'});
	const sScope = h('input', {type: 'text', name: 'scope', autocomplete: 'off'});
	const topK = h('input', {type: 'number', name: 'top_k', min: '1', max: '100', value: '10'});
	const results = h('div', {id: 'ltm-results', role: 'status', 'aria-live': 'polite'});
	const search = h('form', {id: 'ltm-search', class: 'form inline', role: 'search', 'aria-label': 'Search long-term memory'},
		field('Query', q), field('Scope', sScope, 'optional'), field('Results', topK),
		h('div', {class: 'buttons'}, h('button', {type: 'submit'}, 'Search')), results);

	let proposals = [];
	function fillSelects() {
		replace(proposalSel, proposals.length ? proposals.map((p) => {
			const pid = String(typeof p === 'string' ? p : pick(p, 'id', 'proposal'));
			const n = Array.isArray(p.facts) ? ` (${p.facts.length} facts)` : '';
			return h('option', {value: pid}, pid + n);
		}) : h('option', {value: ''}, 'no staged proposal'));
		const eps = getEpisodes();
		replace(episodeSel, eps.length ? eps.map((x) => h('option', {value: x.name}, x.name)) :
			h('option', {value: ''}, 'mark a milestone first'));
		if (eps.length)
			episodeSel.value = eps[eps.length - 1].name;
	}
	async function load() {
		try {
			const r = await get(`${base(id)}/ltm/proposals`);
			proposals = listOf(r, 'proposals', 'items');
		} catch (e) {
			replace(cErr, errorBox(e, 'Could not list staged proposals'));
		}
		fillSelects();
	}

	propose.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(pErr);
		const tagList = tags.value.split(',').map((t) => t.trim()).filter(Boolean);
		const body = {facts: facts.value.split('\n').map((t) => t.trim()).filter(Boolean)
			.map((text) => ({text, scope: scope.value.trim(), tags: tagList}))};
		try {
			const r = await post(`${base(id)}/ltm/proposals`, body);
			const pid = String(pick(r, 'proposal', 'id'));
			pStatus.textContent = `Staged as proposal ${pid}; commit it at a milestone.`;
			facts.value = '';
			await load();
			proposalSel.value = pid;
		} catch (x) {
			pStatus.textContent = '';
			replace(pErr, errorBox(x, 'Not proposed'));
		}
	});
	commit.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(cErr);
		try {
			const r = await post(`${base(id)}/ltm/commit`, {proposal: proposalSel.value, episode: episodeSel.value});
			cStatus.textContent = `Committed ${pick(r, 'committed') ?? ''} fact(s) at milestone ${episodeSel.value}.`;
			await load();
			onChange();
		} catch (x) {
			cStatus.textContent = '';
			replace(cErr, errorBox(x, 'Not committed'));
		}
	});
	search.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(results, 'Searching…');
		try {
			const r = await get(`${base(id)}/ltm`, {q: q.value, scope: sScope.value.trim(), top_k: topK.value});
			const hits = listOf(r, 'results', 'items', 'entries');
			replace(results, hits.length ?
				h('ol', {class: 'hits', 'aria-label': `${hits.length} results`}, hits.map((x) => h('li', null,
					h('span', {class: 'score'}, `score ${pick(x, 'score') ?? '?'}`), ' ',
					h('span', {class: 'fact'}, String(x.text)), ' ',
					h('span', {class: 'muted'}, `${x.scope || ''} · milestone ${x.episode || '?'}`),
					(x.tags || []).length ? h('span', {class: 'muted'}, ` · ${x.tags.join(', ')}`) : ''))) :
				h('p', {class: 'empty'}, `No committed memory matches “${q.value}”.`));
		} catch (x) {
			replace(results, errorBox(x, 'Search failed'));
		}
	});
	const sec = section('Long-term memory',
		h('div', {class: 'grid2'}, propose, commit), search);
	sec.id = 'ltm';
	return {el: sec, load, fillSelects};
}

function packSection(id) {
	const out = h('div', {id: 'pack-out', role: 'status', 'aria-live': 'polite'});
	let url = null;
	const btn = h('button', {type: 'button', id: 'pack-export', onclick: async () => {
		replace(out, 'Exporting…');
		try {
			const res = await request('POST', `${base(id)}/pack`, {raw: true,
				accept: 'application/gzip, application/octet-stream, application/json'});
			const blob = await res.blob();
			const buf = await blob.arrayBuffer();
			const magic = new Uint8Array(buf.slice(0, 2));
			if (magic[0] !== 0x1f || magic[1] !== 0x8b)
				throw new Error(`the server sent ${blob.type || 'data'} that is not a gzip archive`);
			const sum = await sha256hex(buf);
			if (url)
				URL.revokeObjectURL(url);
			url = URL.createObjectURL(new Blob([buf], {type: 'application/gzip'}));
			const name = `aios-pack-${id}.tar.gz`;
			const a = h('a', {href: url, download: name, id: 'pack-download'}, `Download ${name}`);
			replace(out, h('div', {class: 'ok'},
				h('strong', null, `Pack ready: ${bytes(buf.byteLength)}`),
				sum ? h('p', null, 'SHA-256 ', h('code', {class: 'hash'}, sum)) : null, a));
			a.click();
		} catch (x) {
			replace(out, errorBox(x, 'Export failed'));
		}
	}}, 'Export resume pack');
	const sec = section('Resume pack',
		h('p', null, 'A verified archive of this run (working set, ledger, milestones, memory) that another machine can import.'),
		h('div', {class: 'buttons'}, btn), out);
	sec.id = 'pack';
	return {el: sec, cleanup: () => url && URL.revokeObjectURL(url)};
}

export function render(main, params) {
	const id = params.id;
	const head = h('div', {id: 'run-summary'});
	let ledger;
	let ms;
	let ltm;
	let summary = () => {};
	const changed = async () => {
		summary();
		await ledger.load();
		await ms.load();
		ltm.fillSelects();
	};
	const ws = wsSection(id, changed);
	const steps = stepsSection(id, changed);
	ms = milestoneSection(id, changed);
	ltm = ltmSection(id, () => ms.episodes(), changed);
	ledger = ledgerSection(id);
	const pack = packSection(id);
	const jump = h('nav', {class: 'jump', 'aria-label': 'Sections of this run'},
		h('ul', null, [['ws', 'Working set'], ['steps', 'Steps'], ['milestones', 'Milestones'],
			['ltm', 'Memory'], ['ledger', 'Ledger'], ['pack', 'Pack']].map(([a, t]) =>
			h('li', null, h('a', {href: `#/runs/${encodeURIComponent(id)}`, dataset: {section: a},
				onclick: (e) => {
					e.preventDefault();
					const t2 = document.getElementById(a);
					t2.scrollIntoView();
					t2.querySelector('h3')?.setAttribute('tabindex', '-1');
					t2.querySelector('h3')?.focus();
				}}, t)))));
	main.append(h('p', null, h('a', {href: '#/runs'}, '← All runs')), head, jump,
		ws.el, steps.el, ms.el, ltm.el, ledger.el, pack.el);

	summary = async () => {
		try {
			const r = await get(base(id));
			const l = r.ledger || {};
			replace(head, kv([['Run', id], ['Objective', pick(r, 'objective')],
				['Acceptance criteria', Array.isArray(r.acceptance_criteria) ? r.acceptance_criteria.join('; ') : undefined],
				['Constraints', Array.isArray(r.constraints) ? r.constraints.join('; ') : undefined],
				['Status', pick(r, 'status')], ['Owner', pick(r, 'owner', 'agent') !== undefined ? owner(pick(r, 'owner', 'agent')) : undefined],
				['Created', pick(r, 'created_ns') ? timeOf(r.created_ns) : undefined],
				['Durability', pick(r, 'fsync')],
				['Working set seq', pick(r, 'workset_seq')],
				['Ledger records', pick(l, 'records')],
				['Milestones', Array.isArray(r.episodes) ? r.episodes.length : pick(r, 'episodes')],
				['Memory entries', pick(r, 'ltm_entries')]]));
		} catch (e) {
			replace(head, errorBox(e, 'Could not load the run'));
		}
	};
	summary();
	ws.load();
	ledger.load();
	ms.load().then(() => ltm.load());
	return () => pack.cleanup();
}
