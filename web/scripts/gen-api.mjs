#!/usr/bin/env node
// Refreshes the committed OpenAPI document (web/openapi.json) from a running server and
// regenerates the TypeScript types (src/api/schema.d.ts) from it.
//
//   npm run gen:api -- http://127.0.0.1:8080   (or FOOTFALL_URL=...; default that URL)
//   npm run gen:api -- --offline               (types only, from the committed document)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const documentPath = join(web, 'openapi.json');
const arg = process.argv[2];

if (arg !== '--offline') {
  const base = (arg ?? process.env.FOOTFALL_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  let response;
  try {
    response = await fetch(`${base}/api/openapi.json`);
  } catch (e) {
    console.error(`gen:api: cannot reach ${base} (${e.cause?.code ?? e.message}); start \`footfall serve\` or \`footfall demo\`, or pass its URL`);
    process.exit(1);
  }
  if (!response.ok) {
    console.error(`gen:api: ${base}/api/openapi.json answered ${response.status}`);
    process.exit(1);
  }
  const document = await response.json();
  writeFileSync(documentPath, JSON.stringify(document, null, 2) + '\n');
  console.log(`gen:api: wrote ${documentPath} from ${base}`);
}

JSON.parse(readFileSync(documentPath, 'utf8')); // fail early on a broken document
execFileSync(join(web, 'node_modules/.bin/openapi-typescript'), [documentPath, '-o', join(web, 'src/api/schema.d.ts')], { stdio: 'inherit' });
