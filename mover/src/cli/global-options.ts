// Flags every command accepts (see the README's CLI reference).
import type { OptionSpec } from './command.ts';

export const GLOBAL_OPTIONS: OptionSpec = {
  repo: { type: 'string', description: 'repository URL (file:///path or s3://bucket/prefix?endpoint=..&region=..); or CAIRN_REPOSITORY', valueName: 'URL' },
  'password-file': { type: 'string', description: 'file holding the repository password; or CAIRN_PASSWORD', valueName: 'PATH' },
  's3-credentials-dir': { type: 'string', description: 'directory with files AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY', valueName: 'DIR' },
  json: { type: 'boolean', description: 'print machine-readable JSON on stdout' },
  'result-file': { type: 'string', description: 'write a one-line JSON result here (mover Jobs: /dev/termination-log)', valueName: 'PATH' },
  'log-level': { type: 'string', description: 'log level: debug, info, warn, error (default: info, warn on a terminal)', valueName: 'LEVEL' },
  progress: { type: 'boolean', description: 'force the progress bar on (default: on when stderr is a terminal)' },
  'no-progress': { type: 'boolean', description: 'no progress bar' },
  'memory-limit': { type: 'string', description: 'memory this run may use, e.g. 256Mi (default: the container\'s cgroup limit); or CAIRN_MEMORY_LIMIT', valueName: 'SIZE' },
  'cache-dir': { type: 'string', description: 'local cache of index and metadata blobs, reused across runs (default: none); or CAIRN_CACHE_DIR', valueName: 'DIR' },
  debug: { type: 'boolean', description: 'show stack traces of internal errors' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', description: 'print the version of cairn and of Node running it' },
};
