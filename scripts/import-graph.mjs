#!/usr/bin/env node
// The import graph of src/: loops between files (with and without type-only imports), imports
// that reach up the layers below, imports from one namespace module into another, and the
// biggest files. `node scripts/import-graph.mjs [--json]`; issue 18's closing note quotes it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(new URL('..', import.meta.url).pathname, 'src');
/**
 * Lower layers never import higher ones. A folder missing here is reported, so the table
 * follows the tree.
 */
const LAYERS = [
  ['common', 'config', 'logging'],
  ['redis', 'metrics', 'cluster', 'channels', 'openapi'],
  ['auth', 'bus', 'lifecycle'],
  ['realtime', 'health'],
  ['orders', 'availability', 'sync', 'presence', 'printing', 'publish', 'streams', 'webhooks', 'outbox', 'admin', 'contract'],
  ['primary', '.'],
];
const NAMESPACES = new Set(['orders', 'availability', 'sync', 'presence', 'printing', 'admin']);
const layerOf = new Map(LAYERS.flatMap((folders, layer) => folders.map((folder) => [folder, layer])));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

const all = files(SRC);
const known = new Set(all);
const edges = new Map(); // file -> [{ to, typeOnly }]
const IMPORT = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'(\.[^']+)'/gm;
for (const file of all) {
  const text = readFileSync(file, 'utf8');
  const out = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), match[4].replace(/\.js$/, ''));
    const to = [`${target}.ts`, join(target, 'index.ts')].find((candidate) => known.has(candidate));
    if (!to) continue;
    const typeOnly = Boolean(match[2]) || /^\{\s*(type\s+[^,}]+,?\s*)+\}$/.test(match[3]);
    out.push({ to, typeOnly });
  }
  edges.set(file, out);
}

const folderOf = (file) => {
  const rel = relative(SRC, file).split('/');
  return rel.length === 1 ? '.' : rel[0];
};

/** Tarjan's strongly connected components: every loop, as the set of files on it. */
function loops(includeTypes) {
  let index = 0;
  const stack = [];
  const meta = new Map();
  const found = [];
  const visit = (file) => {
    meta.set(file, { index, low: index, onStack: true });
    index++;
    stack.push(file);
    for (const { to, typeOnly } of edges.get(file)) {
      if (typeOnly && !includeTypes) continue;
      if (!meta.has(to)) {
        visit(to);
        meta.get(file).low = Math.min(meta.get(file).low, meta.get(to).low);
      } else if (meta.get(to).onStack) meta.get(file).low = Math.min(meta.get(file).low, meta.get(to).index);
    }
    if (meta.get(file).low === meta.get(file).index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        meta.get(member).onStack = false;
        component.push(relative(SRC, member));
      } while (member !== file);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of all) if (!meta.has(file)) visit(file);
  return found;
}

const upward = [];
const across = [];
const unplaced = new Set();
for (const [file, out] of edges) {
  const from = folderOf(file);
  for (const { to } of out) {
    const target = folderOf(to);
    if (from === target) continue;
    if (!layerOf.has(from)) unplaced.add(from);
    if (!layerOf.has(target)) unplaced.add(target);
    const line = `${relative(SRC, file)} → ${relative(SRC, to)}`;
    if (layerOf.get(from) < layerOf.get(target)) upward.push(line);
    else if (NAMESPACES.has(from) && NAMESPACES.has(target)) across.push(line);
  }
}
const sizes = all
  .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length }))
  .sort((a, b) => b.lines - a.lines);

const report = {
  files: all.length,
  loops: loops(true),
  runtimeLoops: loops(false),
  upward,
  acrossNamespaces: across,
  unplacedFolders: [...unplaced],
  biggest: sizes.slice(0, 12),
};
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const list = (title, items) =>
    process.stdout.write(`${title}: ${items.length}\n${items.map((item) => `  ${item}`).join('\n')}${items.length ? '\n' : ''}`);
  process.stdout.write(`source files (not specs): ${report.files}\n`);
  list(
    'import loops (with type-only imports)',
    report.loops.map((loop) => loop.join(' ⇄ ')),
  );
  list(
    'import loops at run time',
    report.runtimeLoops.map((loop) => loop.join(' ⇄ ')),
  );
  list('upward imports', report.upward);
  list('imports from one namespace module into another', report.acrossNamespaces);
  if (report.unplacedFolders.length) list('folders missing from LAYERS', report.unplacedFolders);
  list(
    'biggest files',
    report.biggest.map(({ file, lines }) => `${lines} ${file}`),
  );
}
