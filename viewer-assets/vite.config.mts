import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

/**
 * Production build of the viewer: a static site (index.html + hashed assets/) for the root of a CloudFront
 * distribution. Nothing inline (the CSP allows only 'self' scripts and styles): no module-preload polyfill
 * and no assets inlined as data: URLs into CSS/JS.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
