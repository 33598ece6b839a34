import type { HistoryEntry } from '../ports/history.js';
import { age } from '../cli/views/status.js';
import type { Status } from '../planners/status.js';
import type { Tested } from './actions.js';

// The one page of `deployer serve`: server-rendered, works without JavaScript for reading; the
// script only adds live updates (SSE), the login form and the plan-then-confirm buttons.

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const sha = (s: string | null | undefined) => (s ? `<code title="${esc(s)}">${esc(s.slice(0, 12))}</code>` : '<em>none</em>');

export function renderBody(status: Status, history: readonly HistoryEntry[], tested: Tested, writable: boolean): string {
  const rows = status.environments.map((e) => {
    const t = tested[e.revision];
    const healthy = e.healthy >= e.instances && e.instances > 0;
    const button = writable && healthy && !e.live ? `<button class="switch" data-action="switch" data-revision="${esc(e.revision)}">Switch</button>` : '';
    return `<tr class="${e.live ? 'live' : ''}" data-revision="${esc(e.revision)}">
  <td>${sha(e.revision)}${e.live ? ' <b>live</b>' : ''}${e.rollbackTarget ? ' <i>rollback target</i>' : ''}</td>
  <td class="${healthy ? 'ok' : 'bad'}">${e.healthy}/${e.instances}</td>
  <td>${age(e.ageSeconds)}</td>
  <td>${t ? `tested ${esc(t.passedAt)} by ${esc(t.by)}` : '<span class="bad">untested</span>'}</td>
  <td>${e.previewUrl ? `<a href="${esc(e.previewUrl)}">preview</a>` : ''}</td>
  <td>${button}</td>
</tr>`;
  }).join('\n');
  const hist = [...history].reverse().slice(0, 20).map((h) =>
    `<li>${esc(h.at)} ${esc(h.action)} ${sha(h.from)} → ${sha(h.to)} by ${esc(h.by)}${h.forcedReason ? ` (forced: ${esc(h.forcedReason)})` : ''}</li>`).join('\n');
  const rollback = writable && status.rollbackTarget ? ` <button class="rollback" data-action="rollback" data-revision="${esc(status.rollbackTarget)}">Roll back</button>` : '';
  return `<section id="summary">
<p>Live: <span id="live">${sha(status.live ?? status.historyLive)}</span> · Rollback target: ${sha(status.rollbackTarget)}${rollback}</p>
<p>Lock: ${status.lock.held ? `<span class="bad">${esc(status.lock.description)}</span>` : 'free'}</p>
${status.drift.length ? `<ul class="bad">${status.drift.map((d) => `<li>drift: ${esc(d)}</li>`).join('')}</ul>` : '<p>No drift.</p>'}
</section>
<table id="environments"><thead><tr><th>revision</th><th>health</th><th>age</th><th>tests</th><th>preview</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>History</h2>
<ul id="history">${hist || '<li>no switches recorded yet</li>'}</ul>`;
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}
tr.live{background:#eef8ee}.ok{color:#161}.bad{color:#a11}pre{background:#f4f4f4;padding:1em;white-space:pre-wrap}#panel{border:1px solid #ccc;padding:1em;margin:1em 0}[hidden]{display:none}`;

// Plain DOM code; the token lives in sessionStorage (never in a URL), sent only as a Bearer header.
const SCRIPT = `
const $ = (s) => document.querySelector(s);
const token = () => sessionStorage.getItem('deployer-token');
const panel = $('#panel'), out = $('#plan'), confirmBtn = $('#confirm');
let pending = null;
function showLogin() { $('#login').hidden = !!token() || !$('#login').dataset.writable; $('#logout').hidden = !token(); }
$('#login')?.addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('deployer-token', $('#token').value); sessionStorage.setItem('deployer-who', $('#who').value); $('#token').value=''; showLogin(); });
$('#logout')?.addEventListener('click', () => { sessionStorage.clear(); showLogin(); });
async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + (token() || '') }, body: JSON.stringify({ ...body, who: sessionStorage.getItem('deployer-who') || undefined }) });
  const j = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
  if (!r.ok) throw new Error(j.error + (j.hint ? ' — ' + j.hint : ''));
  return j;
}
document.addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-action]');
  if (!b) return;
  panel.hidden = false; confirmBtn.hidden = true; out.textContent = 'planning…';
  try {
    const j = await post('/api/' + b.dataset.action, { revision: b.dataset.revision, plan: true });
    pending = { action: b.dataset.action, revision: j.revision, planHash: j.planHash };
    out.textContent = j.text; confirmBtn.hidden = j.steps === 0;
  } catch (err) { out.textContent = String(err.message); }
});
confirmBtn.addEventListener('click', async () => {
  confirmBtn.hidden = true; $('#progress').textContent = '';
  try { const j = await post('/api/' + pending.action, { revision: pending.revision, planHash: pending.planHash }); $('#progress').textContent += j.text + '\\n'; }
  catch (err) { $('#progress').textContent += 'failed: ' + err.message + '\\n'; }
  refresh();
});
$('#cancel').addEventListener('click', () => { panel.hidden = true; pending = null; });
async function refresh() { const r = await fetch('/?fragment=1'); if (r.ok) $('#main').innerHTML = await r.text(); }
const es = new EventSource('/events');
es.addEventListener('progress', (e) => { $('#progress').textContent += JSON.parse(e.data).line + '\\n'; });
es.addEventListener('change', () => refresh());
showLogin();
`;

export function renderPage(app: string, body: string, writable: boolean): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>deployer · ${esc(app)}</title><style>${STYLE}</style></head><body>
<h1>deployer · ${esc(app)}</h1>
${writable ? '' : '<p><em>Read-only: set DEPLOYER_UI_TOKEN to allow switching from this page.</em></p>'}
<form id="login" data-writable="${writable ? '1' : ''}" ${writable ? '' : 'hidden'} autocomplete="off">
<label>Name <input id="who" name="who" required></label> <label>Token <input id="token" name="token" type="password" required></label> <button type="submit">Log in</button></form>
<button id="logout" hidden>Log out</button>
<div id="main">${body}</div>
<div id="panel" hidden><h2>Plan</h2><pre id="plan"></pre><button id="confirm" hidden>Confirm</button> <button id="cancel">Close</button><pre id="progress"></pre></div>
<script>${SCRIPT}</script></body></html>`;
}
