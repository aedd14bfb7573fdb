import { describe, expect, it } from 'vitest';
import { formatSourceInfo, parseSourceInfo, validateSnapshotSource } from './source-info.ts';

const opts = { hostname: 'node1', username: 'root', cwd: '/home/x' };

describe('source identity', () => {
  it('parses user@host:path as kopia does', () => {
    expect(parseSourceInfo('ns@cluster:/pvc/data', opts)).toEqual({ userName: 'ns', host: 'cluster', path: '/pvc/data' });
    expect(parseSourceInfo('u@h:c:\\x', opts)).toEqual({ userName: 'u', host: 'h', path: 'c:\\x' });
    expect(parseSourceInfo('u@h', opts)).toEqual({ userName: 'u', host: 'h', path: '' });
    expect(parseSourceInfo('@h', opts)).toEqual({ userName: '', host: 'h', path: '' });
    expect(parseSourceInfo('(global)', opts)).toEqual({ userName: '', host: '', path: '' });
  });

  it('treats anything else as a local path', () => {
    expect(parseSourceInfo('data/../dir', opts)).toEqual({ userName: 'root', host: 'node1', path: '/home/x/dir' });
    expect(parseSourceInfo('/abs/', opts)).toEqual({ userName: 'root', host: 'node1', path: '/abs' });
  });

  it('formats as kopia prints it', () => {
    expect(formatSourceInfo({ userName: 'u', host: 'h', path: '/p' })).toBe('u@h:/p');
    expect(formatSourceInfo({ userName: 'u', host: 'h', path: '' })).toBe('u@h');
    expect(formatSourceInfo({ userName: '', host: '', path: '' })).toBe('(global)');
  });

  it('names the flag in validation errors', () => {
    expect(() => parseSourceInfo('u@', { ...opts, flag: '--source' })).toThrow(/--source "u@"/);
    expect(() => parseSourceInfo('', opts)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => validateSnapshotSource({ userName: 'u', host: 'h', path: '' }, '--source')).toThrow(/--source "u@h": has no path/);
    expect(() => validateSnapshotSource({ userName: '', host: 'h', path: '/p' })).toThrow(/no user name/);
  });
});
