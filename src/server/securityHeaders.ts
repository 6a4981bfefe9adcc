/**
 * The renderer's Content-Security-Policy, one definition for the Electron window and serve mode.
 * Spark needs WebAssembly ('wasm-unsafe-eval') and workers from blob: URLs; images come as data:
 * and blob: URLs (prompt images, thumbnails); nothing loads from other origins.
 */
export function contentSecurityPolicy(options: { websocketOrigin?: string } = {}): string {
  const connect = ["'self'", 'blob:', 'data:', ...(options.websocketOrigin ? [options.websocketOrigin] : [])];
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
