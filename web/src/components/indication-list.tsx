import { classColour } from "../viewer/detections";
import { type Indication, scoreText } from "../viewer/indications";

type Props = {
  shown: Indication[];
  total: number;
  selected: string | null;
  onSelect(key: string): void;
  /** Length × width of each indication by key (`viewer/measure-sizes.ts`). */
  sizes?: ReadonlyMap<string, { text: string }>;
};

/** The indications shown, in rank order; picking one selects its box on the film. */
export function IndicationList({ shown, total, selected, onSelect, sizes }: Props) {
  return (
    <section aria-labelledby="indications-heading">
      <h2 id="indications-heading">
        Detections ({shown.length} of {total})
      </h2>
      <ul class="indications">
        {shown.map((item) => (
          <li>
            <button
              type="button"
              class="indication"
              aria-pressed={item.key === selected}
              data-decision={item.decision}
              onClick={() => onSelect(item.key)}
            >
              <span class="swatch" style={`background:${classColour(item.classId)}`} aria-hidden="true" />
              {item.label} {scoreText(item)} · {item.decision}
              {sizes?.has(item.key) && <span class="indication-size"> · {sizes.get(item.key)?.text}</span>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
