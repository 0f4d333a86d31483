/** What identifies a film to an inspector: its file name, and the weld and part ids set at upload. */
export type FilmIds = {
  id: string;
  filename: string | null;
  weldId: string | null;
  partId: string | null;
};

/** The film's name, or the start of its id when it was uploaded without one. */
export const filmName = (image: FilmIds) => image.filename ?? `image ${image.id.slice(0, 8)}`;

/** "Weld W-17 · Part P-2231", or null when neither was given. */
export function filmIds(image: FilmIds): string | null {
  const ids = [image.weldId && `Weld ${image.weldId}`, image.partId && `Part ${image.partId}`].filter(
    Boolean,
  );
  return ids.length > 0 ? ids.join(" · ") : null;
}

/** One line naming a film in a picker or a list: name, ids. */
export const filmLabel = (image: FilmIds) => [filmName(image), filmIds(image)].filter(Boolean).join(" · ");

/** The film's name over its weld and part ids, for a table cell. */
export function FilmIdentity({ image }: { image: FilmIds }) {
  const ids = filmIds(image);
  return (
    <span class="film-cell">
      <span class="film-name">{filmName(image)}</span>
      {ids && <span class="hint"> {ids}</span>}
    </span>
  );
}

/**
 * A job as a picker lists it: the film first ("weld-0042.png · Weld W-17"), then when and by
 * which model, so five jobs started the same second are still told apart.
 */
export const jobPickerLabel = (job: { image: FilmIds; createdAt: string; model: { requested: string } }) =>
  `${filmLabel(job.image)} · ${new Date(job.createdAt).toLocaleString()} · ${job.model.requested}`;
