import { ENV, type EnvVarSpec } from './config.schema';

/**
 * `.env.example`, rendered from the schema: every variable with its documentation and its
 * default, commented out. A unit spec fails when the committed file drifts from this.
 */
export function renderEnvExample(specs: readonly EnvVarSpec<unknown>[] = Object.values(ENV)): string {
  const header = [
    '# Switchboard configuration: every variable the server reads, with its default.',
    '# Generated from src/config/config.schema.ts by `npm run env:example`; do not edit by hand.',
    '# Copy to .env and uncomment what you change; load it with `node --env-file=.env dist/main.js`,',
    "# docker compose's env_file, or your process manager. Nothing here is needed for `npm start`.",
  ];
  const blocks = specs.map((spec) => {
    const doc = wrap(spec.doc, 98).map((line) => `# ${line}`);
    return [...doc, `# ${spec.name}=${spec.default ?? ''}`].join('\n');
  });
  return `${header.join('\n')}\n\n${blocks.join('\n\n')}\n`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
