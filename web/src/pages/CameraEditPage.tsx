import { useEffect, useId, useState, type FormEvent } from 'react';
import { createCamera, getCamera, testCamera, updateCamera } from '../api/endpoints';
import { ApiError, errorFor, formError } from '../api/errors';
import type { Camera, CameraInput, ProbeResult } from '../api/types';
import { session } from '../auth/current';
import { ErrorBanner, Field } from '../components/ui';
import { GeometryEditor } from '../editor/GeometryEditor';
import { Link, navigate } from '../router';

const STREAM_TYPES = ['rtsp', 'http', 'hls', 'mjpeg', 'file', 'images'] as const;

const DEFAULT_SETTINGS: CameraInput['settings'] = {
  detector_fps: 5,
  confidence: 0.3,
  classes: [0],
  motion_gate: true,
  loop_file: false,
  blur_people: false,
};

function blankInput(): CameraInput {
  return { name: '', description: null, stream_url: '', stream_type: null, location: null, settings: { ...DEFAULT_SETTINGS }, lines: [], zones: [], enabled: true };
}

/** The PUT body for a loaded camera: everything it has, so nothing is lost on replace. */
function inputFrom(camera: Camera): CameraInput {
  return {
    name: camera.name,
    description: camera.description ?? null,
    stream_url: camera.stream_url,
    stream_type: camera.stream_type,
    location: camera.location ?? null,
    coordinates: camera.coordinates ?? null,
    settings: camera.settings,
    lines: camera.lines,
    zones: camera.zones,
    metadata: camera.metadata,
    enabled: camera.enabled,
  };
}

/** Form fields that have their own control (API errors on others go to the banner). */
const FIELDS = ['name', 'description', 'location', 'stream_url', 'stream_type', 'settings', 'lines', 'zones', 'enabled'];

