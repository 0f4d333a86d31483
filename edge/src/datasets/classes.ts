/**
 * A version's class list: the parent's names in their order, then the new names. A box's class
 * is its index here, so a name keeps its index in every later version of a lineage.
 */
export class ClassList {
  readonly names: string[];
  readonly #index = new Map<string, number>();

  constructor(names: readonly string[] = []) {
    this.names = [];
    for (const name of names) this.add(name);
  }

  /** The name's index, adding it at the end when new. */
  add(name: string): number {
    const known = this.#index.get(name);
    if (known !== undefined) return known;
    this.names.push(name);
    this.#index.set(name, this.names.length - 1);
    return this.names.length - 1;
  }
}

/**
 * New names in a stable order: by the smallest model class id they were seen with (so a model's
 * own order survives), then by name.
 */
export function orderNewNames(seen: Array<{ classId: number; label: string }>): string[] {
  const lowest = new Map<string, number>();
  for (const { classId, label } of seen) lowest.set(label, Math.min(lowest.get(label) ?? classId, classId));
  return [...lowest.entries()]
    .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0))
    .map(([name]) => name);
}
