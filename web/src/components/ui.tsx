/** Small shared pieces: form fields with API errors, banners, status badges, ticking ages. */
import { useEffect, useId, useState, type InputHTMLAttributes, type ReactNode } from 'react';
import { errorFor } from '../api/errors';
import { formatAge } from '../util/time';

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  /** The API field name this input sets (errors naming it show here). */
  field?: string;
  error?: unknown;
  hint?: ReactNode;
}

export function Field({ label, field, error, hint, ...input }: FieldProps) {
  const id = useId();
  const message = field ? errorFor(error, field) : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        aria-invalid={message ? true : undefined}
        aria-describedby={message ? `${id}-error` : hint ? `${id}-hint` : undefined}
        {...input}
      />
      {hint && !message && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {message && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {message}
        </p>
      )}
    </div>
  );
}

export function ErrorBanner({ message }: { message: string | undefined | null }) {
  if (!message) return null;
  return (
    <div className="banner error" role="alert">
      {message}
    </div>
  );
}

/** A camera status as a coloured badge with its text (colour is never the only cue). */
export function StatusBadge({ status }: { status: string | null }) {
  const value = status ?? 'unknown';
  return <span className={`badge status-${value}`}>{value}</span>;
}

/** Re-renders every second: for ages that tick. */
export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}

export function Age({ at }: { at: string | null }) {
  const now = useNow();
  if (!at) return <span className="muted">never</span>;
  return <time dateTime={at}>{formatAge(now - Date.parse(at))}</time>;
}

/** Loads once per `deps` change; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
} {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => !cancelled && setState({ data, error: null, loading: false }),
      (error: unknown) => !cancelled && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => {
      cancelled = true;
    };
    // `load` is a fresh closure each render; `deps` says when it means something new.
  }, [...deps, version]);
  return { ...state, reload: () => setVersion((v) => v + 1) };
}
