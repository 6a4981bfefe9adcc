/**
 * electron-vite: main (+ the engine host as a second entry, run as a utilityProcess), a
 * sandboxed preload (CommonJS: sandboxed preloads can't be ES modules) and the React renderer.
 * Native packages (onnxruntime-node, webgpu) stay external to the main bundle.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { metaContentSecurityPolicy } from './src/server/securityHeaders';

/** Built pages carry the CSP as a meta tag (file:// has no headers); the dev server's inline preamble would not pass it. */
function cspMetaTag(): Plugin {
  return {
    name: 'flashworld-csp-meta',
    apply: 'build',
    transformIndexHtml: (html) => html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${metaContentSecurityPolicy()}" />`),
  };
}

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: { index: resolve('src/main/index.ts'), engineHost: resolve('src/engine/host.ts') },
        external: ['onnxruntime-node', 'webgpu'],
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    build: { rollupOptions: { input: resolve('src/renderer/index.html') } },
    plugins: [react(), cspMetaTag()],
  },
});
