#!/usr/bin/env node
// Builds the published shape of @switchboard/client into dist/: ESM bundles (esbuild) and one
// self-contained .d.ts per entry (rollup-plugin-dts). The SDK's types come from the server's
// event maps by type-only imports; bundling the declarations inlines them, so the package never
// refers to files outside itself.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const entries = { index: join(here, 'src/index.ts'), node: join(here, 'src/node.ts') };
const started = Date.now();

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  // socket.io-client is a dependency, resolved by the application's bundler or Node.
  external: ['socket.io-client', 'node:*'],
  logLevel: 'warning',
});

for (const [name, input] of Object.entries(entries)) {
  const bundle = await rollup({
    input,
    external: (id) => id === 'socket.io-client' || id.startsWith('node:'),
    plugins: [
      dts({ tsconfig: join(here, 'tsconfig.json'), compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true } }),
    ],
    onwarn(warning, warn) {
      if (warning.code !== 'EMPTY_BUNDLE') warn(warning);
    },
  });
  await bundle.write({ file: join(out, `${name}.d.ts`), format: 'es' });
  await bundle.close();
}
process.stdout.write(`@switchboard/client: dist/ built in ${Date.now() - started} ms\n`);
