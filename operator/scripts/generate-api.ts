// Generates everything derived from the single sources of truth: operator/src/api/resources.ts from the
// CRDs in crds/, the chart's copies of those CRDs (charts/cairn/crds/) and the chart's operator rules
// (charts/cairn/files/operator-rules.yaml) from config/rbac/cluster-role.yaml, and the chart's alert rules
// (charts/cairn/files/prometheus-rules.yaml) from config/prometheus/rules.yaml.
//   node operator/scripts/generate-api.ts          rewrite the files
//   node operator/scripts/generate-api.ts --check  exit 1 when any file differs from its source
// Fields with a schema default are non-optional: the API server fills them in before anyone reads them.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

interface Schema {
  readonly type?: string;
  readonly description?: string;
  readonly properties?: Record<string, Schema>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  readonly enum?: readonly (string | number | boolean)[];
  readonly default?: unknown;
  readonly format?: string;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
}

interface Crd {
  readonly spec: {
    readonly group: string;
    readonly names: { readonly kind: string; readonly plural: string };
    readonly versions: readonly { readonly name: string; readonly schema: { readonly openAPIV3Schema: Schema } }[];
  };
}

/** Property names whose object type gets a fixed, shared name (or an import) instead of a path name. */
const SHARED_NAMES: Record<string, string> = { mover: 'MoverOverrides', activeRun: 'ScheduleRun', lastRun: 'ScheduleRun' };
const EXTERNAL: Record<string, string> = { conditions: 'Condition[]', metadata: 'ObjectMeta' };

const here = dirname(fileURLToPath(import.meta.url));
export const CRD_DIR = join(here, '..', '..', 'crds');
export const OUTPUT_FILE = join(here, '..', 'src', 'api', 'resources.ts');
const ROOT = join(here, '..', '..');

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

class Emitter {
  private readonly blocks: string[] = [];
  private readonly byShape = new Map<string, string>();
  private readonly names = new Set<string>();

  typeOf(schema: Schema, name: string, prop: string): string {
    if (EXTERNAL[prop] !== undefined) return EXTERNAL[prop];
    if (schema['x-kubernetes-int-or-string'] === true) return 'number | string';
    if (schema.enum !== undefined) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array': {
        const inner = this.typeOf(schema.items ?? {}, `${name}Item`, '');
        return inner.includes(' ') ? `(${inner})[]` : `${inner}[]`;
      }
      case 'object':
        if (schema.properties !== undefined) return this.object(schema, SHARED_NAMES[prop] ?? name);
        if (typeof schema.additionalProperties === 'object') {
          return `Record<string, ${this.typeOf(schema.additionalProperties, `${name}Value`, '')}>`;
        }
        return 'Record<string, unknown>';
      default:
        return 'unknown';
    }
  }

  object(schema: Schema, name: string): string {
    const shape = JSON.stringify(schema);
    const known = this.byShape.get(shape);
    if (known !== undefined) return known;
    if (this.names.has(name)) throw new Error(`two different schemas want the type name ${name}`);
    this.byShape.set(shape, name);
    this.names.add(name);
    const required = new Set(schema.required ?? []);
    const lines: string[] = [];
    if (schema.description !== undefined) lines.push(`/** ${schema.description} */`);
    lines.push(`export interface ${name} {`);
    for (const [prop, sub] of Object.entries(schema.properties ?? {})) {
      const type = this.typeOf(sub, name + pascal(prop), prop);
      const optional = !(required.has(prop) || sub.default !== undefined);
      if (sub.description !== undefined) lines.push(`  /** ${sub.description.replaceAll('*/', '* /')} */`);
      lines.push(`  ${prop}${optional ? '?' : ''}: ${type};`);
    }
    lines.push('}');
    this.blocks.push(lines.join('\n'));
    return name;
  }

  resource(crd: Crd): void {
    const { kind } = crd.spec.names;
    const version = crd.spec.versions[0]!;
    const root = version.schema.openAPIV3Schema;
    const props = root.properties ?? {};
    const spec = this.typeOf(props['spec'] ?? {}, `${kind}Spec`, 'spec');
    const status = props['status'] !== undefined ? this.typeOf(props['status'], `${kind}Status`, 'status') : undefined;
    const lines = [
      `/** ${root.description ?? kind} */`,
      `export interface ${kind} {`,
      `  apiVersion: '${crd.spec.group}/${version.name}';`,
      `  kind: '${kind}';`,
      '  metadata: ObjectMeta;',
      `  spec: ${spec};`,
      ...(status !== undefined ? [`  status?: ${status};`] : []),
      '}',
    ];
    this.blocks.push(lines.join('\n'));
  }

  text(): string {
    return this.blocks.join('\n\n');
  }
}

const isCrdFile = (f: string): boolean => f.startsWith('cairn.dev_') && f.endsWith('.yaml');

export function loadCrds(dir: string = CRD_DIR): Crd[] {
  return readdirSync(dir)
    .filter(isCrdFile)
    .sort()
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Crd);
}

export function generateApiTypes(crds: readonly Crd[]): string {
  const emitter = new Emitter();
  for (const crd of crds) emitter.resource(crd);
  return [
    '// GENERATED by operator/scripts/generate-api.ts from crds/*.yaml. Do not edit; change the CRD and rerun.',
    "import type { Condition, ObjectMeta } from './meta.ts';",
    '',
    emitter.text(),
    '',
  ].join('\n');
}

/** Every generated file (absolute path -> expected content). */
export function generatedFiles(): Map<string, string> {
  const out = new Map<string, string>([[OUTPUT_FILE, generateApiTypes(loadCrds())]]);
  for (const f of readdirSync(CRD_DIR).filter(isCrdFile)) {
    out.set(join(ROOT, 'charts', 'cairn', 'crds', f), readFileSync(join(CRD_DIR, f), 'utf8'));
  }
  const role = readFileSync(join(ROOT, 'config', 'rbac', 'cluster-role.yaml'), 'utf8');
  const rules = role.slice(role.indexOf('\nrules:\n') + '\nrules:\n'.length);
  out.set(join(ROOT, 'charts', 'cairn', 'files', 'operator-rules.yaml'), `# GENERATED from config/rbac/cluster-role.yaml by operator/scripts/generate-api.ts\n${rules}`);
  const alerts = readFileSync(join(ROOT, 'config', 'prometheus', 'rules.yaml'), 'utf8');
  const spec = alerts.slice(alerts.indexOf('\nspec:\n') + '\nspec:\n'.length);
  out.set(join(ROOT, 'charts', 'cairn', 'files', 'prometheus-rules.yaml'), `  # GENERATED from config/prometheus/rules.yaml by operator/scripts/generate-api.ts\n${spec}`);
  return out;
}

/** Paths whose content differs from what the sources generate. */
export function staleFiles(): string[] {
  const stale: string[] = [];
  for (const [path, text] of generatedFiles()) {
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== text) stale.push(path);
  }
  return stale;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length > 0) {
      process.stderr.write(`out of date with their sources (run node operator/scripts/generate-api.ts):\n  ${stale.join('\n  ')}\n`);
      process.exit(1);
    }
  } else {
    for (const [path, text] of generatedFiles()) writeFileSync(path, text);
  }
}
