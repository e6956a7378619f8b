import { useEffect, useMemo, useState } from 'react';
import { ApiClient } from './api';
import { perRunSockets } from './live';
import { go, useRoute } from './router';
import { ComparisonView } from './views/ComparisonView';
import { ListView } from './views/ListView';
import { LoginView } from './views/LoginView';
import { NewRunView } from './views/NewRunView';
import { ScheduleView } from './views/ScheduleView';
import { TemplatesView } from './views/TemplatesView';
import type { Services } from './views/services';

export function App() {
  const api = useMemo(() => new ApiClient(), []);
  const services: Services = useMemo(() => ({ api, live: perRunSockets(api) }), [api]);
  const [signedIn, setSignedIn] = useState(api.signedIn);
  const route = useRoute();
  useEffect(() => {
    api.onSignedOut = () => setSignedIn(false);
  }, [api]);

  if (!signedIn) return <LoginView api={api} onSignedIn={() => setSignedIn(true)} />;

  const [page, id] = route;
  const numId = Number(id);
  let view;
  if (page === 'new') view = <NewRunView services={services} mode="schedule" />;
  else if (page === 'compare' && id === 'new') view = <NewRunView services={services} mode="comparison" />;
  else if (page === 'schedule' && numId > 0)
    view = <ScheduleView key={numId} services={services} id={numId} />;
  else if (page === 'compare' && numId > 0)
    view = <ComparisonView key={numId} services={services} id={numId} />;
  else if (page === 'templates') view = <TemplatesView services={services} />;
  else view = <ListView services={services} />;

  const current = (p: string) => (page === p || (!page && p === '') ? 'page' : undefined);
  return (
    <>
      <a
        className="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Filling Scheduler</span>
        <nav aria-label="Main">
          <a href="#/" aria-current={current('')}>
            Runs
          </a>
          <a href="#/new" aria-current={current('new')}>
            New schedule
          </a>
          <a href="#/compare/new" aria-current={page === 'compare' && id === 'new' ? 'page' : undefined}>
            Compare strategies
          </a>
          <a href="#/templates" aria-current={current('templates')}>
            Config templates
          </a>
        </nav>
        <button type="button" className="secondary" onClick={() => void api.logout().then(() => go(''))}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {view}
      </main>
    </>
  );
}
