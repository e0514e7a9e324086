// NestJS 12 is ESM-only and ts-jest cannot load it on Node 20: SWC compiles our TypeScript
// and those ESM packages to CommonJS instead.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|file-type|load-esm|strtok3|token-types|@tokenizer|uint8array-extras)/)'],
  // The client SDK is ESM-correct TypeScript (`./backoff.js` names `./backoff.ts`); CommonJS
  // resolution needs the extension dropped. With 'js' first, a package's own `./x.js` still wins.
  // @switchboard/react imports the client by its package name: in jest, its source, as the
  // suites' own helpers use (dist/ is ESM, built for bundlers and Node).
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^@switchboard/client$': '<rootDir>/packages/client/src/index.ts' },
  moduleFileExtensions: ['js', 'ts', 'mjs', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/packages/*/src/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    // Fault injection (Redis killed, network faults, crashed workers): `npm run test:faults`.
    // Each test's background traffic is stopped after it, passed or failed (test/utils/background.ts).
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/utils/stop-background.ts'],
    },
    // Real PM2, haproxy and Chromium around real server processes; run one at a time (`npm test` does).
    { ...common, displayName: 'ops', testMatch: ['<rootDir>/test/ops/**/*.ops-spec.ts'] },
  ],
  // The client SDK's dist/ (ESM and bundled types), for suites that use the published package.
  globalSetup: '<rootDir>/test/build-packages.mjs',
  testTimeout: 30000,
};
