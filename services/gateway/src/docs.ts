import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';

/** Our favicon (a vial on a filling line), so no page asks another host or 404s for one. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#1f4e79"/>
<rect x="12" y="4" width="8" height="4" rx="1" fill="#cfe3f5"/>
<path d="M11 9h10v17a3 3 0 0 1-3 3h-4a3 3 0 0 1-3-3z" fill="#ffffff"/>
<path d="M11 17h10v9a3 3 0 0 1-3 3h-4a3 3 0 0 1-3-3z" fill="#5fb3f0"/>
</svg>
`;

/** ReDoc's sidebar footer loads its logo from cdn.redoc.ly at runtime; ours is served here instead. */
export const REDOC_LOGO_URL = 'https://cdn.redoc.ly/redoc/logo-mini.svg';

/** Swagger UI and ReDoc with their assets served from node_modules (no CDN, no outside host: works offline). */
export function docsRouter(): Router {
  const router = express.Router();
  const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const redocBundlePath = require.resolve('redoc/bundles/redoc.standalone.js');
  let redocBundle: string | undefined; // read and patched on first use (1 MB)

  const swaggerHtml = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Filling Scheduler API - Swagger UI</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/svg+xml" href="/favicon.svg">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;
  const swaggerInit = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'BaseLayout',
  // The default sends the document to validator.swagger.io for a badge: no outside requests.
  validatorUrl: null
});`;
  const redocHtml = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Filling Scheduler API - ReDoc</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" type="image/svg+xml" href="/favicon.svg">
</head>
<body>
  <redoc spec-url="/openapi.json"></redoc>
  <script src="/redoc/redoc.standalone.js"></script>
</body>
</html>`;

  router.get('/docs', (_req, res) => {
    res.type('html').send(swaggerHtml);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(swaggerInit);
  });
  router.use('/docs/assets', express.static(swaggerDir, { index: false, maxAge: '1h' }));
  router.get('/redoc', (_req, res) => {
    res.type('html').send(redocHtml);
  });
  router.get('/redoc/redoc.standalone.js', (_req, res) => {
    redocBundle ??= fs.readFileSync(redocBundlePath, 'utf8').replaceAll(REDOC_LOGO_URL, '/favicon.svg');
    res.type('application/javascript').setHeader('Cache-Control', 'public, max-age=3600').send(redocBundle);
  });
  router.get(['/favicon.svg', '/favicon.ico'], (_req, res) => {
    res.type('image/svg+xml').setHeader('Cache-Control', 'public, max-age=86400').send(FAVICON_SVG);
  });
  return router;
}
