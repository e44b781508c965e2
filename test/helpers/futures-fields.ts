/** The provider's futures event field tables, to check events against (tests). */
import type { WireEvent } from '../../src/protocol/codec.js';

/** The provider's field tables (FUTURES-AND-HOSTS.md §1): name → JS type; `?` optional. */
export const FUTURES_FIELDS: Record<string, Record<string, string>> = {
  T: { ev: 'string', sym: 'string', p: 'number', s: 'int', t: 'int', q: 'int' },
  Q: {
    ev: 'string',
    sym: 'string',
    t: 'int',
    'bp?': 'number',
    'bs?': 'int',
    'bt?': 'int',
    'ap?': 'number',
    'as?': 'int',
    'at?': 'int',
  },
  A: {
    ev: 'string',
    sym: 'string',
    v: 'number',
    dv: 'number',
    o: 'number',
    h: 'number',
    l: 'number',
    c: 'number',
    n: 'number',
    s: 'int',
    e: 'int',
  },
};
FUTURES_FIELDS['AM'] = FUTURES_FIELDS['A']!;

/** Problems of an event against its field table (missing, extra or mistyped fields). */
export function fieldProblems(e: WireEvent): string[] {
  const table = FUTURES_FIELDS[e.ev];
  if (!table) return [`unknown ev ${e.ev}`];
  const out: string[] = [];
  const names = new Set<string>();
  for (const [spec, type] of Object.entries(table)) {
    const name = spec.replace('?', '');
    names.add(name);
    const v = e[name];
    if (v === undefined) {
      if (!spec.endsWith('?')) out.push(`${name} missing`);
      continue;
    }
    const ok = type === 'int' ? Number.isSafeInteger(v) : typeof v === type;
    if (!ok) out.push(`${name} is not ${type}: ${JSON.stringify(v)}`);
  }
  for (const k of Object.keys(e)) if (!names.has(k)) out.push(`extra field ${k}`);
  return out;
}
