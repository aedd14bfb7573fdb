// ESLint rule: the engine is a plain library (ARCHITECTURE.md): no process.env/argv/exit/stdio and no console
// (the CLI owns them and passes values in), and the pure modules do no I/O. Test files and test support are
// exempt: they may read fixtures and print.
import { classify, importVisitors, repoPath, resolveImport } from './layer-boundaries.mjs';

// Pure modules: a folder (trailing '/') or a file, where '*' matches within one file name. They compute on
// bytes and numbers only, so they can run in workers and be tested without a disk or a network.
const PURE_MODULES = [
  'mover/src/engine/crypto/',
  'mover/src/engine/compression/',
  'mover/src/engine/object/*splitter*.ts',
  'mover/src/engine/object/go-math-rand.ts',
  'mover/src/engine/object/go-rand-cooked.ts',
  'mover/src/engine/policy/snapshot-retention.ts',
  'mover/src/engine/policy/retention-policy.ts',
  'mover/src/engine/policy/retention-reasons.ts',
  'mover/src/engine/policy/duration.ts',
  'mover/src/engine/policy/timestamp.ts',
  'mover/src/engine/policy/zone-calendar.ts',
];
// Node modules that do I/O (with or without the node: prefix); the blob layer is I/O too.
const IO_MODULES = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'child_process', 'worker_threads'];

// Members of `process` the engine may use: read-only facts about the running process and its clock. They carry
// no configuration and no output, and do not end the process, so passing them in from the CLI would add
// plumbing without adding a seam. Everything else (env, argv, exit, exitCode, stdin/stdout/stderr, cwd, chdir,
// on/once for signals, kill, ...) belongs to the CLI.
const PROCESS_ALLOWED = new Map([
  ['hrtime', 'monotonic clock: manifest times stay strictly increasing across clock steps (rfc3339-nano.ts)'],
  ['getuid', 'restore applies file ownership by default only when running as root, as kopia does'],
  ['geteuid', 'restore-target checks whether chown can succeed before trying it'],
]);
const PROCESS_MODULES = ['process', 'node:process'];

const TEST_FILE = /\.(test|itest|etest)\.ts$|\/test-support\/|-test-support\.ts$/;

function globToRegExp(glob) {
  const body = glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${body}${glob.endsWith('/') ? '' : '$'}`);
}
const PURE_PATTERNS = PURE_MODULES.map(globToRegExp);
const IO_SPECIFIERS = new Set(IO_MODULES.flatMap((m) => [m, `node:${m}`]));

/** References to an undeclared global (or one declared only by configuration) in the file. */
function globalReferences(scopeManager, name) {
  const global = scopeManager.globalScope;
  const refs = global.through.filter((r) => r.identifier.name === name);
  const configured = global.set.get(name);
  if (configured && configured.defs.length === 0) refs.push(...configured.references);
  return refs;
}

function memberName(node) {
  if (node.computed) return node.property.type === 'Literal' ? String(node.property.value) : undefined;
  return node.property.name;
}

export const enginePurity = {
  meta: {
    type: 'problem',
    docs: { description: 'the engine uses no process globals or console, and pure modules do no I/O' },
    messages: {
      process: 'the engine is a plain library: no {{what}} (pass it in from the CLI; allowed: {{allowed}})',
      console: 'the engine is a plain library: no console (log through the pino logger passed in)',
      pureIo: '{{file}} is a pure module (ARCHITECTURE.md): it must not import {{what}}; do the I/O in the caller',
    },
    schema: [],
  },
  create(context) {
    const rel = repoPath(context.cwd, context.filename);
    const where = classify(rel);
    if (!where || !where.engine || TEST_FILE.test(rel)) return {};
    const allowed = [...PROCESS_ALLOWED.keys()].join(', ');
    const reportProcess = (node, what) => context.report({ node, messageId: 'process', data: { what, allowed } });
    const pure = PURE_PATTERNS.some((p) => p.test(rel));

    function checkImport(node, spec) {
      if (pure && IO_SPECIFIERS.has(spec)) {
        context.report({ node, messageId: 'pureIo', data: { file: rel, what: spec } });
      } else if (pure && spec.startsWith('.')) {
        const target = classify(resolveImport(context.cwd, context.filename, spec));
        if (target?.layer === 'blob') context.report({ node, messageId: 'pureIo', data: { file: rel, what: `${spec} (blob layer)` } });
      }
      if (!PROCESS_MODULES.includes(spec) || node.type === 'TSImportType' || node.importKind === 'type') return;
      if (node.type !== 'ImportDeclaration') { reportProcess(node, `'${spec}' module`); return; }
      for (const s of node.specifiers) {
        if (s.importKind === 'type') continue;
        const name = s.type === 'ImportSpecifier' ? (s.imported.name ?? s.imported.value) : undefined;
        if (name === undefined) reportProcess(s, `whole '${spec}' import`);
        else if (!PROCESS_ALLOWED.has(name)) reportProcess(s, `process.${name}`);
      }
    }

    return {
      ...importVisitors(checkImport),
      'Program:exit'() {
        const scopeManager = context.sourceCode.scopeManager;
        for (const ref of globalReferences(scopeManager, 'console')) {
          context.report({ node: ref.identifier, messageId: 'console' });
        }
        for (const ref of globalReferences(scopeManager, 'process')) {
          const id = ref.identifier;
          const parent = id.parent;
          if (parent.type === 'MemberExpression' && parent.object === id) {
            const name = memberName(parent);
            if (name === undefined || !PROCESS_ALLOWED.has(name)) reportProcess(parent, `process.${name ?? '[…]'}`);
          } else if (parent.type !== 'TSTypeQuery' && parent.type !== 'TSQualifiedName') {
            reportProcess(id, 'bare process object');
          }
        }
        for (const ref of globalReferences(scopeManager, 'globalThis')) {
          const parent = ref.identifier.parent;
          if (parent.type === 'MemberExpression' && memberName(parent) === 'process') reportProcess(parent, 'globalThis.process');
        }
      },
    };
  },
};
