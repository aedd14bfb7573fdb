// The version `cairn --version` prints: package.json's, which the image ships beside the sources
// (Dockerfile copies it to /app), so a mover pod reports the build it runs.
import { readFile } from 'node:fs/promises';

export async function cairnVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown'; // a copy without its package.json still says what Node it runs on
  }
}
