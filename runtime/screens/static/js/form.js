// The generated form page, live: the form's JsonLogic rules evaluated in the browser as the user types.
//
// The server renders every field and re-validates every submission (runtime/forms, authoritative);
// this module only gives instant feedback with the same engine (logic.js, datalogic's WASM build):
// fields shown or hidden (visible), marked required (required), locked (readonly), computed values
// (value), validation messages at the field (validate), the amount in Chinese capitals under a money
// field. It is an Alpine component registered for Alpine's CSP build — the page carries no inline
// script or expression — and it also sends the session's CSRF token with every htmx request.

import Alpine from '../vendor/@alpinejs/csp/module.esm.min.js';
import { evaluate, truthy } from './logic.js';

const SEPARATORS = /[,，、;；\s]+/;

export function moneyUpper(value) {
  // 人民币大写金额：1004.5 → 壹仟零肆元伍角，100 → 壹佰元整（to the fen; negative amounts get 负）.
  const digits = '零壹贰叁肆伍陆柒捌玖';
  const text = String(value).trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) return '';
  const negative = text.startsWith('-');
  const fen = Math.round(Math.abs(Number(text)) * 100);
  if (!Number.isFinite(fen) || fen >= 1e16) return '';
  const whole = Math.floor(fen / 100);
  const jiao = Math.floor(fen / 10) % 10;
  const cents = fen % 10;
  let out = '';
  if (whole > 0) {
    const groups = [];
    for (let n = whole; n > 0; n = Math.floor(n / 10000)) groups.push(n % 10000);
    const bigUnits = ['', '万', '亿', '万亿'];
    let zeroPending = false;
    for (let g = groups.length - 1; g >= 0; g -= 1) {
      const group = groups[g];
      if (group === 0) { zeroPending = out !== ''; continue; }
      if (out !== '' && (zeroPending || group < 1000)) out += '零';
      zeroPending = false;
      const four = String(group).padStart(4, '0');
      let groupText = '';
      let zero = false;
      for (let i = 0; i < 4; i += 1) {
        const d = Number(four[i]);
        if (d === 0) { zero = groupText !== ''; continue; }
        if (zero) groupText += '零';
        zero = false;
        groupText += digits[d] + ['仟', '佰', '拾', ''][i];
      }
      out += groupText + bigUnits[g];
    }
    out += '元';
  }
  if (jiao === 0 && cents === 0) return (negative ? '负' : '') + (out || '零元') + '整';
  if (jiao > 0) out += digits[jiao] + '角';
  else if (out !== '') out += '零';
  if (cents > 0) out += digits[cents] + '分';
  return (negative ? '负' : '') + out;
}

