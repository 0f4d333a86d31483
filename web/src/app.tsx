import { useEffect, useState } from "hono/jsx/dom";
import type { Session } from "./api/client";
import { api } from "./api/instance";
import { documentTitle, ownsTitle, sectionTitle } from "./document-title";
import { ApiKeysPage } from "./pages/api-keys";
import { DatasetPage, DatasetsPage } from "./pages/datasets";
import { ImagePage } from "./pages/image";
import { ImagesPage } from "./pages/images";
import { JobsPage } from "./pages/jobs";
import { ModelPage } from "./pages/model";
import { ModelsPage } from "./pages/models";
import { NotFoundPage } from "./pages/not-found";
import { ReportsPage } from "./pages/reports";
import { SignInPage } from "./pages/sign-in";
import { TrainingsPage } from "./pages/trainings";
import { ViewerPage } from "./pages/viewer";
import { BASE, linkHandler, navigate, useRoute } from "./router";

const sections = [
  { path: "/images", label: "Images" },
  { path: "/jobs", label: "Jobs" },
  { path: "/reports", label: "Reports" },
  { path: "/datasets", label: "Datasets" },
  { path: "/trainings", label: "Trainings" },
  { path: "/models", label: "Models" },
  { path: "/api-keys", label: "API keys" },
];

function Page({ path }: { path: string }) {
  if (path === "/" || path === "/images") return <ImagesPage />;
  if (path === "/jobs") return <JobsPage />;
  const image = /^\/images\/([0-9a-f-]{36})$/.exec(path);
  if (image?.[1]) return <ImagePage id={image[1]} />;
  if (path === "/api-keys") return <ApiKeysPage />;
  if (path === "/reports") return <ReportsPage />;
  if (path === "/models") return <ModelsPage />;
  if (path === "/datasets") return <DatasetsPage />;
  const dataset = /^\/datasets\/([0-9a-f-]{36})$/.exec(path);
  if (dataset?.[1]) return <DatasetPage id={dataset[1]} />;
  if (path === "/trainings") return <TrainingsPage />;
  const training = /^\/trainings\/([0-9a-f-]{36})$/.exec(path);
  if (training?.[1]) return <TrainingsPage id={training[1]} />;
  const model = /^\/models\/([^/]+)$/.exec(path);
  if (model?.[1]) return <ModelPage name={decodeURIComponent(model[1])} />;
  const job = /^\/jobs\/([0-9a-f-]{36})$/.exec(path);
  if (job?.[1]) return <ViewerPage jobId={job[1]} />;
  return <NotFoundPage />;
}

/** The shell: resumes the tab's session, then shows the sign-in pages or the signed-in app. */
export function App() {
  const { path } = useRoute();
  const [session, setSession] = useState<Session | null>(api.session);
  const [resuming, setResuming] = useState(true);

  useEffect(() => {
    const stop = api.onSessionChange(setSession);
    api.resume().finally(() => setResuming(false));
    return stop;
  }, []);

  useEffect(() => {
    if (!session) document.title = documentTitle("Sign in");
    else if (!ownsTitle(path)) document.title = sectionTitle(path);
  }, [session, path]);

  if (resuming) return <p class="loading">Loading…</p>;
  if (!session) return <SignInPage mode={path === "/register" ? "register" : "sign-in"} />;

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top-bar">
        <span class="brand">Defect inspector</span>
        <nav aria-label="Sections">
          {sections.map((section) => (
            <a
              href={`${BASE}${section.path}`}
              onClick={linkHandler(section.path)}
              aria-current={path.startsWith(section.path) ? "page" : undefined}
            >
              {section.label}
            </a>
          ))}
        </nav>
        <span class="who">{session.user.email}</span>
        <button
          type="button"
          onClick={async () => {
            await api.signOut();
            navigate("/", { replace: true });
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
    </div>
  );
}
