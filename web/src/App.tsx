import { useState, type ReactNode } from 'react';
import { hasRole, useSession, useUser } from './auth/AuthProvider';
import { session } from './auth/current';
import { LiveProvider, useConnection } from './live/LiveProvider';
import { AccountPage } from './pages/AccountPage';
import { AuditPage } from './pages/AuditPage';
import { CameraDetailPage } from './pages/CameraDetailPage';
import { CameraEditPage } from './pages/CameraEditPage';
import { HistoryPage } from './pages/HistoryPage';
import { LoginPage } from './pages/LoginPage';
import { OverviewPage } from './pages/OverviewPage';
import { UsersPage } from './pages/UsersPage';
import { Link, matchPath, navigate, useLocation } from './router';
import { applyTheme, effectiveTheme, type Theme } from './theme';
import type { Role } from './api/types';

interface NavItem {
  label: string;
  to: string;
  /** Least role that sees it. */
  role: Role;
  /** Planned pages are listed (so the navigation has their place) but not yet links. */
  planned?: boolean;
}

const NAV: NavItem[] = [
  { label: 'Live', to: '/', role: 'viewer' },
  { label: 'History', to: '/history', role: 'viewer' },
  { label: 'Analytics', to: '/analytics', role: 'viewer', planned: true },
  { label: 'Reports', to: '/reports', role: 'viewer', planned: true },
  { label: 'Alerts', to: '/alerts', role: 'viewer', planned: true },
  { label: 'Users', to: '/users', role: 'admin' },
  { label: 'Audit log', to: '/audit', role: 'admin' },
  { label: 'Account', to: '/account', role: 'viewer' },
];

function isCurrent(item: NavItem, path: string): boolean {
  return item.to === '/' ? path === '/' || path.startsWith('/cameras') : path.startsWith(item.to);
}

function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(effectiveTheme);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="ghost"
      aria-label={`Switch to ${next} theme`}
      onClick={() => {
        applyTheme(next);
        setTheme(next);
      }}
    >
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}

function ConnectionBanner() {
  const connection = useConnection();
  if (connection === 'open') return null;
  const text =
    connection === 'connecting'
      ? 'Connecting to live updates…'
      : 'Live connection lost: reconnecting. Figures shown may be out of date.';
  return (
    <div className={`banner ${connection === 'connecting' ? 'info' : 'warning'}`} role="status" data-testid="connection-banner">
      {text}
    </div>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const user = useUser();
  const { path } = useLocation();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Footfall</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => hasRole(user, item.role)).map((item) =>
              item.planned ? (
                <li key={item.to}>
                  <span className="nav-planned" aria-disabled="true" title="Coming soon">
                    {item.label}
                  </span>
                </li>
              ) : (
                <li key={item.to}>
                  <Link to={item.to} aria-current={isCurrent(item, path) ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              ),
            )}
          </ul>
        </nav>
        <div className="who">
          <span>
            {user.username} <span className="muted">({user.role})</span>
          </span>
          <ThemeToggle />
          <button
            type="button"
            className="ghost"
            onClick={() => {
              void session.logout();
              navigate('/', { replace: true });
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <ConnectionBanner />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link to="/">Back to the live overview</Link>
      </p>
    </section>
  );
}

function Forbidden() {
  return (
    <section>
      <h1>Not allowed</h1>
      <p>Your role cannot open this page.</p>
    </section>
  );
}

function Routes() {
  const user = useUser();
  const { path } = useLocation();
  const guard = (role: Role, page: ReactNode) => (hasRole(user, role) ? page : <Forbidden />);
  if (path === '/' || path === '/login') return <OverviewPage />;
  if (path === '/cameras/new') return guard('user', <CameraEditPage cameraId={null} />);
  let m = matchPath('/cameras/:id/edit', path);
  if (m) return guard('user', <CameraEditPage cameraId={Number(m.id)} />);
  m = matchPath('/cameras/:id', path);
  if (m) return <CameraDetailPage cameraId={Number(m.id)} />;
  if (path === '/history') return <HistoryPage />;
  if (path === '/users') return guard('admin', <UsersPage />);
  if (path === '/audit') return guard('admin', <AuditPage />);
  if (path === '/account') return <AccountPage />;
  return <NotFound />;
}

export function App() {
  const state = useSession();
  if (state.kind === 'restoring') {
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  }
  if (state.kind === 'signed_out') return <LoginPage message={state.message} />;
  return (
    <LiveProvider>
      <Shell>
        <Routes />
      </Shell>
    </LiveProvider>
  );
}