function isEmpty(value) {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

function scalar(type, raw) {
  const text = raw.trim();
  if (text === '') return undefined;
  if (type === 'integer' && /^-?\d+$/.test(text)) return Number(text);
  if (type === 'number' && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return raw;
}

function named(form, name) {
  return Array.from(form.elements).filter((el) => el.name === name);
}

function readField(form, id, spec) {
  const inputs = named(form, id);
  if (spec.widget === 'rows') {
    const rows = [];
    form.querySelectorAll(`tbody[data-rows="${id}"] tr`).forEach((tr) => {
      const item = {};
      tr.querySelectorAll('[name]').forEach((el) => {
        const sub = el.name.split('.').pop();
        const value = scalar((spec.items[sub] || {}).type || 'string', el.value);
        if (value !== undefined) item[sub] = value;
      });
      if (Object.keys(item).length) rows.push(item);
    });
    return rows.length ? rows : undefined;
  }
  if (spec.widget === 'computed' || spec.widget === 'serial') return undefined;
  if (spec.type === 'boolean') return inputs.some((el) => el.checked);
  if (spec.type === 'array') {
    let values = [];
    inputs.forEach((el) => {
      if (el.type === 'checkbox') { if (el.checked) values.push(el.value); }
      else if (el.tagName === 'SELECT') values.push(...Array.from(el.selectedOptions).map((o) => o.value));
      else values.push(...el.value.split(spec.widget === 'attachments' ? /$^/ : SEPARATORS));
    });
    values = values.map((v) => v.trim()).filter((v) => v !== '').map((v) => scalar(spec.item_type || 'string', v));
    return values.length ? values : undefined;
  }
  const checked = inputs.filter((el) => el.type !== 'radio' || el.checked);
  if (!checked.length) return undefined;
  return scalar(spec.type, checked[0].value);
}

async function run(rule, data) {
  try {
    return await evaluate(rule, data);
  } catch (error) {
    // The server is authoritative and names a broken rule; the browser only loses instant feedback.
    console.warn('rule not evaluated in the browser', rule, error);
    return undefined;
  }
}

function setup(form) {
  const config = JSON.parse(document.getElementById(form.dataset.rulesId).textContent);
  const rules = config.rules || {};
  const fields = config.fields;
  const text = config.text;
  const touched = new Set();
  const serverErrors = new Map();
  let submitting = false;
  let generation = 0;

  form.querySelectorAll('[data-error]').forEach((p) => {
    if (!p.hidden && p.textContent.trim()) serverErrors.set(p.dataset.error, p.textContent.trim());
  });

  function wrapper(id) { return form.querySelector(`[data-field="${id}"]`); }
  function controls(id) { return wrapper(id).querySelectorAll('input, select, textarea, fieldset, output, .rows'); }

  async function evaluateAll() {
    const mine = ++generation;
    const raw = {};
    for (const [id, spec] of Object.entries(fields)) {
      const value = readField(form, id, spec);
      if (value !== undefined) raw[id] = value;
    }
    const visible = {};
    for (const id of Object.keys(fields)) {
      visible[id] = rules.visible && id in rules.visible ? truthy(await run(rules.visible[id], raw)) : true;
    }
    const data = {};
    for (const [id, value] of Object.entries(raw)) if (visible[id]) data[id] = value;
    const computed = {};
    for (const [id, rule] of Object.entries(rules.value || {})) {
      computed[id] = await run(rule, data);
      if (computed[id] !== undefined && computed[id] !== null) data[id] = computed[id];
    }
    const state = {};
    for (const [id, spec] of Object.entries(fields)) {
      const required = visible[id] && (spec.required || (rules.required && id in rules.required
        ? truthy(await run(rules.required[id], data)) : false));
      const readonly = spec.widget === 'computed' || (rules.readonly && id in rules.readonly
        ? truthy(await run(rules.readonly[id], data)) : false);
      const errors = [];
      if (required && isEmpty(data[id]) && spec.widget !== 'serial' && spec.widget !== 'computed') {
        errors.push(text.required.replace('{label}', spec.label));
      }
      state[id] = { visible: visible[id], required, readonly, errors };
    }
    const top = [];
    for (const check of rules.validate || []) {
      if (check.field && state[check.field] && !state[check.field].visible) continue;
      if (truthy(await run(check.rule, data))) continue;
      const message = config.lang === 'en' ? (check.message_en || check.message) : check.message;
      if (check.field && state[check.field]) state[check.field].errors.push(message);
      else top.push(message);
    }
    if (mine === generation) apply(state, computed, top);  // else a newer keystroke has already been shown
    return { state, top };
  }

  function apply(state, computed, top) {
    for (const [id, s] of Object.entries(state)) {
      const box = wrapper(id);
      box.hidden = !s.visible;
      const marker = box.querySelector('[data-req]');
      if (marker) marker.hidden = !s.required;
      controls(id).forEach((el) => {
        if (s.required) el.setAttribute('aria-required', 'true'); else el.removeAttribute('aria-required');
        if (el.matches('input[type=radio], input[type=checkbox], select')) el.disabled = s.readonly;
        else if (el.matches('input, textarea')) el.readOnly = s.readonly;
      });
      const shown = submitting || touched.has(id) ? s.errors : [];
      const messages = shown.length ? shown : (serverErrors.has(id) ? [serverErrors.get(id)] : []);
      const p = box.querySelector(`[data-error="${id}"]`);
      p.textContent = messages.join(' ');
      p.hidden = messages.length === 0;
      box.classList.toggle('has-error', messages.length > 0);
      controls(id).forEach((el) => {
        if (el.tagName === 'OUTPUT') return;
        if (messages.length) el.setAttribute('aria-invalid', 'true'); else el.removeAttribute('aria-invalid');
      });
    }
    for (const [id, value] of Object.entries(computed)) {
      const out = form.querySelector(`[data-computed="${id}"]`);
      if (out) out.textContent = value === undefined || value === null ? '' : String(value);
    }
    form.querySelectorAll('[data-money]').forEach((input) => {
      document.getElementById(input.dataset.money).textContent = moneyUpper(input.value);
    });
    const box = document.getElementById('form-errors');
    if (box && (submitting || top.length)) {
      box.replaceChildren(...top.map((m) => Object.assign(document.createElement('p'), { textContent: m })));
      box.hidden = top.length === 0;
    }
  }

  function fieldOf(target) {
    const box = target.closest('[data-field]');
    return box ? box.dataset.field : null;
  }

  function changed(event) {
    const id = fieldOf(event.target);
    if (id) { touched.add(id); serverErrors.delete(id); }
    evaluateAll();
  }

  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
  form.addEventListener('submit', async (event) => {
    if (form.dataset.checked === 'yes') return;  // our own re-submit after the rules passed
    event.preventDefault();
    submitting = true;
    const { state, top } = await evaluateAll();
    const bad = Object.entries(state).filter(([, s]) => s.visible && s.errors.length);
    const box = document.getElementById('form-errors');
    if (bad.length || top.length) {
      const first = bad.length ? wrapper(bad[0][0]).querySelector('input, select, textarea, output') : box;
      if (first) first.focus();
      return;
    }
    form.dataset.checked = 'yes';
    // Not from inside this submit event's dispatch (where the browser ignores a second submission).
    setTimeout(() => form.requestSubmit(), 0);
  });

  form.addEventListener('click', (event) => {
    const add = event.target.closest('[data-row-add]');
    if (add) {
      const id = add.dataset.rowAdd;
      const body = form.querySelector(`tbody[data-rows="${id}"]`);
      const template = form.querySelector(`template[data-row-template="${id}"]`);
      const next = body.querySelectorAll('tr').length
        ? Math.max(...Array.from(body.querySelectorAll('[name]')).map((el) => Number(el.name.split('.')[1]))) + 1 : 0;
      const row = template.content.firstElementChild.cloneNode(true);
      row.querySelectorAll('[id], [name], [for]').forEach((el) => {
        for (const attr of ['id', 'name', 'for']) {
          if (el.hasAttribute(attr)) el.setAttribute(attr, el.getAttribute(attr).replace('__i__', String(next)));
        }
      });
      body.appendChild(row);
      row.querySelector('input, select, textarea').focus();
      evaluateAll();
      return;
    }
    const remove = event.target.closest('[data-row-remove], [data-file-remove]');
    if (remove) {
      const id = fieldOf(remove);
      remove.closest('tr, li').remove();
      if (id) touched.add(id);
      evaluateAll();
    }
  });

  form.querySelectorAll('input[data-upload]').forEach((picker) => {
    picker.addEventListener('change', async () => {
      const id = picker.dataset.upload;
      const status = form.querySelector(`[data-upload-status="${id}"]`);
      const list = form.querySelector(`[data-files="${id}"]`);
      for (const file of Array.from(picker.files)) {
        status.textContent = text.uploading.replace('{name}', file.name);
        const body = new FormData();
        body.append('file', file);
        const response = await fetch(form.dataset.uploadUrl, {
          method: 'POST', body, credentials: 'same-origin', headers: { 'X-CSRF-Token': form.dataset.csrf },
        });
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) {
          const error = answer.error || {};
          status.textContent = (config.lang === 'en' ? error.en : error.zh) || text.upload_failed;
          continue;
        }
        const item = document.createElement('li');
        const hidden = Object.assign(document.createElement('input'),
          { type: 'hidden', name: id, value: String(answer.id) });
        const link = Object.assign(document.createElement('a'), { href: form.dataset.downloadBase + answer.id, textContent: answer.name });
        const remove = Object.assign(document.createElement('button'),
          { type: 'button', className: 'remove-file', textContent: text.remove_file });
        remove.dataset.fileRemove = '';
        item.append(hidden, link, ' ', remove);
        list.appendChild(item);
        status.textContent = text.uploaded.replace('{name}', file.name);
      }
      picker.value = '';
      touched.add(id);
      evaluateAll();
    });
  });

  evaluateAll();
}

document.addEventListener('htmx:configRequest', (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) event.detail.headers['X-CSRF-Token'] = meta.content;
});

