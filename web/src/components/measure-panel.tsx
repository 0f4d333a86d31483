import { MIN_REFERENCE_PIXELS } from "@common/measurement-math";
import type { PixelSizeSource } from "@common/measurements";
import { lengthText, pathLength } from "../viewer/measure-geometry";
import type { MeasureTool } from "../viewer/measure-layer";
import type { Measuring } from "../viewer/use-measure";

/** Where a pixel size came from, in the inspector's words. */
export const PIXEL_SIZE_SOURCES: Record<PixelSizeSource, string> = {
  job: "the job's own pixel size",
  dicom_pixel_spacing: "DICONDE Pixel Spacing (at the object)",
  dicom_imager_pixel_spacing: "DICONDE Imager Pixel Spacing (at the detector, magnification not corrected)",
  upload: "stated at upload",
  stated: "stated",
  reference: "a reference of known length on the film",
};

const TOOLS: Array<{ tool: MeasureTool; label: string; hint: string }> = [
  { tool: "ruler", label: "Length", hint: "Press and drag along what to measure" },
  { tool: "polyline", label: "Polyline", hint: "Click each point; double-click or Enter ends, Esc cancels" },
  { tool: "reference", label: "Reference", hint: "Drag along an IQI wire or marker of known length" },
];

const mm = (value: number) => `${Number(value.toPrecision(4))}`;

function Calibration({ measuring }: { measuring: Measuring }) {
  const { pixel, image } = measuring;
  const own = image?.pixelSizeMm?.overrides;
  return (
    <div data-testid="calibration">
      <p>
        {pixel ? (
          <>
            Pixel {mm(pixel.x)} × {mm(pixel.y)} mm, from {PIXEL_SIZE_SOURCES[pixel.source]}
          </>
        ) : (
          <>Not calibrated: lengths are in film pixels.</>
        )}
      </p>
      {own && pixel?.source !== "job" && (
        <p class="warning" role="note">
          Overrides the film's own {mm(own.x)} × {mm(own.y)} mm ({PIXEL_SIZE_SOURCES[own.source]}).
        </p>
      )}
      {pixel?.source === "job" && (
        <p class="hint">This job was given its own pixel size; calibrating the image does not change it.</p>
      )}
      {(image?.pixelSizeMm?.source === "stated" || image?.pixelSizeMm?.source === "reference") && (
        <button type="button" onClick={() => void measuring.uncalibrate()}>
          Remove calibration
        </button>
      )}
    </div>
  );
}

function ReferenceForm({ measuring }: { measuring: Measuring }) {
  const reference = measuring.reference;
  if (!reference) return null;
  const [from, to] = reference;
  const pixels = pathLength(reference, null);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const lengthMm = Number(new FormData(event.target as HTMLFormElement).get("lengthMm"));
    void measuring.calibrate({ reference: { x1: from.x, y1: from.y, x2: to.x, y2: to.y, lengthMm } });
  };
  return (
    <form class="inline-form" onSubmit={onSubmit} aria-label="Calibrate from the reference">
      <p class="hint">
        Reference line {pixels.toFixed(1)} px
        {pixels < MIN_REFERENCE_PIXELS &&
          ` (at least ${MIN_REFERENCE_PIXELS} px are needed: zoom in or draw longer)`}
      </p>
      <label htmlFor="reference-length">Its length (mm)</label>
      <input id="reference-length" name="lengthMm" type="number" min="0" step="any" required />
      <button type="submit">Calibrate</button>
    </form>
  );
}

function StatedForm({ measuring }: { measuring: Measuring }) {
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const value = Number(new FormData(event.target as HTMLFormElement).get("pixelSizeMm"));
    void measuring.calibrate({ pixelSizeMm: value });
  };
  return (
    <form class="inline-form" onSubmit={onSubmit} aria-label="State the pixel size">
      <label htmlFor="stated-pixel-size">Pixel size (mm)</label>
      <input id="stated-pixel-size" name="pixelSizeMm" type="number" min="0" max="100" step="any" required />
      <button type="submit">Set</button>
    </form>
  );
}

/** Measuring tools, the lengths measured, and the image's calibration. */
export function MeasurePanel({ measuring }: { measuring: Measuring }) {
  const calibrated = measuring.pixel !== null;
  const active = TOOLS.find((entry) => entry.tool === measuring.tool);
  return (
    <section aria-labelledby="measure-heading">
      <h2 id="measure-heading">Measure</h2>
      <fieldset class="button-row measure-tools">
        <legend class="visually-hidden">Measuring tools</legend>
        {TOOLS.map(({ tool, label }) => (
          <button
            type="button"
            aria-pressed={measuring.tool === tool}
            onClick={() => measuring.setTool(measuring.tool === tool ? "none" : tool)}
          >
            {label}
          </button>
        ))}
      </fieldset>
      {active && <p class="hint">{active.hint}</p>}
      {measuring.measurements.length > 0 && (
        <>
          <ol class="measurements" data-testid="measurements">
            {measuring.measurements.map((measurement) => (
              <li>{lengthText(pathLength(measurement.points, measuring.pixel), calibrated)}</li>
            ))}
          </ol>
          <button type="button" onClick={measuring.clearMeasurements}>
            Clear lengths
          </button>
        </>
      )}
      <Calibration measuring={measuring} />
      <ReferenceForm measuring={measuring} />
      {measuring.tool === "reference" && <StatedForm measuring={measuring} />}
    </section>
  );
}
