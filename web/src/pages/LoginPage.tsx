import { useState, type FormEvent } from 'react';
import { authStatus, setupAdmin } from '../api/endpoints';
import { formError } from '../api/errors';
import { session } from '../auth/current';
import { ErrorBanner, Field, useLoad } from '../components/ui';

/** Sign-in, or on a fresh server the one-time creation of the first admin. */
export function LoginPage({ message }: { message?: string | undefined }) {
  const status = useLoad(authStatus, []);
  return (
    <main id="main" className="login">
      <h1 className="brand">Footfall</h1>
      {status.data?.setup_required ? <SetupForm /> : <LoginForm message={message} />}
      {status.error !== null && <ErrorBanner message={formError(status.error, [])} />}
    </main>
  );
}

function LoginForm({ message }: { message?: string | undefined }) {
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.login(login, password);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="login-title">
      <h2 id="login-title">Sign in</h2>
      {message && !error && (
        <div className="banner info" role="status">
          {message}
        </div>
      )}
      <Field label="Username or email" name="login" autoComplete="username" required value={login} onChange={(e) => setLogin(e.target.value)} field="login" error={error} />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} field="password" error={error} />
      <ErrorBanner message={formError(error, ['login', 'password'])} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

const SETUP_FIELDS = ['setup_token', 'username', 'email', 'password'];

function SetupForm() {
  const [form, setForm] = useState({ setup_token: '', username: 'admin', email: '', password: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [key]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await setupAdmin(form);
      await session.login(form.username, form.password);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="setup-title">
      <h2 id="setup-title">Create the first administrator</h2>
      <p className="muted">
        This server has no users yet. Enter the one-time setup token printed on the server console when it started.
      </p>
      <Field label="Setup token" name="setup_token" required autoComplete="off" value={form.setup_token} onChange={set('setup_token')} field="setup_token" error={error} />
      <Field label="Username" name="username" required autoComplete="username" value={form.username} onChange={set('username')} field="username" error={error} />
      <Field label="Email" name="email" type="email" required autoComplete="email" value={form.email} onChange={set('email')} field="email" error={error} />
      <Field
        label="Password"
        name="password"
        type="password"
        required
        autoComplete="new-password"
        value={form.password}
        onChange={set('password')}
        field="password"
        error={error}
        hint="At least 10 characters, mixing two of: letters, digits, symbols."
      />
      <ErrorBanner message={formError(error, SETUP_FIELDS)} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create administrator'}
      </button>
    </form>
  );
}
