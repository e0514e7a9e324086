#!/usr/bin/env node
// Builds the published shape of @switchboard/react into dist/: one ESM bundle (esbuild) and one
// .d.ts (rollup-plugin-dts). React and @switchboard/client are peers: never bundled, so the
// application's one copy of each is the one the hooks use.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const input = join(here, 'src/index.ts');
const peers = ['react', '@switchboard/client'];
const started = Date.now();

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { index: input },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  external: peers,
  logLevel: 'warning',
});
const bundle = await rollup({
  input,
  external: (id) => peers.includes(id),
  plugins: [
    dts({ tsconfig: join(here, 'tsconfig.json'), compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true } }),
  ],
});
await bundle.write({ file: join(out, 'index.d.ts'), format: 'es' });
await bundle.close();
process.stdout.write(`@switchboard/react: dist/ built in ${Date.now() - started} ms\n`);
