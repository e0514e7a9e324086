import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV } from './config.schema';
import { renderEnvExample } from './env-example';

describe('.env.example', () => {
  const committed = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');

  it('is exactly what the schema renders (regenerate: npm run env:example)', () => {
    expect(committed).toBe(renderEnvExample());
  });

  it('lists every variable once, commented out, with its default', () => {
    for (const spec of Object.values(ENV)) {
      expect(committed.split('\n').filter((line) => line === `# ${spec.name}=${spec.default ?? ''}`)).toHaveLength(1);
    }
  });

  it('sets nothing: the defaults apply until an operator uncomments a line', () => {
    expect(committed.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'))).toEqual([]);
  });
});
