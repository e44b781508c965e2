/**
 * websocket.json (the provider's description of the stream's events, vendored in test/fixtures)
 * as an ajv validator per stream path, for the tests that check events against it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';

const SPEC_PATH = fileURLToPath(new URL('../fixtures/websocket.json', import.meta.url));
const SPEC_ID = 'websocket.json';

export interface JsonSchema {
  properties?: Record<string, unknown>;
  allOf?: JsonSchema[];
}

export type Spec = {
  paths: Record<
    string,
    { get: { responses: { '200': { content: { 'application/json': { schema: JsonSchema } } } } } }
  >;
};

export function loadSpec(): { spec: Spec; ajv: Ajv } {
  const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Spec;
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const f of ['double', 'float', 'int64', 'int32']) ajv.addFormat(f, () => true);
  // The whole document as one schema, so that `$ref: #/components/schemas/...` resolve if present.
  ajv.addSchema({ ...spec, $id: SPEC_ID });
  return { spec, ajv };
}

export function schemaOf(spec: Spec, path: string): JsonSchema {
  const entry = spec.paths[path];
  assert.ok(entry, `websocket.json has no path ${path}`);
  return entry.get.responses['200'].content['application/json'].schema;
}

/** JSON pointer to a path's event schema inside the document. */
function pointerOf(path: string): string {
  const esc = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return `${SPEC_ID}#/paths/${esc(path)}/get/responses/200/content/${esc('application/json')}/schema`;
}

/** The validator of a stream path's events (`/stocks/T`). */
export function validatorOf(ajv: Ajv, path: string): ValidateFunction {
  const v = ajv.getSchema(pointerOf(path));
  assert.ok(v, `no schema for ${path}`);
  return v;
}

/** Every property a schema names, through `allOf`. */
export function propertiesOf(schema: JsonSchema): Set<string> {
  const out = new Set(Object.keys(schema.properties ?? {}));
  for (const part of schema.allOf ?? []) for (const p of propertiesOf(part)) out.add(p);
  return out;
}
