import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../utils/server-process';

/** A committed full run: three arms, five layouts, retried rungs and failed ones. */
const RUN = join(ROOT, 'bench', 'results', '2026-12-05T11-58-18.json');

type Step = { deliveriesPerSecond: number; ok: boolean; p99: number };
type Results = { arms: Record<string, { fanOut: Record<string, { steps: Step[] }> }> };

/** bench/lib/ladder-chart.mjs is ESM (the bench runs outside jest): rendered in a child node. */
function render(): Record<string, string> {
  const script = `import { ladderCharts } from ${JSON.stringify(join(ROOT, 'bench', 'lib', 'ladder-chart.mjs'))};
import { readFileSync } from 'node:fs';
const charts = ladderCharts(JSON.parse(readFileSync(${JSON.stringify(RUN)}, 'utf8')));
process.stdout.write(JSON.stringify(Object.fromEntries(charts)));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as Record<string, string>;
}

describe('bench ladder charts (SVG)', () => {
  const results = JSON.parse(readFileSync(RUN, 'utf8')) as Results;
  const charts = render();
  const layouts = Object.keys(results.arms.bare.fanOut);

  it('draws one chart per layout, each a standalone SVG with a title', () => {
    expect(Object.keys(charts).sort()).toEqual([...layouts].sort());
    for (const svg of Object.values(charts)) {
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(svg).toMatch(/<title>Fan-out ladder .+<\/title>/);
    }
  });

  it("draws every arm's ladder in both panels, one point per offered load (the last attempt), failures hollow", () => {
    for (const layout of layouts) {
      const svg = charts[layout];
      for (const [arm, data] of Object.entries(results.arms)) {
        const last = new Map<number, Step>();
        for (const step of data.fanOut[layout].steps) last.set(step.deliveriesPerSecond, step);
        const lines = [...svg.matchAll(new RegExp(`<polyline data-arm="${arm}"[^>]*points="([^"]*)"`, 'g'))].map(([, points]) =>
          points.split(' '),
        );
        // delivered/s and p99: both panels, every rung.
        expect([layout, arm, lines.map((points) => points.length)]).toEqual([layout, arm, [last.size, last.size]]);
      }
      const failed = Object.values(results.arms).reduce((sum, data) => {
        const last = new Map<number, Step>();
        for (const step of data.fanOut[layout].steps) last.set(step.deliveriesPerSecond, step);
        return sum + [...last.values()].filter((step) => !step.ok).length;
      }, 0);
      // Each failed rung is hollow twice (once per panel).
      expect([layout, (svg.match(/fill="#ffffff" stroke=/g) ?? []).length]).toEqual([layout, failed * 2]);
    }
  });
});
