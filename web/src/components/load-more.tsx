import type { PagedList } from "../api/use-paged-list";
import { ErrorMessage } from "./error-message";

/**
 * The end of a paged list: why it failed to read, if it did, and the button that appends the
 * next page, shown only while the API has one. `noun` names the list for screen readers, since a
 * page can hold two lists (reports and the jobs to report on).
 */
export function LoadMore({ list, noun }: { list: PagedList<unknown>; noun: string }) {
  return (
    <>
      <ErrorMessage error={list.error} />
      {list.hasMore && (
        <div class="button-row">
          <button type="button" onClick={() => list.loadMore()}>
            Load more<span class="visually-hidden"> {noun}</span>
          </button>
        </div>
      )}
    </>
  );
}
