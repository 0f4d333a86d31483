import type { Training } from "../api/trainings";

export type Series = { name: string; colour: string; dash?: string; values: number[] };

const WIDTH = 340;
const HEIGHT = 180;
const PAD = { left: 40, right: 10, top: 10, bottom: 28 };
/** Okabe-Ito colours: told apart with any colour vision; dashes tell them apart in greyscale too. */
const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7"] as const;

/** The points of one series: epoch 1..n along x over `epochs`, value over `yMax` up y. */
export function polylinePoints(values: number[], epochs: number, yMax: number): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (epoch: number) => PAD.left + (epochs <= 1 ? plotW / 2 : ((epoch - 1) / (epochs - 1)) * plotW);
  const y = (value: number) => PAD.top + plotH - (yMax > 0 ? Math.min(value / yMax, 1) : 0) * plotH;
  return values.map((value, i) => `${x(i + 1).toFixed(1)},${y(value).toFixed(1)}`).join(" ");
}

/** An inline SVG line chart over epochs: no chart library, a few elements per series. */
export function LineChart({
  title,
  series,
  epochs,
  yMax,
}: {
  title: string;
  series: Series[];
  epochs: number;
  yMax: number;
}) {
  const bottom = HEIGHT - PAD.bottom;
  const summary = series.map((entry) => `${entry.name} ${entry.values.at(-1)?.toFixed(3) ?? "–"}`).join(", ");
  return (
    <figure class="chart-figure">
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT + 20}`}
        role="img"
        aria-label={`${title}: ${summary}`}
      >
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={bottom} />
        <line class="axis" x1={PAD.left} y1={bottom} x2={WIDTH - PAD.right} y2={bottom} />
        <text x={PAD.left - 4} y={PAD.top + 8} text-anchor="end">
          {yMax.toFixed(yMax < 10 ? 2 : 0)}
        </text>
        <text x={PAD.left - 4} y={bottom} text-anchor="end">
          0
        </text>
        <text x={PAD.left} y={bottom + 14}>
          1
        </text>
        <text x={WIDTH - PAD.right} y={bottom + 14} text-anchor="end">
          epoch {epochs}
        </text>
        {series.map((entry) => (
          <polyline
            points={polylinePoints(entry.values, epochs, yMax)}
            fill="none"
            stroke={entry.colour}
            stroke-width="2"
            stroke-dasharray={entry.dash}
          />
        ))}
        {series.map((entry, i) => (
          <>
            <line
              x1={PAD.left + i * 100}
              y1={HEIGHT + 10}
              x2={PAD.left + i * 100 + 16}
              y2={HEIGHT + 10}
              stroke={entry.colour}
              stroke-width="2"
              stroke-dasharray={entry.dash}
            />
            <text x={PAD.left + i * 100 + 20} y={HEIGHT + 14}>
              {entry.name}
            </text>
          </>
        ))}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

/** Training losses and validation mAP per epoch of the run's current attempt. */
export function TrainingCharts({ run }: { run: Training }) {
  const epochs = Math.max(run.params.epochs, run.progress.length, 1);
  const losses: Series[] = (["box", "cls", "dfl"] as const).map((name, i) => ({
    name: `${name} loss`,
    colour: COLOURS[i] ?? "#000",
    ...(i > 0 ? { dash: i === 1 ? "6 3" : "2 3" } : {}),
    values: run.progress.map((epoch) => epoch.losses[name]),
  }));
  const lossMax = Math.max(0.1, ...losses.flatMap((entry) => entry.values));
  const maps: Series[] = [
    { name: "mAP@0.5", colour: COLOURS[0], values: run.progress.map((epoch) => epoch.val.map50) },
    {
      name: "mAP@.5:.95",
      colour: COLOURS[1],
      dash: "6 3",
      values: run.progress.map((epoch) => epoch.val.map50_95),
    },
  ];
  return (
    <div class="charts" data-testid="training-charts" data-epochs={String(run.progress.length)}>
      <LineChart title="Training loss per epoch" series={losses} epochs={epochs} yMax={lossMax} />
      <LineChart title="Validation mAP per epoch" series={maps} epochs={epochs} yMax={1} />
    </div>
  );
}
