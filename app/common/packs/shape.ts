/** The steps of a scenario, reduced to what an exercise view needs (where a predict's outcome is produced). */
import { parseScenario } from '../kernel/index.js';
import type { ParamValues } from './params.js';

export type ScenarioShape = Array<{ verb: string; snapshot?: string }>;

/** each step's verb and, for a snapshot, its label, in the variant these params draw (throws the scenario's ScenarioError) */
export function scenarioShape(text: string, file?: string, params?: ParamValues): ScenarioShape {
  return parseScenario(text, file, params ? { params } : undefined).steps.map((s) => (s.verb === 'snapshot' ? { verb: s.verb, snapshot: String((s as { snapshot?: unknown }).snapshot) } : { verb: s.verb }));
}
