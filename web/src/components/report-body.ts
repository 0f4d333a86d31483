import type { AssessReportBody, CreateReportBody, ReportHeader } from "../api/reports";

/**
 * The report form's values as the API's bodies. Empty inputs are left out, so the server's
 * validation (and its "cannot be evaluated" for a missing weld input) decides, never a default
 * made up here. Inputs the form marks `required` are cast: the browser refuses the form without
 * them, and the server validates again.
 */

const text = (form: FormData, name: string): string | undefined => {
  const value = String(form.get(name) ?? "").trim();
  return value === "" ? undefined : value;
};
const number = (form: FormData, name: string): number | undefined => {
  const value = text(form, name);
  return value === undefined ? undefined : Number(value);
};
const oneOf = <T extends string>(form: FormData, name: string, values: readonly T[]): T | undefined => {
  const value = text(form, name);
  return values.find((each) => each === value);
};

export const HEADER_FIELDS = [
  { name: "customer", label: "Customer" },
  { name: "partId", label: "Part" },
  { name: "weldId", label: "Weld" },
  { name: "inspectionId", label: "Inspection" },
  { name: "inspectionMethod", label: "Method" },
] as const satisfies ReadonlyArray<{ name: keyof ReportHeader; label: string }>;

const LEVELS = { "1": 1, "2": 2, "3": 3 } as const;

/** What the assessment needs: the jobs, the criterion, the weld inputs and the pixel size. */
export function assessBody(form: FormData, jobIds: string[]): AssessReportBody {
  const asme = form.get("standard") === "asme-viii-1";
  const pixelSizeMm = number(form, "pixelSizeMm");
  return {
    jobIds,
    acceptance: asme
      ? { standard: "asme-viii-1", level: "uw-51" }
      : { standard: "en-iso-10675-1", level: LEVELS[oneOf(form, "level", ["1", "2", "3"]) ?? "2"] },
    weld: {
      thicknessMm: number(form, "thicknessMm"),
      lengthMm: number(form, "lengthMm"),
      widthMm: number(form, "widthMm"),
      passes: oneOf(form, "passes", ["single", "multiple"]),
      roundedIndicationCharts: asme ? oneOf(form, "charts", ["within", "exceeds"]) : undefined,
      axis: oneOf(form, "axis", ["x", "y"]) ?? "x",
    },
    ...(pixelSizeMm === undefined ? {} : { pixelSizeMm }),
  };
}

function technique(form: FormData): CreateReportBody["technique"] {
  const focalSpotMm = number(form, "focalSpotMm");
  const spot = focalSpotMm === undefined ? {} : { focalSpotMm };
  return {
    testingClass: oneOf(form, "testingClass", ["A", "B"]),
    arrangement: oneOf(form, "arrangement", ["SWSI", "DWSI", "DWDI"]),
    source:
      form.get("sourceKind") === "isotope"
        ? {
            kind: "isotope",
            isotope: oneOf(form, "isotope", ["Ir-192", "Se-75", "Co-60", "Yb-169"]) ?? "Ir-192",
            ...spot,
          }
        : { kind: "x-ray", voltageKv: number(form, "voltageKv") as number, ...spot },
    sfdMm: number(form, "sfdMm") as number,
    detector:
      form.get("detectorKind") === "digital"
        ? {
            kind: "digital",
            detector: text(form, "detector") as string,
            srbUm: number(form, "srbUm") as number,
          }
        : {
            kind: "film",
            system: text(form, "filmSystem") as string,
            density: number(form, "density") as number,
          },
    iqi: {
      type:
        oneOf(form, "iqiType", [
          "iso-19232-1-wire",
          "iso-19232-2-step-hole",
          "astm-e747-wire",
          "astm-e1025-hole",
        ]) ?? "iso-19232-1-wire",
      position: oneOf(form, "iqiPosition", ["source-side", "film-side"]) ?? "source-side",
      sensitivity: text(form, "iqiSensitivity") as string,
    },
  };
}

function person(form: FormData, role: "inspector" | "reviewer") {
  return {
    name: text(form, `${role}Name`) as string,
    certificationScheme: text(form, `${role}Scheme`) as string,
    level: oneOf(form, `${role}Level`, ["1", "2", "3"]) ?? "2",
    certificateNumber: text(form, `${role}Certificate`) as string,
  };
}

/** Everything issuing needs: the assessment's inputs plus header, technique, personnel and any override. */
export function createBody(form: FormData, jobIds: string[]): CreateReportBody {
  const header: ReportHeader = {};
  for (const field of [...HEADER_FIELDS.map((entry) => entry.name), "inspectionDate", "remarks"] as const) {
    const value = text(form, field);
    if (value !== undefined) header[field] = value;
  }
  const override = form.get("override") === "on";
  return {
    ...assessBody(form, jobIds),
    header,
    technique: technique(form),
    personnel: {
      inspector: person(form, "inspector"),
      ...(text(form, "reviewerName") === undefined ? {} : { reviewer: person(form, "reviewer") }),
    },
    ...(override
      ? {
          verdictOverride: {
            verdict: oneOf(form, "overrideVerdict", ["accept", "reject"]) ?? "reject",
            reason: text(form, "overrideReason") as string,
          },
        }
      : {}),
  };
}
