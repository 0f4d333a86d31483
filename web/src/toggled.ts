/** A copy of `set` with `item` removed if it was there, added if not: a checkbox's state change. */
export function toggled<T>(set: ReadonlySet<T>, item: T): Set<T> {
  const next = new Set(set);
  if (!next.delete(item)) next.add(item);
  return next;
}
