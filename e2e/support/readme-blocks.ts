// The README's command blocks as tests run them: the first ```sh block after an anchor (a heading or a
// marker comment), one command per line, without blank lines and comments.
export function shellBlockAfter(readme: string, anchor: RegExp): string[] {
  const at = readme.search(anchor);
  if (at < 0) throw new Error(`README.md has nothing matching ${anchor}`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (block === null) throw new Error(`README.md has no \`\`\`sh block after ${anchor}`);
  return block[1]!.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
