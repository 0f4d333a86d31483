import { ApiFailure } from "../api/client";

/** The text to show for a failure: the API's own message, with its code for support. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiFailure)
    return error.code === "http_error" ? error.message : `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

/** An announced error line; renders nothing when there is no error. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {describeFailure(error)}
    </p>
  );
}
