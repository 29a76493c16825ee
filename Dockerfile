# syntax=docker/dockerfile:1
# The enhancer worker image: `docker build -t enhancer .`, then `docker run enhancer` (worker) or
# `docker run enhancer migrate`. Settings come from the environment (docs/configuration.md).
ARG NODE_IMAGE=node:24.22-bookworm-slim

# Build with the dev dependencies (TypeScript), from the lockfile.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only. No install scripts: nothing in the runtime tree needs one.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# V8 keeps large young-generation semi-spaces after a burst; 4 MB keeps idle memory down (docs/operations.md, "Memory").
# The root filesystem may be read-only: anything that wants a home directory gets the writable /tmp.
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=4 HOME=/tmp
WORKDIR /app
# Owned by root and not writable by the process; migrations are compiled into dist/adapters/db/migrations.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The image's `node` user, by number, so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["worker"]
