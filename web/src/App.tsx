// The shell: the session (sign-in when there is none), the navigation and the page for the path.
import { useEffect, useState } from 'react';
import { api, ApiError, type SessionInfo } from './api';
import { AccountJourneyPage } from './pages/AccountJourneyPage';
import { AccountPage, AccountsPage } from './pages/AccountsPage';
import { AuditPage } from './pages/AuditPage';
import { CalendarPage } from './pages/CalendarPage';
import { CampaignPage } from './pages/CampaignPage';
import { CampaignsPage } from './pages/CampaignsPage';
import { ContactPage, ContactsPage } from './pages/ContactsPage';
import { ImportPage } from './pages/ImportPage';
import { JourneyPage } from './pages/JourneyPage';
import { NewCampaignPage } from './pages/NewCampaignPage';
import { PlannerPage } from './planner/PlannerPage';
import { SignInPage } from './pages/SignInPage';
import { TasksPage } from './pages/TasksPage';
import { Link, navigate, useLocation } from './router';

export function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const { path } = useLocation();

  useEffect(() => {
    api.session().then(setSession, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) setSession(null);
      else setError(e instanceof Error ? e.message : String(e));
    });
  }, []);

  if (error) return <p role="alert">Baton is not reachable: {error}</p>;
  if (session === undefined) return <p className="muted">Loading…</p>;
  if (session === null) return <SignInPage onSignedIn={setSession} />;

  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    setSession(null);
    navigate('/', { replace: true });
  };

  return (
    <>
      <header className="top">
        <Link href="/campaigns" className="brand">
          Baton
        </Link>
        <nav aria-label="Main">
          <Link href="/campaigns" aria-current={path.startsWith('/campaigns') ? 'page' : undefined}>
            Campaigns
          </Link>
          <Link href="/calendar" aria-current={path === '/calendar' ? 'page' : undefined}>
            Calendar
          </Link>
          <Link href="/tasks" aria-current={path === '/tasks' ? 'page' : undefined}>
            Tasks
          </Link>
          <Link href="/contacts" aria-current={path.startsWith('/contacts') ? 'page' : undefined}>
            Contacts
          </Link>
          <Link href="/accounts" aria-current={path.startsWith('/accounts') ? 'page' : undefined}>
            Accounts
          </Link>
          <Link href="/journey" aria-current={path === '/journey' ? 'page' : undefined}>
            Journey
          </Link>
          {(session.user.role === 'admin' || session.user.role === 'marketer') && (
            <Link href="/import" aria-current={path === '/import' ? 'page' : undefined}>
              Import
            </Link>
          )}
          {session.user.role === 'admin' && (
            <Link href="/audit" aria-current={path === '/audit' ? 'page' : undefined}>
              Audit
            </Link>
          )}
        </nav>
        <span className="who">
          {session.user.email} · {session.workspace.name}
        </span>
        <button type="button" className="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main>
        <Page path={path} />
      </main>
    </>
  );
}

function Page({ path }: { path: string }) {
  if (path === '/' || path === '/campaigns') return <CampaignsPage />;
  if (path === '/campaigns/new') return <NewCampaignPage />;
  const plan = /^\/campaigns\/([^/]+)\/plan$/.exec(path);
  if (plan) return <PlannerPage id={decodeURIComponent(plan[1]!)} />;
  const m = /^\/campaigns\/([^/]+)$/.exec(path);
  if (m) return <CampaignPage id={decodeURIComponent(m[1]!)} />;
  if (path === '/calendar') return <CalendarPage />;
  if (path === '/tasks') return <TasksPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/contacts') return <ContactsPage />;
  const contact = /^\/contacts\/([^/]+)$/.exec(path);
  if (contact) return <ContactPage id={decodeURIComponent(contact[1]!)} />;
  if (path === '/accounts') return <AccountsPage />;
  if (path === '/journey') return <JourneyPage />;
  if (path === '/import') return <ImportPage />;
  const accountJourney = /^\/accounts\/([^/]+)\/journey$/.exec(path);
  if (accountJourney) return <AccountJourneyPage id={decodeURIComponent(accountJourney[1]!)} />;
  const account = /^\/accounts\/([^/]+)$/.exec(path);
  if (account) return <AccountPage id={decodeURIComponent(account[1]!)} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at {path}. <Link href="/campaigns">Go to the campaigns</Link>.
      </p>
    </section>
  );
}
