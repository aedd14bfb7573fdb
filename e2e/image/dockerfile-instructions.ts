// Just enough of a Dockerfile reader for image-agreement.test.ts: instructions with their continuation
// lines joined, grouped into stages, global ARG defaults substituted into FROM.
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { start: number; parts: string[] } | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) continue;
    const continues = trimmed.endsWith('\\');
    const part = continues ? trimmed.slice(0, -1).trim() : trimmed;
    pending ??= { start: i + 1, parts: [] };
    if (part !== '') pending.parts.push(part);
    if (continues) continue;
    const joined = pending.parts.join(' ');
    const m = /^(\S+)\s*(.*)$/.exec(joined);
    if (m !== null) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: pending.start });
    pending = undefined;
  }
  return out;
}

function substitute(value: string, vars: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ''] ?? whole);
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: { from: string; name?: string; instructions: Instruction[] }[] = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const m = /^(\w+)(?:=(.*))?$/.exec(ins.args);
      if (m !== null) globalArgs[m[1]!] = m[2] ?? '';
    } else if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (m === null) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ from: substitute(m[1]!, globalArgs), ...(m[2] !== undefined ? { name: m[2] } : {}), instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      stage.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** The arguments of an exec-form instruction (ENTRYPOINT ["a", "b"]). */
export function execForm(ins: Instruction): string[] {
  const value: unknown = JSON.parse(ins.args);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`line ${ins.line}: ${ins.keyword} is not in exec form`);
  return value;
}

/** KEY=value pairs of ENV instructions (unquoted or double-quoted values). */
export function envPairs(instructions: readonly Instruction[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ins of instructions.filter((i) => i.keyword === 'ENV')) {
    for (const m of ins.args.matchAll(/(\w+)=("([^"]*)"|\S+)/g)) out[m[1]!] = m[3] ?? m[2]!;
  }
  return out;
}
