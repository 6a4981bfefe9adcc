/**
 * The renderer's Content-Security-Policy, one definition for the Electron window and serve mode.
 * Spark needs WebAssembly ('wasm-unsafe-eval') and workers from blob: URLs; images come as data:
 * and blob: URLs (prompt images, thumbnails); nothing loads from other origins.
 */
export function contentSecurityPolicy(options: { websocketOrigin?: string; forMetaTag?: boolean; devServer?: boolean } = {}): string {
  const connect = ["'self'", 'blob:', 'data:', ...(options.websocketOrigin ? [options.websocketOrigin] : [])];
  return [
    "default-src 'self'",
    // The Vite dev server injects an inline React-refresh preamble; built pages never need inline code.
    `script-src 'self' 'wasm-unsafe-eval'${options.devServer ? " 'unsafe-inline'" : ''}`,
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    // Not allowed in a <meta> policy (browsers ignore it there and warn).
    ...(options.forMetaTag ? [] : ["frame-ancestors 'none'"]),
  ].join('; ');
}

/**
 * The policy baked into the built index.html: file:// pages (the Electron app) get no response
 * headers, so the header-based policy alone would not reach them. Serve mode's WebSocket is on
 * the page's own origin, any port of the loopback host.
 */
export function metaContentSecurityPolicy(): string {
  return contentSecurityPolicy({ websocketOrigin: 'ws://127.0.0.1:* ws://localhost:*', forMetaTag: true });
}
