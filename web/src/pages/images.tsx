import { DEFAULT_CONF, DEFAULT_IOU } from "@common/contracts/detect-defaults";
import { useState } from "hono/jsx/dom";
import { listImages } from "../api/images";
import { createJobs } from "../api/jobs";
import { type UploadFilmIds, uploadImage } from "../api/upload";
import { usePagedList } from "../api/use-paged-list";
import { describeFailure, ErrorMessage } from "../components/error-message";
import { FilmIdentity, filmLabel } from "../components/film-identity";
import { FilmThumbnail } from "../components/film-thumbnail";
import { LoadMore } from "../components/load-more";
import { UploadPixelSize } from "../components/upload-pixel-size";
import { BASE, linkHandler, navigate, useRoute } from "../router";
import { toggled } from "../toggled";

type Upload = {
  id: number;
  name: string;
  progress: number;
  /** `checking`: every byte is sent and the API is checking and storing the file. */
  state: "uploading" | "checking" | "done" | "refused";
  message?: string;
};

/** What an upload row says beside its bar. */
const UPLOAD_STATE_TEXT: Record<Upload["state"], string> = {
  uploading: "",
  checking: "checking…",
  done: "uploaded",
  refused: "",
};

/** How many uploads run at once: enough to fill the link, few enough to show steady progress. */
const PARALLEL_UPLOADS = 3;
let nextUploadId = 0;

function UploadList({ uploads }: { uploads: Upload[] }) {
  if (uploads.length === 0) return null;
  return (
    <ul class="uploads" aria-label="Uploads">
      {uploads.map((upload) => (
        <li data-upload-state={upload.state}>
          <span class="name">{upload.name}</span>
          {upload.state !== "refused" && (
            <progress max={1} value={upload.progress} aria-label={`Upload of ${upload.name}`} />
          )}
          {UPLOAD_STATE_TEXT[upload.state] && (
            <span data-testid="upload-state">{UPLOAD_STATE_TEXT[upload.state]}</span>
          )}
          {upload.state === "refused" && (
            <span class="error" role="alert">
              Refused: {upload.message}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** The weld and part the next dropped files show; kept with each of them. */
function FilmIdsFields({
  film,
  onFilm,
}: {
  film: UploadFilmIds;
  onFilm(change: (ids: UploadFilmIds) => UploadFilmIds): void;
}) {
  const field = (name: keyof UploadFilmIds) => (event: Event) => {
    const value = (event.target as HTMLInputElement).value.trim();
    onFilm((ids) => ({ ...ids, [name]: value || undefined }));
  };
  return (
    <div class="inline-form">
      <label htmlFor="upload-weld">Weld id</label>
      <input
        id="upload-weld"
        maxLength={100}
        placeholder="optional"
        value={film.weldId ?? ""}
        onInput={field("weldId")}
      />
      <label htmlFor="upload-part">Part id</label>
      <input
        id="upload-part"
        maxLength={100}
        placeholder="optional"
        value={film.partId ?? ""}
        onInput={field("partId")}
      />
    </div>
  );
}

/** Finds films by name, weld or part id (`GET /v1/images?q=`); the text lives in the URL. */
function ImageSearch({ text }: { text: string }) {
  return (
    <form
      class="inline-form"
      aria-label="Search images"
      onSubmit={(event: Event) => {
        event.preventDefault();
        const q = String(new FormData(event.target as HTMLFormElement).get("q") ?? "").trim();
        navigate(q ? `/images?${new URLSearchParams({ q })}` : "/images");
      }}
    >
      <label htmlFor="image-search">Film, weld or part</label>
      <input id="image-search" name="q" type="search" maxLength={100} value={text} />
      <button type="submit">Search</button>
    </form>
  );
}

export function ImagesPage() {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const { query } = useRoute();
  const images = usePagedList(listImages({ q: query.get("q")?.trim().slice(0, 100) || undefined }));
  const [film, setFilm] = useState<UploadFilmIds>({});
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [pixelSize, setPixelSize] = useState<number | undefined>(undefined);

  const update = (id: number, change: Partial<Upload>) =>
    setUploads((list) => list.map((upload) => (upload.id === id ? { ...upload, ...change } : upload)));

  async function uploadAll(files: File[]) {
    const queue = files.map((file) => ({ file, id: nextUploadId++ }));
    // The weld and part typed when the files were dropped go with every one of them.
    const ids = { ...film, pixelSizeMm: pixelSize };
    setUploads((list) => [
      ...queue.map(({ file, id }) => ({ id, name: file.name, progress: 0, state: "uploading" as const })),
      ...list,
    ]);
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const { file, id } = item;
        try {
          const image = await uploadImage(
            file,
            (progress) => update(id, { progress, state: progress >= 1 ? "checking" : "uploading" }),
            ids,
          );
          update(id, { state: "done", progress: 1 });
          // The newest image goes on top, as the API's newest-first order would put it.
          images.update((list) => [image, ...list]);
          setSelected((set) => new Set(set).add(image.id));
        } catch (failure) {
          // A refused file was not stored, however many of its bytes were sent: no full bar.
          update(id, { state: "refused", progress: 0, message: describeFailure(failure) });
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
        <FilmIdsFields film={film} onFilm={setFilm} />
        <UploadPixelSize onValue={setPixelSize} />
      </section>
      <UploadList uploads={uploads} />
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
      <ImageSearch text={query.get("q") ?? ""} />
      <table>
        <caption>Your images (newest first)</caption>
        <thead>
          <tr>
            <th scope="col">
              <span class="visually-hidden">Selected</span>
            </th>
            <th scope="col">Film</th>
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
              <td class="film-column">
                <a
                  href={`${BASE}/images/${image.id}`}
                  onClick={linkHandler(`/images/${image.id}`)}
                  aria-label={`Image page of ${filmLabel(image)}`}
                >
                  <FilmThumbnail image={image} alt="" />
                </a>
                <FilmIdentity image={image} />
              </td>
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
