import type { MeasureRefs } from "../viewer/use-measure";

/**
 * Over the film: the measuring canvas (lines, reference, scale bar) and the readout of the
 * pointer's film pixel and stored value, the zoom and the scale bar's length. The layer writes
 * the readout as the pointer moves, outside the page's renders.
 */
export function MeasureOverlay({ refs }: { refs: MeasureRefs }) {
  return (
    <>
      <canvas ref={refs.overlay} class="measure-overlay" />
      <div class="film-readout" data-testid="film-readout">
        <span ref={refs.zoom} data-testid="zoom" />
        <span ref={refs.scaleBar} data-testid="scale-bar" />
        <span ref={refs.cursor} data-testid="cursor" aria-live="off" />
      </div>
    </>
  );
}
