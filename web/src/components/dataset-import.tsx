import { useState } from "hono/jsx/dom";
import { importDataset } from "../api/dataset-import";
import type { Dataset, ImportQuery } from "../api/datasets";
import { ErrorMessage } from "./error-message";
import { ValidationShareField, validationShare } from "./validation-share";

type Progress = { fraction: number; state: "uploading" | "checking" };

/**
 * Imports a YOLO or COCO zip as a dataset version, with upload progress; the edge checks the
 * archive once it has all of it, and a refusal shows the API's message (nothing was kept).
 */
export function DatasetImport({ onCreated }: { onCreated(dataset: Dataset): void }) {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: Event) {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    const archive = form.get("archive");
    if (!(archive instanceof File) || archive.size === 0) return;
    const format = String(form.get("format") ?? "");
    const seed = String(form.get("seed") ?? "").trim();
    setError(null);
    setProgress({ fraction: 0, state: "uploading" });
    try {
      const dataset = await importDataset(
        archive,
        {
          name: String(form.get("name") ?? "").trim(),
          ...(format ? { format: format as NonNullable<ImportQuery["format"]> } : {}),
          ...(seed ? { seed } : {}),
          ...validationShare(form),
        },
        (fraction) => setProgress({ fraction, state: fraction < 1 ? "uploading" : "checking" }),
      );
      formElement.reset();
      onCreated(dataset);
    } catch (failure) {
      setError(failure);
    } finally {
      setProgress(null);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby="import-heading" data-testid="dataset-import">
      <h2 id="import-heading">Import a YOLO or COCO archive</h2>
      <div class="inline-form">
        <label htmlFor="import-name">Dataset name</label>
        <input id="import-name" name="name" required maxLength={100} />
        <label htmlFor="import-format">Layout</label>
        <select id="import-format" name="format">
          <option value="">found from the files</option>
          <option value="yolo">YOLO</option>
          <option value="coco">COCO</option>
        </select>
        <ValidationShareField id="import-val" />
        <label htmlFor="import-seed">Split seed</label>
        <input id="import-seed" name="seed" maxLength={64} placeholder="random" />
        <label htmlFor="import-archive">Zip archive</label>
        <input id="import-archive" name="archive" type="file" accept=".zip,application/zip" required />
        <button type="submit" disabled={progress !== null}>
          Import
        </button>
      </div>
      {progress && (
        <p role="status">
          <label htmlFor="import-progress" class="check">
            {progress.state === "uploading" ? "Uploading the archive" : "Checking the archive"}
          </label>
          <progress id="import-progress" max={1} value={progress.fraction} />
        </p>
      )}
      <ErrorMessage error={error} />
    </form>
  );
}
