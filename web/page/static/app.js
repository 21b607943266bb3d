// Gavel's pages: shared helpers and forms. Plain JavaScript, no build step.
// Every request that changes state carries the session's CSRF token; amounts
// are typed in yuan and sent in fen; times are shown, and typed, in the
// court's time zone whatever the browser's own zone is.
'use strict';

const G = JSON.parse(document.getElementById('page-data').textContent);

// t returns the message for key in the page's language, %s filled by args.
function t(key, ...args) {
  let s = G.messages[key] || key;
  for (const a of args) s = s.replace('%s', a);
  return s;
}

// money shows fen as ¥1,234,567.89 (the same as the server's Money).
function money(fen) {
  if (fen === null || fen === undefined) return '—';
  const abs = Math.abs(fen);
  const yuan = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (fen < 0 ? '-' : '') + '¥' + yuan + '.' + String(abs % 100).padStart(2, '0');
}

// parseYuan reads a typed amount in yuan into fen; null when it is not one.
function parseYuan(text) {
  const m = /^(\d{1,13})(?:\.(\d{0,2}))?$/.exec(String(text).replace(/[,，\s¥￥]/g, ''));
  return m ? Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0')) : null;
}

const zoneParts = new Intl.DateTimeFormat('en-US', {
  timeZone: G.tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});

function zoned(ms) {
  const p = {};
  for (const x of zoneParts.formatToParts(new Date(ms))) p[x.type] = x.value;
  return p;
}

// fmtTime shows an instant as YYYY-MM-DD HH:mm:ss in the court's zone.
function fmtTime(v) {
  if (!v) return '—';
  const p = zoned(typeof v === 'number' ? v : Date.parse(v));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

// clock shows a span as [N days] HH:mm:ss.
function clock(ms) {
  const s = Math.floor(ms / 1000);
  const two = n => String(n).padStart(2, '0');
  const days = Math.floor(s / 86400);
  return (days ? t('js.days', days) : '') + `${two(Math.floor(s % 86400 / 3600))}:${two(Math.floor(s % 3600 / 60))}:${two(s % 60)}`;
}

// localToISO reads a datetime-local value as a wall time in the court's zone.
function localToISO(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return null;
  const wall = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]);
  const offset = ms => {
    const p = zoned(ms);
    return Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
  };
  // Twice, so a wall time next to a daylight-saving change lands right.
  const first = wall - offset(wall);
  return new Date(wall - offset(first)).toISOString();
}

// api calls the JSON API; it never throws. A network failure is status 0.
async function api(method, url, body, headers) {
  const opts = {method, credentials: 'same-origin', headers: Object.assign({Accept: 'application/json'}, headers)};
  if (method !== 'GET') opts.headers['X-CSRF-Token'] = G.csrf;
  if (body instanceof FormData || body instanceof Blob) {
    opts.body = body;
  } else if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  try {
    const res = await fetch(url, opts);
    const data = await res.json().catch(() => null);
    const error = res.ok ? null : (data && data.error) || {code: 'internal', message: ''};
    return {ok: res.ok, status: res.status, data, error};
  } catch (e) {
    return {ok: false, status: 0, data: null, error: {code: 'service_unavailable', message: ''}};
  }
}

// errorText is the message of an API error in the page's language. The
// API's own messages are English: an English page may add them, a Chinese
// one says what the field needs in Chinese (err.f.<field>) or names the
// error only.
function errorText(err) {
  const en = G.lang === 'en';
  if (!G.messages['err.' + err.code]) return en && err.message ? err.message : t('err.title');
  if (err.code === 'invalid_field') {
    const field = fieldOf(err);
    // A refused statement names its line and reason: always shown.
    if (field === 'statement') return t('err.f.statement') + ' ' + err.message.replace(/^statement: /, '');
    if (field && G.messages['err.f.' + field]) return t('err.f.' + field);
    return en && err.message ? t('err.invalid_field') + ': ' + err.message : t('err.invalid_field');
  }
  return t('err.' + err.code);
}

// fieldOf names the form field an API error belongs to (see formField in Go).
function fieldOf(err) {
  if (G.fields[err.code]) return G.fields[err.code];
  const m = err.code === 'invalid_field' && /^([a-z_]+):/.exec(err.message || '');
  return m ? m[1] : '';
}

function randomKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
}

// Forms with data-api are sent to the API as JSON (or multipart for
// uploads); the answer's error is shown at its field.

function emptyRow(row) {
  return [...row.querySelectorAll('input, select, textarea')].every(i => !i.value.trim());
}

