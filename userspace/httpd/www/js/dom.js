// SPDX-License-Identifier: GPL-2.0
// Small DOM helpers.  Every piece of data reaches the page as a text node
// or an attribute value, never as HTML, so nothing the server returns can
// inject markup or script.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, kids) {
	for (const k of kids.flat(Infinity)) {
		if (k === null || k === undefined || k === false)
			continue;
		el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
}

function setAttrs(el, attrs) {
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith('on') && typeof v === 'function')
			el.addEventListener(k.slice(2), v);
		else if (k === 'dataset')
			Object.assign(el.dataset, v);
		else if (k === 'value' && 'value' in el)
			el.value = v;
		else if (k === 'checked' && 'checked' in el)
			el.checked = Boolean(v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
}

// h('button', {type: 'button', onclick: f}, 'Save')
export function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	setAttrs(el, attrs);
	append(el, kids);
	return el;
}

// The same for SVG elements.
export function s(tag, attrs, ...kids) {
	const el = document.createElementNS(SVG_NS, tag);
	setAttrs(el, attrs);
	append(el, kids);
	return el;
}

export function clear(el) {
	while (el.firstChild)
		el.firstChild.remove();
	return el;
}

export function replace(el, ...kids) {
	clear(el);
	append(el, kids);
	return el;
}

let uid = 0;
// A document-unique id for label/for and aria-labelledby pairs.
export function newId(prefix) {
	uid += 1;
	return `${prefix}-${uid}`;
}

// A labelled form field: <div class="field"><label for>…</label><input id></div>.
export function field(label, control, hint) {
	const id = control.id || newId('f');
	control.id = id;
	let hintEl = null;
	if (hint) {
		hintEl = h('p', {class: 'hint', id: `${id}-hint`}, hint);
		control.setAttribute('aria-describedby', hintEl.id);
	}
	return h('div', {class: 'field'}, h('label', {for: id}, label), control, hintEl);
}

// A table whose wrapper scrolls on narrow screens and can be focused
// (and so scrolled) from the keyboard.
export function table(caption, headers, rows, opts = {}) {
	const t = h('table', {class: opts.class || null},
		h('caption', {class: opts.captionVisible ? null : 'sr-only'}, caption),
		h('thead', null, h('tr', null, headers.map((x) => h('th', {scope: 'col'}, x)))),
		h('tbody', null, rows));
	return h('div', {class: 'table-wrap', tabindex: '0', role: 'region',
		'aria-label': caption}, t);
}

// A <section> with a heading, labelled by it.
export function section(title, ...kids) {
	const id = newId('sec');
	return h('section', {class: 'card', 'aria-labelledby': id},
		h('h3', {id}, title), ...kids);
}

// Status text for a form: role=status so screen readers hear the outcome.
export function statusLine() {
	return h('p', {class: 'status', role: 'status', 'aria-live': 'polite'});
}
