# syntax=docker/dockerfile:1
# Node 22 LTS (Node 20 reached end of life in April 2026). Three stages: production dependencies
# only, the build (with the dev dependencies), and the runtime, which gets the first and the
# compiled dist/ of the second, and runs as the unprivileged `node` user.
# test/ops/production-install.ops-spec.ts boots what the runtime stage holds, the same way.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json scripts/production-install.mjs ./
# No dev dependency, no workspace (the SDK, the examples), no install script.
RUN node production-install.mjs && rm production-install.mjs

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --workspaces=false --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --chown=root:root package.json ./
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:3000/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/main.js"]
