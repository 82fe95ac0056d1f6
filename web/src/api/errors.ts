/** Every API error body is `{"error": {"code", "message", "field"?}}`. */
export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The request field the server blames, e.g. `name` or `lines[0].end`. */
  readonly field: string | null;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.field = body.field ?? null;
  }
}

/** Builds an ApiError from a failed response, whatever its body turned out to be. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's HTML page, an empty 502): fall through to the generic message.
  }
  const inner = (body as { error?: ApiErrorBody } | null)?.error;
  if (inner && typeof inner.message === 'string') return new ApiError(response.status, inner);
  return new ApiError(response.status, {
    code: `http_${response.status}`,
    message: `${response.status} ${response.statusText || 'request failed'}`,
  });
}

/**
 * The error message to show next to the form field at `path`, if the API named it.
 * A field matches itself and anything below it: the control for `lines[0]` shows an error
 * about `lines[0].end` when no closer control claims it (`exact` turns that off).
 */
export function errorFor(error: unknown, path: string, exact = false): string | undefined {
  if (!(error instanceof ApiError) || error.field === null) return undefined;
  if (error.field === path) return error.message;
  if (exact) return undefined;
  const below = error.field.startsWith(path + '.') || error.field.startsWith(path + '[');
  return below ? `${error.field.slice(path.length).replace(/^\./, '')}: ${error.message}` : undefined;
}

/** The message for errors that no field on the form claims (`fields`: the paths shown). */
export function formError(error: unknown, fields: readonly string[]): string | undefined {
  if (error === null || error === undefined) return undefined;
  if (error instanceof ApiError) {
    const claimed = error.field !== null && fields.some((f) => errorFor(error, f) !== undefined);
    if (claimed) return undefined;
    return error.field ? `${error.field}: ${error.message}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
