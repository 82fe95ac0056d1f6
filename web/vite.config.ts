/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// `FOOTFALL_URL` points the dev server's proxy at a running `footfall serve` / `demo`.
const api = process.env.FOOTFALL_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  // JSX through esbuild (React 17+ automatic runtime): no React plugin needed.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/api': { target: api, ws: true, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
