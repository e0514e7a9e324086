import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scrape } from '../utils/metrics';
import { ROOT } from '../utils/server-process';
import { createTestApp, type TestApp } from '../utils/test-app';

const PROMETHEUS = join(ROOT, 'deploy', 'prometheus');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'switchboard.json');

/** Metric names a PromQL text uses (ours and prom-client's defaults; `up` is Prometheus' own). */
function metricNames(promql: string): string[] {
  return [...new Set(promql.match(/\b(?:switchboard|process|nodejs)_[a-z0-9_]+\b/g) ?? [])];
}

/** The families the server declares (`# TYPE`), with a histogram's series names. */
function declared(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${name}${suffix}`);
  }
  return names;
}

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: PROMETHEUS, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('alert rules and the Grafana dashboard', () => {
  let server: TestApp;
  let exposed: Set<string>;
  beforeAll(async () => {
    server = await createTestApp();
    exposed = declared(await scrape(`${server.url}/metrics`));
  });
  afterAll(() => server.close());

  it('are valid for Prometheus: the config and its rules check, and the rules pass their unit tests', () => {
    const config = promtool('check', 'config', 'prometheus.yml');
    expect(config).toMatchObject({ status: 0 });
    expect(config.output).toMatch(/SUCCESS: 11 rules found/);
    const tests = promtool('test', 'rules', 'alerts.test.yml');
    expect([tests.status, tests.output]).toEqual([0, expect.stringMatching(/SUCCESS/)]);
  });

  it('alert on the thresholds of the original design, each with a test', () => {
    const rules = readFileSync(join(PROMETHEUS, 'alerts.yml'), 'utf8');
    const tests = readFileSync(join(PROMETHEUS, 'alerts.test.yml'), 'utf8');
    for (const [alert, threshold] of [
      ['SwitchboardPrintAgentOffline', '> 300'],
      ['SwitchboardConnectionsHigh', '> 1000'],
      ['SwitchboardReconnectionStorm', '* 60 > 10'],
      ['SwitchboardMemoryHigh', '> 800 * 1024 * 1024'],
      ['SwitchboardNotReady', '== 0'],
      ['SwitchboardPublishesRefused', '> 0'],
      ['SwitchboardBreakerOpen', '== 2'],
      ['SwitchboardOutageQueueFilling', '> 0.5 * switchboard_outage_queue_max_events'],
    ]) {
      const rule = rules.slice(rules.indexOf(`alert: ${alert}\n`));
      expect([alert, rule.slice(0, rule.indexOf('labels:'))]).toEqual([alert, expect.stringContaining(threshold)]);
      expect([alert, tests.includes(`alertname: ${alert}\n`)]).toEqual([alert, true]);
    }
  });

  it('use only metrics the server exposes', () => {
    const rules = readFileSync(join(PROMETHEUS, 'alerts.yml'), 'utf8');
    const exprs = [...rules.matchAll(/^\s+expr: (.+)$/gm)].map(([, expr]) => expr);
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      uid: string;
      panels: { id: number; type: string; targets?: { expr: string }[] }[];
    };
    const panelExprs = dashboard.panels.flatMap((panel) => panel.targets?.map((target) => target.expr) ?? []);
    expect(exprs.length).toBeGreaterThanOrEqual(11);
    expect(panelExprs.length).toBeGreaterThanOrEqual(20);
    const unknown = [...exprs, ...panelExprs].flatMap(metricNames).filter((name) => !exposed.has(name));
    expect(unknown).toEqual([]);
    // Grafana refuses a dashboard whose panels share an id.
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
