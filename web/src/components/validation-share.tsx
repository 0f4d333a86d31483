/**
 * The validation share of a new dataset version, in the API's bounds (0 to 0.9); left empty, the
 * API's default (0.2) applies.
 */
export function ValidationShareField({ id }: { id: string }) {
  return (
    <>
      <label htmlFor={id}>Validation share</label>
      <input id={id} name="valFraction" type="number" min={0} max={0.9} step={0.05} placeholder="0.2" />
    </>
  );
}

/** The field's value as a request's `valFraction`: absent when left empty. */
export function validationShare(form: FormData): { valFraction?: number } {
  const share = String(form.get("valFraction") ?? "").trim();
  return share ? { valFraction: Number(share) } : {};
}