function setPath(obj, name, value, row) {
  const keys = name.split('.').map(k => {
    if (k !== '*') return k;
    return [...row.parentElement.children].filter(r => r.matches('[data-row]') && !emptyRow(r)).indexOf(row);
  });
  let o = obj;
  keys.slice(0, -1).forEach((k, i) => {
    if (o[k] === undefined) o[k] = typeof keys[i + 1] === 'number' ? [] : {};
    o = o[k];
  });
  o[keys[keys.length - 1]] = value;
}

class FieldError extends Error {
  constructor(el, message) { super(message); this.el = el; }
}

// FieldErrors are every field error of a form, shown at once.
class FieldErrors extends Error {
  constructor(list) { super(list.map(e => e.message).join('; ')); this.list = list; }
}

function collect(form) {
  const body = {};
  const errors = [];
  for (const el of form.elements) {
    try {
      collectField(body, el);
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      errors.push(e);
    }
  }
  // A start before the earliest legal one for the chosen round (its
  // notice period from now) is refused here, naming that moment.
  const start = form.querySelector('[data-earliest-first]');
  const round = form.querySelector('[name="round"]');
  if (start && round && body.starts_at) {
    const earliest = start.dataset['earliest' + round.value[0].toUpperCase() + round.value.slice(1)];
    if (earliest && Date.parse(body.starts_at) < Date.parse(earliest)) {
      errors.push(new FieldError(start, t('js.earliest_start', fmtTime(earliest))));
    }
  }
  if (errors.length) throw new FieldErrors(errors);
  return body;
}

// collectField adds one form element's value to body.
function collectField(body, el) {
  if (!el.name || el.disabled || el.name === 'csrf') return;
  const row = el.closest('[data-row]');
  if (row && emptyRow(row)) return;
  const raw = el.value.trim();
  if (el.required && raw === '' && el.dataset.type !== 'bool') throw new FieldError(el, t('err.required'));
  let v = raw;
  switch (el.dataset.type) {
    case 'money':
      if (!raw) return;
      v = parseYuan(raw);
      if (v === null) throw new FieldError(el, t('err.money'));
      break;
    case 'int':
      if (!raw) return;
      v = Number(raw);
      if (!Number.isInteger(v)) throw new FieldError(el, t('err.invalid_field'));
      break;
    case 'datetime':
      if (!raw) return;
      v = localToISO(raw);
      break;
    case 'bool':
      v = el.checked;
      break;
  }
  setPath(body, el.name, v, row);
}

function clearErrors(form) {
  form.querySelectorAll('.field-error[data-js]').forEach(p => p.remove());
  form.querySelectorAll('[aria-invalid]').forEach(el => {
    el.removeAttribute('aria-invalid');
    if (el.dataset.describedby !== undefined) el.setAttribute('aria-describedby', el.dataset.describedby);
  });
  form.querySelectorAll('.form-error').forEach(p => { p.textContent = ''; });
}

function showFieldError(el, text) {
  const p = document.createElement('p');
  p.className = 'field-error';
  p.dataset.js = '';
  p.id = 'err-' + (el.name || el.dataset.field || 'form').replace(/\W/g, '-');
  p.textContent = text;
  if (el.dataset.describedby === undefined) el.dataset.describedby = el.getAttribute('aria-describedby') || '';
  el.setAttribute('aria-invalid', 'true');
  el.setAttribute('aria-describedby', (el.dataset.describedby + ' ' + p.id).trim());
  if (el.tagName === 'FIELDSET') el.append(p); else el.after(p);
  (el.tagName === 'FIELDSET' ? el.querySelector('input') || el : el).focus();
}

function showFormError(form, text) {
  const box = form.querySelector('.form-error');
  if (box) box.textContent = box.textContent ? box.textContent + ' ' + text : text;
}

function showApiError(form, err) {
  const name = fieldOf(err);
  const el = name && (form.querySelector(`[data-field="${name}"]`) || form.querySelector(`[name="${name}"]`));
  // The rule a field must follow is printed beside it (its hint), so the
  // error says only what went wrong.
  if (el) showFieldError(el, errorText(err));
  else showFormError(form, errorText(err));
}

// showProblems lists the row problems of a refused CSV upload, all of them.
function showProblems(form, problems) {
  const list = form.querySelector('.problems');
  if (!list || !problems) return;
  const box = form.querySelector('.form-error');
  if (box) box.textContent = t('js.problems', problems.length);
  list.replaceChildren(...problems.map(p => {
    const li = document.createElement('li');
    li.textContent = t('js.row_problem', p.row, p.column, p.message);
    return li;
  }));
  list.hidden = false;
}

