/**
 * The pixel size (mm per pixel, square pixels) kept with the next uploaded files, for films whose
 * header does not give one. A DICONDE file's own Pixel Spacing wins over it; the viewer can state
 * or measure one later. Not bound to a value: a half-typed "0." must stay as typed.
 */
export function UploadPixelSize({ onValue }: { onValue(value: number | undefined): void }) {
  return (
    <div class="inline-form">
      <label htmlFor="upload-pixel-size">Pixel size (mm)</label>
      <input
        id="upload-pixel-size"
        type="number"
        min="0"
        max="100"
        step="any"
        placeholder="from the file, or unknown"
        onInput={(event: Event) => {
          const input = event.target as HTMLInputElement;
          const number = Number(input.value);
          onValue(input.value !== "" && input.checkValidity() && number > 0 ? number : undefined);
        }}
        aria-describedby="upload-pixel-size-hint"
      />
      <span id="upload-pixel-size-hint" class="hint">
        A DICONDE file's own spacing wins; the viewer can calibrate later.
      </span>
    </div>
  );
}
