import { describe, expect, it } from 'vitest';
import { selectorString } from '../controllers/snapshot-schedule/label-selector.ts';
import { childName, labelValue } from './names.ts';

describe('names', () => {
  it('joins short parts verbatim and keeps long names unique and valid', () => {
    expect(childName(['web', 'data', 's1a2b'])).toBe('web-data-s1a2b');
    const long = 'a'.repeat(70);
    const a = childName([long, 'data-0', 'run1']);
    const b = childName([long, 'data-1', 'run1']);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(childName([long, 'data-0', 'run1'])).toBe(a);
    expect(childName(['Upper_Case', 'x'])).toBe('upper-case-x');
  });

  it('makes label values of at most 63 characters', () => {
    expect(labelValue('schedule-1')).toBe('schedule-1');
    const v = labelValue(`${'x'.repeat(100)}`);
    expect(v.length).toBeLessThanOrEqual(63);
    expect(v).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
  });

  it('renders label selectors', () => {
    expect(
      selectorString({
        matchLabels: { backup: 'nightly' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['db', 'cache'] },
          { key: 'skip', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('backup=nightly,tier in (db,cache),!skip');
  });
});
