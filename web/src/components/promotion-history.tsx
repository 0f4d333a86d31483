import type { Promotion } from "../api/models";
import type { PagedList } from "../api/use-paged-list";
import { LoadMore } from "./load-more";
import { TableHead } from "./table-head";

const versionText = (version: number | null) => (version === null ? "none" : `v${version}`);

/** The production alias's changes, newest first: who changed it from what to what, and why. */
export function PromotionHistory({ history }: { history: PagedList<Promotion> }) {
  return (
    <>
      <table aria-live="polite" data-testid="promotion-history">
        <caption>Promotion history (newest first)</caption>
        <TableHead columns={["When", "Change", "From", "To", "Reason"]} />
        <tbody>
          {history.items.map((change) => (
            <tr data-action={change.action} data-forced={String(change.forced)}>
              <td>{new Date(change.createdAt).toLocaleString()}</td>
              <td>
                {change.action}
                {change.forced && <strong> (forced)</strong>}
              </td>
              <td>{versionText(change.fromVersion)}</td>
              <td>{versionText(change.toVersion)}</td>
              <td>{change.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore list={history} noun="history entries" />
      {history.loaded && history.items.length === 0 && <p>Never promoted.</p>}
    </>
  );
}
