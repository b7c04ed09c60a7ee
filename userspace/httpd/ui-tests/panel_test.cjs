// SPDX-License-Identifier: GPL-2.0
/*
 * Browser tests of the aios web control panel.
 *
 * Drives Debian's chromium (headless, through puppeteer-core; no browser
 * is downloaded) against a real aios-httpd in front of a real aiosd, with
 * the aios kernel module loaded and the demo agents of demo_agents.py
 * running (run_vm.sh sets all of this up in the test VM).  Prints
 * kselftest-style results ending in "# Totals: ..." and exits non-zero when
 * a test failed.  Screenshots of every view at 1280x800 and at phone width
 * go to $AIOS_UI_OUT.
 *
 * Environment:
 *   AIOS_UI_URL     the panel, e.g. http://127.0.0.1:8731/
 *   AIOS_UI_TOKEN   bearer token of an admin principal
 *   AIOS_UI_OUT     directory for screenshots and the downloaded pack
 *   AIOS_UI_STATE   demo_agents.py's state file (agents, queue, GPU)
 *   AIOS_UI_DENY    command that makes the kernel deny an operation and
 *                   prints it as JSON ({"seq", "agent", ...}); the target
 *                   agent id is appended
 *   CHROMIUM        browser binary (default /usr/bin/chromium)
 *   AIOS_UI_TIMEOUT per-step timeout in ms (default 300000: TCG is slow)
 *   AIOS_UI_ONLY    a regular expression: run only the tests whose names
 *                   match (for working on the panel; make check runs all)
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const {execFileSync} = require('node:child_process');
const puppeteer = require('puppeteer-core');

const URL_BASE = process.env.AIOS_UI_URL;
const TOKEN = process.env.AIOS_UI_TOKEN || '';
const OUT = process.env.AIOS_UI_OUT;
const STATE = process.env.AIOS_UI_STATE;
const DENY = process.env.AIOS_UI_DENY;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.AIOS_UI_TIMEOUT || 300000);
const DESKTOP = {width: 1280, height: 800};
const PHONE = {width: 390, height: 844};

// ---- a small kselftest-style harness --------------------------------------

const tests = [];
const ONLY = process.env.AIOS_UI_ONLY ? new RegExp(process.env.AIOS_UI_ONLY) : null;
function test(name, fn) {
	if (!ONLY || ONLY.test(name))
		tests.push({name, fn});
}

class Skip extends Error {}

function assert(cond, msg) {
	if (!cond)
		throw new Error(`assertion failed: ${msg}`);
}

function diag(msg) {
	for (const line of String(msg).split('\n'))
		console.log(`#   ${line}`);
}

// ---- helpers ------------------------------------------------------------------

let browser;
let page;
const pageErrors = [];
const consoleErrors = [];
let state = null;

function readState() {
	if (!state)
		state = JSON.parse(fs.readFileSync(STATE, 'utf8'));
	return state;
}

async function go(hash) {
	await page.evaluate((hs) => {
		location.hash = hs;
	}, hash);
	await page.waitForFunction((hs) => location.hash === hs &&
		document.getElementById('main').dataset.view !== undefined, {}, hash);
}

async function textOf(sel) {
	return page.$eval(sel, (el) => el.textContent);
}

async function waitText(sel, text) {
	await page.waitForFunction((s, t) => {
		const el = document.querySelector(s);
		return el && el.textContent.includes(t);
	}, {}, sel, text);
}

// No error box in the view.
async function noErrorBox() {
	const errs = await page.$$eval('#view .error', (els) => els.map((e) => e.textContent));
	assert(errs.length === 0, `the view shows an error: ${errs.join(' | ')}`);
}

async function shoot(name, opts = {}) {
	fs.mkdirSync(OUT, {recursive: true});
	const files = [];
	for (const vp of [DESKTOP, PHONE]) {
		await page.setViewport(vp);
		if (opts.scroll)
			await page.$eval(opts.scroll, (el) => el.scrollIntoView({block: 'start'}));
		await new Promise((r) => setTimeout(r, 300));
		if (vp === PHONE) {
			// Readable at phone width: nothing wider than the screen.
			const over = await page.evaluate(() => {
				const w = document.documentElement.clientWidth;
				const bad = [];
				// Inside a scrolling box (tables, the navigation bar) wide
				// content is reachable by scrolling that box alone.
				const scrolls = (el) => {
					for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
						if (getComputedStyle(a).overflowX !== 'visible')
							return true;
					return false;
				};
				for (const el of document.querySelectorAll('body *')) {
					if (el.closest('svg') || scrolls(el))
						continue;
					const r = el.getBoundingClientRect();
					if (r.width > 0 && r.right > w + 1)
						bad.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} right=${Math.round(r.right)}`);
				}
				return {scroll: document.documentElement.scrollWidth, w, bad: bad.slice(0, 5)};
			});
			assert(over.scroll <= over.w + 1 && over.bad.length === 0,
				`${name}: at ${vp.width}px the page is ${over.scroll}px wide: ${over.bad.join(', ')}`);
		}
		const file = path.join(OUT, `${name}-${vp.width}x${vp.height}.png`);
		await page.screenshot({path: file});
		files.push(file);
	}
	await page.setViewport(DESKTOP);
	diag(`screenshots: ${files.map((f) => path.basename(f)).join(' ')}`);
}

// Every form control has a label a screen reader can read.
async function labelled() {
	const bad = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
		.filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) &&
			!el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') &&
			!(el.tagName === 'BUTTON' && el.textContent.trim()))
		.map((el) => el.outerHTML.slice(0, 80)));
	assert(bad.length === 0, `controls without a label: ${bad.join(' | ')}`);
}

async function api(method, p, body) {
	return page.evaluate(async (m, u, b, tok) => {
		const res = await fetch(u, {method: m, headers: {
			'Authorization': `Bearer ${tok}`,
			...(b ? {'Content-Type': 'application/json'} : {}),
		}, body: b ? JSON.stringify(b) : undefined});
		return {status: res.status, body: await res.json()};
	}, method, p, body, TOKEN);
}

async function formValue(sel, value) {
	await page.$eval(sel, (el) => {
		el.value = '';
	});
	await page.type(sel, value);
}

// ---- the tests -------------------------------------------------------------------

let runId = null;
let packFile = null;
let downloads = null;

test('the panel loads and takes a bearer token', async () => {
	await page.goto(URL_BASE, {waitUntil: 'load'});
	await page.waitForSelector('#view-title');
	// Without a token the API answers 401 and the panel opens the token form.
	await page.waitForFunction(() => document.getElementById('auth').open);
	await page.type('#token', TOKEN);
	await page.click('#token-form button[type=submit]');
	await page.waitForFunction(() => /admin/.test(document.getElementById('who').textContent));
	const who = await textOf('#who');
	diag(`principal: ${who}`);
	assert(/uid 0|admin/.test(who), `#who says "${who}"`);
	// The token is not in the URL and not in persistent storage.
	assert(!page.url().includes(TOKEN), 'the token leaked into the URL');
	const persisted = await page.evaluate(() => Object.keys(localStorage).length);
	assert(persisted === 0, 'the token went to localStorage');
	await page.click('#auth summary');
	await page.waitForFunction(() => !document.getElementById('auth').open);
});

test('landmarks, skip link and keyboard navigation', async () => {
	const lm = await page.evaluate(() => ({
		header: !!document.querySelector('header'),
		nav: document.querySelector('nav#nav')?.getAttribute('aria-label'),
		main: !!document.querySelector('main#main'),
		footer: !!document.querySelector('footer'),
		live: document.getElementById('announcer')?.getAttribute('aria-live'),
	}));
	assert(lm.header && lm.nav && lm.main && lm.footer, `landmarks: ${JSON.stringify(lm)}`);
	assert(lm.live === 'polite', 'no polite live region for announcements');
	// A fresh load (the token stays in sessionStorage): the first Tab
	// stop is the skip link.
	await page.goto(URL_BASE, {waitUntil: 'load'});
	await page.waitForFunction(() => /admin/.test(document.getElementById('who').textContent));
	await page.keyboard.press('Tab');
	const first = await page.evaluate(() => document.activeElement.className);
	assert(first === 'skip', `the first Tab stop is "${first}", not the skip link`);
	const hash = await page.evaluate(() => location.hash);
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'view-title');
	assert(await page.evaluate(() => location.hash) === hash, 'the skip link changed the route');
	await page.focus('#nav a[data-view="queues"]');
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => location.hash === '#/queues');
	await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'view-title');
	const cur = await page.$eval('#nav a[data-view="queues"]', (a) => a.getAttribute('aria-current'));
	assert(cur === 'page', 'the current view is not marked aria-current=page');
	await labelled();
});

test('the agents view lists the demo agents and their capabilities', async () => {
	const st = readState();
	await go('#/agents');
	for (const [name, id] of Object.entries(st.agents)) {
		await page.waitForSelector(`tr[data-agent="${id}"]`);
		const row = await textOf(`tr[data-agent="${id}"]`);
		assert(row.includes(name), `agent ${id} row "${row}" does not name ${name}`);
	}
	const planner = await textOf(`tr[data-agent="${st.agents.planner}"]`);
	assert(/critical/.test(planner), `planner's priority is not shown: ${planner}`);
	assert(/ACCESS_GPU/.test(planner), `planner's capabilities lack ACCESS_GPU: ${planner}`);
	await noErrorBox();
	await labelled();
	await shoot('agents');
});

test('a denied operation appears in the live audit stream', async () => {
	const st = readState();
	await go('#/audit');
	await page.waitForSelector('#audit-log li');
	const role = await page.$eval('#audit-log', (el) => `${el.getAttribute('role')}/${el.getAttribute('aria-live')}`);
	assert(role === 'log/polite', `the stream is not an aria-live log (${role})`);
	const cmd = DENY.split(' ');
	const out = execFileSync(cmd[0], [...cmd.slice(1), String(st.agents.planner)], {encoding: 'utf8'});
	const den = JSON.parse(out);
	diag(`kernel denied: ${out.trim()}`);
	const sel = `#audit-log li[data-seq="${den.seq}"]`;
	await page.waitForSelector(sel);
	const li = await page.$eval(sel, (el) => ({cls: el.className, text: el.textContent}));
	assert(li.cls === 'denied', `record ${den.seq} is not shown as denied (${li.cls})`);
	assert(/kill/.test(li.text) && /EPERM/.test(li.text) && /KILL_AGENT/.test(li.text),
		`record ${den.seq} reads "${li.text}"`);
	// Filters: denied only, then this agent only.
	await page.select('select[name=result]', 'denied');
	const classes = await page.$$eval('#audit-log li', (els) => els.map((e) => e.className));
	assert(classes.length > 0 && classes.every((c) => c === 'denied'), `denied filter shows ${classes}`);
	await formValue('input[name=agent]', String(den.agent));
	const seqs = await page.$$eval('#audit-log li', (els) => els.map((e) => e.dataset.seq));
	assert(seqs.length === 1 && seqs[0] === String(den.seq), `agent filter shows ${seqs}`);
	await page.select('select[name=result]', '');
	await formValue('input[name=agent]', '');
	await noErrorBox();
	await labelled();
	await page.select('select[name=result]', 'denied');
	await shoot('audit');
	await page.select('select[name=result]', '');
});

test('the queues view charts depth and latency', async () => {
	await go('#/queues');
	await page.waitForSelector('tr[data-queue="ui-demo"]');
	// Two samples at least: the depth line has points.
	await page.waitForFunction(() => {
		const l = document.querySelector('svg.chart polyline.line');
		return l && l.getAttribute('points').split(' ').length >= 2;
	});
	const row = await textOf('tr[data-queue="ui-demo"]');
	assert(/fifo/.test(row), `queue row: ${row}`);
	const charts = await page.$$eval('svg.chart', (els) => els.map((e) => e.querySelector('title').textContent));
	assert(charts.length === 2, `expected a depth and a latency chart, got ${charts}`);
	await noErrorBox();
	await shoot('queues');
});

test('the GPU view shows the claims timeline with preemptions', async () => {
	await go('#/gpus');
	await waitText('#view table', 'ui-gpu');
	await page.waitForSelector('svg.timeline rect.seg');
	// planner takes the GPU from tester every 12 s.
	await page.waitForSelector('svg.timeline path.mark', {timeout: Math.max(TIMEOUT, 60000)});
	const marks = await page.$$eval('ol.events li', (els) => els.map((e) => e.textContent));
	assert(marks.length > 0, 'no preemption listed');
	diag(`preemptions seen: ${marks.length}`);
	await noErrorBox();
	await shoot('gpus');
});

test('the memory view shows usage against limits', async () => {
	const st = readState();
	await go('#/memory');
	await page.waitForSelector('#view meter');
	// coder keeps 160 KiB in aiosd's store (demo_agents.py).
	await page.waitForSelector(`tr[data-agent="${st.agents.coder}"]`);
	const row = await textOf(`tr[data-agent="${st.agents.coder}"]`);
	assert(/KiB of .*MiB/.test(row), `coder's memory row: ${row}`);
	await noErrorBox();
	await shoot('memory');
});

test('create a run from the form', async () => {
	await go('#/runs');
	await page.waitForSelector('#run-create');
	await page.type('#run-create textarea[name=objective]', 'Tidy the browser test fixtures');
	await page.type('#run-create textarea[name=acceptance_criteria]', 'every view renders\nno errors');
	await page.type('#run-create textarea[name=constraints]', 'no network');
	await page.click('#run-create button[type=submit]');
	await page.waitForFunction(() => /^#\/runs\/r-/.test(location.hash));
	runId = decodeURIComponent((await page.evaluate(() => location.hash)).slice('#/runs/'.length));
	diag(`run ${runId}`);
	await waitText('#ws-view', 'Tidy the browser test fixtures');
	const ws = await textOf('#ws-view');
	assert(/every view renders/.test(ws), `acceptance criteria missing from the working set: ${ws}`);
	await labelled();
});

test('edit the working set', async () => {
	const seq0 = Number(await page.$eval('#ws-base-seq', (el) => el.value));
	const doc = JSON.parse(await page.$eval('#ws-editor', (el) => el.value));
	doc.step = 1;
	doc.notes = ['edited in the browser'];
	await page.$eval('#ws-editor', (el, v) => {
		el.value = v;
	}, JSON.stringify(doc, null, 2));
	await page.click('#ws-form button[type=submit]');
	await waitText('#ws-status', 'Saved');
	await waitText('#ws-view', 'edited in the browser');
	const seq1 = Number(await textOf('#ws-seq'));
	assert(seq1 === seq0 + 1, `seq went from ${seq0} to ${seq1}`);
	// Invalid JSON is refused in the page, with an alert.
	await page.$eval('#ws-editor', (el) => {
		el.value = '{"goal": ';
	});
	await page.click('#ws-form button[type=submit]');
	await page.waitForSelector('#ws-form [role=alert]');
	await page.click('#ws-form button.secondary');
	await waitText('#ws-status', 'Reloaded');
});

test('a stale working-set edit shows the conflict and the current value', async () => {
	const base = Number(await page.$eval('#ws-base-seq', (el) => el.value));
	// Someone else changes the run meanwhile.
	const other = await api('POST', `/v1/runs/${runId}/ws`, {expected_seq: base, patch: {notes: ['changed elsewhere']}});
	assert(other.status === 200, `concurrent patch: HTTP ${other.status} ${JSON.stringify(other.body)}`);
	const doc = JSON.parse(await page.$eval('#ws-editor', (el) => el.value));
	doc.step = 2;
	await page.$eval('#ws-editor', (el, v) => {
		el.value = v;
	}, JSON.stringify(doc, null, 2));
	await page.click('#ws-form button[type=submit]');
	await page.waitForSelector('#ws-conflict .conflict');
	const cur = Number(await textOf('#ws-conflict .current-seq'));
	assert(cur === base + 1, `conflict names seq ${cur}, the run is at ${base + 1}`);
	const value = await textOf('#ws-conflict .current-value');
	assert(/changed elsewhere/.test(value), `the current value is not shown: ${value}`);
	const focused = await page.evaluate(() => document.activeElement.closest('#ws-conflict') !== null);
	assert(focused, 'focus did not move to the conflict');
	await shoot('run-conflict', {scroll: '#ws'});
	// Take the current value and save on top of it.
	await page.click('#ws-conflict button');
	const now = Number(await page.$eval('#ws-base-seq', (el) => el.value));
	assert(now === base + 1, `editor is based on ${now} after taking the current value`);
	await page.click('#ws-form button[type=submit]');
	await waitText('#ws-status', `seq ${base + 2}`);
});

test('steps, a milestone, memory proposed, committed and found', async () => {
	await page.type('#step-form input[name=step]', 'wrote the fixtures');
	await page.click('#step-form button[type=submit]');
	await page.waitForSelector('#ledger-list tr[data-type="step"]');
	await page.type('#milestone-form input[name=name]', 'm1');
	await page.type('#milestone-form input[name=note]', 'fixtures done');
	await page.click('#milestone-form button[type=submit]');
	await waitText('#episode-list', 'm1');
	await page.type('#ltm-propose textarea[name=facts]', 'Zebra fixtures live in userspace/httpd/ui-tests');
	await formValue('#ltm-propose input[name=scope]', 'project/aios');
	await page.type('#ltm-propose input[name=tags]', 'ui, fixtures');
	await page.click('#ltm-propose button[type=submit]');
	await waitText('#ltm-propose-status', 'proposal p-');
	await page.waitForFunction(() => document.querySelector('#ltm-commit select[name=episode]').value === 'm1' &&
		/^p-/.test(document.querySelector('#ltm-commit select[name=proposal]').value));
	await page.click('#ltm-commit button[type=submit]');
	await waitText('#ltm-commit-status', 'Committed 1');
	await page.type('#ltm-search input[name=q]', 'zebra');
	await page.click('#ltm-search button[type=submit]');
	await waitText('#ltm-results', 'Zebra fixtures live in');
	const hit = await textOf('#ltm-results li');
	assert(/milestone m1/.test(hit), `the hit does not name its milestone: ${hit}`);
	await page.waitForSelector('#ledger-list tr[data-type="ltm_commit"]');
	await noErrorBox();
});

test('the ledger verifies', async () => {
	await page.click('#ledger-verify-btn');
	await waitText('#ledger-verify', 'Ledger intact');
	const text = await textOf('#ledger-verify');
	diag(text.replace(/\s+/g, ' ').slice(0, 200));
});

test('export a resume pack and import it as another run', async () => {
	const dl = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'aios-ui-dl-'));
	downloads = dl;
	const cdp = await page.createCDPSession();
	await cdp.send('Browser.setDownloadBehavior', {behavior: 'allow', downloadPath: dl});
	await page.click('#pack-export');
	await page.waitForSelector('#pack-download');
	const name = `aios-pack-${runId}.tar.gz`;
	packFile = path.join(dl, name);
	// Done when the file exists, is not empty and stopped growing.
	const t0 = Date.now();
	let last = -1;
	for (;;) {
		const size = fs.existsSync(packFile) ? fs.statSync(packFile).size : -1;
		if (size > 0 && size === last)
			break;
		assert(Date.now() - t0 < TIMEOUT, `${name} was not downloaded`);
		last = size;
		await new Promise((r) => setTimeout(r, 500));
	}
	const buf = fs.readFileSync(packFile);
	assert(buf[0] === 0x1f && buf[1] === 0x8b, 'the pack is not gzip');
	const shown = await textOf('#pack-out');
	const sha = require('node:crypto').createHash('sha256').update(buf).digest('hex');
	assert(shown.includes(sha), `the page shows another SHA-256 than the file's (${sha})`);
	diag(`pack ${buf.length} bytes, sha256 ${sha}`);
	// Window-sized captures (a full-page capture of this long page fails
	// in chromium without a GPU under TCG).
	await shoot('run', {scroll: '#main'});
	await shoot('run-memory', {scroll: '#ltm'});
	await shoot('run-ledger-pack', {scroll: '#ledger'});

	await go('#/runs');
	const as = `r-ui-import-${Date.now().toString(16)}`;
	const input = await page.$('#pack-import input[type=file]');
	await input.uploadFile(packFile);
	await page.type('#pack-import input[name=as]', as);
	await page.click('#pack-import button[type=submit]');
	await page.waitForSelector(`#pack-import a[href="#/runs/${as}"]`);
	await page.click(`#pack-import a[href="#/runs/${as}"]`);
	await waitText('#ws-view', 'changed elsewhere');
	await waitText('#episode-list', 'm1');
	// Importing the same pack under the same id again is refused.
	await go('#/runs');
	await page.waitForSelector(`tr[data-run="${as}"]`);
	await (await page.$('#pack-import input[type=file]')).uploadFile(packFile);
	await page.type('#pack-import input[name=as]', as);
	await page.click('#pack-import button[type=submit]');
	await page.waitForSelector('#pack-import [role=alert]');
	const refused = await textOf('#pack-import [role=alert]');
	assert(/409/.test(refused) && refused.includes(as), `second import: ${refused}`);
	await shoot('runs');
});

test('no script errors in the page', async () => {
	assert(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
	diag(`${consoleErrors.length} console messages about failed requests (expected: 409, 401 probes)`);
});

// ---- main ----------------------------------------------------------------------

async function main() {
	for (const [k, v] of Object.entries({AIOS_UI_URL: URL_BASE, AIOS_UI_OUT: OUT,
		...(ONLY ? {} : {AIOS_UI_STATE: STATE, AIOS_UI_DENY: DENY})})) {
		if (!v) {
			console.error(`panel_test: ${k} is not set (see the top of ${__filename})`);
			process.exit(2);
		}
	}
	console.log('TAP version 13');
	console.log(`1..${tests.length}`);
	let pass = 0;
	let fail = 0;
	let skip = 0;
	const root = process.getuid && process.getuid() === 0;
	const profile = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'aios-ui-'));
	try {
		browser = await puppeteer.launch({
			executablePath: CHROMIUM,
			headless: true,
			timeout: TIMEOUT,	// chromium starts slowly under TCG
			protocolTimeout: TIMEOUT * 2,
			args: [...(root ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage',
				'--no-first-run', '--no-default-browser-check', '--disable-extensions',
				'--disable-background-networking', '--disable-component-update',
				`--user-data-dir=${profile}`],
		});
		page = await browser.newPage();
	} catch (e) {
		console.log(`# cannot start ${CHROMIUM}: ${e.message}`);
		for (let i = 0; i < tests.length; i++)
			console.log(`not ok ${i + 1} ${tests[i].name}`);
		console.log(`# Totals: pass:0 fail:${tests.length} xfail:0 xpass:0 skip:0 error:0`);
		process.exit(1);
	}
	page.setDefaultTimeout(TIMEOUT);
	await page.setViewport(DESKTOP);
	page.on('pageerror', (e) => pageErrors.push(e.message));
	page.on('console', (m) => {
		if (m.type() === 'error')
			consoleErrors.push(m.text());
	});
	page.on('dialog', (d) => d.dismiss());
	for (let i = 0; i < tests.length; i++) {
		const t = tests[i];
		const start = Date.now();
		console.log(`# RUN ${t.name}`);
		try {
			await t.fn();
			pass++;
			console.log(`ok ${i + 1} ${t.name} # ${((Date.now() - start) / 1000).toFixed(1)}s`);
		} catch (e) {
			if (e instanceof Skip) {
				skip++;
				console.log(`ok ${i + 1} ${t.name} # SKIP ${e.message}`);
				continue;
			}
			fail++;
			diag(e.stack || e.message);
			try {
				fs.mkdirSync(OUT, {recursive: true});
				const f = path.join(OUT, `FAILED-${i + 1}.png`);
				await page.screenshot({path: f});
				diag(`page at the failure: ${f}; view: ${(await page.$eval('#view', (el) => el.innerText)).slice(0, 600)}`);
			} catch { /* the page is gone */ }
			console.log(`not ok ${i + 1} ${t.name}`);
		}
	}
	await browser.close();
	fs.rmSync(profile, {recursive: true, force: true});
	if (downloads)
		fs.rmSync(downloads, {recursive: true, force: true});
	console.log(`# Totals: pass:${pass} fail:${fail} xfail:0 xpass:0 skip:${skip} error:0`);
	process.exit(fail ? 1 : 0);
}

main().catch((e) => {
	console.log(`# panel_test: ${e.stack || e}`);
	console.log('# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0');
	process.exit(1);
});
