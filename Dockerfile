# syntax=docker/dockerfile:1
#
# trino-envoy-router image: ext_proc (and ext_authz) gRPC 9001, admin gRPC + grpc.health.v1 9002,
# Prometheus /metrics 9090. Config: /etc/trino-envoy-router/config.yaml; SQLite store: /data.
#
#   docker build -t trino-envoy-router .
#   docker run -v "$PWD/deploy/compose/router.yaml:/etc/trino-envoy-router/config.yaml:ro" \
#     -e ROUTER_PREFIX_KEY=... trino-envoy-router
#
# Both stages use the same pinned Debian (glibc) Node 20 image, so better-sqlite3, compiled in
# the build stage, matches the runtime's libc, architecture and Node ABI exactly. Build for
# another architecture with `docker buildx build --platform linux/arm64 .` (the compile then
# runs for that platform).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: install with dev dependencies, compile better-sqlite3 and TypeScript ----
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Build the native module from source against this image's Node headers and glibc instead of
# downloading a prebuilt binary (npm_config_build_from_source is read by prebuild-install), with
# the headers the image itself installed under /usr/local/include/node (npm_config_nodedir, read
# by node-gyp) rather than a headers tarball fetched for some other Node build.
RUN npm_config_build_from_source=true npm_config_nodedir=/usr/local npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
COPY scripts/build-console.mjs ./scripts/build-console.mjs
# tsconfig also covers test/ and bench/, which are not in the build context (.dockerignore):
# only src/ is compiled, to dist/src/.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"

# ---- runtime: production dependencies, compiled code, protos; runs as the non-root node user ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The web console's built page (listen.console).
COPY --from=build /app/dist/console ./dist/console
# The admin server's reflection reads the admin API's .proto files at run time.
COPY --from=build /app/proto ./proto
COPY deploy/docker/healthcheck.mjs ./deploy/docker/healthcheck.mjs
RUN mkdir -p /data /etc/trino-envoy-router \
 && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 9001 9002 9090
# grpc.health.v1 on the admin port (127.0.0.1:9002 unless TRINO_ROUTER_HEALTH_ADDRESS says
# otherwise). It answers SERVING once the first health round ran and ext_proc listens.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/dist/src/main.js"]
CMD ["serve", "--config", "/etc/trino-envoy-router/config.yaml"]
