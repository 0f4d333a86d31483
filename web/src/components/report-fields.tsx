import type { Child } from "hono/jsx";
import { useState } from "hono/jsx/dom";

/**
 * The report form's groups of fields, each a labelled fieldset. Names are the keys
 * `report-body.ts` reads; ids are `report-<name>` so each label is tied to its input.
 */

type FieldProps = {
  name: string;
  label: string;
  required?: boolean;
  hint?: string;
};

function Field({ name, label, children, hint }: FieldProps & { children: Child }) {
  return (
    <div>
      <label htmlFor={`report-${name}`}>{label}</label>
      {children}
      {hint && (
        <span class="hint" id={`report-${name}-hint`}>
          {hint}
        </span>
      )}
    </div>
  );
}

export function TextField({
  name,
  label,
  required,
  hint,
  maxLength = 200,
}: FieldProps & { maxLength?: number }) {
  return (
    <Field name={name} label={label} hint={hint}>
      <input
        id={`report-${name}`}
        name={name}
        maxLength={maxLength}
        required={required}
        aria-describedby={hint ? `report-${name}-hint` : undefined}
      />
    </Field>
  );
}

export function NumberField({ name, label, required, hint, max }: FieldProps & { max: number }) {
  return (
    <Field name={name} label={label} hint={hint}>
      <input
        id={`report-${name}`}
        name={name}
        type="number"
        min={0}
        max={max}
        step="any"
        required={required}
        aria-describedby={hint ? `report-${name}-hint` : undefined}
      />
    </Field>
  );
}

