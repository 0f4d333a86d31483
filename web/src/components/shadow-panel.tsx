import { useEffect, useState } from "hono/jsx/dom";
import { isFailure } from "../api/client";
import { getShadow, type ModelVersion, type Shadow, startShadow, stopShadow } from "../api/models";
import { ErrorMessage } from "./error-message";
import { TableHead } from "./table-head";

/** How often a running shadow's agreement is read again. */
const POLL_MS = 3000;
/** The API takes at most half of the jobs (`share` ≤ 0.5). */
const MAX_PERCENT = 50;

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

/** The model's latest shadow (null when it was never shadowed), read again while it runs. */
function useShadow(name: string) {
  const [shadow, setShadow] = useState<Shadow | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reads, setReads] = useState(0);
  useEffect(() => {
    let current = true;
    getShadow(name).then(
      (found) => {
        if (!current) return;
        setShadow(found);
        setError(null);
      },
      (failure) => {
        if (!current) return;
        if (isFailure(failure, "not_found")) setShadow(null);
        else setError(failure);
      },
    );
    return () => {
      current = false;
    };
  }, [name, reads]);
  const active = shadow?.active === true;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setReads((count) => count + 1), POLL_MS);
    return () => clearInterval(timer);
  }, [active, name]);
  return { shadow, setShadow, error };
}

/** The shadow's state and its agreement with production, per class and over all classes. */
function ShadowReport({ shadow }: { shadow: Shadow }) {
  const { jobs, agreement } = shadow;
  return (
    <>
      <p data-testid="shadow-status" data-active={String(shadow.active)} role="status">
        {shadow.active
          ? `${shadow.ref} shadows ${percent(shadow.share)} of new jobs since ${new Date(shadow.startedAt).toLocaleString()}.`
          : `${shadow.ref} shadowed ${percent(shadow.share)} of new jobs; stopped ${new Date(shadow.stoppedAt ?? shadow.startedAt).toLocaleString()}.`}
        {` Jobs picked: ${jobs.picked} (${jobs.succeeded} compared, ${jobs.pending} pending, ${jobs.failed} failed).`}
      </p>
      <table class="compact" data-testid="shadow-agreement" aria-live="polite">
        <caption>Agreement of {shadow.ref} with production, per class</caption>
        <TableHead columns={["Class", "Matched", "Extra", "Missing", "Agreement"]} />
        <tbody>
          {shadow.perClass.map((row) => (
            <tr data-class={row.label}>
              <th scope="row">{row.label}</th>
              <td>{row.matched}</td>
              <td>{row.extra}</td>
              <td>{row.missing}</td>
              <td>{percent(row.agreement)}</td>
            </tr>
          ))}
          <tr data-total="true">
            <th scope="row">All classes</th>
            <td>{agreement.matched}</td>
            <td>{agreement.extra}</td>
            <td>{agreement.missing}</td>
            <td>{percent(agreement.agreement)}</td>
          </tr>
        </tbody>
      </table>
    </>
  );
}

/** Starts a shadow of `version` on a share of the name's jobs, checked against the API's bounds first. */
function StartShadowForm({ version, onStarted }: { version: ModelVersion; onStarted(shadow: Shadow): void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const share = Number(new FormData(form).get("share") || Number.NaN);
    if (!(share > 0 && share <= MAX_PERCENT)) {
      setError(new Error(`The share must be above 0 % and at most ${MAX_PERCENT} % of the jobs.`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const started = await startShadow(version.name, { version: version.version, share: share / 100 });
      form.reset();
      onStarted(started);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="shadow-start-heading" data-testid="shadow-form">
      <h3 id="shadow-start-heading">Shadow {version.ref}</h3>
      <label htmlFor="shadow-share">Share of new jobs (%)</label>
      <input
        id="shadow-share"
        name="share"
        type="number"
        min={0}
        max={MAX_PERCENT}
        step="any"
        placeholder="10"
        aria-describedby="shadow-share-hint"
        required
      />
      <p id="shadow-share-hint" class="hint">
        Above 0 and at most {MAX_PERCENT} %. Starting a shadow stops the one running.
      </p>
      <ErrorMessage error={error} />
      <div class="button-row">
        <button type="submit" disabled={busy}>
          Start shadow of {version.ref}
        </button>
      </div>
    </form>
  );
}

/**
 * The name's shadow run: a candidate version also runs on a share of its jobs, its detections
 * kept apart and compared with production's: boxes both found (matched), only the candidate
 * (extra), only production (missing). Started for the selected version; stopped here.
 */
export function ShadowPanel({ name, version }: { name: string; version: ModelVersion | null }) {
  const { shadow, setShadow, error } = useShadow(name);
  const [stopError, setStopError] = useState<unknown>(null);
  const [stopping, setStopping] = useState(false);

  async function stop() {
    setStopping(true);
    setStopError(null);
    try {
      setShadow(await stopShadow(name));
    } catch (failure) {
      setStopError(failure);
    } finally {
      setStopping(false);
    }
  }

  return (
    <section aria-labelledby="shadow-heading" data-testid="shadow">
      <h2 id="shadow-heading">Shadow run</h2>
      <ErrorMessage error={error} />
      {shadow ? <ShadowReport shadow={shadow} /> : <p>{name} was never shadowed.</p>}
      <ErrorMessage error={stopError} />
      {shadow?.active && (
        <div class="button-row">
          <button type="button" onClick={stop} disabled={stopping}>
            Stop the shadow of {shadow.ref}
          </button>
        </div>
      )}
      {version && !version.production && (
        <StartShadowForm
          version={version}
          onStarted={(started) => {
            setStopError(null);
            setShadow(started);
          }}
        />
      )}
    </section>
  );
}
