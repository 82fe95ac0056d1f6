import { useState } from 'react';
import { listAudit, listUsers } from '../api/endpoints';
import { formError } from '../api/errors';
import { ErrorBanner, useLoad } from '../components/ui';
import { formatDateTime } from '../util/time';

const PAGE_SIZE = 100;

function compact(value: unknown): string {
  return value === null || value === undefined ? '' : JSON.stringify(value);
}

export function AuditPage() {
  const users = useLoad(listUsers, []);
  const [userId, setUserId] = useState('');
  const [action, setAction] = useState('');
  const [applied, setApplied] = useState({ userId: '', action: '', offset: 0 });
  const entries = useLoad(
    () => listAudit({ user_id: applied.userId ? Number(applied.userId) : undefined, action: applied.action || undefined, limit: PAGE_SIZE, offset: applied.offset }),
    [applied],
  );
  const names = new Map((users.data ?? []).map((u) => [u.id, u.username]));
  const rows = entries.data ?? [];

  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
      </div>
      <form
        className="card filters"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ userId, action: action.trim(), offset: 0 });
        }}
      >
        <div className="field">
          <label htmlFor="audit-user">User</label>
          <select id="audit-user" value={userId} onChange={(e) => setUserId(e.target.value)}>
            <option value="">Anyone</option>
            {(users.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.username}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input id="audit-action" list="audit-actions" placeholder="e.g. camera.update" value={action} onChange={(e) => setAction(e.target.value)} />
          <datalist id="audit-actions">
            {[...new Set(rows.map((r) => r.action))].map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </div>
        <div className="field actions">
          <button type="submit" className="primary">
            Filter
          </button>
        </div>
      </form>
      <ErrorBanner message={formError(entries.error, [])} />
      <div className="card table-wrap">
        <table data-testid="audit-table">
          <caption>Changes, sign-ins and denials, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">User</th>
              <th scope="col">Action</th>
              <th scope="col">Resource</th>
              <th scope="col">Old</th>
              <th scope="col">New</th>
              <th scope="col">Address</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{formatDateTime(r.timestamp)}</td>
                <td>{r.user_id == null ? '–' : (names.get(r.user_id) ?? `#${r.user_id}`)}</td>
                <td>{r.action}</td>
                <td>
                  {r.resource_type}
                  {r.resource_id ? ` ${r.resource_id}` : ''}
                </td>
                <td className="json">{compact(r.old_values)}</td>
                <td className="json">{compact(r.new_values)}</td>
                <td>{r.ip_address ?? ''}</td>
              </tr>
            ))}
            {rows.length === 0 && !entries.loading && (
              <tr>
                <td colSpan={7}>No entries</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <div className="pager">
        <button type="button" disabled={applied.offset === 0} onClick={() => setApplied({ ...applied, offset: Math.max(0, applied.offset - PAGE_SIZE) })}>
          Newer
        </button>
        <button type="button" disabled={rows.length < PAGE_SIZE} onClick={() => setApplied({ ...applied, offset: applied.offset + PAGE_SIZE })}>
          Older
        </button>
      </div>
    </section>
  );
}
