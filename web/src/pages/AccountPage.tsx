import { useState, type FormEvent } from 'react';
import { changePassword, listSessions, logoutEverywhere } from '../api/endpoints';
import { formError } from '../api/errors';
import { useUser } from '../auth/AuthProvider';
import { session } from '../auth/current';
import { ErrorBanner, Field, useLoad } from '../components/ui';
import { formatDateTime } from '../util/time';

export function AccountPage() {
  const user = useUser();
  return (
    <section aria-labelledby="account-title">
      <div className="page-head">
        <h1 id="account-title">Account</h1>
      </div>
      <p>
        Signed in as <strong>{user.username}</strong> ({user.email}), role <strong>{user.role}</strong>.
      </p>
      <div className="two-columns">
        <PasswordForm />
        <Sessions />
      </div>
    </section>
  );
}

function PasswordForm() {
  const [form, setForm] = useState({ current_password: '', new_password: '' });
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    try {
      await changePassword(form);
      setForm({ current_password: '', new_password: '' });
      setDone(true);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <Field label="Current password" type="password" autoComplete="current-password" required value={form.current_password} onChange={(e) => setForm({ ...form, current_password: e.target.value })} field="current_password" error={error} />
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        value={form.new_password}
        onChange={(e) => setForm({ ...form, new_password: e.target.value })}
        field="new_password"
        error={error}
        hint="At least 10 characters, mixing two of: letters, digits, symbols."
      />
      <ErrorBanner message={formError(error, ['current_password', 'new_password'])} />
      {done && (
        <p className="banner success" role="status">
          Password changed.
        </p>
      )}
      <button type="submit" className="primary">
        Change password
      </button>
    </form>
  );
}

function Sessions() {
  const sessions = useLoad(listSessions, []);
  const [error, setError] = useState<unknown>(null);

  const everywhere = async () => {
    if (!window.confirm('Log out of every session, this one included?')) return;
    try {
      await logoutEverywhere();
      session.expire('You logged out everywhere. Please log in again.');
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="card">
      <table data-testid="sessions-table">
        <caption>Active sessions</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Expires</th>
            <th scope="col">Address</th>
            <th scope="col">Browser</th>
          </tr>
        </thead>
        <tbody>
          {(sessions.data ?? []).map((s) => (
            <tr key={s.id} aria-current={s.current ? 'true' : undefined}>
              <td>
                {formatDateTime(s.created_at)}
                {s.current && <strong> (this one)</strong>}
              </td>
              <td>{formatDateTime(s.expires_at)}</td>
              <td>{s.ip_address ?? ''}</td>
              <td className="ua">{s.user_agent ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorBanner message={formError(sessions.error ?? error, [])} />
      <button type="button" className="danger" onClick={() => void everywhere()}>
        Log out everywhere
      </button>
    </div>
  );
}
