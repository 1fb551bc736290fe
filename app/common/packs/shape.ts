/** The steps of a scenario, reduced to what an exercise view needs (where a predict's outcome is produced). */
import { parseScenario } from '../kernel/index.js';

export type ScenarioShape = Array<{ verb: string; snapshot?: string }>;

/** each step's verb and, for a snapshot, its label (throws the scenario's ScenarioError) */
export function scenarioShape(text: string): ScenarioShape {
  return parseScenario(text).steps.map((s) => (s.verb === 'snapshot' ? { verb: s.verb, snapshot: String((s as { snapshot?: unknown }).snapshot) } : { verb: s.verb }));
}
