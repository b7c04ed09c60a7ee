// SPDX-License-Identifier: GPL-2.0
// Live data shared by the views, collected while the panel is open:
//   - the event stream (SSE /v1/events), one connection for the page;
//   - the audit trail: GET /v1/audit?after=SEQ, then new records from the
//     event stream and from polling, kept in seq order without duplicates;
//   - samples of /v1/queues and /v1/gpus for the charts and the GPU
//     preemption timeline (the server keeps no history, so the panel
//     remembers the last WINDOW_MS).

import {get, listOf} from './api.js';
import {Stream} from './sse.js';
import {pick} from './format.js';

export const WINDOW_MS = 10 * 60 * 1000;
const SAMPLE_MS = 3000;
const AUDIT_POLL_MS = 2000;
const MAX_AUDIT = 2000;
const MAX_EVENTS = 500;

const subs = new Map();		// topic -> Set(fn)

export function subscribe(topic, fn) {
	if (!subs.has(topic))
		subs.set(topic, new Set());
	subs.get(topic).add(fn);
	return () => subs.get(topic).delete(fn);
}

function emit(topic, arg) {
	for (const f of subs.get(topic) || [])
		try {
			f(arg);
		} catch (e) {
			console.error(e);
		}
}

export const state = {
	stream: 'connecting',	// connecting | open | error
	streamDetail: '',
	events: [],		// newest last: {at, type, id, json, data}
	audit: new Map(),	// seq -> record
	auditLastSeq: 0,
	auditError: null,
	queueSamples: [],	// {t, queues: [...]}
	gpuSamples: [],		// {t, gpus: [...]}
	gpuMarks: [],		// {t, gpu, label}
	gpuOpen: new Map(),	// gpu id -> {gpu, owner, from, to}: the holder now
	gpuSegs: [],		// closed {gpu, owner, from, to}
};

// An audit record out of an event payload, when it carries one.
function auditOf(ev) {
	const j = ev.json;
	if (!j || typeof j !== 'object')
		return null;
	if (j.audit && typeof j.audit === 'object')
		return j.audit;
	if ((ev.type === 'audit' || j.event === 'audit' || j.type === 'audit') && j.seq !== undefined)
		return j;
	return null;
}

function addAudit(records, full) {
	const fresh = [];
	for (const r of records) {
		const seq = Number(r.seq);
		if (!Number.isFinite(seq))
			continue;
		const old = state.audit.get(seq);
		// The event stream carries a short form; the ring's full record
		// (with time and capabilities) replaces it.
		if (old && (old.time_ns !== undefined || r.time_ns === undefined))
			continue;
		state.audit.set(seq, r);
		fresh.push(r);
		// Only the ring's own records advance the read position: a
		// short record from the stream must not skip older ones.
		if (full && seq > state.auditLastSeq)
			state.auditLastSeq = seq;
	}
	if (state.audit.size > MAX_AUDIT) {
		const keys = [...state.audit.keys()].sort((a, b) => a - b);
		for (const k of keys.slice(0, state.audit.size - MAX_AUDIT))
			state.audit.delete(k);
	}
	if (fresh.length) {
		fresh.sort((a, b) => Number(a.seq) - Number(b.seq));
		emit('audit', fresh);
	}
}

// GPU holders over time: one open segment per GPU (its current holder)
// and the closed ones, from the event stream (gpu_claim, gpu_release,
// gpu_preempt, gpu_revoke) and, between events or without the stream,
// from the sampled holder of each GPU.
function openSeg(gid, owner, t) {
	const cur = state.gpuOpen.get(gid);
	if (cur && cur.owner === owner)
		return;
	closeSeg(gid, t);
	state.gpuOpen.set(gid, {gpu: gid, owner, from: t, to: t});
}

function closeSeg(gid, t, owner) {
	const cur = state.gpuOpen.get(gid);
	if (!cur || (owner !== undefined && cur.owner !== owner))
		return;
	cur.to = t;
	state.gpuSegs.push(cur);
	state.gpuOpen.delete(gid);
}

