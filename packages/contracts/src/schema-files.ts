/**
 * The JSON files partners read from `schemas/`: one data schema per event and version
 * (`<topic>.v<N>.json`, `$id` = its dataschema URN), the envelope and the AsyncAPI document.
 * `pnpm generate` writes them; a test fails when the committed files differ.
 */
import { ENVELOPE_SCHEMA_ID, JSON_SCHEMA_DIALECT, asyncApiDocument, plainSchema } from './asyncapi.js';
import { EVENT_CATALOG, eventDataSchemas } from './catalog.js';
import { EnvelopeSchema } from './envelope.js';
import { ALL_TOPICS } from './topics.js';

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** File name → file content of everything in `schemas/`. */
export function schemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const topic of ALL_TOPICS) {
    const definition = EVENT_CATALOG[topic];
    files[`${topic}.v${definition.version}.json`] = json({
      $schema: JSON_SCHEMA_DIALECT,
      $id: definition.dataschema,
      ...plainSchema(eventDataSchemas[topic]),
    });
  }
  files['envelope.json'] = json({ $schema: JSON_SCHEMA_DIALECT, $id: ENVELOPE_SCHEMA_ID, ...plainSchema(EnvelopeSchema) });
  files['asyncapi.json'] = json(asyncApiDocument());
  return files;
}
