// PM2, first version: one process on the engine REDIS_URL selects. The in-memory engine is
// single-process by design; scaling out (a sticky cluster on Redis) is described in docs/operations.md.
module.exports = {
  apps: [
    {
      name: 'switchboard',
      // Builds dist/ first when it is missing or stale, then runs dist/main.js in-process.
      script: 'scripts/run-built.mjs',
      args: 'dist/main.js',
      exec_mode: 'fork',
      instances: 1,
      env: { NODE_ENV: 'production' },
      // The server closes sockets, the bus and Redis on SIGTERM; give it time instead of PM2's 1.6 s default.
      kill_timeout: 10000,
      max_memory_restart: '1G',
      time: true,
    },
  ],
};
