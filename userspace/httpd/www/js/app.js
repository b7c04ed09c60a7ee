// SPDX-License-Identifier: GPL-2.0
// aios control panel: routing, navigation, token entry, connection status.

import {h, replace} from './dom.js';
import {get, setToken, token, onAuthChange} from './api.js';
import * as live from './live.js';
import * as agents from './views/agents.js';
import * as queues from './views/queues.js';
import * as gpus from './views/gpus.js';
import * as audit from './views/audit.js';
import * as memory from './views/memory.js';
import * as runs from './views/runs.js';
import * as run from './views/run.js';

const routes = [
	{re: /^#\/agents$/, view: agents, nav: 'agents'},
	{re: /^#\/queues$/, view: queues, nav: 'queues'},
	{re: /^#\/gpus$/, view: gpus, nav: 'gpus'},
	{re: /^#\/audit$/, view: audit, nav: 'audit'},
	{re: /^#\/memory$/, view: memory, nav: 'memory'},
	{re: /^#\/runs$/, view: runs, nav: 'runs'},
	{re: /^#\/runs\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})$/, view: run, nav: 'runs', params: (m) => ({id: m[1]})},
];

const main = document.getElementById('main');
const titleEl = document.getElementById('view-title');
const viewEl = document.getElementById('view');
const announcer = document.getElementById('announcer');
let cleanup = null;

export function announce(text) {
	announcer.textContent = '';
	setTimeout(() => {
		announcer.textContent = text;
	}, 50);
}

function nav(hash) {
	if (location.hash === hash)
		route();
	else
		location.hash = hash;
}

function route() {
	const hash = location.hash || '#/agents';
	let match = null;
	let m = null;
	for (const r of routes) {
		m = r.re.exec(hash);
		if (m) {
			match = r;
			break;
		}
	}
	if (cleanup) {
		try {
			cleanup();
		} catch (e) {
			console.error(e);
		}
		cleanup = null;
	}
	replace(viewEl);
	for (const a of document.querySelectorAll('#nav a')) {
		if (match && a.dataset.view === match.nav)
			a.setAttribute('aria-current', 'page');
		else
			a.removeAttribute('aria-current');
	}
	if (!match) {
		titleEl.textContent = 'Not found';
		viewEl.append(h('p', null, 'There is no such view. ', h('a', {href: '#/agents'}, 'Go to the agents.')));
		return;
	}
	const params = match.params ? match.params(m) : {};
	const title = match.view === run ? `Run ${params.id}` : match.view.title;
	titleEl.textContent = title;
	document.title = `${title} – aios control panel`;
	main.dataset.view = match.nav;
	cleanup = match.view.render(viewEl, params, nav) || null;
	// Move focus to the new view's heading so that keyboard and screen
	// reader users land on the content (not on the first link again).
	if (document.activeElement && document.activeElement !== document.body)
		titleEl.focus({preventScroll: true});
	announce(`${title} view`);
}

// ---- token and connection status ---------------------------------------
const tokenForm = document.getElementById('token-form');
const tokenIn = document.getElementById('token');
const tokenStatus = document.getElementById('token-status');
const whoEl = document.getElementById('who');
const streamEl = document.getElementById('stream-state');

async function whoami() {
	try {
		const reply = await get('/v1/whoami');
		const me = reply.identity || reply;
		const who = me.kind === 'agent' || (me.agent && me.kind !== 'uid') ? `agent ${me.agent}` :
			me.uid !== undefined ? `uid ${me.uid}` : 'signed in';
		whoEl.textContent = `${who}${me.admin ? ' (admin)' : ''}${reply.listener ? ` via ${reply.listener}` : ''}`;
		whoEl.className = 'st-ok';
	} catch (e) {
		whoEl.textContent = e.status === 401 ? 'Not signed in: set an access token' : `aios-httpd: ${e.message}`;
		whoEl.className = 'st-warn';
	}
}

tokenForm.addEventListener('submit', (e) => {
	e.preventDefault();
	setToken(tokenIn.value.trim());
	tokenIn.value = '';
	tokenStatus.textContent = token() ? 'Token set for this tab.' : 'Token cleared.';
	live.restart();
	whoami();
	route();
});
document.getElementById('token-clear').addEventListener('click', () => {
	setToken('');
	tokenStatus.textContent = 'Token cleared.';
	live.restart();
	whoami();
});
onAuthChange((ev) => {
	if (ev.type === 'unauthorized') {
		document.getElementById('auth').open = true;
		tokenStatus.textContent = 'The server wants a token: paste one bound to your agent.';
	}
});

live.subscribe('stream', (st) => {
	streamEl.textContent = st === 'open' ? 'live' : st === 'connecting' ? 'connecting…' :
		`offline (${live.state.streamDetail || 'retrying'})`;
	streamEl.className = st === 'open' ? 'st-ok' : 'st-warn';
});

// The skip link must not change the hash (the hash is the route).
document.querySelector('a.skip').addEventListener('click', (e) => {
	e.preventDefault();
	titleEl.focus();
});

window.addEventListener('hashchange', route);
if (token())
	tokenStatus.textContent = 'A token is set for this tab.';
live.start();
whoami();
route();