export function SelectField({
  name,
  label,
  options,
  value,
  onChange,
  required,
}: FieldProps & {
  options: ReadonlyArray<readonly [value: string, text: string]>;
  value?: string;
  onChange?: (value: string) => void;
}) {
  return (
    <Field name={name} label={label}>
      <select
        id={`report-${name}`}
        name={name}
        required={required}
        onChange={onChange && ((event: Event) => onChange((event.target as HTMLSelectElement).value))}
      >
        {options.map(([optionValue, text]) => (
          <option value={optionValue} selected={value === undefined ? undefined : optionValue === value}>
            {text}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** Acceptance levels of EN ISO 10675-1, and the certification levels of EN ISO 9712 and SNT-TC-1A. */
const LEVEL_OPTIONS = [
  ["1", "Level 1"],
  ["2", "Level 2"],
  ["3", "Level 3"],
] as const;

/* The other choices of the form's selects: the value sent, then the text shown. */
const PASSES = [
  ["", "not given"],
  ["single", "single-pass"],
  ["multiple", "multi-pass"],
] as const;

const APPENDIX_4_CHARTS = [
  ["", "not compared"],
  ["within", "within the charts"],
  ["exceeds", "exceeds the charts"],
] as const;

const WELD_AXES = [
  ["x", "the film's width (datum: left edge)"],
  ["y", "the film's height (datum: top edge)"],
] as const;

const TESTING_CLASSES = [
  ["", "not stated (ASME)"],
  ["A", "Class A (basic)"],
  ["B", "Class B (improved)"],
] as const;

const ARRANGEMENTS = [
  ["", "not stated"],
  ["SWSI", "single wall, single image"],
  ["DWSI", "double wall, single image"],
  ["DWDI", "double wall, double image"],
] as const;

const SOURCE_KINDS = [
  ["x-ray", "X-ray tube"],
  ["isotope", "Gamma-ray isotope"],
] as const;

const DETECTOR_KINDS = [
  ["film", "Film"],
  ["digital", "Digital detector (DDA, CR)"],
] as const;

const IQI_TYPES = [
  ["iso-19232-1-wire", "ISO 19232-1 wire"],
  ["iso-19232-2-step-hole", "ISO 19232-2 step/hole"],
  ["astm-e747-wire", "ASTM E747 wire"],
  ["astm-e1025-hole", "ASTM E1025 hole"],
] as const;

const IQI_POSITIONS = [
  ["source-side", "source side"],
  ["film-side", "film side"],
] as const;

const VERDICTS = [
  ["accept", "accept"],
  ["reject", "reject"],
] as const;

export const STANDARDS = [
  ["en-iso-10675-1", "EN ISO 10675-1 (steel, nickel, titanium welds)"],
  ["asme-viii-1", "ASME VIII-1 UW-51 with Appendix 4"],
] as const;

/** Standard and level, and the weld inputs its rules need. */
export function AcceptanceFieldset({
  standard,
  onStandard,
}: {
  standard: string;
  onStandard: (value: string) => void;
}) {
  const asme = standard === "asme-viii-1";
  return (
    <fieldset>
      <legend>Acceptance criterion and weld</legend>
      <p class="hint">
        The verdict is derived from these: a rule whose input is missing cannot be evaluated, and the weld is
        then never accepted.
      </p>
      {/* Keys keep each input (and what was typed in it) when fields come and go with the choices. */}
      <div class="inline-form">
        <SelectField
          key="standard"
          name="standard"
          label="Standard"
          options={STANDARDS}
          value={standard}
          onChange={onStandard}
        />
        {!asme && (
          <SelectField key="level" name="level" label="Acceptance level" value="2" options={LEVEL_OPTIONS} />
        )}
        <NumberField key="thicknessMm" name="thicknessMm" label="Thickness t (mm)" max={1000} />
        <NumberField key="lengthMm" name="lengthMm" label="Weld length per film (mm)" max={100000} />
        <NumberField key="widthMm" name="widthMm" label="Weld width (mm)" max={1000} />
        <SelectField key="passes" name="passes" label="Passes" options={PASSES} />
        {asme && (
          <SelectField key="charts" name="charts" label="Appendix 4 charts" options={APPENDIX_4_CHARTS} />
        )}
        <SelectField key="axis" name="axis" label="Weld runs along" options={WELD_AXES} />
        <NumberField
          key="pixelSizeMm"
          name="pixelSizeMm"
          label="Pixel size (mm)"
          max={10}
          hint="Overrides the film's own calibration; the report warns where it replaces DICONDE spacing."
        />
      </div>
    </fieldset>
  );
}

/** How the films were taken: EN ISO 17636-2 clause 6, ASME V Article 2. */
export function TechniqueFieldset() {
  const [source, setSource] = useState("x-ray");
  const [detector, setDetector] = useState("film");
  return (
    <fieldset>
      <legend>Technique (EN ISO 17636-2, ASME V Article 2)</legend>
      <div class="inline-form">
        <SelectField key="testingClass" name="testingClass" label="Testing class" options={TESTING_CLASSES} />
        <SelectField key="arrangement" name="arrangement" label="Arrangement" options={ARRANGEMENTS} />
        <SelectField
          key="sourceKind"
          name="sourceKind"
          label="Source"
          value={source}
          onChange={setSource}
          options={SOURCE_KINDS}
        />
        {source === "x-ray" ? (
          <NumberField key="voltageKv" name="voltageKv" label="Tube voltage (kV)" max={1000} required />
        ) : (
          <SelectField
            key="isotope"
            name="isotope"
            label="Isotope"
            options={(["Ir-192", "Se-75", "Co-60", "Yb-169"] as const).map((each) => [each, each] as const)}
          />
        )}
        <NumberField key="focalSpotMm" name="focalSpotMm" label="Focal spot / source size (mm)" max={10} />
        <NumberField key="sfdMm" name="sfdMm" label="Source-to-film distance SFD (mm)" max={10000} required />
        <SelectField
          key="detectorKind"
          name="detectorKind"
          label="Detector"
          value={detector}
          onChange={setDetector}
          options={DETECTOR_KINDS}
        />
        {detector === "film" ? (
          <>
            <TextField key="filmSystem" name="filmSystem" label="Film system and screens" required />
            <NumberField key="density" name="density" label="Optical density" max={6} required />
          </>
        ) : (
          <>
            <TextField key="detector" name="detector" label="Detector model" required />
            <NumberField
              key="srbUm"
              name="srbUm"
              label="Basic spatial resolution SRb (µm)"
              max={10000}
              required
            />
          </>
        )}
        <SelectField key="iqiType" name="iqiType" label="IQI type" options={IQI_TYPES} />
        <SelectField key="iqiPosition" name="iqiPosition" label="IQI position" options={IQI_POSITIONS} />
        <TextField
          key="iqiSensitivity"
          name="iqiSensitivity"
          label="IQI sensitivity achieved"
          maxLength={60}
          required
          hint="e.g. W13, 2-2T"
        />
      </div>
    </fieldset>
  );
}

function PersonFields({ who, required }: { who: "inspector" | "reviewer"; required: boolean }) {
  const title = who === "inspector" ? "Inspector" : "Reviewer";
  return (
    <fieldset class="plain">
      <legend>
        {title}
        {required ? "" : " (optional)"}
      </legend>
      <div class="inline-form">
        <TextField name={`${who}Name`} label={`${title} name`} required={required} />
        <TextField
          name={`${who}Scheme`}
          label={`${title} certification scheme`}
          maxLength={60}
          required={required}
          hint="e.g. EN ISO 9712, ASNT SNT-TC-1A"
        />
        <SelectField name={`${who}Level`} label={`${title} level`} value="2" options={LEVEL_OPTIONS} />
        <TextField
          name={`${who}Certificate`}
          label={`${title} certificate number`}
          maxLength={60}
          required={required}
        />
      </div>
    </fieldset>
  );
}

/** Who read and who reviewed the films; the PDF prints them with lines to sign and date. */
export function PersonnelFieldset() {
  return (
    <fieldset>
      <legend>Personnel and signatures</legend>
      <PersonFields who="inspector" required />
      <PersonFields who="reviewer" required={false} />
    </fieldset>
  );
}

/** The reviewer's verdict in place of the derived one: only with a reason, which the PDF prints. */
export function OverrideFieldset() {
  const [override, setOverride] = useState(false);
  return (
    <fieldset>
      <legend>Verdict</legend>
      <label class="check">
        <input type="checkbox" name="override" checked={override} onChange={() => setOverride(!override)} />
        Override the derived verdict (the reason is printed on the report)
      </label>
      {override && (
        <div class="inline-form">
          <SelectField name="overrideVerdict" label="Reviewer's verdict" options={VERDICTS} />
          <Field name="overrideReason" label="Reason for the override">
            <textarea id="report-overrideReason" name="overrideReason" rows={2} maxLength={2000} required />
          </Field>
        </div>
      )}
    </fieldset>
  );
}
