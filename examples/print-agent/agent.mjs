#!/usr/bin/env node
// A desktop printing agent on @switchboard/client: it registers its printers on /printing-ws and
// "prints" each job to stdout, or to files with --out. Every job is journaled on disk before it
// is acknowledged, printed once, and reported; restart it and nothing is printed twice or lost.
import { Buffer } from 'node:buffer';
import { exec } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createClient } from '@switchboard/client';
import { FileStorage } from '@switchboard/client/node';

const USAGE = `usage: node agent.mjs [options]

  --url <url>            Switchboard server (default http://localhost:3000)
  --token <jwt>          a printer-agent token (or SWITCHBOARD_TOKEN); fixed, so it cannot be refreshed
  --token-command <cmd>  a shell command that prints a fresh token; run again before it expires
  --printer <id[:kind]>  a printer of this agent, repeatable (default kitchen-1:kitchen);
                         kind is receipt, kitchen, label or other
  --out <dir>            write each job to <dir>/<jobId>.<ext> instead of stdout
  --state <dir>          where the job journal lives (default ~/.switchboard-print-agent)
  --agent-id <id>        agentId on the server (default: the token's sub)`;

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:3000' },
    token: { type: 'string' },
    'token-command': { type: 'string' },
    printer: { type: 'string', multiple: true },
    out: { type: 'string' },
    state: { type: 'string', default: join(homedir(), '.switchboard-print-agent') },
    'agent-id': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

/** One JSON line per happening, on stderr: stdout is the printer when there is no --out. */
const log = (event, fields = {}) => process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), event, ...fields })}\n`);

const fixedToken = values.token ?? process.env.SWITCHBOARD_TOKEN;
const tokenCommand = values['token-command'];
if (!fixedToken && !tokenCommand) {
  process.stderr.write(`a token is needed: --token, SWITCHBOARD_TOKEN or --token-command\n\n${USAGE}\n`);
  process.exit(2);
}
const run = promisify(exec);
const auth = tokenCommand ? { getToken: async () => (await run(tokenCommand)).stdout.trim() } : { token: fixedToken };

const printers = (values.printer ?? ['kitchen-1:kitchen']).map((spec) => {
  const [id, kind = 'kitchen'] = spec.split(':');
  return { id, name: id, kind, status: 'ready' };
});

const EXTENSIONS = { 'text/plain': 'txt', 'application/vnd.escpos': 'escpos', 'application/pdf': 'pdf' };

/** The "printer": bytes to a file per copy, or text to stdout. Throwing reports the job failed. */
function print(job) {
  const { contentType, data } = job.document;
  const bytes = contentType === 'text/plain' ? Buffer.from(data, 'utf8') : Buffer.from(data, 'base64');
  for (let copy = 1; copy <= job.copies; copy++) {
    if (values.out) {
      mkdirSync(values.out, { recursive: true });
      const suffix = job.copies > 1 ? `-${copy}` : '';
      writeFileSync(join(values.out, `${job.jobId}${suffix}.${EXTENSIONS[contentType] ?? 'bin'}`), bytes);
    } else {
      // A resend is marked, as kitchens mark a reprinted ticket, so nobody cooks the order twice.
      const reprint = job.resentFrom ? `, REPRINT of ${job.resentFrom}` : '';
      process.stdout.write(`----- ${job.jobId} (copy ${copy}/${job.copies}, printer ${job.printerId ?? 'any'}${reprint}) -----\n`);
      process.stdout.write(contentType === 'text/plain' ? `${bytes.toString('utf8')}\n` : `[${bytes.length} bytes of ${contentType}]\n`);
    }
  }
}

const client = createClient({
  url: values.url,
  ...auth,
  storage: new FileStorage(values.state),
  onError: (error, context) => log('error', { code: error.code, message: error.message, ...context }),
});
const agent = client.printAgent(values['agent-id'] ? { agentId: values['agent-id'] } : {});
const printing = client.namespace('printing-ws');
printing.onState((change) => log('state', { state: change.state, ...(change.error ? { code: change.error.code } : {}) }));
printing.on('session', (session) => log('connected', { node: session.node, user: session.user.id, branch: session.user.branchIds[0] }));

agent.onJob((job, { attempt }) => {
  print(job);
  log('printed', { jobId: job.jobId, attempt, copies: job.copies });
});
agent.onCancelled(({ jobId, reason }) => log('cancelled', { jobId, reason }));
agent
  .registerPrinters(printers)
  .then((ack) => log('registered', { printers: printers.map((printer) => printer.id), pending: ack.pending }))
  .catch((error) => log('error', { code: error.code, message: error.message }));

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log('stopping', { signal });
    client.close();
    process.exit(0);
  });
}
