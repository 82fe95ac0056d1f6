/** One typed function per endpoint the dashboard uses. */
import { errorFromResponse } from './errors';
import { request, requestBlob } from './http';
import type {
  AuditEntry,
  AuditQuery,
  AuthStatus,
  Camera,
  CameraEvent,
  CameraInput,
  CameraLive,
  ChangePasswordRequest,
  CountsPage,
  CountsQuery,
  CreateUserRequest,
  EventQuery,
  ProbeResult,
  SessionView,
  SetupRequest,
  UpdateUserRequest,
  User,
} from './types';

export async function authStatus(): Promise<AuthStatus> {
  const response = await fetch('/api/v1/auth/status');
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as AuthStatus;
}

/** First-run admin account (public, needs the setup token the server printed). */
export async function setupAdmin(body: SetupRequest): Promise<User> {
  const response = await fetch('/api/v1/auth/setup', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as User;
}

export const changePassword = (body: ChangePasswordRequest) =>
  request<void>('POST', '/api/v1/auth/change-password', { body });
export const listSessions = () => request<SessionView[]>('GET', '/api/v1/auth/sessions');
export const logoutEverywhere = () => request<void>('POST', '/api/v1/auth/logout-all');

export const listCameras = () => request<Camera[]>('GET', '/api/v1/cameras', { query: { limit: 1000 } });
export const getCamera = (id: number) => request<Camera>('GET', `/api/v1/cameras/${id}`);
export const createCamera = (body: CameraInput) => request<Camera>('POST', '/api/v1/cameras', { body });
export const updateCamera = (id: number, body: CameraInput) =>
  request<Camera>('PUT', `/api/v1/cameras/${id}`, { body });
export const deleteCamera = (id: number) => request<void>('DELETE', `/api/v1/cameras/${id}`);
/**
 * Probes the camera's stream, or `streamUrl` instead (e.g. an unsaved change); without a
 * camera (`id` null, a new one) probes `streamUrl`.
 */
export const testCamera = (id: number | null, streamUrl?: string) =>
  id === null
    ? request<ProbeResult>('POST', '/api/v1/cameras/test', { body: { stream_url: streamUrl ?? '' } })
    : request<ProbeResult>('POST', `/api/v1/cameras/${id}/test`, {
        body: streamUrl === undefined ? {} : { stream_url: streamUrl },
      });

export const getLive = () => request<CameraLive[]>('GET', '/api/v1/live');

/** Counts of one camera (`cameraId`) or of all cameras together. */
export const getCounts = (cameraId: number | null, query: CountsQuery) =>
  request<CountsPage>('GET', cameraId === null ? '/api/v1/counts' : `/api/v1/cameras/${cameraId}/counts`, {
    query: { ...query, format: 'json' },
  });
export const downloadCountsCsv = (cameraId: number | null, query: CountsQuery) =>
  requestBlob(cameraId === null ? '/api/v1/counts' : `/api/v1/cameras/${cameraId}/counts`, {
    ...query,
    format: 'csv',
  });

export const listEvents = (query: EventQuery) => request<CameraEvent[]>('GET', '/api/v1/events', { query });

export const listUsers = () => request<User[]>('GET', '/api/v1/users', { query: { limit: 1000 } });
export const createUser = (body: CreateUserRequest) => request<User>('POST', '/api/v1/users', { body });
export const updateUser = (id: number, body: UpdateUserRequest) =>
  request<User>('PATCH', `/api/v1/users/${id}`, { body });

export const listAudit = (query: AuditQuery) => request<AuditEntry[]>('GET', '/api/v1/audit', { query });
