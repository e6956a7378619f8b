# syntax=docker/dockerfile:1.7
# One production image for every service; the command picks the service:
#   docker run --read-only --tmpfs /tmp IMAGE node services/gateway/dist/main.js
# Build (from the repository root, with a Docker/BuildKit engine):
#   docker build -t registry.example.com/fillsched:0.1.0 .
# Stages: base (Node + the npm of package.json's packageManager) → pruned (turbo prune: only the
# six services' workspaces) → build (all deps, tsc) → prod-deps (npm ci --omit=dev) → runtime.

# Pin by digest in your registry mirror (e.g. node:20.19.5-bookworm-slim@sha256:…); the version
# tag is the floor this repo is tested with (Node 20, see package.json engines).
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
# The npm of package.json's "packageManager" (npm@11.19.1), as the lockfile was written by it.
RUN npm install --global npm@11.19.1 && npm cache clean --force

FROM base AS pruned
WORKDIR /src
COPY . .
# Only the workspaces the six services and the console need (package.json files and sources separated, so the
# dependency layers below are cached until a package.json or the lockfile changes).
RUN npx --yes turbo@2.11.11 prune @fillsched/gateway @fillsched/auth @fillsched/schedule \
      @fillsched/comparison @fillsched/config @fillsched/solver @fillsched/console --docker --out-dir /out

FROM base AS build
WORKDIR /app
COPY --from=pruned /out/json/ ./
RUN npm ci --no-audit --no-fund
COPY --from=pruned /out/full/ ./
COPY tsconfig.base.json tsconfig.json turbo.json ./
RUN npx turbo run build --filter=./services/* --filter=./packages/*

FROM base AS prod-deps
WORKDIR /app
COPY --from=pruned /out/json/ ./
# Production dependencies only: no TypeScript, jest, swc, eslint or turbo in the image (about
# 140 MB, most of it redoc and swagger-ui for /docs). npm 11 leaves the unapproved postinstall
# scripts of @scarf/scarf (telemetry) and core-js (a banner) unrun; nothing needs them.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    OPS_PORT=9400 \
    PORT=8000 \
    # Nothing writes outside /tmp (the root filesystem may be read-only); npm is not run at
    # run time, but if someone does, its cache and logs go to /tmp too.
    HOME=/tmp \
    NPM_CONFIG_CACHE=/tmp/.npm \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/ ./
COPY --from=build --chown=root:root /app/packages/contracts/dist ./packages/contracts/dist
COPY --from=build --chown=root:root /app/packages/engine/dist ./packages/engine/dist
COPY --from=build --chown=root:root /app/packages/service-kit/dist ./packages/service-kit/dist
COPY --from=build --chown=root:root /app/packages/job-owner/dist ./packages/job-owner/dist
COPY --from=build --chown=root:root /app/services/gateway/dist ./services/gateway/dist
# The planner's console (static files the gateway serves at /console/).
COPY --from=build --chown=root:root /app/packages/console/dist ./packages/console/dist
COPY --from=build --chown=root:root /app/services/auth/dist ./services/auth/dist
COPY --from=build --chown=root:root /app/services/schedule/dist ./services/schedule/dist
COPY --from=build --chown=root:root /app/services/comparison/dist ./services/comparison/dist
COPY --from=build --chown=root:root /app/services/config/dist ./services/config/dist
COPY --from=build --chown=root:root /app/services/solver/dist ./services/solver/dist
COPY --from=build --chown=root:root /app/services/events-bridge/dist ./services/events-bridge/dist
# The operators' dead-letter command (docs/operations.md): kubectl exec … node scripts/dead-letters.js list
COPY --chown=root:root scripts/dead-letters.js ./scripts/dead-letters.js
# The image's files belong to root and are read-only for the process; it runs as "node" by
# numeric uid, so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8000 9400
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.OPS_PORT||9400)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "services/gateway/dist/main.js"]
