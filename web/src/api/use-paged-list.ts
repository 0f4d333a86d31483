import { useEffect, useMemo, useState } from "hono/jsx/dom";
import { createPagedList, EMPTY, type PagedSource, type PagedState } from "./paged-list";

export type PagedList<T> = PagedState<T> & {
  hasMore: boolean;
  loadMore(): void;
  reload(): void;
  update(change: (items: T[]) => T[]): void;
};

/**
 * One cursor-paginated API list (`{items, nextCursor}`, newest first) for a page: reads the first
 * page of `source`, then more on `loadMore()`. Another path (another filter) starts over.
 */
export function usePagedList<T>(source: PagedSource<T>): PagedList<T> {
  // The controller holds the list; this state only makes its changes render.
  const [, setState] = useState<PagedState<T>>(EMPTY);
  const controller = useMemo(
    () => createPagedList<T>(source.fetchPage, source.path, setState),
    [source.path],
  );
  // Read from the controller, so another path shows nothing of the previous one's items.
  const state = controller.state;
  useEffect(() => {
    void controller.reload();
    return () => controller.close();
  }, [controller]);
  return {
    ...state,
    hasMore: state.nextCursor !== null,
    loadMore: () => void controller.loadMore(),
    reload: () => void controller.reload(),
    update: (change) => controller.update(change),
  };
}
