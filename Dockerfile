# One image for the Cairn operator and the `cairn` mover CLI. Node 24 runs the TypeScript sources directly
# (type stripping), so the image is the sources plus production dependencies; there is no build output.
#
#   docker build -t ghcr.io/cairn-backup/cairn:0.1.0 .
#
# Needs only Debian's package mirror (for the compiler) and the npm registry: zstd-napi is compiled here
# against the base image's own Node headers, never downloaded as a prebuild or with fetched headers.
# Without any registry, `npm run image` (e2e/image/) assembles the same layout from local files;
# e2e/image/image-agreement.test.ts keeps the two in step (user, entry point, env, paths, exclusions).
#
# Entry point: ENTRYPOINT ["cairn"], CMD ["--help"]. Kubernetes replaces both when a container sets only
# `command`: the operator Deployment runs `command: [node, /app/operator/src/main.ts]`, mover Jobs run
# `command: [cairn]` (CAIRN_MOVER_COMMAND) with the cairn arguments as `args`. `docker run IMAGE ...` is the CLI.
#
# Runs as 65532:65532 with a read-only root filesystem; /tmp (an emptyDir in the chart and in mover Jobs)
# is the only place written, and only for Node's compile cache.

# node:24.9.0-bookworm-slim (Node 24.9.0, the version package.json pins; Debian 12), the multi-arch index
# digest published in autumn 2025 after Node 24.9.0's release (2025-09-25). No registry is reachable where
# this was written, so the digest was taken from public repositories that pin the same tag (also seen as
# node:24.9.0-slim and node:24-slim at the time); `docker buildx imagetools inspect` it before bumping.
ARG NODE_IMAGE=node:24.9.0-bookworm-slim@sha256:3e69116c924bfcba6c6979aff60d966c37aef56d488ce091c69d442ebec9f103

FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# build-from-source: prebuild-install gives up at once (no GitHub download) and zstd-napi's install script
# falls back to `node-gyp rebuild`; nodedir: node-gyp uses /usr/local/include/node from the base image
# instead of downloading headers (npm warns that build-from-source is not one of its own settings; the
# variable is for prebuild-install, which reads it from the environment). Of zstd-napi's build directory
# only the compiled binding is kept; npm's .bin links and hidden lockfile are not needed at run time.
ENV npm_config_build_from_source=true npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
RUN npm ci --omit=dev \
 && npm cache clean --force \
 && node -e "require('zstd-napi')" \
 && find node_modules/zstd-napi/build ! -type d ! -path '*/Release/binding.node' -delete \
 && find node_modules/zstd-napi/build -depth -type d -empty -delete \
 && rm -rf node_modules/.bin node_modules/.package-lock.json

FROM ${NODE_IMAGE}
# Drop what the runtime never uses (npm, yarn, corepack, headers, the base image's entrypoint script), add
# the 65532 user (os.userInfo needs a passwd entry) and put `cairn` on PATH.
RUN rm -rf /usr/local/lib/node_modules /usr/local/include /opt/yarn-* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg \
      /usr/local/bin/docker-entrypoint.sh \
 && echo 'cairn:x:65532:65532:cairn:/tmp:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'cairn:x:65532:' >> /etc/group \
 && ln -s /app/bin/cairn.mjs /usr/local/bin/cairn
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app/node_modules /app/node_modules
# Tests, fixtures, test support and benchmarks are kept out by .dockerignore.
COPY package.json /app/package.json
COPY bin /app/bin
COPY mover/src /app/mover/src
COPY operator/src /app/operator/src
WORKDIR /app
# No NODE_COMPILE_CACHE: set, Node turns the cache on before the CLI sets its heap flags aside and names it
# after the flagged hash, where the worker threads do not look (bin/cairn.mjs turns it on in /tmp itself).
ENV NODE_ENV=production
USER 65532:65532
ENTRYPOINT ["cairn"]
CMD ["--help"]
