import { useEffect, useState } from "hono/jsx/dom";
import { type ApiKeyScope, createApiKey, listApiKeys, revokeApiKey } from "../api/api-keys";
import type { ApiKey, CreatedApiKey } from "../api/types";
import { ErrorMessage } from "../components/error-message";
import { TableHead } from "../components/table-head";

/** What a key may do, by area; a new key gets the scanner's usual scopes ticked. */
const SCOPE_GROUPS: ReadonlyArray<{ area: string; scopes: readonly ApiKeyScope[] }> = [
  { area: "Images and jobs", scopes: ["images:read", "images:write", "jobs:read", "jobs:write"] },
  { area: "Datasets", scopes: ["datasets:read", "datasets:write"] },
  { area: "Trainings", scopes: ["trainings:read", "trainings:write"] },
  { area: "Models", scopes: ["models:read", "models:write"] },
];
const SCOPES = SCOPE_GROUPS.flatMap((group) => group.scopes);
const TICKED: ReadonlySet<ApiKeyScope> = new Set(SCOPE_GROUPS[0]?.scopes);

export function ApiKeysPage() {
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = () => listApiKeys().then((page) => setKeys(page.items), setError);

  useEffect(() => {
    void load();
  }, []);

  async function create(event: Event) {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    setError(null);
    try {
      const ticked = form.getAll("scopes");
      const result = await createApiKey({
        name: String(form.get("name") ?? ""),
        scopes: SCOPES.filter((scope) => ticked.includes(scope)),
      });
      setCreated(result);
      formElement.reset();
      await load();
    } catch (failure) {
      setError(failure);
    }
  }

  async function revoke(key: ApiKey) {
    if (!confirm(`Revoke "${key.name}"? Machines using it stop working at once.`)) return;
    try {
      await revokeApiKey(key.id);
      await load();
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <section>
      <h1>API keys</h1>
      <p>Keys let scanners and scripts call the API without your password. A key is shown once.</p>
      <form onSubmit={create} class="inline-form">
        <label htmlFor="key-name">Name</label>
        <input id="key-name" name="name" required maxLength={100} placeholder="line-3 scanner" />
        {SCOPE_GROUPS.map((group) => (
          <fieldset>
            <legend>Scopes: {group.area}</legend>
            {group.scopes.map((scope) => (
              <label class="check">
                <input type="checkbox" name="scopes" value={scope} checked={TICKED.has(scope)} />
                {scope}
              </label>
            ))}
          </fieldset>
        ))}
        <button type="submit">Create key</button>
      </form>
      <ErrorMessage error={error} />
      {created && (
        <div class="notice" role="status">
          <p>
            New key <strong>{created.apiKey.name}</strong>. Copy it now: it will not be shown again.
          </p>
          <output class="secret" data-testid="new-api-key">
            {created.key}
          </output>
          <button type="button" onClick={() => navigator.clipboard?.writeText(created.key)}>
            Copy
          </button>
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <table>
        <caption>Your keys</caption>
        <TableHead columns={["Name", "Prefix", "Scopes", "Last used", "State"]} actions="Actions" />
        <tbody>
          {keys.map((key) => (
            <tr data-key-id={key.id}>
              <td>{key.name}</td>
              <td>
                <code>{key.prefix}…</code>
              </td>
              <td>{key.scopes.join(", ")}</td>
              <td>{key.lastUsedAt ? new Date(key.lastUsedAt).toLocaleString() : "never"}</td>
              <td>{key.revokedAt ? "revoked" : "active"}</td>
              <td>
                {!key.revokedAt && (
                  <button type="button" onClick={() => revoke(key)} aria-label={`Revoke ${key.name}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
