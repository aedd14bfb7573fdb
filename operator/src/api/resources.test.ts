import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateApiTypes, loadCrds, OUTPUT_FILE, staleFiles } from '../../scripts/generate-api.ts';

describe('generated API types', () => {
  it('resources.ts matches what crds/ generates (run node operator/scripts/generate-api.ts)', () => {
    expect(readFileSync(OUTPUT_FILE, 'utf8')).toBe(generateApiTypes(loadCrds()));
  });

  it('keeps the chart CRDs and operator rules in sync with crds/ and config/rbac', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('makes defaulted fields required and others optional', () => {
    const text = generateApiTypes(loadCrds());
    expect(text).toMatch(/export interface SnapshotScheduleSpec \{[^}]*\n {2}timeZone: string;/);
    expect(text).toMatch(/export interface SnapshotScheduleSpec \{[^}]*\n {2}jitter\?: string;/);
    expect(text).toMatch(/concurrencyPolicy: "Forbid" \| "Replace";/);
  });
});