function bindForm(form) {
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearErrors(form);
    let body;
    try {
      if (form.hasAttribute('data-csv')) {
        // A CSV upload is sent as the file's text, typed text/csv.
        const file = form.querySelector('input[type="file"]').files[0];
        if (!file) throw new FieldError(form.querySelector('input[type="file"]'), t('err.required'));
        body = new Blob([await file.text()], {type: 'text/csv'});
      } else {
        body = form.enctype === 'multipart/form-data' ? new FormData(form) : collect(form);
      }
    } catch (e) {
      if (e instanceof FieldError) e = new FieldErrors([e]);
      if (!(e instanceof FieldErrors)) throw e;
      e.list.forEach(x => showFieldError(x.el, x.message));
      e.list[0].el.focus();
      return;
    }
    // A form with data-confirm first shows its consequences and asks
    // again; the second press sends it.
    const confirm = form.hasAttribute('data-confirm') && form.querySelector('.confirm');
    if (confirm && confirm.hidden) {
      confirm.hidden = false;
      const b = form.querySelector('button[type="submit"]');
      b.textContent = b.dataset.confirmLabel;
      b.focus();
      return;
    }
    // A balance payment above what is still owed is real money (it is
    // booked and paid back), but more often a typing slip: ask first.
    if (form.dataset.outstanding !== undefined && body.amount > Number(form.dataset.outstanding) &&
        !window.confirm(t('js.over_confirm', money(body.amount - Number(form.dataset.outstanding))))) return;
    const buttons = form.querySelectorAll('button');
    buttons.forEach(b => { b.disabled = true; });
    const r = await api(form.dataset.method || 'POST', form.dataset.api, body);
    buttons.forEach(b => { b.disabled = false; });
    if (!r.ok) {
      // A request that failed several checks lists them all in fields
      // (the first is the error itself): each is shown at its field.
      const all = r.data && Array.isArray(r.data.fields) && r.data.fields.length ? r.data.fields : [r.error];
      all.forEach(e => showApiError(form, e));
      const first = form.querySelector('[aria-invalid="true"]');
      if (first) first.focus();
      showProblems(form, r.data && r.data.problems);
      return;
    }
    if (form.dataset.next) location.assign(form.dataset.next.replace('{id}', encodeURIComponent(r.data.id)));
    else location.reload();
  });
}

// The submit buttons of script forms come disabled, so a click before this
// script has run never posts the form natively.
document.querySelectorAll('form[data-api]').forEach(form => {
  bindForm(form);
  form.querySelectorAll('button[type="submit"]').forEach(b => { b.disabled = false; });
});

document.querySelectorAll('[data-add-row]').forEach(b => b.addEventListener('click', () => {
  const name = b.dataset.addRow;
  const box = document.querySelector(`[data-rows="${name}"]`);
  box.append(document.getElementById('tpl-' + name).content.cloneNode(true));
  box.lastElementChild.querySelector('input').focus();
}));

// A bidder waiting for finance to confirm a deposit sees the page move on by
// itself once it is confirmed.
if (G.pending_registrations && G.pending_registrations.length) {
  const waiting = new Set(G.pending_registrations);
  setInterval(async () => {
    const r = await api('GET', '/api/v1/me/registrations');
    if (r.ok && r.data.registrations.some(x => waiting.has(x.id) && x.status !== 'pending_deposit')) location.reload();
  }, 3000);
}

// On a phone the catalogue's filters fold away behind one button unless one
// is in use (CSS hides them only when folded, so without this script they
// all show).
document.querySelectorAll('.filters').forEach(form => {
  const toggle = form.querySelector('.filters-toggle');
  if (!toggle) return;
  const fold = folded => {
    form.classList.toggle('folded', folded);
    toggle.setAttribute('aria-expanded', String(!folded));
  };
  fold(form.hasAttribute('data-fold'));
  toggle.addEventListener('click', () => fold(!form.classList.contains('folded')));
});

// Tests and tools can tell when the page's scripts are in place.
window.addEventListener('load', () => { document.body.dataset.ready = '1'; });

// A bank batch of refunds: the ticked rows, each with the reference typed
// in its own row, are recorded in one request (all or none).
document.querySelectorAll('form[data-batch-api]').forEach(form => {
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearErrors(form);
    const rows = [...document.querySelectorAll(`input[form="${form.id}"][name="pick"]:checked`)].map(b => b.closest('tr'));
    if (!rows.length) { showFormError(form, t('js.batch_none')); return; }
    const refunds = [];
    for (const tr of rows) {
      const input = tr.querySelector('input[name="reference"]');
      if (!input.value.trim()) { showFieldError(input, t('err.required')); input.focus(); return; }
      refunds.push({deposit_id: tr.dataset.deposit, reference: input.value.trim()});
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const r = await api('POST', form.dataset.batchApi, {refunds});
    button.disabled = false;
    if (!r.ok) { showFormError(form, errorText(r.error)); return; }
    location.reload();
  });
  form.querySelectorAll('button[type="submit"]').forEach(b => { b.disabled = false; });
});
