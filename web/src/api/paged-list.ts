import type { Page } from "./types";

/**
 * Items read per request. Big enough that most users see everything on one page, small enough
 * that the first paint stays quick; under the API's MAX_PAGE_SIZE (100), which it refuses above.
 */
export const PAGE_SIZE = 50;

export type PagedState<T> = {
  items: T[];
  /** `nextCursor` of the last page read; null once the end is reached (or before the first read). */
  nextCursor: string | null;
  /** Whether a first page has arrived, so an empty list can be told from one not read yet. */
  loaded: boolean;
  error: unknown;
};

/** A list endpoint with its filters: the path its pages are read from, and how one page is read. */
export type PagedSource<T> = { path: string; fetchPage: (url: string) => Promise<Page<T>> };

export const EMPTY: PagedState<never> = { items: [], nextCursor: null, loaded: false, error: null };

/** The URL of one page of `path` (which may carry its own filters). */
export function pageUrl(path: string, cursor: string | null): string {
  const [base = "", search = ""] = path.split("?", 2);
  const params = new URLSearchParams(search);
  params.set("limit", String(PAGE_SIZE));
  if (cursor) params.set("cursor", cursor);
  else params.delete("cursor");
  return `${base}?${params}`;
}

/** Reads pages from `cursor` on until at least `atLeast` items arrived or the list ends. */
export async function readPages<T>(
  fetchPage: (url: string) => Promise<Page<T>>,
  path: string,
  cursor: string | null,
  atLeast: number,
): Promise<Page<T>> {
  const items: T[] = [];
  let next = cursor;
  do {
    const page = await fetchPage(pageUrl(path, next));
    items.push(...page.items);
    next = page.nextCursor;
  } while (next && items.length < atLeast);
  return { items, nextCursor: next };
}

export type PagedListController<T> = {
  readonly state: PagedState<T>;
  /** Appends the next page. */
  loadMore(): Promise<void>;
  /** Reads the list again from the top, as many items as are shown (the first page at least). */
  reload(): Promise<void>;
  /** A local change (a live status, a new upload) applied to the shown items. */
  update(change: (items: T[]) => T[]): void;
  /** Stops publishing: the list's view is gone or now shows another path. */
  close(): void;
};

/**
 * The cursor logic, apart from the view. Reads run one after another, so a reload never
 * overwrites a page appended meanwhile (nor the reverse), and each starts from the state the
 * previous one left; reloads asked for while one is waiting are merged, since live events
 * can ask for many at once.
 */
export function createPagedList<T>(
  fetchPage: (url: string) => Promise<Page<T>>,
  path: string,
  publish: (state: PagedState<T>) => void,
): PagedListController<T> {
  let state: PagedState<T> = EMPTY;
  let closed = false;
  let queue: Promise<void> = Promise.resolve();
  let waitingReload: Promise<void> | null = null;

  const set = (next: PagedState<T>) => {
    state = next;
    if (!closed) publish(state);
  };
  const enqueue = (task: () => Promise<void>): Promise<void> => {
    queue = queue.then(() =>
      closed ? undefined : task().catch((error: unknown) => set({ ...state, error })),
    );
    return queue;
  };

  return {
    get state() {
      return state;
    },
    loadMore: () =>
      enqueue(async () => {
        if (state.loaded && !state.nextCursor) return;
        const page = await readPages(fetchPage, path, state.nextCursor, 1);
        set({
          items: [...state.items, ...page.items],
          nextCursor: page.nextCursor,
          loaded: true,
          error: null,
        });
      }),
    reload() {
      waitingReload ??= enqueue(async () => {
        // From here on a new reload request must read again: this one may have missed its change.
        waitingReload = null;
        const page = await readPages(fetchPage, path, null, Math.max(state.items.length, 1));
        set({ items: page.items, nextCursor: page.nextCursor, loaded: true, error: null });
      });
      return waitingReload;
    },
    update(change) {
      set({ ...state, items: change(state.items) });
    },
    close() {
      closed = true;
    },
  };
}
