import { useEffect, useState } from "hono/jsx/dom";
import { listModels, type Model } from "../api/models";
import { AppLink, modelPath } from "../components/app-link";
import { ErrorMessage } from "../components/error-message";
import { TableHead } from "../components/table-head";

const versionText = (version: number | null) => (version === null ? "–" : `v${version}`);

/** The shipped models and the user's registry names, each leading to its versions. */
export function ModelsPage() {
  const [models, setModels] = useState<Model[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    listModels().then((list) => setModels(list.items), setError);
  }, []);

  return (
    <section>
      <h1>Models</h1>
      <p class="hint">
        Shipped models run for everyone and are read-only. Your models are versions uploaded or trained under
        a name; jobs that name a model run its production version.
      </p>
      <ErrorMessage error={error} />
      <table>
        <caption>Models you can run</caption>
        <TableHead columns={["Name", "Source", "Production", "Latest", "Versions"]} />
        <tbody>
          {(models ?? []).map((model) => (
            <tr data-model={model.name}>
              <td>
                <AppLink to={modelPath(model.name)}>{model.name}</AppLink>
              </td>
              <td>{model.source}</td>
              <td>{versionText(model.productionVersion)}</td>
              <td>{versionText(model.latestVersion)}</td>
              <td>{model.source === "shipped" ? "–" : model.versions}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {models?.length === 0 && <p>No models are configured.</p>}
    </section>
  );
}
