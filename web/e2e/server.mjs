// Starts a real `footfall demo` on a free loopback port with a fresh data directory, for
// the end-to-end run. Paths default relative to the repository, not to a machine.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = resolve(webDir, '..');

export const paths = {
  bin: process.env.FOOTFALL_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? '', '.cache/footfall-target'), 'release/footfall'),
  ort: process.env.ORT_DYLIB_PATH ?? join(repoDir, '.cache/onnxruntime/libonnxruntime.so'),
  video: resolve(process.env.FOOTFALL_DEMO_VIDEO ?? join(repoDir, '../shared/data/one-by-one-person-detection.mp4')),
  model: resolve(process.env.FOOTFALL_MODEL ?? join(repoDir, '../shared/models/yolox_nano.onnx')),
  dist: join(webDir, 'dist'),
};

/**
 * Spawns `footfall ARGS` in a fresh data directory and waits until `parse(log)` (stdout +
 * stderr so far) returns what the caller needs. Returns that plus `stop` (kills the server,
 * removes the data dir) and `log`.
 */
async function spawnServer(args, env, parse) {
  for (const [what, path] of Object.entries({ 'server binary (FOOTFALL_BIN)': paths.bin, 'ONNX Runtime (ORT_DYLIB_PATH)': paths.ort, 'demo video': paths.video, model: paths.model, 'built UI (npm run build)': join(paths.dist, 'index.html') })) {
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'footfall-e2e-'));
  const child = spawn(paths.bin, args, {
    cwd: dataDir,
    env: {
      ...process.env,
      FOOTFALL_DATABASE__DATA_DIR: dataDir,
      FOOTFALL_SERVER__WEB_DIR: paths.dist,
      ORT_DYLIB_PATH: paths.ort,
      FOOTFALL_DEMO_VIDEO: paths.video,
      FOOTFALL_MODEL: paths.model,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  const ready = new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 90 s:\n${log.slice(-4000)}`)), 90_000);
    const onData = (chunk) => {
      log += chunk;
      const found = parse(log);
      if (found) {
        clearTimeout(timer);
        resolveReady(found);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before it was ready:\n${log.slice(-4000)}`));
    });
  });
  try {
    const info = await ready;
    return { ...info, stop, log: () => log, dataDir };
  } catch (e) {
    stop();
    throw e;
  }
}

/**
 * `footfall demo` (the demo camera, an admin with a printed password). Returns
 * { url, login, password, stop, log }.
 */
export function startDemo(extraEnv = {}) {
  return spawnServer(['demo', '--bind', '127.0.0.1:0'], extraEnv, (log) => {
    const url = /Footfall demo running at (http:\/\/\S+)/.exec(log)?.[1];
    const login = /login:\s+(\S+) \/ (\S+)/.exec(log);
    return url && login ? { url, login: login[1], password: login[2] } : null;
  });
}

/**
 * `footfall serve` on an empty database, no cameras: it prints the one-time setup token.
 * Returns { url, setupToken, stop, log }.
 */
export function startFresh() {
  return spawnServer(['serve', '--bind', '127.0.0.1:0'], { FOOTFALL_LIVE__ENABLED: 'false' }, (log) => {
    const url = /footfall serving on (http:\/\/\S+)/.exec(log)?.[1];
    const setupToken = /"setup_token":"([^"]+)"/.exec(log)?.[1];
    return url && setupToken ? { url, setupToken } : null;
  });
}
