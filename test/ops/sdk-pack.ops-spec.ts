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
 * `npm pack` of @switchboard/client, installed into a scratch project as a user would (with its
 * dependency from the registry, not the workspace): the declarations must typecheck in a strict
 * NodeNext project, and the code must connect, subscribe and receive.
 */
describe('@switchboard/client, packed and installed', () => {
  let scratch: string;
  let server: TestApp;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'sb-sdk-pack-'));
    const pack = spawnSync('npm', ['pack', '--pack-destination', scratch, '--silent'], {
      cwd: join(ROOT, 'packages', 'client'),
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stdout}${pack.stderr}`);
    const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz')) as string;
    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module', dependencies: { '@switchboard/client': `file:./${tarball}` } }),
    );
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--workspaces=false'], {
      cwd: scratch,
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}${install.stderr}`);
    writeFileSync(join(scratch, 'main.ts'), CONSUMER);
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
        files: ['main.ts'],
      }),
    );
    server = await createTestApp();
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('holds only what a user needs: dist, README, LICENSE and package.json', () => {
    const list = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: join(ROOT, 'packages', 'client'), encoding: 'utf8' });
    // prepack builds first, and says so on stdout before npm's JSON.
    const files = (JSON.parse(list.stdout.slice(list.stdout.indexOf('\n[') + 1)) as { files: { path: string }[] }[])[0].files.map(
      (file) => file.path,
    );
    expect(files).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js']),
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
});
