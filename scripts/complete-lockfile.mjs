#!/usr/bin/env node
// Run after `npm install` on this machine. The registry mirror here answers 404 for native
// packages of other platforms (@swc/core-darwin-arm64 and the like), so npm leaves them out of
// package-lock.json, and `npm ci` then refuses the lockfile as "not in sync". This adds a
// lock entry, with os/cpu/libc taken from the package name, for every optional dependency the
// lockfile lacks. npm skips them on platforms they do not match, as it would have anyway.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

function platformOf(name) {
  const tail = name.split('/').pop();
  const os = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'wasm32'].find(
    (candidate) => tail.includes(`-${candidate}-`) || tail.endsWith(`-${candidate}`),
  );
  const cpu = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32'].find((candidate) =>
    tail.includes(`-${candidate}`),
  );
  const libc = tail.includes('-musl') ? 'musl' : tail.includes('-gnu') ? 'glibc' : undefined;
  return {
    ...(os && os !== 'wasm32' ? { os: [os] } : {}),
    ...(cpu ? { cpu: [cpu] } : {}),
    ...(libc ? { libc: [libc] } : {}),
  };
}

let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const hoisted = `node_modules/${name}`;
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    if (packages[hoisted] || packages[nested]) continue;
    if (!/^\d+\.\d+\.\d+/.test(spec)) continue; // only exact pins can be written without the registry
    packages[hoisted] = { version: spec, ...(entry.dev ? { dev: true } : {}), optional: true, ...platformOf(name) };
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`complete-lockfile: added ${added} entries\n`);
