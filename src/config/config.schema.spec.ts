import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV } from './config.schema';

/** The README's variable table is the operator's reference; it must match the schema exactly. */
describe('README environment table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const documented = new Set([...readme.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((match) => match[1]));

  it.each(Object.values(ENV).map((spec) => [spec.name, spec.default]))('documents %s with its default', (name, def) => {
    expect(documented).toContain(name);
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``)) ?? '';
    expect(row).toContain(def === undefined ? '(unset)' : `\`${def}\``);
  });

  it('documents no variable the schema does not know', () => {
    const known = new Set(Object.values(ENV).map((spec) => spec.name));
    expect([...documented].filter((name) => !known.has(name))).toEqual([]);
  });
});
