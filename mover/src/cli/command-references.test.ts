// Issue 8, item 8: hints and messages name commands that exist. Every `cairn …` reference in the shipped
// sources (hints, messages, help) and in the README must start with a command of the command table (or be
// `cairn --help`), and no text may send the user to a command that only sounds like one.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands/index.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NAMES = new Set(COMMANDS.map((c) => c.name));
/** Phrases that read like a command but are none (the old hints said them). */
const PSEUDO_COMMANDS = /run a repository verify|\brepository verify\b|`cairn verify\b/;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts') && !/\.(test|itest)\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

/** `cairn <words…>` inside backticks, up to the first flag, argument placeholder or closing backtick. */
export function commandReferences(text: string): string[] {
  const refs: string[] = [];
  for (const m of text.matchAll(/`(?:npx )?cairn((?: [a-z][a-z-]*)*)/g)) refs.push(m[1]!.trim());
  return refs;
}

describe('command references', () => {
  it('finds references the way the check below reads them', () => {
    expect(commandReferences('run `cairn snapshot verify --read-data-percent 100` or `cairn --help`')).toEqual(['snapshot verify', '']);
  });

  it('every `cairn …` in the shipped sources and the README names a real command', async () => {
    const files = [...(await sources(join(ROOT, 'mover', 'src'))), join(ROOT, 'README.md')];
    const bad: string[] = [];
    let checked = 0;
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      if (PSEUDO_COMMANDS.test(text)) bad.push(`${f}: ${PSEUDO_COMMANDS.exec(text)![0]}`);
      for (const ref of commandReferences(text)) {
        checked++;
        if (ref === '') continue; // `cairn --help`
        const words = ref.split(' ');
        if (!NAMES.has(words.slice(0, 2).join(' '))) bad.push(`${f}: \`cairn ${ref}\``);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(bad).toEqual([]);
  });
});
