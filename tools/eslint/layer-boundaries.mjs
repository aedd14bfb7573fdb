// ESLint rule: enforces the import direction of ARCHITECTURE.md ("a -> b" means b may import a).
// Engine layers, bottom to top; blob, crypto and compression share rank 0 and must not import each other.
import path from 'node:path';

const ENGINE_RANK = {
  blob: 0, crypto: 0, compression: 0,
  format: 1, content: 2, object: 3, manifest: 4, repo: 5, snapshot: 6, policy: 7, maintenance: 8,
};
const MOVER_TOP = { cli: 9, bench: 9 };

/** Classifies a file path into { area, layer, rank } relative to the repository root. */
function classify(root, file) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  if (rel.startsWith('operator/')) return { area: 'operator', layer: 'operator', rank: 100 };
  if (rel.startsWith('mover/src/contract/')) return { area: 'mover', layer: 'contract', rank: -2 };
  const eng = /^mover\/src\/engine\/([^/]+)\//.exec(rel);
  if (eng) {
    const layer = eng[1];
    if (layer in ENGINE_RANK) return { area: 'mover', layer, rank: ENGINE_RANK[layer] };
    return { area: 'mover', layer: 'engine-shared', rank: -1 }; // engine/util etc.
  }
  if (/^mover\/src\/engine\/[^/]+$/.test(rel)) return { area: 'mover', layer: 'engine-shared', rank: -1 };
  const top = /^mover\/src\/([^/]+)\//.exec(rel);
  if (top && top[1] in MOVER_TOP) return { area: 'mover', layer: top[1], rank: MOVER_TOP[top[1]] };
  return undefined;
}

export const layerBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'imports must follow the layer order of ARCHITECTURE.md' },
    messages: {
      upward: '{{from}} must not import {{to}}: layers import downward only (ARCHITECTURE.md)',
      sibling: '{{from}} must not import {{to}}: blob, crypto and compression are independent',
      operator: 'operator code may import only mover/src/contract from the mover, not {{to}}',
      engineEnv: 'the engine is a plain library: no {{what}} (pass it in from the CLI)',
    },
    schema: [],
  },
  create(context) {
    const root = context.cwd;
    const file = context.filename;
    const from = classify(root, file);
    if (!from) return {};
    const isEngine = from.rank >= -1 && from.rank <= 8;
    function check(node, spec) {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = classify(root, path.resolve(path.dirname(file), spec));
      if (!target) return;
      if (from.area === 'operator') {
        if (target.area === 'mover' && target.layer !== 'contract') {
          context.report({ node, messageId: 'operator', data: { to: target.layer } });
        }
        return;
      }
      if (target.layer === from.layer) return;
      if (target.rank > from.rank) {
        context.report({ node, messageId: 'upward', data: { from: from.layer, to: target.layer } });
      } else if (target.rank === from.rank && from.rank === 0) {
        context.report({ node, messageId: 'sibling', data: { from: from.layer, to: target.layer } });
      }
    }
    return {
      ImportDeclaration(node) { check(node, node.source.value); },
      ExportNamedDeclaration(node) { if (node.source) check(node, node.source.value); },
      ExportAllDeclaration(node) { check(node, node.source.value); },
      ImportExpression(node) { if (node.source.type === 'Literal') check(node, node.source.value); },
      MemberExpression(node) {
        if (isEngine && !file.includes('.test.') && node.object.type === 'Identifier' && node.object.name === 'process' &&
            node.property.type === 'Identifier' && node.property.name === 'env') {
          context.report({ node, messageId: 'engineEnv', data: { what: 'process.env' } });
        }
        if (isEngine && !file.includes('.test.') && node.object.type === 'Identifier' && node.object.name === 'console') {
          context.report({ node, messageId: 'engineEnv', data: { what: 'console' } });
        }
      },
    };
  },
};
