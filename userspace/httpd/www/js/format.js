// SPDX-License-Identifier: GPL-2.0
// Formatting of numbers, sizes, times and durations for the panel.

export function num(v) {
	if (v === null || v === undefined || v === '')
		return '–';
	const n = Number(v);
	return Number.isFinite(n) ? n.toLocaleString('en-US') : String(v);
}

export function bytes(v) {
	const n = Number(v);
	if (!Number.isFinite(n))
		return '–';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	let x = n;
	while (Math.abs(x) >= 1024 && i < units.length - 1) {
		x /= 1024;
		i++;
	}
	return `${i ? x.toFixed(x < 10 ? 1 : 0) : x} ${units[i]}`;
}

// Microseconds as a human duration.
export function usec(v) {
	const n = Number(v);
	if (!Number.isFinite(n))
		return '–';
	if (n < 1000)
		return `${n} µs`;
	if (n < 1e6)
		return `${(n / 1000).toFixed(n < 1e4 ? 1 : 0)} ms`;
	return `${(n / 1e6).toFixed(2)} s`;
}

// Nanoseconds since the epoch (number or decimal string) -> Date.
export function nsDate(ns) {
	if (ns === null || ns === undefined)
		return null;
	const ms = typeof ns === 'string' ? Number(BigInt(ns) / 1000000n) : Number(ns) / 1e6;
	return Number.isFinite(ms) && ms > 0 ? new Date(ms) : null;
}

export function timeOf(ns) {
	const d = nsDate(ns);
	return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
}

// CLOCK_BOOTTIME nanoseconds (the kernel's agent, audit and GPU times):
// time since the machine booted, e.g. "boot+1h02m03.4s".
export function bootTime(ns) {
	const n = Number(ns);
	if (!Number.isFinite(n) || n <= 0)
		return '–';
	let s = n / 1e9;
	const h = Math.floor(s / 3600);
	s -= h * 3600;
	const m = Math.floor(s / 60);
	s -= m * 60;
	const ss = s.toFixed(1).padStart(4, '0');
	return h ? `boot+${h}h${String(m).padStart(2, '0')}m${ss}s` : m ? `boot+${m}m${ss}s` : `boot+${ss}s`;
}

export function clock(date) {
	return date.toTimeString().slice(0, 8);
}

export function percent(part, whole) {
	const p = Number(part);
	const w = Number(whole);
	if (!Number.isFinite(p) || !Number.isFinite(w) || w <= 0)
		return null;
	return Math.min(100, (100 * p) / w);
}

// A run owner: {kind, agent|uid} from aiosd, or (older replies) an agent id
// or 2^63 | uid for a uid namespace (which
// arrives as a negative or huge number; its low bits do not survive a
// JavaScript number, so only the kind is shown then).
export function owner(v) {
	if (v === undefined || v === null)
		return '–';
	if (typeof v === 'object')
		return v.kind === 'uid' ? `uid ${v.uid}` : `agent ${v.agent ?? v.id}`;
	const n = Number(v);
	if (!Number.isFinite(n))
		return String(v);
	if (n < 0 || n >= 2 ** 63)
		return 'a uid namespace';
	return `agent ${n}`;
}

export function json(v) {
	return JSON.stringify(v, null, 2);
}

// First defined field among several possible names: the panel accepts the
// names the server uses without guessing at missing ones.
export function pick(obj, ...names) {
	if (!obj)
		return undefined;
	for (const n of names)
		if (obj[n] !== undefined && obj[n] !== null)
			return obj[n];
	return undefined;
}

// Capability list: array of names, a comma string or a mask.
export function capList(v) {
	if (Array.isArray(v))
		return v.map(String);
	if (typeof v === 'string')
		return v.split(/[,|\s]+/).filter(Boolean);
	return [];
}
