import { useId, useState, type FormEvent } from 'react';
import { createUser, listUsers, updateUser } from '../api/endpoints';
import { formError } from '../api/errors';
import type { Role, User } from '../api/types';
import { useUser } from '../auth/AuthProvider';
import { ErrorBanner, Field, useLoad } from '../components/ui';
import { formatDateTime } from '../util/time';

const ROLES: Role[] = ['viewer', 'user', 'admin'];
const CREATE_FIELDS = ['username', 'email', 'password', 'role'];

export function UsersPage() {
  const me = useUser();
  const users = useLoad(listUsers, []);
  const [rowError, setRowError] = useState<unknown>(null);

  const patch = async (user: User, body: { role?: Role; is_active?: boolean }) => {
    setRowError(null);
    try {
      await updateUser(user.id, body);
      users.reload();
    } catch (err) {
      setRowError(err);
    }
  };

  return (
    <section aria-labelledby="users-title">
      <div className="page-head">
        <h1 id="users-title">Users</h1>
      </div>
      <ErrorBanner message={formError(users.error ?? rowError, [])} />
      <div className="card table-wrap">
        <table data-testid="users-table">
          <caption>Accounts</caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last login</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(users.data ?? []).map((u) => (
              <tr key={u.id}>
                <th scope="row">{u.username}</th>
                <td>{u.email}</td>
                <td>
                  <select aria-label={`Role of ${u.username}`} value={u.role} onChange={(e) => void patch(u, { role: e.target.value as Role })}>
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{u.is_active ? 'active' : 'deactivated'}</td>
                <td>{u.last_login ? formatDateTime(u.last_login) : 'never'}</td>
                <td>
                  {u.id !== me.id && (
                    <button type="button" className={u.is_active ? 'danger' : ''} onClick={() => void patch(u, { is_active: !u.is_active })}>
                      {u.is_active ? 'Deactivate' : 'Reactivate'}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <CreateUserForm onCreated={users.reload} />
    </section>
  );
}

function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const empty = { username: '', email: '', password: '', role: 'viewer' as Role };
  const [form, setForm] = useState(empty);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const roleId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    try {
      const user = await createUser(form);
      setDone(`Created ${user.username} (${user.role}).`);
      setForm(empty);
      onCreated();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-labelledby="create-user-title">
      <h2 id="create-user-title">Create a user</h2>
      <div className="form-row">
        <Field label="Username" required value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} field="username" error={error} />
        <Field label="Email" type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} field="email" error={error} />
        <Field label="Password" type="password" autoComplete="new-password" required value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} field="password" error={error} />
        <div className="field">
          <label htmlFor={roleId}>Role</label>
          <select id={roleId} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorBanner message={formError(error, CREATE_FIELDS)} />
      {done && (
        <p className="banner success" role="status">
          {done}
        </p>
      )}
      <button type="submit" className="primary">
        Create user
      </button>
    </form>
  );
}
