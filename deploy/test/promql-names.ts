/** PromQL words that look like series names but are operators or modifiers. */
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "bool",
  "inf",
  "nan",
]);

/**
 * The series names a PromQL expression reads. Strings, label matchers, grouping label lists,
 * range selectors and Grafana variables are removed first; what remains that is an identifier
 * not called as a function (nor a unit after a number, as in `offset 5m`) is a series name.
 */
export function seriesNames(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\$\{?\w+\}?/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.])[A-Za-z_:][\w:]*/g)) {
    const word = match[0];
    const next = stripped.slice((match.index ?? 0) + word.length).trimStart();
    if (next.startsWith("(") || KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}
