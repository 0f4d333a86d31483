/**
 * ASME states its limits in inches; this module works in millimetres. One inch is 25.4 mm exactly
 * (the international inch), so the conversion adds no error; ASME's own metric figures in
 * parentheses are rounded and are not used.
 */
export const MM_PER_INCH = 25.4;

export function inchesToMm(inches: number): number {
  return inches * MM_PER_INCH;
}

export function mmToInches(mm: number): number {
  return mm / MM_PER_INCH;
}

/**
 * Measured sizes are far coarser than a nanometre; the tolerance only keeps a value computed at
 * a limit (0.1 × 30, 25.4 × 0.75) from failing it through floating-point rounding.
 */
const TOLERANCE_MM = 1e-9;

export function withinLimit(measured: number, limit: number, comparison: "<=" | "<"): boolean {
  return comparison === "<=" ? measured <= limit + TOLERANCE_MM : measured < limit - TOLERANCE_MM;
}
