import { DEFAULT_CONF, DEFAULT_IOU } from "@common/contracts/detect-defaults";
import { useState } from "hono/jsx/dom";
import { listImages } from "../api/images";
import { createJobs } from "../api/jobs";
import { uploadImage } from "../api/upload";
import { usePagedList } from "../api/use-paged-list";
import { describeFailure, ErrorMessage } from "../components/error-message";
import { LoadMore } from "../components/load-more";
import { navigate } from "../router";
import { toggled } from "../toggled";

type Upload = {
  id: number;
  name: string;
  progress: number;
  state: "uploading" | "done" | "refused";
  message?: string;
};

/** How many uploads run at once: enough to fill the link, few enough to show steady progress. */
const PARALLEL_UPLOADS = 3;
let nextUploadId = 0;

export function ImagesPage() {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const images = usePagedList(listImages());
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const update = (id: number, change: Partial<Upload>) =>
    setUploads((list) => list.map((upload) => (upload.id === id ? { ...upload, ...change } : upload)));

  async function uploadAll(files: File[]) {
    const queue = files.map((file) => ({ file, id: nextUploadId++ }));
    setUploads((list) => [
      ...queue.map(({ file, id }) => ({ id, name: file.name, progress: 0, state: "uploading" as const })),
      ...list,
    ]);
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const { file, id } = item;
        try {
          const image = await uploadImage(file, (progress) => update(id, { progress }));
          update(id, { state: "done", progress: 1 });
          // The newest image goes on top, as the API's newest-first order would put it.
          images.update((list) => [image, ...list]);
          setSelected((set) => new Set(set).add(image.id));
        } catch (failure) {
          update(id, { state: "refused", message: describeFailure(failure) });
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_UPLOADS }, worker));
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    void uploadAll([...(event.dataTransfer?.files ?? [])]);
  }

  const toggle = (id: string) => setSelected((set) => toggled(set, id));

  async function startJobs(event: Event) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const model = String(form.get("model") ?? "").trim();
    setError(null);
    try {
      await createJobs({
        imageIds: [...selected],
        conf: Number(form.get("conf")),
        iou: Number(form.get("iou")),
        ...(model ? { model } : {}),
      });
      navigate("/jobs");
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <section>
      <h1>Images</h1>
      <section
        class={`drop-zone${dragging ? " dragging" : ""}`}
        data-testid="drop-zone"
        aria-label="Upload images"
        onDragOver={(event: DragEvent) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop radiographs or surface images here (JPEG, PNG, TIFF, WebP, DICONDE; 8 or 16 bit), or</p>
        <label htmlFor="file-input" class="button">
          Choose files
        </label>
        <input
          id="file-input"
          type="file"
          multiple
          accept="image/png,image/jpeg,image/tiff,image/webp,application/dicom,.dcm"
          class="visually-hidden"
          onChange={(event: Event) => {
            const input = event.target as HTMLInputElement;
            void uploadAll([...(input.files ?? [])]);
            input.value = "";
          }}
        />
      </section>
      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Uploads">
          {uploads.map((upload) => (
            <li data-upload-state={upload.state}>
              <span class="name">{upload.name}</span>
              <progress max={1} value={upload.progress} aria-label={`Upload of ${upload.name}`} />
              {upload.state === "done" && <span>uploaded</span>}
              {upload.state === "refused" && (
                <span class="error" role="alert">
                  Refused: {upload.message}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={startJobs} class="inline-form" aria-labelledby="start-heading">
        <h2 id="start-heading">Detect defects in the selected images</h2>
        <label htmlFor="model">Model</label>
        <input id="model" name="model" placeholder="default" maxLength={100} />
        <label htmlFor="conf">Confidence threshold</label>
        <input
          id="conf"
          name="conf"
          type="number"
          min={0}
          max={1}
          step={0.01}
          value={String(DEFAULT_CONF)}
          required
        />
        <label htmlFor="iou">Overlap (IoU) threshold</label>
        <input
          id="iou"
          name="iou"
          type="number"
          min={0}
          max={1}
          step={0.01}
          value={String(DEFAULT_IOU)}
          required
        />
        <button type="submit" disabled={selected.size === 0}>
          Start {selected.size} {selected.size === 1 ? "job" : "jobs"}
        </button>
      </form>
      <ErrorMessage error={error} />
      <table>
        <caption>Your images (newest first)</caption>
        <thead>
          <tr>
            <th scope="col">
              <span class="visually-hidden">Selected</span>
            </th>
            <th scope="col">File</th>
            <th scope="col">Format</th>
            <th scope="col">Size</th>
            <th scope="col">Uploaded</th>
          </tr>
        </thead>
        <tbody>
          {images.items.map((image) => (
            <tr data-image-id={image.id}>
              <td>
                <input
                  type="checkbox"
                  checked={selected.has(image.id)}
                  onChange={() => toggle(image.id)}
                  aria-label={`Select ${image.filename ?? image.id}`}
                />
              </td>
              <td>{image.filename ?? image.id}</td>
              <td>
                {image.format.toUpperCase()} {image.bitDepth}-bit
              </td>
              <td>
                {image.width} × {image.height}
              </td>
              <td>{new Date(image.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore list={images} noun="images" />
    </section>
  );
}
