// ESLint rule: enforces the import direction of ARCHITECTURE.md ("a -> b" means b may import a) and which
// packages each area may import. Engine purity (process, console, I/O in pure modules) is engine-purity.mjs.
import path from 'node:path';

// Engine layers, bottom to top; one entry is one rank. An `independent` rank's layers must not import each
// other either. engine/util and the files directly in engine/ (errors.ts) sit below every rank.
const ENGINE_RANKS = [
  { layers: ['blob', 'crypto', 'compression'], independent: 'blob, crypto and compression are independent' },
  { layers: ['format'] },
  { layers: ['content'] },
  { layers: ['object'] },
  { layers: ['manifest'] },
  { layers: ['repo'] },
  { layers: ['snapshot'] },
  { layers: ['policy'] },
  { layers: ['upload', 'restore', 'verify'], independent: 'the upload, restore and verify pipelines are independent' },
  { layers: ['maintenance'] },
];
const ENGINE_BASE = 'util';
const ENGINE_ROOT_FILES = ['errors.ts']; // files directly in mover/src/engine/, ranked with util
const MOVER_TOP = ['cli', 'bench']; // mover/src/<folder>, above the whole engine
const CONTRACT = 'contract'; // mover/src/contract: below everything, the only mover code the operator sees

// Packages only one part of the code may import (e2e/ and tools/ are test harness and not restricted).
const PACKAGE_OWNERS = [
  { prefix: '@kubernetes/client-node', owner: 'operator/' },
  { prefix: '@aws-sdk/', owner: 'mover/src/engine/blob/' },
  { prefix: '@smithy/', owner: 'mover/src/engine/blob/' },
];

const RANK_OF = new Map(ENGINE_RANKS.flatMap((r, i) => r.layers.map((l) => [l, { rank: i, independent: r.independent }])));
const TOP_RANK = ENGINE_RANKS.length;
const PIPELINE_RANK = RANK_OF.get('upload').rank;
// The pipelines (upload, restore, verify) never handle keys, compression or pack bytes themselves: from the
// layers below repo they may import only these modules of content/ (its public API: the preparer handed to
// upload workers, the pack reader and its worker-side decoder, index entries and the content store
// interfaces), and nothing of blob/, crypto/, compression/ or format/. Tests may build fixtures with more.
const PIPELINE_CONTENT_API = ['content-store.ts', 'content-info.ts', 'content-preparer.ts', 'pack-contents-reader.ts', 'pack-range-decoder.ts', 'content-id.ts'];
const PIPELINE_FORBIDDEN_LAYERS = ['blob', 'crypto', 'compression', 'format'];

/** The file's path relative to the repository root, with forward slashes. */
export function repoPath(root, file) {
  return path.relative(root, file).split(path.sep).join('/');
}

/** The repository-relative path a relative import specifier of `file` points at. */
export function resolveImport(root, file, spec) {
  return repoPath(root, path.resolve(path.dirname(file), spec));
}

/**
 * Classifies a repository-relative path into { area, layer, rank, engine, independent }, or { unknown }
 * for a mover/src folder the layer table does not list, or undefined outside mover/ and operator/.
 */
export function classify(rel) {
  if (rel.startsWith('operator/')) return { area: 'operator', layer: 'operator', rank: 100 };
  if (!rel.startsWith('mover/')) return undefined;
  if (rel.startsWith(`mover/src/${CONTRACT}/`)) return { area: 'mover', layer: CONTRACT, rank: -2 };
  const eng = /^mover\/src\/engine\/(?:([^/]+)\/|([^/]+)$)/.exec(rel);
  if (eng) {
    const [, folder, rootFile] = eng;
    if (folder === ENGINE_BASE || ENGINE_ROOT_FILES.includes(rootFile)) {
      return { area: 'mover', layer: ENGINE_BASE, rank: -1, engine: true };
    }
    const entry = RANK_OF.get(folder);
    if (entry) return { area: 'mover', layer: folder, rank: entry.rank, engine: true, independent: entry.independent };
    return { area: 'mover', unknown: folder ? `mover/src/engine/${folder}/` : rel };
  }
  const top = /^mover\/src\/([^/]+)\//.exec(rel);
  if (top && MOVER_TOP.includes(top[1])) return { area: 'mover', layer: top[1], rank: TOP_RANK };
  if (top || /^mover\/src\/[^/]+$/.test(rel)) return { area: 'mover', unknown: top ? `mover/src/${top[1]}/` : rel };
  return { area: 'mover', layer: 'mover', rank: 101 }; // mover/ outside src: packaging, not a layer
}

