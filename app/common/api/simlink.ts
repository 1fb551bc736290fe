/**
 * The full-size simulator's address: #/simulator/<scenario>/<step>[/<highlights>][/with:<params>].
 * An exercise's or a guided lab's "open it full size" link carries the learner's drawn parameters
 * (`with:`), so the full-size simulator runs the same variant as the one beside the question: with
 * the scenario's defaults instead, its numbers would not be the ones the question asks about.
 */
import type { Highlight } from './highlight.js';
import { parseHighlights } from './highlight.js';
import { ScenarioParams } from './sim.js';

const WITH = 'with:';

export function simulatorHref(scenarioId: string, step: number, highlights: readonly Highlight[] = [], params?: ScenarioParams): string {
  const parts = [scenarioId, String(step)];
  if (highlights.length) parts.push(JSON.stringify(highlights));
  if (params && Object.keys(params).length) parts.push(WITH + JSON.stringify(params));
  return '#/simulator/' + parts.map(encodeURIComponent).join('/');
}

/** What a #/simulator/… address asks for (its segments after the section, decoded); untrusted text: what is not valid is dropped. */
export function parseSimulatorRoute(rest: readonly string[]): { scenarioId?: string; step?: string; highlights: Highlight[]; params?: ScenarioParams } {
  const [scenarioId, step, ...more] = rest;
  const marks = more.find((s) => !s.startsWith(WITH));
  const withSeg = more.find((s) => s.startsWith(WITH));
  let params: ScenarioParams | undefined;
  if (withSeg) {
    try {
      const parsed = ScenarioParams.safeParse(JSON.parse(withSeg.slice(WITH.length)));
      if (parsed.success && Object.keys(parsed.data).length) params = parsed.data;
    } catch {
      // not JSON: the scenario's own defaults
    }
  }
  return { scenarioId, step, highlights: marks ? parseHighlights(marks) : [], ...(params ? { params } : {}) };
}
