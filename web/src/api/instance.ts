import { createApiClient } from "./client";

/** The app's one API client: same origin, the refresh token kept in this tab's sessionStorage. */
export const api = createApiClient({
  fetch: (input, init) => fetch(input, init),
  storage: sessionStorage,
});