Alpine.data('banwenForm', () => ({
  init() {
    setup(this.$el);
  },
}));
// The unit picker's filter box (runtime/screens/templates/forms/widgets.html: unit_picker). Without
// scripts the box stays hidden and the tree of checkboxes works on its own. Typing keeps the units whose
// name contains the text, opens the groups that hold one and hides the rest; the event stops here,
// so filtering neither marks the field as touched nor reruns the form's rules.
Alpine.data('unitTree', () => ({
  init() {
    this.$el.querySelectorAll('[data-unit-filter]').forEach((box) => { box.hidden = false; });
  },
  filter(event) {
    event.stopPropagation();
    const query = event.target.value.trim().toLowerCase();
    const root = event.target.closest('[x-data="unitTree"]');  // this.$el is the filter box here
    root.querySelectorAll('[data-unit-item]').forEach((item) => {
      const label = item.querySelector('[data-unit-name]');
      const name = label ? label.dataset.unitName.toLowerCase() : '';
      item.hidden = query !== '' && (label === null || !name.includes(query));
    });
    root.querySelectorAll('[data-unit-group]').forEach((group) => {
      const shown = group.querySelector('[data-unit-item]:not([hidden])') !== null;
      group.hidden = query !== '' && !shown;
      if (query !== '' && shown) group.querySelector('details').open = true;
    });
    const any = Array.from(root.querySelectorAll('[data-unit-item]')).some((item) => !item.hidden && item.querySelector('[data-unit-name]'));
    root.querySelector('[data-unit-empty]').hidden = query === '' || any;
  },
}));
window.Alpine = Alpine;
Alpine.start();
