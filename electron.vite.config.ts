/**
 * electron-vite: main (+ the engine host as a second entry, run as a utilityProcess), a
 * sandboxed preload (CommonJS: sandboxed preloads can't be ES modules) and the React renderer.
 * Native packages (onnxruntime-node, webgpu) stay external to the main bundle.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

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
    plugins: [react()],
  },
});
