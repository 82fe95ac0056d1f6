import { describe, expect, it } from 'vitest';
import { ApiError, errorFor, errorFromResponse, formError } from './errors';

const invalid = (field: string | null, message = 'is wrong') => new ApiError(422, { code: 'invalid', message, field });

describe('API error -> form field', () => {
  it('shows the message at the field the API names', () => {
    expect(errorFor(invalid('name', 'must not be empty'), 'name')).toBe('must not be empty');
    expect(errorFor(invalid('name'), 'stream_url')).toBeUndefined();
  });

  it('lets a parent control show errors about its parts unless exact', () => {
    const e = invalid('lines[0].end', 'must be inside the frame');
    expect(errorFor(e, 'lines[0].end', true)).toBe('must be inside the frame');
    expect(errorFor(e, 'lines[0]')).toBe('end: must be inside the frame');
    expect(errorFor(e, 'lines')).toBe('[0].end: must be inside the frame');
    expect(errorFor(e, 'lines[0]', true)).toBeUndefined();
    expect(errorFor(e, 'lines[1]')).toBeUndefined();
    expect(errorFor(invalid('settings.detector_fps'), 'settings.detector_fps')).toBe('is wrong');
  });

  it('sends errors no field claims to the form banner', () => {
    expect(formError(invalid('name'), ['name'])).toBeUndefined();
    expect(formError(invalid('metadata', 'too big'), ['name'])).toBe('metadata: too big');
    expect(formError(new ApiError(409, { code: 'conflict', message: 'name taken' }), ['name'])).toBe('name taken');
    expect(formError(new Error('offline'), [])).toBe('offline');
    expect(formError(null, [])).toBeUndefined();
  });

  it('parses the error body, or describes a body that is not one', async () => {
    const body = { error: { code: 'invalid', message: 'must be 0.1 to 60', field: 'settings.detector_fps' } };
    const e = await errorFromResponse(new Response(JSON.stringify(body), { status: 422 }));
    expect([e.status, e.code, e.field, e.message]).toEqual([422, 'invalid', 'settings.detector_fps', 'must be 0.1 to 60']);
    const html = await errorFromResponse(new Response('<html>', { status: 502, statusText: 'Bad Gateway' }));
    expect(html.message).toBe('502 Bad Gateway');
    expect(html.field).toBeNull();
  });
});
