import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../utils/server-process';

/**
 * `npm test` on a machine without a part the suites need: the pretest step must stop at once
 * with the one command to run, never go on to skip suites. Run as an unprivileged user with a
 * PATH that lacks haproxy (root would install it, which is what CI relies on).
 */
describe('pretest', () => {
  let bin: string;

  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'sb-pretest-'));
    // mkdtemp makes it 0700; the unprivileged child must be able to look in it.
    chmodSync(bin, 0o755);
    for (const command of ['sh', 'redis-server', 'openssl', 'promtool']) {
      const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
      if (found) symlinkSync(found, join(bin, command));
    }
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it('stops with one line naming the exact command when a package is missing and it may not install it', () => {
    const script = join(ROOT, 'scripts', 'pretest.mjs');
    const asRoot = process.getuid?.() === 0;
    // Resolved here: the child's PATH is the bare bin directory.
    const runuser = spawnSync('sh', ['-c', 'command -v runuser'], { encoding: 'utf8' }).stdout.trim();
    const [command, args] = asRoot ? [runuser, ['-u', 'nobody', '--', process.execPath, script]] : [process.execPath, [script]];
    const result = spawnSync(command, args, { encoding: 'utf8', env: { PATH: bin }, timeout: 20_000 });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^npm test needs haproxy(, chromium)?: run `sudo apt-get install -y --no-install-recommends haproxy( chromium)?` \(Debian\/Ubuntu\), then npm test again\.$/,
    );
    expect(result.stdout).toBe('');
  });
});