function gpuEvent(ev) {
	const j = ev.json;
	const g = j && typeof j === 'object' ? j.gpu : null;
	if (!g || typeof g !== 'object')
		return;
	// {"type": "gpu_preempt", "gpu": {"id", "name", "state", "owner", ...}}
	const kind = String(j.type || '');
	const gid = Number(g.id);
	const owner = Number(g.owner);
	const t = Date.now();
	if (/preempt|revoke/.test(kind))
		state.gpuMarks.push({t, gpu: gid, label: kind === 'gpu_revoke' ?
			`revoked from agent ${owner}: its grace ran out` :
			`agent ${owner} asked to give the GPU back`});
	if (kind === 'gpu_claim' && owner > 0 && /held/.test(String(g.state)))
		openSeg(gid, owner, t);
	else if (kind === 'gpu_release' || kind === 'gpu_revoke')
		closeSeg(gid, t, owner > 0 ? owner : undefined);
	emit('gpu', null);
}

function trackClaims(gpus, t) {
	for (const g of gpus) {
		const gid = Number(pick(g, 'id'));
		const owner = Number(pick(g, 'owner'));
		if (owner > 0)
			openSeg(gid, owner, t);
		else
			closeSeg(gid, t);
		const cur = state.gpuOpen.get(gid);
		if (cur)
			cur.to = t;
		if (state.stream !== 'open') {
			// No events: count preemptions between samples instead.
			const prev = state.gpuSamples.at(-1);
			const before = prev && prev.gpus.find((x) => Number(pick(x, 'id')) === gid);
			const n = Number(pick(g, 'preemptions'));
			const n0 = before ? Number(pick(before, 'preemptions')) : n;
			if (n > n0)
				state.gpuMarks.push({t, gpu: gid, label: `${n - n0} preemption(s) since the last sample`});
		}
	}
	state.gpuSegs = state.gpuSegs.filter((x) => x.to >= t - WINDOW_MS);
	state.gpuMarks = state.gpuMarks.filter((m) => m.t >= t - WINDOW_MS);
}

let stream = null;
let timers = [];

async function pollAudit() {
	try {
		const reply = await get('/v1/audit', {after: state.auditLastSeq || undefined, limit: 1000});
		state.auditError = null;
		addAudit(listOf(reply, 'records', 'audit', 'items'), true);
	} catch (e) {
		if (state.auditError?.message !== e.message) {
			state.auditError = e;
			emit('audit-error', e);
		}
	}
}

async function sampleQueues() {
	try {
		const reply = await get('/v1/queues');
		const qs = listOf(reply, 'queues', 'items');
		const t = Date.now();
		state.queueSamples.push({t, queues: qs});
		while (state.queueSamples.length && state.queueSamples[0].t < t - WINDOW_MS)
			state.queueSamples.shift();
		emit('queues', qs);
	} catch (e) {
		emit('queues-error', e);
	}
}

async function sampleGpus() {
	try {
		const reply = await get('/v1/gpus');
		const gs = listOf(reply, 'gpus', 'devices', 'items');
		const t = Date.now();
		trackClaims(gs, t);
		state.gpuSamples.push({t, gpus: gs});
		while (state.gpuSamples.length && state.gpuSamples[0].t < t - WINDOW_MS)
			state.gpuSamples.shift();
		emit('gpu', gs);
	} catch (e) {
		emit('gpu-error', e);
	}
}

export function start() {
	if (stream)
		return;
	stream = new Stream('/v1/events', {
		onState: (st, detail) => {
			state.stream = st;
			state.streamDetail = detail || '';
			emit('stream', st);
		},
		onEvent: (ev) => {
			const rec = {at: Date.now(), ...ev};
			state.events.push(rec);
			if (state.events.length > MAX_EVENTS)
				state.events.shift();
			const a = auditOf(ev);
			if (a)
				addAudit([a], false);
			gpuEvent(ev);
			emit('event', rec);
		},
	});
	pollAudit();
	sampleQueues();
	sampleGpus();
	const every = (f, ms) => timers.push(setInterval(() => {
		if (!document.hidden)
			f();
	}, ms));
	every(pollAudit, AUDIT_POLL_MS);
	every(sampleQueues, SAMPLE_MS);
	every(sampleGpus, SAMPLE_MS);
}

// After a new token: drop the old connection and start again.
export function restart() {
	if (stream)
		stream.close();
	stream = null;
	for (const t of timers)
		clearInterval(t);
	timers = [];
	state.audit.clear();
	state.auditLastSeq = 0;
	start();
}

export function refreshAudit() {
	return pollAudit();
}