/** The module specifier of an import-like node, when it is a constant string. */
export function importSource(node) {
  const src = node.type === 'TSImportType' ? (node.source ?? node.argument?.literal) : node.source;
  if (!src) return undefined;
  if (src.type === 'Literal' && typeof src.value === 'string') return src.value;
  if (src.type === 'TemplateLiteral' && src.expressions.length === 0) return src.quasis[0].value.cooked;
  return undefined;
}

/** Visitors calling check(node, specifier) for every import, re-export, dynamic import and import type. */
export function importVisitors(check) {
  const visit = (node) => {
    const spec = importSource(node);
    if (spec !== undefined) check(node, spec);
  };
  return {
    ImportDeclaration: visit,
    ExportNamedDeclaration: (node) => { if (node.source) visit(node); },
    ExportAllDeclaration: visit,
    ImportExpression: visit,
    TSImportType: visit,
  };
}

export const layerBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'imports must follow the layer order of ARCHITECTURE.md' },
    messages: {
      pipelineInternals: '{{from}} must not import {{to}}: pipelines use content/\'s public API (preparer, pack reader), never keys, compression or pack bytes (ARCHITECTURE.md)',
      upward: '{{from}} must not import {{to}}: layers import downward only (ARCHITECTURE.md)',
      sibling: '{{from}} must not import {{to}}: {{why}}',
      operator: 'operator code may import only mover/src/contract from the mover, not {{to}}',
      moverToOperator: 'mover code must not import operator code ({{to}}): the operator depends on the mover, not the reverse',
      package: '{{pkg}} may be imported only under {{owner}} (ARCHITECTURE.md)',
      unknownLayer: '{{where}} is not a layer of ARCHITECTURE.md: add it to tools/eslint/layer-boundaries.mjs with its rank',
    },
    schema: [],
  },
  create(context) {
    const root = context.cwd;
    const file = context.filename;
    const fromRel = repoPath(root, file);
    const isTest = /\.test\.ts$/.test(fromRel);
    const from = classify(fromRel);
    if (!from) return {};
    if (from.unknown) {
      return { Program(node) { context.report({ node, messageId: 'unknownLayer', data: { where: from.unknown } }); } };
    }
    function checkPackage(node, spec) {
      for (const p of PACKAGE_OWNERS) {
        if ((spec === p.prefix || spec.startsWith(p.prefix)) && !fromRel.startsWith(p.owner)) {
          context.report({ node, messageId: 'package', data: { pkg: spec, owner: p.owner } });
        }
      }
    }
    function check(node, spec) {
      if (!spec.startsWith('.')) { checkPackage(node, spec); return; }
      const target = classify(resolveImport(root, file, spec));
      if (!target || target.unknown) return; // the unknown folder's own files are reported
      if (from.area === 'operator') {
        if (target.area === 'mover' && target.layer !== CONTRACT) {
          context.report({ node, messageId: 'operator', data: { to: target.layer } });
        }
        return;
      }
      if (target.area === 'operator') {
        context.report({ node, messageId: 'moverToOperator', data: { to: spec } });
        return;
      }
      if (target.layer === from.layer) return;
      if (from.rank === PIPELINE_RANK && !isTest) {
        const targetRel = resolveImport(root, file, spec);
        const internal = PIPELINE_FORBIDDEN_LAYERS.includes(target.layer) ||
          (target.layer === 'content' && !PIPELINE_CONTENT_API.includes(targetRel.slice('mover/src/engine/content/'.length)));
        if (internal) {
          context.report({ node, messageId: 'pipelineInternals', data: { from: from.layer, to: targetRel.slice('mover/src/engine/'.length) } });
          return;
        }
      }
      if (target.rank > from.rank) {
        context.report({ node, messageId: 'upward', data: { from: from.layer, to: target.layer } });
      } else if (target.rank === from.rank && from.independent && !(isTest && from.rank === PIPELINE_RANK)) {
        // A pipeline's test may run a sibling pipeline (a backup test restores what it wrote to compare).
        context.report({ node, messageId: 'sibling', data: { from: from.layer, to: target.layer, why: from.independent } });
      }
    }
    return importVisitors(check);
  },
};
