/** The text a relay's clients get in their `gap` status (and the CLI prints) after an upstream gap. */
import { filledEvents, type Gap } from '../client/delivery/lifecycle.js';

/** What an upstream gap means for clients: its window, and what was filled from history. */
export function gapMessage(gap: Gap): string {
  const when = `the upstream connection was down from ${new Date(gap.lostAt).toISOString()} to ${new Date(gap.to).toISOString()} (data last heard ${new Date(gap.from).toISOString()})`;
  if (gap.filled === undefined) return `${when}; events in between were not received`;
  const complete = Object.keys(gap.filled).length;
  const partial = Object.entries(gap.partial ?? {});
  let text = `${when}; filled from REST history: ${filledEvents(gap)} events; complete on ${complete} topics`;
  const list = (entries: [string, string][]): string => {
    const named = entries.slice(0, 5).map(([topic, code]) => `${topic} (${code})`);
    return named.join(', ') + (entries.length > 5 ? ` and ${entries.length - 5} more` : '');
  };
  if (partial.length > 0) {
    text += `; partial (ranges may lack events): ${list(partial.map(([t, p]) => [t, p.missing.map((m) => m.code).join('+')]))}`;
  }
  const unfilled = Object.entries(gap.unfilled ?? {});
  if (unfilled.length > 0) text += `; not filled: ${list(unfilled.map(([t, u]) => [t, u.code]))}`;
  return text;
}
