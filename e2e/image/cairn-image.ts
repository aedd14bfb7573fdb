// The one description of the Cairn image that both builders follow: /Dockerfile (with /.dockerignore) for a
// machine that can pull the pinned node base image, and e2e/image/build-image.ts, which assembles the same
// layout from local files when no image registry is reachable. image-agreement.test.ts parses the Dockerfile
// and .dockerignore and fails when they drift from these constants.
//
// Entry point: ENTRYPOINT ["cairn"] with CMD ["--help"]. Kubernetes replaces ENTRYPOINT with a container's
// `command` and, when `command` is set without `args`, drops CMD too, so both users of the image set what
// they run explicitly: the operator Deployment runs `command: [node, /app/operator/src/main.ts]` (chart and
// config/manager), mover Jobs run `command: [cairn]` (CAIRN_MOVER_COMMAND) with the cairn arguments as
// `args`. `docker run IMAGE snapshot list --repo ...` then behaves like the CLI, and a bare `docker run IMAGE`
// prints the help instead of starting an operator without a cluster.

export const APP_DIR = '/app';

/** Directories and files of the repository that the image carries under /app (Dockerfile COPY sources). */
export const APP_SOURCES = ['package.json', 'bin', 'mover/src', 'operator/src'] as const;

/**
 * What never ships, as .dockerignore patterns relative to the repository root (also matched with
 * path.matchesGlob by the local builder): tests, their fixtures and support code, benchmarks.
 */
export const APP_EXCLUDES = ['**/*.test.ts', '**/*.itest.ts', '**/testdata', '**/test-support', '**/*-test-support.ts', 'mover/src/bench'] as const;

export const CAIRN_UID = 65532;
export const CAIRN_GID = 65532;

/**
 * /etc/passwd and /etc/group entries for 65532, so os.userInfo() (the default snapshot user name) works.
 * Home is /tmp: the only writable place in a pod with a read-only root (an emptyDir there).
 */
export const PASSWD_ENTRY = `cairn:x:${CAIRN_UID}:${CAIRN_GID}:cairn:/tmp:/usr/sbin/nologin`;
export const GROUP_ENTRY = `cairn:x:${CAIRN_GID}:`;

export const NODE_PATH = '/usr/local/bin/node';
/** `cairn` on PATH: bin/cairn.mjs starts with `#!/usr/bin/env -S node …`, so /usr/bin/env (coreutils, for -S) is needed too. */
export const CAIRN_LINK = { path: '/usr/local/bin/cairn', target: `${APP_DIR}/bin/cairn.mjs` } as const;
export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** The Debian default PATH; the node base image has the same. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Environment the image sets. Not NODE_COMPILE_CACHE: set, Node turns its compile cache on at start-up,
 * before bin/cairn.mjs sets its heap flags aside, and names the cache's directory after the flagged V8 hash;
 * the worker threads, which start with the flags aside, then look in another directory and compile their
 * modules again (~50 MiB more at the peak of a first backup). The CLI turns the cache on itself, in
 * os.tmpdir() (/tmp: the chart mounts an emptyDir there; with a read-only root and no /tmp mount Node just
 * runs without the cache, checked by image.itest.ts).
 */
export const IMAGE_ENV = {
  NODE_ENV: 'production',
} as const;

/** The image config (OCI/Docker `config` object) both builders produce. */
export const CAIRN_IMAGE_CONFIG = {
  user: `${CAIRN_UID}:${CAIRN_GID}`,
  workingDir: APP_DIR,
  entrypoint: ['cairn'],
  cmd: ['--help'],
  env: [`PATH=${DEFAULT_PATH}`, ...Object.entries(IMAGE_ENV).map(([k, v]) => `${k}=${v}`)],
} as const;

export const DEFAULT_IMAGE_NAME = 'cairn.dev/cairn:dev';
