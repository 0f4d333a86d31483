import { images } from "@db/schema";
import { ilike, or, type SQL } from "drizzle-orm";

/** `%`, `_` and `\` typed in a search box match themselves, not any text. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

/**
 * Films whose file name, weld id or part id contains `text`, ignoring case: how an inspector
 * finds "W-17" or "weld-0042" again. A substring scan of the owner's rows (the lists are keyed by
 * owner first), which needs no trigram index at the sizes one owner's worklist reaches.
 */
export function filmMatching(text: string): SQL {
  const pattern = likePattern(text);
  return or(
    ilike(images.filename, pattern),
    ilike(images.weldId, pattern),
    ilike(images.partId, pattern),
  ) as SQL;
}
