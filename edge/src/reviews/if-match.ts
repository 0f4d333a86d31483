/**
 * `If-Match` as RFC 9110 §13.1.1 defines it: `*`, or a comma-separated list of entity tags,
 * compared strongly, so a weak tag (`W/"3"`) never matches. Empty list elements are allowed
 * (§5.6.1.2); anything else that is not the grammar makes the header malformed.
 */

/** What an `If-Match` value asks for: any current representation, or one of these strong tags. */
export type IfMatch = { any: true } | { any: false; strong: string[] };

/** `[W/]"<etagc>*"` (§8.8.3: etagc is `!`, `#`-`~` and obs-text) between list separators. */
const ENTITY_TAG = /[ \t]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*/y;
const EMPTY_ELEMENT = /[ \t]*/y;

/** Parses an `If-Match` value; null when it is not the RFC's grammar. */
export function parseIfMatch(value: string): IfMatch | null {
  if (value.trim() === "*") return { any: true };
  const strong: string[] = [];
  let offset = 0;
  for (;;) {
    ENTITY_TAG.lastIndex = offset;
    const tag = ENTITY_TAG.exec(value);
    if (tag) {
      if (!tag[1]) strong.push(tag[2] as string);
      offset = ENTITY_TAG.lastIndex;
    } else {
      EMPTY_ELEMENT.lastIndex = offset;
      EMPTY_ELEMENT.exec(value);
      offset = EMPTY_ELEMENT.lastIndex;
    }
    if (offset === value.length) break;
    if (value[offset] !== ",") return null;
    offset += 1;
  }
  return { any: false, strong };
}

/** What a review request may apply to: its current version, whatever it is, or one of these. */
export type ReviewPrecondition = "any" | readonly number[];

/**
 * The review versions an `If-Match` names (a review's ETag is `"<version>"`), or null when the
 * header is malformed. Tags that are not a version are kept out: they can never match.
 */
export function reviewPrecondition(value: string): ReviewPrecondition | null {
  const parsed = parseIfMatch(value);
  if (parsed === null) return null;
  if (parsed.any) return "any";
  const versions = parsed.strong.filter((tag) => /^\d{1,9}$/.test(tag)).map(Number);
  return [...new Set(versions)];
}
