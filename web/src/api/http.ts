import { session } from '../auth/current';
import { errorFromResponse } from './errors';

export type Query = Record<string, string | number | boolean | null | undefined>;

/** `path?query`, leaving out parameters that are unset or empty. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

interface RequestOptions {
  query?: Query;
  body?: unknown;
}

/** An authenticated request; the parsed JSON body, or undefined for 204. Throws ApiError. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = { method };
  if (options.body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(options.body);
  }
  const response = await session.fetch(withQuery(path, options.query), init);
  if (!response.ok) throw await errorFromResponse(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** An authenticated request whose body is a file (CSV export). */
export async function requestBlob(path: string, query?: Query): Promise<Blob> {
  const response = await session.fetch(withQuery(path, query));
  if (!response.ok) throw await errorFromResponse(response);
  return response.blob();
}
