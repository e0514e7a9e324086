// PM2 recipes for Switchboard (docs/operations.md explains when to choose which):
//
//   switchboard      sticky cluster: PM2 runs one node:cluster primary (dist/primary.js) in fork
//                    mode; it owns the port and hands connections to WORKERS workers by Engine.IO
//                    session id, so HTTP long-polling works. Rolling restart: `npm run reload`
//                    (pm2 sendSignal SIGUSR2 switchboard).
//   switchboard-ws   stock PM2 cluster mode, WebSocket transport only (no stickiness needed);
//                    `pm2 reload switchboard-ws` is rolling.
//
// Start one of them: `pm2 start ecosystem.config.js --only switchboard`. Both read REDIS_URL,
// JWT_SECRET/JWT_PUBLIC_KEY and the rest of the environment PM2 is started with.

const drainDeadlineSeconds = Number(process.env.DRAIN_DEADLINE_SECONDS || 25);

module.exports = {
  apps: [
    {
      name: 'switchboard',
      script: 'scripts/run-built.mjs',
      args: 'dist/primary.js',
      exec_mode: 'fork',
      instances: 1,
      // The primary reports ready once every worker is; PM2 waits for it.
      wait_ready: true,
      listen_timeout: 60_000,
      // On stop the primary drains all workers in parallel (each within the deadline); PM2 must
      // not SIGKILL it first. Its default of 1.6 s would cut every drain short.
      kill_timeout: (drainDeadlineSeconds + 15) * 1000,
      autorestart: true,
      max_restarts: 20,
      min_uptime: 10_000,
      env: { NODE_ENV: 'production' },
    },
    {
      name: 'switchboard-ws',
      script: 'dist/main.js',
      exec_mode: 'cluster',
      // One instance per core: V8's concurrent marking would take that core from the event loop
      // (src/primary/worker-flags.ts, whose spec keeps this list equal to WORKER_NODE_FLAGS).
      node_args: '--no-concurrent-marking',
      instances: process.env.WORKERS && process.env.WORKERS !== '0' ? Number(process.env.WORKERS) : 'max',
      wait_ready: true,
      listen_timeout: 60_000,
      kill_timeout: (drainDeadlineSeconds + 10) * 1000,
      env: { NODE_ENV: 'production', WS_TRANSPORTS: 'websocket' },
    },
  ],
};
