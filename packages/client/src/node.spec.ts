import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorage } from './node.js';

describe('FileStorage', () => {
  it('keeps values across instances, one file per key, with no temporary files left', () => {
    const directory = mkdtempSync(join(tmpdir(), 'sb-file-storage-'));
    const storage = new FileStorage(directory);
    const longKey = `switchboard:v1|${'x'.repeat(1000)}|position`;
    storage.setItem(longKey, '{"epoch":"e","seq":1}');
    storage.setItem('b', 'one');
    storage.setItem('b', 'two');
    const reopened = new FileStorage(directory, { durable: false });
    expect(reopened.getItem(longKey)).toBe('{"epoch":"e","seq":1}');
    expect(reopened.getItem('b')).toBe('two');
    expect(reopened.getItem('missing')).toBeNull();
    reopened.removeItem('b');
    reopened.removeItem('b');
    expect(reopened.getItem('b')).toBeNull();
    expect(readdirSync(directory)).toHaveLength(1);
    expect(readdirSync(directory).every((name) => name.endsWith('.json'))).toBe(true);
  });
});
