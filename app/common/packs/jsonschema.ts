/**
 * The JSON Schema published for authors (exercises/schema/), generated from the zod schemas so
 * it can never drift from what memlab accepts. Editors that read `# yaml-language-server:
 * $schema=` comments then complete and check pack.yaml and front matter as authors type.
 */
import { z } from 'zod';
import { Exercise, PackManifest } from './schema.js';

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
  };
}

export function schemaFileText(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
