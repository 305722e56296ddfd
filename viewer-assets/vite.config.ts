import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// Placeholder build config; the viewer (issue 4) owns this file.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: 'dist', emptyOutDir: true },
});
