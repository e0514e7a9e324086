#!/usr/bin/env node
// Writes the SVG charts of a bench run's fan-out ladders next to its JSON:
//   node bench/chart.mjs bench/results/<date>.json   →   bench/results/<date>-ladder-<layout>.svg
// `npm run bench` does this itself after each run.
import { readFileSync, writeFileSync } from 'node:fs';
import { ladderCharts } from './lib/ladder-chart.mjs';

/** Writes one SVG per layout beside `file`; returns their paths. */
export function writeCharts(file, results = JSON.parse(readFileSync(file, 'utf8'))) {
  const written = [];
  for (const [layout, svg] of ladderCharts(results)) {
    const path = file.replace(/\.json$/, `-ladder-${layout}.svg`);
    writeFileSync(path, svg);
    written.push(path);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/chart.mjs bench/results/<date>.json\n');
    process.exit(2);
  }
  for (const path of writeCharts(file)) process.stdout.write(`${path}\n`);
}
