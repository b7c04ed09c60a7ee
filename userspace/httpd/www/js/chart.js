// SPDX-License-Identifier: GPL-2.0
// Plain SVG charts: a time-series line chart and a lane timeline.
// Colours come from CSS classes (series-0 .. series-7), so the charts
// follow the page's light or dark theme.

import {s, h} from './dom.js';
import {clock} from './format.js';

// "Nice" tick step for a range: 1, 2 or 5 times a power of ten.
export function niceStep(range, count) {
	if (!(range > 0))
		return 1;
	const raw = range / Math.max(1, count);
	const p = 10 ** Math.floor(Math.log10(raw));
	const m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

// Time between x-axis labels: about one per 70 px, at round intervals.
export function timeStep(spanMs, px) {
	const want = spanMs / Math.max(1, px / 70);
	for (const st of [5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000])
		if (st >= want)
			return st;
	return 600000;
}

export function ticks(max, count) {
	const step = niceStep(max, count);
	const out = [0];
	// Up to the first tick at or above max, so that every point fits.
	while (out[out.length - 1] < max)
		out.push(Number((out.length * step).toPrecision(12)));
	return out;
}

// lineChart({title, desc, series: [{name, points: [[ms, value]...]}],
//            from, to (ms), format (value -> label), width, height})
export function lineChart(o) {
	const W = o.width || 640;
	const H = o.height || 220;
	const pad = {l: 56, r: 12, t: 12, b: 28};
	const iw = W - pad.l - pad.r;
	const ih = H - pad.t - pad.b;
	const fmt = o.format || String;
	const to = o.to;
	const from = o.from;
	let max = 0;
	for (const se of o.series)
		for (const [, v] of se.points)
			max = Math.max(max, v);
	const yt = ticks(max > 0 ? max : 1, 4);
	const ymax = yt[yt.length - 1];
	const x = (t) => pad.l + (iw * (t - from)) / Math.max(1, to - from);
	const y = (v) => pad.t + ih - (ih * v) / ymax;

	const titleId = `chart-t-${Math.random().toString(36).slice(2)}`;
	const svg = s('svg', {class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
		'aria-labelledby': titleId, preserveAspectRatio: 'xMidYMid meet'},
	s('title', {id: titleId}, o.title),
	s('desc', null, o.desc || ''));
	const grid = s('g', {class: 'grid'});
	for (const v of yt) {
		grid.append(s('line', {x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v)}));
		grid.append(s('text', {x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end'}, fmt(v)));
	}
	const span = to - from;
	const tstep = timeStep(span, iw);
	for (let t = Math.ceil(from / tstep) * tstep; t <= to; t += tstep) {
		grid.append(s('line', {class: 'vgrid', x1: x(t), x2: x(t), y1: pad.t, y2: pad.t + ih}));
		grid.append(s('text', {x: x(t), y: H - 8, 'text-anchor': 'middle'}, clock(new Date(t))));
	}
	svg.append(grid);
	svg.append(s('line', {class: 'axis', x1: pad.l, x2: pad.l, y1: pad.t, y2: pad.t + ih}));
	svg.append(s('line', {class: 'axis', x1: pad.l, x2: W - pad.r, y1: pad.t + ih, y2: pad.t + ih}));
	o.series.forEach((se, i) => {
		const pts = se.points.filter(([t]) => t >= from && t <= to);
		if (pts.length === 0)
			return;
		const d = pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
		svg.append(s('polyline', {class: `line series-${i % 8}`, points: d},
			s('title', null, se.name)));
		if (pts.length === 1) {
			const [t, v] = pts[0];
			svg.append(s('circle', {class: `dot series-${i % 8}`, cx: x(t), cy: y(v), r: 3}));
		}
	});
	const legend = h('ul', {class: 'legend', 'aria-hidden': 'true'},
		o.series.map((se, i) => h('li', null,
			h('span', {class: `swatch series-${i % 8}`}), se.name)));
	return h('figure', {class: 'chart-fig'}, svg, legend,
		o.caption ? h('figcaption', null, o.caption) : null);
}

// timeline({title, desc, lanes: [{name, segments: [{from, to, label,
//           cls}], marks: [{at, label}]}], from, to})
export function timeline(o) {
	const W = o.width || 720;
	const laneH = 28;
	const pad = {l: 110, r: 12, t: 8, b: 28};
	const H = pad.t + pad.b + Math.max(1, o.lanes.length) * laneH;
	const iw = W - pad.l - pad.r;
	const x = (t) => pad.l + (iw * (Math.min(Math.max(t, o.from), o.to) - o.from)) /
		Math.max(1, o.to - o.from);
	const titleId = `tl-t-${Math.random().toString(36).slice(2)}`;
	const svg = s('svg', {class: 'chart timeline', viewBox: `0 0 ${W} ${H}`, role: 'img',
		'aria-labelledby': titleId},
	s('title', {id: titleId}, o.title), s('desc', null, o.desc || ''));
	const span = o.to - o.from;
	const tstep = timeStep(span, iw);
	const grid = s('g', {class: 'grid'});
	for (let t = Math.ceil(o.from / tstep) * tstep; t <= o.to; t += tstep) {
		grid.append(s('line', {class: 'vgrid', x1: x(t), x2: x(t), y1: pad.t, y2: H - pad.b}));
		grid.append(s('text', {x: x(t), y: H - 8, 'text-anchor': 'middle'}, clock(new Date(t))));
	}
	svg.append(grid);
	o.lanes.forEach((lane, i) => {
		const y0 = pad.t + i * laneH;
		svg.append(s('text', {class: 'lane-label', x: pad.l - 8, y: y0 + laneH / 2 + 4,
			'text-anchor': 'end'}, lane.name));
		svg.append(s('rect', {class: 'lane', x: pad.l, y: y0 + 3, width: iw, height: laneH - 6}));
		lane.segments.forEach((seg, j) => {
			const x0 = x(seg.from);
			const x1 = x(seg.to);
			if (x1 - x0 < 0.5)
				return;
			svg.append(s('rect', {class: `seg ${seg.cls || `series-${j % 8}`}`, x: x0, y: y0 + 5,
				width: x1 - x0, height: laneH - 10}, s('title', null, seg.label)));
			if (x1 - x0 > 40)
				svg.append(s('text', {class: 'seg-label', x: x0 + 4, y: y0 + laneH / 2 + 4},
					seg.label));
		});
		for (const m of lane.marks || []) {
			const mx = x(m.at);
			svg.append(s('path', {class: 'mark', d: `M${mx - 5},${y0 + 2} L${mx + 5},${y0 + 2} L${mx},${y0 + 10} Z`},
				s('title', null, m.label)));
		}
	});
	return h('figure', {class: 'chart-fig'}, svg);
}
