/**
 * The admin dashboard: a static shell with no data in it. Everything it shows arrives over
 * /admin-ws, which refuses any token without the `admin` role, and only for that admin's company.
 * Kept as TypeScript strings so the build ships it with dist/ and no file lookup can fail.
 */
import { TREND_CHARTS_JS } from './trend-charts.page';

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard admin</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 16px; margin: 0; }
  #status { font-size: 12px; opacity: .85; }
  main { padding: 16px 20px; display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
  section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 12px 14px; }
  section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #5a6478; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eef0f3; font-variant-numeric: tabular-nums; }
  .big { font-size: 28px; font-weight: 600; }
  .online { color: #137333; } .offline { color: #b3261e; }
  form { padding: 40px 20px; max-width: 640px; }
  textarea { width: 100%; height: 90px; font-family: monospace; }
  .error { color: #b3261e; }
  form.action { padding: 4px 0; max-width: none; display: flex; gap: 6px; align-items: center; }
  form.action input { flex: 1; min-width: 0; }
  .ok { color: #137333; }
  section.wide { grid-column: 1 / -1; }
  .trends { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; }
  .trends svg { width: 100%; height: 80px; background: #fbfcfd; }
  .trends h3 { font-size: 12px; margin: 0 0 4px; color: #5a6478; font-weight: 600; }
  .legend { font-size: 12px; color: #5a6478; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header><h1>Switchboard</h1><span id="company"></span><span id="status">not connected</span><button id="logout" hidden>Log out</button></header>
<form id="login">
  <p>Paste an admin token (role <code>admin</code>). It stays in this tab only. A platform admin token (<code>companyId: "*"</code>) opens the view of every company.</p>
  <textarea id="token" name="token" autocomplete="off" spellcheck="false"></textarea>
  <p><button type="submit" id="connect">Connect</button> <span id="login-error" class="error"></span></p>
</form>
<main id="platform" hidden>
  <section class="wide"><h2>All companies (platform view)</h2><p class="legend" id="platform-nodes"></p><table id="companies"></table></section>
</main>
<main id="dashboard" hidden>
  <section class="wide"><h2>Last 15 minutes</h2>
    <div class="trends">
      <div><h3>Events / s</h3><svg id="trend-events" viewBox="0 0 300 80" preserveAspectRatio="none"></svg><div class="legend" id="trend-events-legend"></div></div>
      <div><h3>Publish-to-deliver p99</h3><svg id="trend-latency" viewBox="0 0 300 80" preserveAspectRatio="none"></svg><div class="legend" id="trend-latency-legend"></div></div>
      <div><h3>Connections by namespace</h3><svg id="trend-connections" viewBox="0 0 300 80" preserveAspectRatio="none"></svg><div class="legend" id="trend-connections-legend"></div></div>
      <div><h3>Printing agents online</h3><svg id="trend-agents" viewBox="0 0 300 80" preserveAspectRatio="none"></svg><div class="legend" id="trend-agents-legend"></div></div>
    </div>
  </section>
  <section><h2>Live connections</h2><div class="big" id="connections-total">0</div><table id="connections"></table></section>
  <section><h2>Events</h2>
    <table>
      <tr><th>Published / s</th><td id="published-rate">0</td></tr>
      <tr><th>Delivered / s</th><td id="delivered-rate">0</td></tr>
      <tr><th>Latency p50</th><td id="latency-p50">–</td></tr>
      <tr><th>Latency p99</th><td id="latency-p99">–</td></tr>
    </table>
  </section>
  <section><h2>Printing agents by branch</h2><table id="branches"></table></section>
  <section><h2>Print jobs (last 15 min)</h2><table id="print-jobs"></table><p>Awaiting an agent's ack now: <b id="in-flight">0</b></p></section>
  <section><h2>Recent auth failures</h2><table id="auth-failures"></table></section>
  <section class="wide"><h2>Actions</h2>
    <form id="revoke-form" class="action"><label for="revoke-user">User</label><input id="revoke-user" required maxlength="256" placeholder="user id (sub)" autocomplete="off"><button id="kick" type="button" title="End their live sessions; the token keeps working">Kick</button><button id="revoke" type="submit" title="End their sessions and refuse every token issued so far">Revoke</button></form>
    <form id="cancel-form" class="action"><label for="cancel-job">Print job</label><input id="cancel-job" required maxlength="128" placeholder="job id" autocomplete="off"><button id="resend" type="button" title="Print it again, as a new job with the same document">Resend</button><button id="cancel" type="submit" title="Stop a job no agent has acknowledged">Cancel job</button></form>
    <p id="action-result"></p>
    <h2>Audit trail</h2><table id="audit"></table>
  </section>
</main>
<script src="/admin/socket.io.min.js"></script>
<script src="/admin/dashboard.js"></script>
</body>
</html>
`;

export const DASHBOARD_JS = `${TREND_CHARTS_JS}
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  let socket;

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = String(text);
    if (className) td.className = className;
    return td;
  }
  function rows(table, header, lines) {
    table.replaceChildren();
    const head = document.createElement('tr');
    for (const title of header) { const th = document.createElement('th'); th.textContent = title; head.appendChild(th); }
    table.appendChild(head);
    for (const line of lines) { const tr = document.createElement('tr'); for (const td of line) tr.appendChild(td); table.appendChild(tr); }
  }
  const ms = (value) => (value === null ? '–' : value + ' ms');
  const time = (at) => new Date(at).toLocaleTimeString();

  function render(stats) {
    $('company').textContent = 'company ' + stats.companyId;
    let total = 0;
    const lines = [];
    for (const node of stats.nodes) {
      for (const [namespace, count] of Object.entries(node.connections)) {
        total += count;
        lines.push([cell(node.node), cell(namespace), cell(count)]);
      }
    }
    $('connections-total').textContent = String(total);
    rows($('connections'), ['Node', 'Namespace', 'Connections'], lines);
    $('published-rate').textContent = String(stats.events.publishedPerSecond);
    $('delivered-rate').textContent = String(stats.events.deliveredPerSecond);
    $('latency-p50').textContent = ms(stats.events.latencyMs.p50);
    $('latency-p99').textContent = ms(stats.events.latencyMs.p99);
    rows($('branches'), ['Branch', 'State', 'Agents'], stats.branches.map((b) => [
      cell(b.branchId),
      cell(b.online ? 'online' : 'offline' + (b.offlineSince ? ' since ' + time(b.offlineSince) : ''), b.online ? 'online' : 'offline'),
      cell(b.agents.join(', ') || '–'),
    ]));
    rows($('print-jobs'), ['Status', 'Jobs'], Object.entries(stats.printJobs.last15Minutes).map(([status, count]) => [cell(status), cell(count)]));
    $('in-flight').textContent = String(stats.printJobs.inFlight);
    rows($('auth-failures'), ['When', 'Code', 'Where', 'IP'], stats.authFailures.map((f) => [cell(time(f.at)), cell(f.code), cell(f.where), cell(f.ip || '')]));
    $('status').textContent = 'live, updated ' + time(stats.at);
  }

  function renderAudit(entries) {
    rows($('audit'), ['When', 'Who', 'Action', 'Target', 'Outcome'], entries.map((e) => [
      cell(time(e.at)), cell(e.actor), cell(e.action), cell(e.target), cell(e.outcome, e.outcome === 'ok' ? 'ok' : 'error'),
    ]));
  }
  function loadAudit() {
    socket.timeout(10000).emit('admin:audit', {}, (error, ack) => { if (!error && ack && ack.ok) renderAudit(ack.entries); });
  }
  /** Sends an admin action, shows its answer, and reloads the audit trail (every action is in it, refused ones too). */
  function act(event, payload, done, button) {
    const result = $('action-result');
    result.className = ''; result.textContent = 'sending…';
    // A second click while the first is on its way would be a second action (a second reprint).
    if (button) button.disabled = true;
    socket.timeout(10000).emit(event, payload, (error, ack) => {
      if (button) button.disabled = false;
      if (error) { result.className = 'error'; result.textContent = 'no answer: ' + error.message; }
      else if (ack.ok) { result.className = 'ok'; result.textContent = done(ack); }
      else { result.className = 'error'; result.textContent = ack.error.code + ': ' + ack.error.message; }
      loadAudit();
    });
  }

  /** The platform view polls GET /v1/admin/platform: sockets belong to one company and refuse platform tokens. */
  let platformTimer;
  function companyOf(token) {
    try { return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).companyId; } catch { return undefined; }
  }
  async function pollPlatform(token) {
    const response = await fetch('/v1/admin/platform', { headers: { authorization: 'Bearer ' + token } }).catch(() => undefined);
    if (!response) { $('status').textContent = 'platform view: no answer, retrying'; return; }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      clearInterval(platformTimer);
      $('login-error').textContent = 'refused: ' + ((body.error && body.error.code) || response.status);
      $('platform').hidden = true; $('login').hidden = false;
      return;
    }
    $('login').hidden = true; $('platform').hidden = false; $('logout').hidden = false;
    $('company').textContent = 'platform: ' + body.companies.length + ' companies';
    $('platform-nodes').textContent = 'nodes: ' + (body.nodes.join(', ') || 'none');
    rows($('companies'), ['Company', 'Connections', 'Published / s', 'Delivered / s', 'p99', 'Jobs awaiting ack', 'Agents online', 'Branches without agent'],
      body.companies.map((c) => [cell(c.companyId), cell(c.connections), cell(c.publishedPerSecond), cell(c.deliveredPerSecond), cell(ms(c.p99Ms)),
        cell(c.printJobsInFlight), cell(c.agentsOnline), cell(c.branchesWithoutAgent, c.branchesWithoutAgent > 0 ? 'offline' : '')]));
    $('status').textContent = 'live, updated ' + time(body.at);
  }
  function connectPlatform(token) {
    clearInterval(platformTimer);
    $('login-error').textContent = '';
    void pollPlatform(token);
    platformTimer = setInterval(() => void pollPlatform(token), 2000);
  }

  function connect(token) {
    if (socket) socket.close();
    if (companyOf(token) === '*') return connectPlatform(token);
    $('login-error').textContent = '';
    socket = io('/admin-ws', { auth: { token }, transports: ['websocket', 'polling'] });
    socket.on('admin:stats', (stats) => {
      $('login').hidden = true;
      $('dashboard').hidden = false;
      $('logout').hidden = false;
      if (!$('audit').hasChildNodes()) loadAudit();
      render(stats);
    });
    socket.on('admin:trend', (trend) => SwitchboardTrends.render(trend));
    socket.on('connect_error', (error) => {
      const code = (error.data && error.data.code) || error.message;
      $('login-error').textContent = 'refused: ' + code;
      $('status').textContent = 'not connected';
      if (['AUTH_MISSING', 'AUTH_INVALID', 'AUTH_EXPIRED', 'FORBIDDEN', 'REVOKED'].includes(code)) socket.close();
    });
    socket.on('disconnect', (reason) => { $('status').textContent = 'disconnected (' + reason + '), reconnecting'; });
    socket.on('auth:expiring', () => { $('status').textContent = 'token expiring: paste a new one'; });
  }

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    sessionStorage.setItem('switchboard-admin-token', token);
    connect(token);
  });
  $('revoke-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const userId = $('revoke-user').value.trim();
    if (!userId || !confirm('Revoke every token of user ' + userId + '? Their connections end now, on every node.')) return;
    act('admin:revoke-user', { userId }, () => 'revoked every token of ' + userId);
  });
  $('kick').addEventListener('click', () => {
    const userId = $('revoke-user').value.trim();
    if (!userId || !confirm('End every live session of user ' + userId + ', on every node? Their token keeps working.')) return;
    act('admin:kick-user', { userId }, () => 'ended the live sessions of ' + userId);
  });
  $('cancel-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const jobId = $('cancel-job').value.trim();
    if (!jobId || !confirm('Cancel print job ' + jobId + '?')) return;
    act('admin:cancel-print-job', { jobId }, (ack) => 'job ' + jobId + ' is ' + ack.job.status);
  });
  $('resend').addEventListener('click', () => {
    const jobId = $('cancel-job').value.trim();
    if (!jobId || !confirm('Print job ' + jobId + ' again, as a new job?')) return;
    act('admin:resend-print-job', { jobId }, (ack) => 'job ' + jobId + ' resent as ' + ack.job.jobId + ' (' + ack.job.status + ')', $('resend'));
  });
  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem('switchboard-admin-token');
    if (socket) socket.close();
    clearInterval(platformTimer);
    $('dashboard').hidden = true; $('platform').hidden = true; $('login').hidden = false; $('logout').hidden = true;
    $('status').textContent = 'not connected'; $('company').textContent = '';
  });
  const saved = sessionStorage.getItem('switchboard-admin-token');
  if (saved) connect(saved);
})();
`;
