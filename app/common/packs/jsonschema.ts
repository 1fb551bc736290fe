/**
 * The JSON Schema published for authors (exercises/schema/), generated from the zod schemas so
 * it can never drift from what memlab accepts. Editors that read `# yaml-language-server:
 * $schema=` comments then complete and check pack.yaml and front matter as authors type.
 */
import { z } from 'zod';
import { Exercise, PackManifest } from './schema.js';
import { CURRENT_VERBS, Machine, ProcessDecl, STEP_SCHEMAS } from '../kernel/scenario.js';

/** A scenario file as authors write it: every current verb's step (the deprecated spellings are left out so editors do not offer them). */
function scenarioSchema(): z.ZodType {
  const steps = CURRENT_VERBS.map((v) => STEP_SCHEMAS[v] as z.ZodType);
  return z
    .object({
      title: z.string().max(200).optional(),
      description: z.string().max(5000).optional(),
      params: z.record(z.string(), z.number()).optional().describe('parameters with their defaults, used as {{name}} or {{expr}} in values; an exercise drawing the same names replaces them per learner'),
      machine: Machine.optional(),
      processes: z.array(ProcessDecl).min(1),
      steps: z.array(z.union(steps as [z.ZodType, z.ZodType, ...z.ZodType[]])),
    })
    .strict();
}

const SCHEMA_BASE = 'https://memlab.invalid/schema/';

function publish(schema: z.ZodType, id: string, title: string): Record<string, unknown> {
  // io 'input': fields with defaults are optional for the author
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...js, $id: `${SCHEMA_BASE}${id}`, title };
}

/** file name → JSON Schema document */
export function packJsonSchemas(): Record<string, Record<string, unknown>> {
  return {
    'pack.schema.json': publish(PackManifest, 'pack.schema.json', 'memlab pack.yaml'),
    'exercise.schema.json': publish(Exercise, 'exercise.schema.json', 'memlab exercise front matter'),
    'scenario.schema.json': publish(scenarioSchema(), 'scenario.schema.json', 'memlab scenario (memlab sim, a pack\'s scenarios/*.yaml); see exercises/SCENARIOS.md'),
  };
}

export function schemaFileText(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
