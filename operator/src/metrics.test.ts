// Every alert rule only names metrics the operator exports (a renamed metric would silently never fire).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { OperatorMetrics } from './metrics.ts';

const RULES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'config', 'prometheus', 'rules.yaml');

describe('alert rules', () => {
  it('use only metrics the operator registers', async () => {
    const doc = parse(readFileSync(RULES, 'utf8')) as { spec: { groups: { rules: { alert: string; expr: string }[] }[] } };
    const rules = doc.spec.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['CairnSchedulePartial', 'CairnMaintenanceFailing', 'CairnMaintenanceStale', 'CairnRestoreFailed']));
    const registered = new Set((await new OperatorMetrics(false).registry.getMetricsAsJSON()).map((m) => m.name));
    for (const r of rules) {
      const used = r.expr.match(/\bcairn_[a-z_]+/g) ?? [];
      expect(used.length, r.alert).toBeGreaterThan(0);
      for (const name of used) expect(registered.has(name), `${r.alert} uses ${name}`).toBe(true);
    }
  });
});
