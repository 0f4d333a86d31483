import { useEffect, useState } from "hono/jsx/dom";
import { type ApiFailure, isFailure } from "../api/client";
import { type ModelVersion, type Promotion, promoteModel, rollbackModel } from "../api/models";
import { describeFailure, ErrorMessage } from "./error-message";

const reasonOf = (event: Event) =>
  String(new FormData(event.target as HTMLFormElement).get("reason") ?? "").trim();

/**
 * Promotes a version to production. The API's gate refuses a version below production's
 * validation mAP@0.5; its message is shown, and only then may the user force the promotion, with
 * the reason the audit history keeps.
 */
export function PromoteForm({ version, onDone }: { version: ModelVersion; onDone(change: Promotion): void }) {
  const [refusal, setRefusal] = useState<ApiFailure | null>(null);
  const [force, setForce] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setRefusal(null);
    setForce(false);
    setError(null);
  }, [version.id]);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const change = await promoteModel(version.name, {
        version: version.version,
        reason: reasonOf(event),
        force: refusal !== null && force,
      });
      setRefusal(null);
      setForce(false);
      (event.target as HTMLFormElement).reset();
      onDone(change);
    } catch (failure) {
      if (isFailure(failure, "promotion_gate")) setRefusal(failure);
      else setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby="promote-heading" data-testid="promote-form">
      <h3 id="promote-heading">Promote {version.ref} to production</h3>
      <label htmlFor="promote-reason">Reason (kept in the history)</label>
      <textarea id="promote-reason" name="reason" rows={2} maxLength={500} required />
      {refusal && (
        <div class="gate-refusal">
          <p class="error" role="alert" data-testid="gate-refusal">
            {describeFailure(refusal)}
          </p>
          <label class="check">
            <input type="checkbox" checked={force} onChange={() => setForce((on) => !on)} />
            Force the promotion past the gate
          </label>
        </div>
      )}
      <ErrorMessage error={error} />
      <div class="button-row">
        <button type="submit" disabled={busy || (refusal !== null && !force)}>
          {refusal && force ? `Force promotion of ${version.ref}` : `Promote ${version.ref}`}
        </button>
      </div>
    </form>
  );
}

/** Returns production to the version before the current one, with a reason. */
export function RollbackForm({
  name,
  production,
  onDone,
}: {
  name: string;
  production: number;
  onDone(change: Promotion): void;
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const change = await rollbackModel(name, { reason: reasonOf(event) });
      (event.target as HTMLFormElement).reset();
      onDone(change);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby="rollback-heading" data-testid="rollback-form">
      <h3 id="rollback-heading">
        Roll back {name}@{production}
      </h3>
      <label htmlFor="rollback-reason">Reason for the rollback</label>
      <textarea id="rollback-reason" name="reason" rows={2} maxLength={500} required />
      <ErrorMessage error={error} />
      <div class="button-row">
        <button type="submit" disabled={busy}>
          Roll back production
        </button>
      </div>
    </form>
  );
}