export function CameraEditPage({ cameraId }: { cameraId: number | null }) {
  const [input, setInput] = useState<CameraInput | null>(cameraId === null ? blankInput() : null);
  const [savedUrl, setSavedUrl] = useState<string | null>(null);
  const [classesText, setClassesText] = useState('0');
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [probe, setProbe] = useState<{ running: boolean; result?: ProbeResult; error?: unknown }>({ running: false });
  const ids = { type: useId(), classes: useId() };

  useEffect(() => {
    if (cameraId === null) return;
    getCamera(cameraId).then(
      (camera) => {
        setInput(inputFrom(camera));
        setSavedUrl(camera.stream_url);
        setClassesText(camera.settings.classes.join(', '));
      },
      (err: unknown) => setError(err),
    );
  }, [cameraId]);

  if (!input) {
    return (
      <section>
        <h1>Edit camera</h1>
        <ErrorBanner message={formError(error, [])} />
        {!error && <p role="status">Loading…</p>}
      </section>
    );
  }

  const set = (patch: Partial<CameraInput>) => {
    setInput({ ...input, ...patch });
    setSaved(false);
  };
  const setSettings = (patch: Partial<CameraInput['settings']>) => set({ settings: { ...input.settings, ...patch } });
  const optional = (value: string) => (value.trim() === '' ? null : value);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const classes = classesText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    if (classes.some((c) => !Number.isInteger(c) || c < 0)) {
      setError(new ApiError(422, { code: 'invalid', field: 'settings.classes', message: 'must be comma-separated class ids, e.g. 0' }));
      return;
    }
    const body = { ...input, settings: { ...input.settings, classes } };
    setSaving(true);
    setError(null);
    try {
      const camera = cameraId === null ? await createCamera(body) : await updateCamera(cameraId, body);
      setInput(inputFrom(camera));
      setSavedUrl(camera.stream_url);
      setSaved(true);
      if (cameraId === null) navigate(`/cameras/${camera.id}/edit`, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const runProbe = async () => {
    setProbe({ running: true });
    try {
      // An edited URL is tested as typed; the unchanged (masked) one means "the stored one".
      const url = input.stream_url.trim() === savedUrl ? undefined : input.stream_url.trim();
      setProbe({ running: false, result: await testCamera(cameraId, url) });
    } catch (err) {
      setProbe({ running: false, error: err });
    }
  };

  // The bare picture: the editor draws the lines and zones being edited itself.
  const snapshot = cameraId === null ? null : `/api/v1/cameras/${cameraId}/snapshot.jpg?overlay=false&access_token=${encodeURIComponent(session.accessToken ?? '')}`;
  const typeError = errorFor(error, 'stream_type');
  const classesError = errorFor(error, 'settings.classes');

  return (
    <section aria-labelledby="edit-title">
      <div className="page-head">
        <h1 id="edit-title">{cameraId === null ? 'New camera' : `Edit ${input.name || 'camera'}`}</h1>
        {cameraId !== null && <Link to={`/cameras/${cameraId}`}>View live</Link>}
      </div>
      <form onSubmit={submit} noValidate>
        <div className="form-columns">
          <fieldset className="card">
            <legend>Camera</legend>
            <Field label="Name" name="name" required maxLength={100} value={input.name} onChange={(e) => set({ name: e.target.value })} field="name" error={error} />
            <Field label="Description" name="description" value={input.description ?? ''} onChange={(e) => set({ description: optional(e.target.value) })} field="description" error={error} />
            <Field label="Location" name="location" value={input.location ?? ''} onChange={(e) => set({ location: optional(e.target.value) })} field="location" error={error} />
            <Field
              label="Stream URL"
              name="stream_url"
              required
              value={input.stream_url}
              onChange={(e) => set({ stream_url: e.target.value })}
              field="stream_url"
              error={error}
              hint="rtsp://, http(s):// (and file:// where the server allows it). Credentials are stored encrypted and shown as ***."
            />
            <div className="field">
              <label htmlFor={ids.type}>Stream type</label>
              <select id={ids.type} name="stream_type" value={input.stream_type ?? ''} aria-invalid={typeError ? true : undefined} onChange={(e) => set({ stream_type: e.target.value || null })}>
                <option value="">From the URL</option>
                {STREAM_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
              {typeError && <p className="field-error" role="alert">{typeError}</p>}
            </div>
            <div className="probe">
              <button type="button" onClick={() => void runProbe()} disabled={probe.running || input.stream_url.trim() === ''}>
                {probe.running ? 'Testing (up to 15 s)…' : 'Test connection'}
              </button>
              <ProbeOutcome result={probe.result} error={probe.error} />
            </div>
            <label className="check">
              <input type="checkbox" checked={input.enabled ?? true} onChange={(e) => set({ enabled: e.target.checked })} /> Enabled (count this camera)
            </label>
          </fieldset>
          <fieldset className="card">
            <legend>Detection settings</legend>
            <Field
              label="Detector FPS"
              name="detector_fps"
              type="number"
              min={0.1}
              max={60}
              step={0.1}
              value={input.settings.detector_fps}
              onChange={(e) => setSettings({ detector_fps: e.target.valueAsNumber })}
              field="settings.detector_fps"
              error={error}
              hint="Frames per second the detector sees, 0.1 to 60."
            />
            <Field
              label="Minimum confidence"
              name="confidence"
              type="number"
              min={0.05}
              max={0.95}
              step={0.05}
              value={input.settings.confidence}
              onChange={(e) => setSettings({ confidence: e.target.valueAsNumber })}
              field="settings.confidence"
              error={error}
              hint="0.05 to 0.95."
            />
            <div className="field">
              <label htmlFor={ids.classes}>Classes counted</label>
              <input id={ids.classes} name="classes" value={classesText} aria-invalid={classesError ? true : undefined} onChange={(e) => setClassesText(e.target.value)} />
              {classesError ? <p className="field-error" role="alert">{classesError}</p> : <p className="hint">COCO class ids, comma-separated (0 = person).</p>}
            </div>
            <label className="check">
              <input type="checkbox" checked={input.settings.motion_gate} onChange={(e) => setSettings({ motion_gate: e.target.checked })} /> Skip frames without motion
            </label>
            <label className="check">
              <input type="checkbox" checked={input.settings.loop_file} onChange={(e) => setSettings({ loop_file: e.target.checked })} /> Loop file sources
            </label>
            <label className="check">
              <input type="checkbox" checked={input.settings.blur_people} onChange={(e) => setSettings({ blur_people: e.target.checked })} /> Blur people in the snapshot and live view
            </label>
          </fieldset>
        </div>
        <div className="card">
          <h2>Lines and zones</h2>
          <GeometryEditor imageUrl={snapshot} lines={input.lines} zones={input.zones} readOnly={false} error={error} onChange={(shapes) => set(shapes)} />
        </div>
        <div className="form-actions">
          <ErrorBanner message={formError(error, FIELDS)} />
          {saved && (
            <p className="banner success" role="status">
              Saved.
            </p>
          )}
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : cameraId === null ? 'Create camera' : 'Save changes'}
          </button>
        </div>
      </form>
    </section>
  );
}

function ProbeOutcome({ result, error }: { result: ProbeResult | undefined; error: unknown }) {
  if (error) return <p className="field-error" role="alert">{formError(error, [])}</p>;
  if (!result) return null;
  if (result.ok) {
    return (
      <p className="banner success" role="status" data-testid="probe-result">
        Connected in {result.elapsed_s.toFixed(1)} s: {result.codec ?? 'unknown codec'}, {result.width}×{result.height}
        {result.fps ? `, ${result.fps.toFixed(1)} fps` : ''}
      </p>
    );
  }
  return (
    <p className="banner error" role="alert" data-testid="probe-result">
      {result.error ?? 'failed'}: {result.message}
    </p>
  );
}
