/**
 * Development token minting: `npm run -s token -- --company acme --branch b1 --role staff`.
 * Signs with the server's configured HMAC secret (or the development default), or with
 * --private-key when the server verifies with JWT_PUBLIC_KEY_FILE.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { loadConfigFromEnvironment } from '../config';
import { ROLES, type Role } from '../common/principal';

const USAGE = `usage: npm run -s token -- --company <id> [--branch <id|*>]... [--role <role>]... [options]

  --company <id>        companyId claim ("*": a platform token, roles service and/or admin only)
  --branch <id>         branch id, repeatable or comma-separated; "*" means every branch
  --role <role>         ${ROLES.join(' | ')}; repeatable (default: staff)
  --sub <id>            subject (default: dev-<first role>)
  --ttl <seconds>       lifetime (default: 86400)
  --jti <id>            token id
  --private-key <file>  PEM private key, when the server uses JWT_PUBLIC_KEY_FILE
  --alg <alg>           signing algorithm (default: the server's first accepted one)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      company: { type: 'string' },
      branch: { type: 'string', multiple: true },
      role: { type: 'string', multiple: true },
      sub: { type: 'string' },
      ttl: { type: 'string' },
      jti: { type: 'string' },
      'private-key': { type: 'string' },
      alg: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const loaded = loadConfigFromEnvironment();
  if (!loaded.ok) fail(`invalid configuration:\n${loaded.errors.join('\n')}`);
  const { jwt: jwtConfig } = loaded.config;

  if (!values.company) fail('--company is required');
  const roles = (values.role ?? ['staff']).flatMap((role) => role.split(',')).map((role) => role.trim());
  for (const role of roles) if (!(ROLES as readonly string[]).includes(role)) fail(`unknown role "${role}"`);
  const branchIds = (values.branch ?? []).flatMap((branch) => branch.split(',')).map((branch) => branch.trim());
  const ttl = Number(values.ttl ?? 86400);
  if (!Number.isInteger(ttl) || ttl <= 0) fail('--ttl must be a positive integer of seconds');

  const algorithm = (values.alg ?? jwtConfig.algorithms[0]) as jwt.Algorithm;
  let key: string;
  if (jwtConfig.keySource === 'public-key-file' || !algorithm.startsWith('HS')) {
    if (!values['private-key']) fail('the server verifies with a public key: pass --private-key <pem file>');
    key = readFileSync(values['private-key'], 'utf8');
  } else {
    key = jwtConfig.keys[0].key;
  }

  const claims = { companyId: values.company, branchIds, roles: roles as Role[], ...(values.jti ? { jti: values.jti } : {}) };
  const token = jwt.sign(claims, key, {
    algorithm,
    expiresIn: ttl,
    subject: values.sub ?? `dev-${roles[0]}`,
    ...(jwtConfig.issuer !== undefined ? { issuer: jwtConfig.issuer } : {}),
    ...(jwtConfig.audience !== undefined ? { audience: jwtConfig.audience[0] } : {}),
  });
  if (jwtConfig.keySource === 'development-default') {
    process.stderr.write('note: signed with the built-in development secret (no JWT_SECRET set)\n');
  }
  process.stdout.write(`${token}\n`);
}

try {
  main();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
