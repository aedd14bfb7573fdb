// The e2e scenarios share one cluster and build on each other's state in a documented order (01-install
// first), so they run in file-name order; every other project keeps vitest's default order.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export class ScenarioSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const scenarios = files.filter((f) => f.project.name === 'e2e').sort((a, b) => a.moduleId.localeCompare(b.moduleId));
    const rest = await super.sort(files.filter((f) => f.project.name !== 'e2e'));
    return [...rest, ...scenarios];
  }
}
