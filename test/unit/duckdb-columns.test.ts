/**
 * The DuckDB column table (src/duckdb/columns.ts) against the provider's websocket.json: every
 * field each stream's schema names has a column, of a type that holds it (an integer may widen
 * to DOUBLE, a crypto volume is fractional), and every stream of every cluster has its table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_TABLES, SQL_TYPE, tableName, type TableSpec } from '../../src/duckdb/columns.js';
import { STREAMS } from '../../src/protocol/streams.js';
import { loadSpec, schemaOf, type JsonSchema } from '../helpers/schema.js';

type Prop = { type?: string; items?: { type?: string } };

function props(schema: JsonSchema): Record<string, Prop> {
  const out: Record<string, Prop> = {};
  for (const part of schema.allOf ?? []) Object.assign(out, props(part));
  Object.assign(out, schema.properties as Record<string, Prop> | undefined);
  return out;
}

const HOLDS: Record<string, readonly string[]> = {
  integer: ['BIGINT', 'DOUBLE'],
  number: ['DOUBLE'],
  string: ['VARCHAR'],
  boolean: ['BOOLEAN'],
  'array<integer>': ['INTEGER[]'],
  'array<array>': ['DOUBLE[][]'],
};

test('every stream of the stream table has a table, cluster-qualified', () => {
  for (const s of STREAMS) {
    assert.ok(ALL_TABLES.has(tableName(s.cluster, s.ev)), `${s.cluster} ${s.ev}`);
  }
  assert.notEqual(tableName('stocks', 'T'), tableName('futures/cme', 'T'));
});

test('each schema field has a column of a type that holds it, and no column names clash', () => {
  const { spec } = loadSpec();
  let checked = 0;
  for (const s of STREAMS) {
    if (!spec.paths[s.schemaPath]) continue; // futures: not in the vendored schema
    const table: TableSpec = ALL_TABLES.get(tableName(s.cluster, s.ev))!;
    const columns = new Map(table.columns.map(([field, kind]) => [field, SQL_TYPE[kind]]));
    for (const [field, prop] of Object.entries(props(schemaOf(spec, s.schemaPath)))) {
      if (field === 'ev') continue;
      const sql = columns.get(field);
      assert.ok(sql, `${s.schemaPath}: no column for ${field}`);
      const type = prop.type === 'array' ? `array<${prop.items?.type}>` : prop.type;
      if (type !== undefined) {
        assert.ok(HOLDS[type]?.includes(sql), `${s.schemaPath}.${field}: ${type} in ${sql}`);
      }
      checked++;
    }
    const names = ['seq', 'received', 'source', 'time', 'extra', ...table.columns.map((c) => c[2])];
    const lower = names.map((n) => n.toLowerCase());
    assert.equal(new Set(lower).size, lower.length, `${table.name}: column names clash`);
  }
  assert.ok(checked > 150, `checked ${checked} fields`);
});
