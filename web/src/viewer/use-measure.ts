import type { ImagePixelSize } from "@common/measurements";
import { type RefObject, useEffect, useRef, useState } from "hono/jsx/dom";
import { type CalibrationRequest, calibrateImage, removeCalibration } from "../api/calibration";
import type { ReviewState } from "../api/reviews";
import type { Image } from "../api/types";
import type { FilmView } from "./film-view";
import { MeasureLayer, type MeasureState, type MeasureTool, type Readout } from "./measure-layer";
import { type IndicationMeasure, indicationMeasures } from "./measure-sizes";
import type { FilmState } from "./use-film";

export type MeasureRefs = {
  overlay: RefObject<HTMLCanvasElement | null>;
  cursor: RefObject<HTMLElement | null>;
  zoom: RefObject<HTMLElement | null>;
  scaleBar: RefObject<HTMLElement | null>;
};

export type MeasureInput = {
  canvasRef: RefObject<HTMLCanvasElement | null>;
  view: FilmView | null;
  /** The job, its image as loaded, and the decoded film. */
  film: Pick<FilmState, "job" | "image" | "windowing">;
  review: ReviewState | null;
  selected: string | null;
  onError(error: unknown): void;
};

export type Measuring = MeasureState & {
  /** Each indication's size as listed, and the line measured in it, by indication key. */
  measures: Map<string, IndicationMeasure>;
  refs: MeasureRefs;
  tool: MeasureTool;
  setTool(tool: MeasureTool): void;
  clearMeasurements(): void;
  /** The pixel size sizes use: the job's own, else the image's (as the API's `jobPixelSize`); null unknown. */
  pixel: ImagePixelSize | null;
  /** The image as last calibrated here, else as loaded. */
  image: Image | null;
  calibrate(body: CalibrationRequest): Promise<void>;
  uncalibrate(): Promise<void>;
};

/**
 * The measuring layer over the film view: tools, the measurements taken, the reference line and
 * the image's calibration, which this page can change (`PUT /v1/images/{id}/calibration`).
 */
export function useMeasure({
  canvasRef,
  view,
  film: loading,
  review,
  selected,
  onError,
}: MeasureInput): Measuring {
  const { job, image: loaded } = loading;
  const film = loading.windowing?.film ?? null;
  const refs: MeasureRefs = {
    overlay: useRef<HTMLCanvasElement>(null),
    cursor: useRef<HTMLElement>(null),
    zoom: useRef<HTMLElement>(null),
    scaleBar: useRef<HTMLElement>(null),
  };
  const layerRef = useRef<MeasureLayer | null>(null);
  const [state, setState] = useState<MeasureState>({ measurements: [], reference: null });
  const [tool, setToolState] = useState<MeasureTool>("none");
  const [calibrated, setCalibrated] = useState<Image | null>(null);
  const image = calibrated ?? loaded;
  const pixel: ImagePixelSize | null = job?.params.pixelSizeMm
    ? { ...job.params.pixelSizeMm, source: "job" }
    : (image?.pixelSizeMm ?? null);
  const measures = indicationMeasures(job, review?.review ?? null, pixel);
  const picked = selected ? measures.get(selected) : undefined;
  // The selected indication's measured line is drawn along it, with its size.
  const highlight =
    picked?.extent?.method === "segmented" ? { line: picked.extent.line, label: picked.text } : null;

  useEffect(() => {
    const canvas = canvasRef.current;
    const overlay = refs.overlay.current;
    const readout = { cursor: refs.cursor.current, zoom: refs.zoom.current, scaleBar: refs.scaleBar.current };
    if (!canvas || !overlay || !view || !readout.cursor || !readout.zoom || !readout.scaleBar) return;
    const layer = new MeasureLayer(canvas, overlay, view, readout as Readout, setState);
    layerRef.current = layer;
    return () => {
      layer.dispose();
      layerRef.current = null;
    };
  }, [view]);
  useEffect(() => layerRef.current?.setFilm(film), [film, view]);
  useEffect(() => layerRef.current?.setPixel(pixel), [pixel?.x, pixel?.y, view]);
  useEffect(() => layerRef.current?.setHighlight(highlight), [JSON.stringify(highlight), view]);

  return {
    ...state,
    measures,
    refs,
    tool,
    pixel,
    image,
    setTool(next) {
      setToolState(next);
      layerRef.current?.setTool(next);
    },
    clearMeasurements: () => layerRef.current?.clearMeasurements(),
    async calibrate(body) {
      if (!image) return;
      try {
        setCalibrated(await calibrateImage(image.id, body));
        layerRef.current?.clearReference();
      } catch (failure) {
        onError(failure);
      }
    },
    async uncalibrate() {
      if (!image) return;
      try {
        setCalibrated(await removeCalibration(image.id));
      } catch (failure) {
        onError(failure);
      }
    },
  };
}
