# syntax=docker/dockerfile:1
# Loom images. Targets:
#   app    (default) the API server and `loom worker`: production dependencies only, non-root
#   nginx  nginx with nginx.prod.conf and the built web console, non-root
# Build: docker build -t loom . && docker build --target nginx -t loom-nginx .

ARG NODE_IMAGE=node:20-bookworm-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.27-alpine

# Every dependency, for building the console.
FROM ${NODE_IMAGE} AS deps
WORKDIR /build
COPY package.json package-lock.json ./
# No install scripts: nothing here needs one (esbuild ships its binary as a package).
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS console
COPY tsconfig.json ./
COPY scripts/build-console.ts ./scripts/
COPY src/console ./src/console
COPY clients/typescript ./clients/typescript
COPY clients/web ./clients/web
RUN npx tsx scripts/build-console.ts /build/console-dist

# Production dependencies only.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NGINX_IMAGE} AS nginx
COPY nginx.prod.conf /etc/nginx/nginx.conf
COPY --from=console /build/console-dist /usr/share/nginx/html/console
USER 101
EXPOSE 8080 8443
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/nginx-health || exit 1

FROM ${NODE_IMAGE} AS app
ENV NODE_ENV=production \
    ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    DATA_DIR=/var/lib/loom/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY drizzle ./drizzle
# The `loom` client commands (case, watch, report, cancel) use the typed client.
COPY clients/typescript/package.json ./clients/typescript/
COPY clients/typescript/src ./clients/typescript/src
RUN mkdir -p /var/lib/loom/data && chown -R node:node /var/lib/loom
USER node
EXPOSE 8787
# /health is 503 while a configured dependency (database, Redis, archive) is failing.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/loom.mjs", "serve"]
