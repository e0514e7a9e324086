import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../utils/server-process';

const PACKAGE = join(ROOT, 'packages', 'client');
const run = (args: string[], cwd = ROOT) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 120_000 });

/** The published shape of @switchboard/client, as `npm run build -w @switchboard/client` builds it (jest's globalSetup does). */
describe('@switchboard/client as a package', () => {
  it('ships ESM and declarations that refer to nothing outside the package but socket.io-client', () => {
    for (const file of ['index.js', 'index.d.ts', 'node.js', 'node.d.ts']) {
      const text = readFileSync(join(PACKAGE, 'dist', file), 'utf8');
      const imports = [...text.matchAll(/^(?:import|export)\b[^;]*?from\s+['"]([^'"]+)['"]/gm)].map((match) => match[1]);
      expect({ file, outside: imports.filter((name) => name !== 'socket.io-client' && !name.startsWith('node:')) }).toEqual({
        file,
        outside: [],
      });
      expect(text).not.toMatch(/class-validator|@nestjs|\.\.\/\.\.\/\.\.\/src/);
    }
    // The browser entry must not pull Node built-ins in.
    expect(readFileSync(join(PACKAGE, 'dist', 'index.js'), 'utf8')).not.toMatch(/from ['"]node:/);
  });

  it('loads in Node through its exports map, both entries', () => {
    const script = `
      const sdk = await import('@switchboard/client');
      const node = await import('@switchboard/client/node');
      console.log(JSON.stringify({ sdk: Object.keys(sdk).sort(), node: Object.keys(node) }));`;
    const result = run(['--input-type=module', '-e', script]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      sdk: [
        'ClientErrorCode',
        'MemoryStorage',
        'NamespaceHandle',
        'PresenceKeeper',
        'PrintAgent',
        'SwitchboardError',
        'browserStorage',
        'createClient',
      ],
      node: ['FileStorage'],
    });
  });

  it('types an application from the server’s event maps (test/fixtures/sdk-consumer: expected errors are errors)', () => {
    const result = run([
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(ROOT, 'test', 'fixtures', 'sdk-consumer', 'tsconfig.json'),
    ]);
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  }, 60_000);
});
