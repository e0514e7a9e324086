import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orderUpdated, publish } from '../utils/http';
import { ROOT } from '../utils/server-process';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** A consumer of the published SDK: typed against its declarations, run against a real server. */
const CONSUMER = `import { createClient, type AvailabilitySnapshot, type SwitchboardClient } from '@switchboard/client';
import { FileStorage } from '@switchboard/client/node';

const [url, token, dir] = process.argv.slice(2);
const client: SwitchboardClient = createClient({ url, token, storage: new FileStorage(dir), wake: false });
const orders = client.namespace('orders');
orders.subscribe(
  'branch:b1',
  (event) => {
    if (event.event === 'order:updated') {
      console.log(JSON.stringify({ event: event.event, seq: event.seq, data: event.data }));
      client.close();
    }
  },
  { onSubscribed: () => console.log('subscribed') },
);
// Typed from the server's event maps: a snapshot of /availability names its items' SKUs.
export const skus = (snapshot: AvailabilitySnapshot): string[] => snapshot.items.map((item) => item.data.sku);
`;

/**
 * A consumer of the published React hooks, server-rendered as Next.js would: no effects run there,
 * so the page shows the state before any connection. Typed from the server's event maps too.
 */
const REACT_CONSUMER = `import { SwitchboardProvider, useChannel, useConnectionState } from '@switchboard/react';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';

function Orders() {
  const state = useConnectionState('orders');
  useChannel('orders', 'branch:b1', (event) => {
    if (event.event === 'order:status-changed') console.log(String(event.data.orderId), event.data.status.toUpperCase());
  });
  return createElement('p', null, \`orders \${state}\`);
}

const options = { url: 'http://127.0.0.1:1', token: 'not-used-on-the-server' };
console.log(renderToString(createElement(SwitchboardProvider, { options }, createElement(Orders))));
`;

/** Versions the scratch project installs from the registry beside the packed packages. */
const REACT_PEERS = { react: '19.3.1', 'react-dom': '19.3.1', '@types/react': '19.3.3', '@types/react-dom': '19.3.0' };
const PACKAGES = ['client', 'react'] as const;
/** Entry points each package must ship besides its index. */
const ENTRIES: Record<(typeof PACKAGES)[number], string[]> = { client: ['dist/node.js', 'dist/node.d.ts'], react: [] };

/**
 * `npm pack` of @switchboard/client and @switchboard/react, installed into a scratch project as a
 * user would (their dependencies from the registry, not the workspace): the declarations must
 * typecheck in a strict NodeNext project, and the code must run: the client connects, subscribes
 * and receives, and the hooks render on a server.
 */
describe('@switchboard/client and @switchboard/react, packed and installed', () => {
  let scratch: string;
  let server: TestApp;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'sb-sdk-pack-'));
    const tarballs: Record<string, string> = {};
    for (const name of PACKAGES) {
      const before = new Set(readdirSync(scratch));
      const pack = spawnSync('npm', ['pack', '--pack-destination', scratch, '--silent'], {
        cwd: join(ROOT, 'packages', name),
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (pack.status !== 0) throw new Error(`npm pack of ${name} failed:\n${pack.stdout}${pack.stderr}`);
      tarballs[`@switchboard/${name}`] = `file:./${readdirSync(scratch).find((file) => file.endsWith('.tgz') && !before.has(file))}`;
    }
    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module', dependencies: { ...tarballs, ...REACT_PEERS } }),
    );
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--workspaces=false'], {
      cwd: scratch,
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}${install.stderr}`);
    writeFileSync(join(scratch, 'main.ts'), CONSUMER);
    writeFileSync(join(scratch, 'ssr.ts'), REACT_CONSUMER);
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          outDir: 'out',
        },
        files: ['main.ts', 'ssr.ts'],
      }),
    );
    server = await createTestApp();
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it.each(PACKAGES)('@switchboard/%s holds only what a user needs: dist, README, LICENSE and package.json', (name) => {
    const list = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: join(ROOT, 'packages', name), encoding: 'utf8' });
    // prepack builds first, and says so on stdout before npm's JSON.
    const files = (JSON.parse(list.stdout.slice(list.stdout.indexOf('\n[') + 1)) as { files: { path: string }[] }[])[0].files.map(
      (file) => file.path,
    );
    expect(files).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', ...ENTRIES[name]]),
    );
    expect(files.filter((path) => !/^(LICENSE|README\.md|package\.json|dist\/.+)$/.test(path))).toEqual([]);
  });

  it('typechecks in a strict NodeNext project against the packed declarations, and runs: connects, subscribes, receives', async () => {
    const compiled = spawnSync(process.execPath, [TSC, '-p', scratch], { encoding: 'utf8', timeout: 120_000 });
    expect(`${compiled.stdout}${compiled.stderr}`).toBe('');
    expect(compiled.status).toBe(0);

    const child = spawn(process.execPath, [join(scratch, 'out', 'main.js'), server.url, staffToken(), join(scratch, 'positions')], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never subscribed:\n${output}`)), 15_000);
      child.stdout.on('data', () => {
        if (!output.includes('subscribed')) return;
        clearTimeout(timer);
        resolve();
      });
    });
    expect((await publish(server.url, orderUpdated('branch:b1', 42))).status).toBe(202);
    // The consumer closes its client after the event: the process ends by itself.
    expect(await exited).toBe(0);
    const event = JSON.parse(output.split('\n').find((line) => line.startsWith('{')) as string) as { event: string; data: unknown };
    expect(event).toMatchObject({ event: 'order:updated', data: { orderId: 42 } });
  }, 60_000);

  it('renders the hooks on a server from the packed @switchboard/react (no effects there: the state before connecting)', () => {
    const run = spawnSync(process.execPath, [join(scratch, 'out', 'ssr.js')], { cwd: scratch, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('<p>orders idle</p>');
  });
});
