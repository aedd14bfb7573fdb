// Runs inside pods (node from the Cairn image, passed with `node --input-type=module -e`) and on the host:
//   generate DIR FILES BIGMB   app data: FILES small files in nested dirs, one BIGMB MiB file, modes 0600/0640/
//                              0700/0755, symlinks (relative, absolute, dangling, to a dir), a hard link, fixed
//                              mtimes (with milliseconds)
//   mutate DIR                 changes about 1%: rewrites 20 small files, overwrites 1 MiB in the big file,
//                              adds 25 files, deletes 5
//   app DIR FILES BIGMB        the app: generates the data unless DIR already holds it, prints READY and
//                              keeps running until SIGTERM
//   manifest DIR               one line per entry, sorted: path type mode uid gid mtime(ms) size sha256|target;
//                              a directory it cannot read (lost+found) is listed but not entered
// No dependencies beyond Node, so the same file works in any image with node.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, symlinkSync, unlinkSync, utimesSync, writeFileSync, writeSync, closeSync, lutimesSync } from 'node:fs';
import { join } from 'node:path';
import { setInterval } from 'node:timers';

const [cmd, dir, ...rest] = process.argv.slice(process.argv[1]?.endsWith('.mjs') ? 2 : 1).filter((a) => a !== '--');
const BASE = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;

function seeded(seed) {
  let x = seed >>> 0 || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 4294967296);
}

function content(rand, size) {
  // Half text-like (compressible), half random: both paths of the engine run.
  if (rand() < 0.5) return Buffer.from('lorem ipsum dolor sit amet '.repeat(Math.ceil(size / 27) + 1).slice(0, size));
  return randomBytes(size);
}

function generate(root, files, bigMb) {
  const rand = seeded(42);
  const dirs = 30;
  for (let d = 0; d < dirs; d++) {
    const sub = join(root, `dir-${String(d).padStart(2, '0')}`, d % 3 === 0 ? 'nested/deeper' : '');
    mkdirSync(sub, { recursive: true });
  }
  for (let i = 0; i < files; i++) {
    const d = i % dirs;
    const sub = join(root, `dir-${String(d).padStart(2, '0')}`, d % 3 === 0 ? 'nested/deeper' : '');
    const p = join(sub, `file-${String(i).padStart(5, '0')}.dat`);
    writeFileSync(p, content(rand, Math.floor(rand() * 16384)));
    chmodSync(p, [0o600, 0o640, 0o644, 0o755][i % 4]);
    utimesSync(p, BASE + i, BASE + i + (i % 1000) / 1000);
  }
  const big = join(root, 'big.bin');
  const fd = openSync(big, 'w', 0o600);
  for (let mb = 0; mb < bigMb; mb++) writeSync(fd, content(rand, 1024 * 1024));
  closeSync(fd);
  utimesSync(big, BASE, BASE + 0.25);
  mkdirSync(join(root, 'private'), { mode: 0o700 });
  writeFileSync(join(root, 'private', 'secret.txt'), 'only the app may read this\n', { mode: 0o600 });
  symlinkSync('dir-00/file-00000.dat', join(root, 'link-relative'));
  symlinkSync('/etc/hostname', join(root, 'link-absolute'));
  symlinkSync('does/not/exist', join(root, 'link-dangling'));
  symlinkSync('dir-01', join(root, 'link-to-dir'));
  linkSync(join(root, 'dir-02', 'file-00002.dat'), join(root, 'hardlink.dat'));
  for (const l of ['link-relative', 'link-absolute', 'link-dangling', 'link-to-dir']) lutimesSync(join(root, l), BASE, BASE + 0.5);
  for (let d = 0; d < dirs; d++) chmodSync(join(root, `dir-${String(d).padStart(2, '0')}`), d % 5 === 0 ? 0o700 : 0o755);
  utimesSync(join(root, 'private'), BASE, BASE + 0.75);
}

function mutate(root) {
  const rand = seeded(7);
  let changed = 0;
  for (const d of readdirSync(root).filter((n) => n.startsWith('dir-')).sort()) {
    const sub = join(root, d);
    for (const f of readdirSync(sub).filter((n) => n.endsWith('.dat')).sort().slice(0, 1)) {
      if (changed < 20) {
        writeFileSync(join(sub, f), content(rand, 4096 + changed));
        changed++;
      }
    }
  }
  const fd = openSync(join(root, 'big.bin'), 'r+');
  writeSync(fd, randomBytes(1024 * 1024), 0, 1024 * 1024, 10 * 1024 * 1024);
  closeSync(fd);
  mkdirSync(join(root, 'added'), { recursive: true });
  for (let i = 0; i < 25; i++) writeFileSync(join(root, 'added', `new-${i}.txt`), content(rand, 2000));
  let removed = 0;
  for (const f of readdirSync(join(root, 'dir-04')).filter((n) => n.endsWith('.dat')).sort().slice(0, 5)) {
    unlinkSync(join(root, 'dir-04', f));
    removed++;
  }
  process.stdout.write(`changed ${changed} added 25 removed ${removed}\n`);
}

function manifest(root) {
  const lines = [];
  const walk = (rel) => {
    const abs = rel === '' ? root : join(root, rel);
    let names;
    try {
      names = readdirSync(abs).sort();
    } catch (e) {
      if (e.code === 'EACCES') return;
      throw e;
    }
    for (const name of names) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = join(root, r);
      const st = lstatSync(p);
      const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      // Symlink modes and directory mtimes are platform details kopia and Cairn do not promise.
      const mtime = type === 'f' ? String(Math.round(st.mtimeMs)) : '-';
      const extra = type === 'f' ? createHash('sha256').update(readFileSync(p)).digest('hex') : type === 'l' ? readlinkSync(p) : '';
      lines.push([r, type, type === 'l' ? '-' : mode, st.uid, st.gid, mtime, type === 'f' ? st.size : '-', extra].join(' '));
      if (type === 'd') walk(r);
    }
  };
  walk('');
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (cmd === 'app') {
  if (!readdirSync(dir).includes('big.bin')) generate(dir, Number(rest[0] ?? 3000), Number(rest[1] ?? 110));
  process.stdout.write('READY\n');
  process.on('SIGTERM', () => process.exit(0));
  setInterval(() => undefined, 1 << 30);
} else if (cmd === 'generate') generate(dir, Number(rest[0] ?? 3000), Number(rest[1] ?? 110));
else if (cmd === 'mutate') mutate(dir);
else if (cmd === 'manifest') manifest(dir);
else {
  process.stderr.write('usage: tree-tool.mjs generate DIR [FILES] [BIGMB] | mutate DIR | manifest DIR\n');
  process.exit(2);
}
