import { useState } from "hono/jsx/dom";
import { api } from "../api/instance";
import { ErrorMessage } from "../components/error-message";
import { BASE, currentPath, linkHandler, navigate } from "../router";

/** Sign-in and registration share one form; registering signs the new account in. */
export function SignInPage({ mode }: { mode: "sign-in" | "register" }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const registering = mode === "register";

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    try {
      if (registering) await api.register(email, password);
      await api.signIn(email, password);
      // A deep link (a viewer URL) opens where it pointed once signed in.
      if (registering || currentPath() === "/") navigate("/images", { replace: true });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="auth-page">
      <h1>{registering ? "Create an account" : "Sign in"}</h1>
      <form onSubmit={submit} class="auth-form">
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete={registering ? "new-password" : "current-password"}
          minLength={registering ? 12 : 1}
          required
          aria-describedby={registering ? "password-rule" : undefined}
        />
        {registering && (
          <p id="password-rule" class="hint">
            At least 12 characters; not a well-known password.
          </p>
        )}
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          {registering ? "Create account" : "Sign in"}
        </button>
      </form>
      <p>
        {registering ? (
          <a href={`${BASE}/`} onClick={linkHandler("/")}>
            I have an account: sign in
          </a>
        ) : (
          <a href={`${BASE}/register`} onClick={linkHandler("/register")}>
            New here? Create an account
          </a>
        )}
      </p>
    </main>
  );
}
