import { useEffect, useState } from "hono/jsx/dom";
import {
  getModel,
  getModelVersion,
  listModelHistory,
  listModelVersions,
  type Model,
  type ModelVersion,
} from "../api/models";
import { usePagedList } from "../api/use-paged-list";
import { AppLink } from "../components/app-link";
import { ErrorMessage } from "../components/error-message";
import { ModelVersionsTable } from "../components/model-versions";
import { PromoteForm, RollbackForm } from "../components/promotion-forms";
import { PromotionHistory } from "../components/promotion-history";
import { ShadowPanel } from "../components/shadow-panel";
import { ModelCard, VersionLineage } from "../components/version-details";
import { VersionEvaluation } from "../components/version-evaluation";

/** The model, and its production version's full record (from the list when it is there). */
function useModel(name: string, versions: ModelVersion[], reloads: number) {
  const [model, setModel] = useState<Model | null>(null);
  const [production, setProduction] = useState<ModelVersion | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    getModel(name).then(setModel, setError);
  }, [name, reloads]);
  const wanted = model?.productionVersion ?? null;
  useEffect(() => {
    if (wanted === null) return setProduction(null);
    const listed = versions.find((version) => version.version === wanted);
    if (listed) return setProduction(listed);
    getModelVersion(name, wanted).then(setProduction, setError);
  }, [name, wanted, versions]);
  return { model, production, error };
}

function ShippedModel({ model }: { model: Model }) {
  return (
    <p>
      {model.name} is a shipped model: every inference host serves it and it cannot be changed here. Train
      your own version from it on the <AppLink to="/trainings">Trainings</AppLink> page.
    </p>
  );
}

/**
 * One model name: its versions side by side, a version's evaluation beside the model it would
 * replace, lineage, card, promotion, its shadow run and its history.
 */
export function ModelPage({ name }: { name: string }) {
  const versions = usePagedList(listModelVersions(name));
  const history = usePagedList(listModelHistory(name));
  const [reloads, setReloads] = useState(0);
  const { model, production, error } = useModel(name, versions.items, reloads);
  const [chosen, setChosen] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const selected =
    versions.items.find((version) => version.version === chosen) ??
    versions.items.find((version) => !version.production) ??
    versions.items[0] ??
    null;

  const changed = (text: string) => {
    setNotice(text);
    setReloads((count) => count + 1);
    versions.reload();
    history.reload();
  };

  return (
    <section>
      <h1>Model {name}</h1>
      <p>
        <AppLink to="/models">All models</AppLink>
      </p>
      <ErrorMessage error={error} />
      {model?.source === "shipped" && <ShippedModel model={model} />}
      {model?.source === "registry" && (
        <p data-testid="production">
          Production: {model.productionVersion === null ? "none yet" : `${name}@${model.productionVersion}`}
          {" · "}latest: {model.latestVersion === null ? "none" : `${name}@${model.latestVersion}`}
        </p>
      )}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {model?.source !== "shipped" && (
        <>
          <ModelVersionsTable versions={versions} selected={selected?.version ?? null} onSelect={setChosen} />
          {selected && (
            <section aria-labelledby="version-heading" class="version-panel">
              <h2 id="version-heading">{selected.ref}</h2>
              <VersionEvaluation version={selected} production={production} onFinished={versions.reload} />
              <VersionLineage version={selected} />
              <ModelCard version={selected} />
              {!selected.production && (
                <PromoteForm
                  version={selected}
                  onDone={(change) =>
                    changed(
                      `${name}@${change.toVersion} is in production${change.forced ? " (forced)" : ""}.`,
                    )
                  }
                />
              )}
            </section>
          )}
          {model?.productionVersion != null && (
            <RollbackForm
              name={name}
              production={model.productionVersion}
              onDone={(change) => changed(`Rolled back: ${name}@${change.toVersion} is in production.`)}
            />
          )}
          {model?.source === "registry" && <ShadowPanel name={name} version={selected} />}
          <h2>History</h2>
          <PromotionHistory history={history} />
        </>
      )}
    </section>
  );
}
