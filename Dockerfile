# One image for every service (the monorepo builds once); the command picks the service:
#   docker run fillsched node services/gateway/dist/main.js
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.base.json tsconfig.json ./
COPY packages ./packages
COPY services ./services
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 8000 9400
CMD ["node", "services/gateway/dist/main.js"]
